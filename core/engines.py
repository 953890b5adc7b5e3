"""The one place that chooses OCR and extraction backends from settings."""

from __future__ import annotations

from core.extraction.base import Extractor
from core.ocr.base import OcrEngine
from core.settings import ProcessorSettings


def build_ocr(settings: ProcessorSettings) -> OcrEngine:
    if settings.ocr_engine == "local":
        from core.ocr.local import LocalOcr

        return LocalOcr()
    raise NotImplementedError(f"OCR engine {settings.ocr_engine!r} is not available yet")


def build_extractor(settings: ProcessorSettings) -> Extractor:
    if settings.extractor == "rules":
        from core.extraction.rules import RulesExtractor

        return RulesExtractor(default_currency=settings.default_currency)
    raise NotImplementedError(f"extractor {settings.extractor!r} is not available yet")
