"""Checks on an extraction before it is stored: does it describe a receipt, and does it add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.contracts import ErrorCode, ReceiptExtraction, plausible_purchase_date
from core.errors import PermanentProcessingError
from core.reading.ocr.base import OcrResult

MIN_TEXT_CHARS = 8
TOLERANCE = Decimal("0.05")


def check_readable(ocr: OcrResult) -> None:
    if sum(len(line.text.strip()) for line in ocr.lines) < MIN_TEXT_CHARS:
        raise PermanentProcessingError(
            ErrorCode.UNREADABLE,
            "No text could be read. Photograph the whole receipt flat, in good light, "
            "and send it again.",
        )


def validate(extraction: ReceiptExtraction, *, today: date) -> ReceiptExtraction:
    """Drop impossible values and record warnings; refuse what is not a receipt."""
    if extraction.total is None and extraction.purchase_date is None and not extraction.line_items:
        raise PermanentProcessingError(
            ErrorCode.NOT_A_RECEIPT,
            "This does not look like a receipt: no total, date or items were found.",
        )
    warnings = list(extraction.warnings)
    updates: dict[str, object] = {}
    d = extraction.purchase_date
    if d is not None and not plausible_purchase_date(d, today=today):
        warnings.append(f"implausible date {d.isoformat()} dropped")
        updates["purchase_date"] = None
    if extraction.total is not None and extraction.total < 0:
        warnings.append("negative total")
    parts = [extraction.subtotal, extraction.tax, extraction.tip]
    if extraction.total is not None and extraction.subtotal is not None:
        expected = sum((p for p in parts if p is not None), Decimal("0"))
        if (
            abs(expected - extraction.total) > TOLERANCE
            and abs(extraction.subtotal - extraction.total) > TOLERANCE
        ):
            warnings.append("subtotal, tax and tip do not add up to the total")
    if warnings != extraction.warnings:
        updates["warnings"] = warnings
    return extraction.model_copy(update=updates) if updates else extraction
