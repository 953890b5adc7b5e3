"""The extraction port: OCR lines in, a ``ReceiptExtraction`` out."""

from __future__ import annotations

from typing import Protocol

from core.contracts import ReceiptExtraction
from core.ocr.base import OcrResult


class Extractor(Protocol):
    name: str

    def extract(self, ocr: OcrResult) -> ReceiptExtraction: ...
