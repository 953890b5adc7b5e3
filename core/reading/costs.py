"""Dollars from cost units: a result's pages and tokens priced with the settings' price table.

Used by bench/cost.py and meant for the admin statistics: both price alike. Results record the
OCR engine (per-page price), the model (per-token price) and the units; nothing else is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.contracts import CostUnits, Engines
from core.settings import PriceTable

THOUSAND = Decimal(1000)

# OCR engine name (as results record it) -> the price table's per-page field.
OCR_PAGE_PRICES = {
    "textract-expense": "textract_analyze_expense_per_page",
    "textract-text": "textract_detect_text_per_page",
}


@dataclass(frozen=True, slots=True)
class ReceiptCost:
    ocr_usd: Decimal
    model_usd: Decimal
    priced: bool = True  # False when the model has no entry in the price table

    @property
    def total_usd(self) -> Decimal:
        return self.ocr_usd + self.model_usd


def ocr_cost(engine: str | None, pages: int, prices: PriceTable) -> Decimal:
    field = OCR_PAGE_PRICES.get(engine or "")
    if field is None:  # local OCR, a PDF's text layer: no per-page charge
        return Decimal(0)
    per_page: Decimal = getattr(prices, field)
    return per_page * pages


def model_cost(
    model: str | None, input_tokens: int, output_tokens: int, prices: PriceTable
) -> tuple[Decimal, bool]:
    """The model's charge, and whether the model was in the price table."""
    if not input_tokens and not output_tokens:
        return Decimal(0), True
    price = prices.bedrock_models.get(model or "")
    if price is None:
        return Decimal(0), False
    return (
        input_tokens * price.input_per_1k_tokens / THOUSAND
        + output_tokens * price.output_per_1k_tokens / THOUSAND,
        True,
    )


def receipt_cost(
    *, cost: CostUnits, engines: Engines, prices: PriceTable, model: str | None = None
) -> ReceiptCost:
    """What one result cost. ``model`` stands in when the result does not name its model (the
    processing_attempts table keeps the units and engines but not the model id)."""
    ocr = ocr_cost(engines.ocr, cost.pages, prices)
    tokens, priced = model_cost(
        engines.model or model, cost.input_tokens, cost.output_tokens, prices
    )
    return ReceiptCost(ocr_usd=ocr, model_usd=tokens, priced=priced)


def mean_cost(costs: Iterable[ReceiptCost]) -> ReceiptCost:
    items = list(costs)
    if not items:
        return ReceiptCost(Decimal(0), Decimal(0))
    n = Decimal(len(items))
    return ReceiptCost(
        ocr_usd=sum((c.ocr_usd for c in items), Decimal(0)) / n,
        model_usd=sum((c.model_usd for c in items), Decimal(0)) / n,
        priced=all(c.priced for c in items),
    )
