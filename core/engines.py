"""The one place that chooses OCR and extraction backends from settings.

OCR (``ocr_engine``: local | textract) and extractor (``extractor``: rules | bedrock) are chosen
independently: local OCR + Bedrock, or Textract + rules, work as well as the pure pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.extraction.base import Extractor
from core.ocr.base import OcrEngine
from core.settings import ProcessorSettings

if TYPE_CHECKING:
    from core.aws import AwsClients


def _clients(settings: ProcessorSettings, clients: AwsClients | None) -> AwsClients:
    if clients is not None:
        return clients
    from core.aws import AwsClients

    return AwsClients(settings)


def build_ocr(settings: ProcessorSettings, *, clients: AwsClients | None = None) -> OcrEngine:
    if settings.ocr_engine == "local":
        from core.ocr.local import LocalOcr

        return LocalOcr()
    if settings.ocr_engine == "textract":
        from core.ocr.textract import TextractOcr

        return TextractOcr(
            client=_clients(settings, clients).client("textract"),
            mode=settings.textract_mode,
            region=settings.aws_region,
            poll_initial_seconds=settings.textract_poll_initial_seconds,
            poll_max_seconds=settings.textract_poll_max_seconds,
            job_timeout_seconds=settings.textract_job_timeout_seconds,
        )
    raise NotImplementedError(f"OCR engine {settings.ocr_engine!r} is not available")


def build_extractor(settings: ProcessorSettings, *, clients: AwsClients | None = None) -> Extractor:
    from core.extraction.rules import RulesExtractor

    rules = RulesExtractor(default_currency=settings.default_currency)
    if settings.extractor == "rules":
        return rules
    if settings.extractor == "bedrock":
        from core.extraction.bedrock import BedrockExtractor

        return BedrockExtractor(
            client=_clients(settings, clients).client("bedrock-runtime"),
            model_id=settings.bedrock_model_id,
            fallback=rules,
            max_tokens=settings.bedrock_max_tokens,
            temperature=settings.bedrock_temperature,
            max_input_chars=settings.bedrock_max_input_chars,
            region=settings.aws_region,
        )
    raise NotImplementedError(f"extractor {settings.extractor!r} is not available")
