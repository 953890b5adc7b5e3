"""Deterministic, rule-based receipt extractor.

No model and no network: OCR lines are regrouped into visual rows, then keyword rules and
arithmetic consistency (subtotal + tax = total, cash - change = total, sum of items) pick the
fields. Every rule is generic (keywords, formats, layout); nothing is tuned to a merchant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from core.categories.classify import classify
from core.contracts import EARLIEST_PURCHASE, Merchant, ReceiptExtraction
from core.reading.extraction.base import categories_or_default, receipt_summary
from core.reading.extraction.rules.currency import detect_currency
from core.reading.extraction.rules.dates import (
    choose_date,
    damaged_date,
    find_dates,
    find_time,
)
from core.reading.extraction.rules.items import (
    cut_at_running_total,
    extract_items,
    items_confidence,
)
from core.reading.extraction.rules.labels import collect_fields
from core.reading.extraction.rules.merchant import choose_merchant, find_address, find_phone
from core.reading.extraction.rules.payment import payment_method
from core.reading.extraction.rules.rows import Row, build_rows, use_integer_amounts
from core.reading.extraction.rules.structured import merge_fields
from core.reading.extraction.rules.totals import resolve_money
from core.reading.ocr.base import OcrResult

# The OCR text weighed for the category: the first pages' worth is enough.
MAX_CATEGORY_TEXT = 20_000


class RulesExtractor:
    """Keyword, layout and arithmetic rules; deterministic and dependency-free."""

    name = "rules"

    def __init__(
        self,
        *,
        default_currency: str | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.default_currency = default_currency.upper() if default_currency else None
        self.today = today or date.today

    def extract(
        self, ocr: OcrResult, *, categories: Sequence[str] | None = None
    ) -> ReceiptExtraction:
        """Fields from the OCR lines; when the OCR engine structured the receipt itself
        (Textract AnalyzeExpense), its fields win where it is confident and the lines fill in.

        The category, one of ``categories`` (None: the default list), comes from the kind of
        merchant and the items (``core.categories.classify``), with its confidence; none when
        the receipt does not tell.
        """
        extraction = self._from_lines(ocr)
        if ocr.fields is not None:
            extraction = merge_fields(extraction, ocr.fields, today=self.today())
        return with_category(extraction, categories_or_default(categories), ocr)

    def _from_lines(self, ocr: OcrResult) -> ReceiptExtraction:
        rows = use_integer_amounts(build_rows(ocr.lines))
        if not rows:
            return ReceiptExtraction()
        full_text = "\n".join(row.upper for row in rows)
        confidence: dict[str, float] = {}

        original = "\n".join(row.text for row in rows)
        currency, currency_conf = detect_currency(full_text, original, self.default_currency)
        if currency:
            confidence["currency"] = currency_conf

        merchant_name, merchant_conf, merchant_row = choose_merchant(rows)
        if merchant_name:
            confidence["merchant"] = merchant_conf
        merchant = Merchant(
            name=merchant_name,
            address=find_address(rows, merchant_row),
            phone=find_phone(rows),
        )

        purchase_date, date_conf, date_row = self._date(rows, currency)
        if purchase_date:
            confidence["date"] = date_conf

        fields = collect_fields(rows)
        start = (merchant_row + 1) if merchant_row is not None else 0
        taxes = [f.value for f in fields if f.kind == "tax"]
        discount = sum((abs(f.value) for f in fields if f.kind == "discount"), Decimal(0))
        raw_items = cut_at_running_total(
            extract_items(rows, fields, start),
            taxes,
            labelled=[f.value for f in fields if f.kind in ("total", "subtotal")],
            discount=discount,
        )
        items_sum = sum((i.amount or Decimal(0) for i in raw_items), Decimal(0)) or None
        money = resolve_money(fields, rows, items_sum)
        # A total guessed as the largest amount is no check on the items it may come from.
        checked_total = money.total if money.confidence.get("total", 0.0) >= 0.6 else None
        items, items_conf = items_confidence(
            raw_items, money.subtotal, checked_total, discount, money.tax
        )
        if items:
            confidence["line_items"] = items_conf
        confidence.update(money.confidence)

        return ReceiptExtraction(
            merchant=merchant,
            purchase_date=purchase_date,
            purchase_time=find_time(rows, date_row),
            currency=currency,
            subtotal=money.subtotal,
            tax=money.tax,
            tip=money.tip,
            total=money.total,
            line_items=items[:500],
            payment_method=payment_method(rows, fields),
            confidence=confidence,
            summary=receipt_summary(merchant_name, purchase_date, currency, money.total),
        )

    def _date(
        self, rows: Sequence[Row], currency: str | None
    ) -> tuple[date | None, float, int | None]:
        latest = self.today() + timedelta(days=1)

        def plausible(value: date) -> bool:
            return EARLIEST_PURCHASE <= value <= latest

        month_first = currency == "USD"
        found = choose_date(find_dates(rows, month_first, plausible))
        if found[0] is None:
            return damaged_date(rows, month_first, plausible)
        return found


def with_category(
    extraction: ReceiptExtraction, categories: Sequence[str], ocr: OcrResult
) -> ReceiptExtraction:
    """The extraction with the category its merchant, items and text point to, if any."""
    text = "\n".join(line.text for line in ocr.lines)[:MAX_CATEGORY_TEXT]
    guess = classify(
        extraction.merchant.name,
        [item.description for item in extraction.line_items],
        categories,
        text=text,
    )
    if guess.category is None:
        return extraction
    confidence = {**extraction.confidence, "category": guess.confidence}
    return extraction.model_copy(update={"category": guess.category, "confidence": confidence})
