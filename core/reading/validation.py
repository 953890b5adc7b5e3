"""Checks on an extraction before it is stored: does it describe a receipt, and does it add up.

Amounts that cannot be (``impossible_amounts``: a tax or tip not below the total, a subtotal or
items far above it) are kept, never dropped: the fields involved get a confidence of
``DOUBTFUL``, below the card's ❓ threshold, so the user is asked. The same checks run on a
user's typed correction (``core/receipts/service.py``, ``ReceiptService.correct``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from core.contracts import ConfidenceField, ErrorCode, ReceiptExtraction, plausible_purchase_date
from core.errors import PermanentProcessingError
from core.reading.ocr.base import OcrResult

MIN_TEXT_CHARS = 8
TOLERANCE = Decimal("0.05")

# The confidence given to a field that contradicts another: below the card's ❓ thresholds
# (``bot/render.py``: 0.7 for the main fields, 0.5 for the subtotal and the tax).
DOUBTFUL = 0.3

# total = subtotal + tax + tip - discount, so a subtotal above the total is possible only after
# a discount. The contract has no discount field: a discount of up to a third of the subtotal
# (the total at least two thirds of it: "buy 2 get 1 free", member prices) is taken as possible;
# beyond that the subtotal or the total is far likelier a misread (a cash tendered or another
# receipt's figure, a slipped decimal point). The ratio ignores the tax, whose inclusion (added
# on top, or already in the prices) the contract does not say. On the benchmark's receipts
# subtotals above the total were a cent above it at most (rounding to 5 cents).
SUBTOTAL_OVER_TOTAL = Decimal("1.5")
# Line items summing to more than the total: discount lines the items missed, rounding; half as
# much again is a misread (a subtotal or total line taken for an item, a quantity for a price).
# On the benchmark's receipts the items were at most 10% above the total.
ITEMS_OVER_TOTAL = Decimal("1.5")

AmountField = Literal["subtotal", "tax", "tip", "line_items"]


@dataclass(frozen=True, slots=True)
class Impossible:
    """An amount that cannot be, given the total: ``field`` (its ``value``) against ``total``."""

    field: AmountField
    value: Decimal
    total: Decimal

    @property
    def same_figure(self) -> bool:
        """The tax or tip is the total itself: a line printing the total ("TOTAL INCL. GST",
        its label misread) was taken for it, so the total is not in doubt, only the part."""
        return self.field in ("tax", "tip") and self.value == self.total

    @property
    def doubtful(self) -> tuple[ConfidenceField, ...]:
        """The fields to ask the user about."""
        return (self.field,) if self.same_figure else (self.field, "total")

    def describe(self) -> str:
        if self.field == "line_items":
            return f"line items sum to {self.value}, far more than the total {self.total}"
        if self.field == "subtotal":
            return f"subtotal {self.value} is far more than the total {self.total}"
        return f"{self.field} {self.value} is not less than the total {self.total}"


def impossible_amounts(
    *,
    total: Decimal | None,
    subtotal: Decimal | None = None,
    tax: Decimal | None = None,
    tip: Decimal | None = None,
    item_amounts: Iterable[Decimal | None] = (),
) -> list[Impossible]:
    """The amounts that cannot be beside ``total`` (nothing is checked without a positive one)."""
    if total is None or total <= 0:
        return []
    found: list[Impossible] = []
    if tax is not None and tax >= total:
        found.append(Impossible("tax", tax, total))
    if tip is not None and tip >= total:
        found.append(Impossible("tip", tip, total))
    if subtotal is not None and subtotal > total * SUBTOTAL_OVER_TOTAL + TOLERANCE:
        found.append(Impossible("subtotal", subtotal, total))
    amounts = [a for a in item_amounts if a is not None]
    items = sum(amounts, Decimal(0))
    if amounts and items > total * ITEMS_OVER_TOTAL + TOLERANCE:
        found.append(Impossible("line_items", items, total))
    return found


def check_readable(ocr: OcrResult) -> None:
    if sum(len(line.text.strip()) for line in ocr.lines) < MIN_TEXT_CHARS:
        raise PermanentProcessingError(
            ErrorCode.UNREADABLE,
            "No text could be read. Photograph the whole receipt flat, in good light, "
            "and send it again.",
        )


def validate(extraction: ReceiptExtraction, *, today: date) -> ReceiptExtraction:
    """Refuse what is not a receipt; drop an implausible date; keep amounts that cannot be, with
    the fields involved made doubtful; record warnings."""
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
    impossible = impossible_amounts(
        total=extraction.total,
        subtotal=extraction.subtotal,
        tax=extraction.tax,
        tip=extraction.tip,
        item_amounts=(item.amount for item in extraction.line_items),
    )
    if impossible:
        confidence = dict(extraction.confidence)
        for problem in impossible:
            warnings.append(problem.describe())
            for name in problem.doubtful:
                confidence[name] = min(confidence.get(name, 1.0), DOUBTFUL)
        updates["confidence"] = confidence
    if warnings != extraction.warnings:
        updates["warnings"] = warnings
    return extraction.model_copy(update=updates) if updates else extraction
