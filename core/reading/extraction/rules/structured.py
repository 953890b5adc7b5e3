"""Receipt fields from an OCR engine that structures receipts itself (Textract AnalyzeExpense).

Textract already names the vendor, the date, the total, the tax and the line items; these rules
turn its printed values into ours (Decimal money, ISO dates and currencies) and merge them with
what the line-based rules found: Textract wins where it is confident, the lines fill the gaps.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from core.contracts import LineItem, Merchant, ReceiptExtraction
from core.reading.extraction.base import receipt_summary
from core.reading.extraction.rules.values import parse_amount, parse_date
from core.reading.ocr.base import OcrField, OcrLineItem, ReceiptFields

MIN_CONFIDENCE = 0.5  # below this a Textract value only fills a gap
TOLERANCE = Decimal("0.02")
_CODE_RE = re.compile(r"^[A-Z]{3}$")
_QTY_RE = re.compile(r"^\s*(\d{1,6}(?:[.,]\d{1,3})?)\s*(?:[Xx@*×]|PCS?|EA|UNITS?)?\s*$")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Value(Generic[T]):
    value: T
    confidence: float


def _clean(text: str) -> str:
    """One line: newlines joined, OCR dashes and stray punctuation at the ends removed."""
    parts = [p.strip() for p in text.replace("\r", "\n").split("\n")]
    joined = " ".join(p for p in parts if p and p.strip("-–— "))
    return joined.strip(" ,;:-–—")


def _best_text(fields: list[OcrField], limit: int) -> _Value[str] | None:
    ranked = sorted(fields, key=lambda f: f.confidence, reverse=True)
    for f in ranked:
        text = _clean(f.value)
        if len(text) >= 2:
            return _Value(text[:limit], f.confidence)
    return None


def _amounts(fields: list[OcrField]) -> list[_Value[Decimal]]:
    out = []
    for f in fields:
        value = parse_amount(f.value)
        if value is not None:
            out.append(_Value(value, f.confidence))
    return sorted(out, key=lambda v: v.confidence, reverse=True)


def _currency(fields: ReceiptFields) -> str | None:
    codes = [
        f.currency.upper()
        for f in (*fields.summary, *(x for item in fields.line_items for x in item.fields))
        if f.currency and _CODE_RE.match(f.currency.upper())
    ]
    return Counter(codes).most_common(1)[0][0] if codes else None


def _choose_total(
    totals: list[_Value[Decimal]], parts: Decimal | None, subtotal: Decimal | None
) -> _Value[Decimal] | None:
    """The total consistent with subtotal + tax + tip; else the most confident, then largest."""
    if not totals:
        return None
    for reference in (parts, subtotal):
        if reference is None:
            continue
        for candidate in totals:
            if abs(candidate.value - reference) <= TOLERANCE:
                return _Value(candidate.value, max(candidate.confidence, 0.9))
    best = max(t.confidence for t in totals)
    confident = [t for t in totals if t.confidence >= best - 0.05]
    return max(confident, key=lambda t: t.value)


def _quantity(text: str) -> Decimal | None:
    match = _QTY_RE.match(text)
    if not match:
        return None
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return value if 0 < value < 100_000 else None


def _line_item(item: OcrLineItem) -> LineItem | None:
    described = item.get("ITEM", "DESCRIPTION")
    priced = item.get("PRICE", "TOTAL", "AMOUNT")
    if described is None or priced is None:
        return None
    description = _clean(described.value)[:300]
    amount = parse_amount(priced.value)
    if len(description) < 2 or amount is None:
        return None
    counted = item.get("QUANTITY")
    quantity = _quantity(counted.value) if counted else None
    unit = item.get("UNIT_PRICE")
    unit_price = parse_amount(unit.value) if unit else None
    if unit_price is None and quantity:
        each = (amount / quantity).quantize(Decimal("0.01"))
        unit_price = each if each * quantity == amount else None
    return LineItem(
        description=description, quantity=quantity, unit_price=unit_price, amount=amount
    )


def line_items(fields: ReceiptFields) -> list[LineItem]:
    items = (_line_item(item) for item in fields.line_items)
    return [item for item in items if item is not None][:500]


def _pick(ours: _Value[T] | None, theirs: T | None) -> _Value[T] | None:
    """Textract's value when confident, or when the lines found nothing."""
    if ours is None:
        return None
    if ours.confidence >= MIN_CONFIDENCE or theirs is None:
        return ours
    return None


def _merchant(fields: ReceiptFields, base: Merchant, conf: dict[str, float]) -> Merchant:
    name = _pick(_best_text(fields.of_type("VENDOR_NAME"), 200), base.name)
    address = _best_text(fields.of_type("VENDOR_ADDRESS"), 500)
    phone = _best_text(fields.of_type("VENDOR_PHONE"), 50)
    if name:
        conf["merchant"] = round(name.confidence, 3)
    return Merchant(
        name=name.value if name else base.name,
        address=address.value if address else base.address,
        phone=phone.value if phone else base.phone,
    )


def _purchase_date(
    fields: ReceiptFields, base: date | None, conf: dict[str, float], *, us: bool, today: date
) -> date | None:
    dated = sorted(fields.of_type("INVOICE_RECEIPT_DATE"), key=lambda f: f.confidence)
    for f in reversed(dated):
        parsed = parse_date(f.value, month_first=us, today=today)
        if parsed is not None and _pick(_Value(parsed, f.confidence), base):
            conf["date"] = round(f.confidence, 3)
            return parsed
    return base


def _money(
    fields: ReceiptFields, base: ReceiptExtraction, conf: dict[str, float]
) -> dict[str, Decimal | None]:
    """Subtotal, tax, tip and the total consistent with them."""
    money: dict[str, Decimal | None] = {}
    for kind, kind_type in (("subtotal", "SUBTOTAL"), ("tax", "TAX"), ("tip", "GRATUITY")):
        found = _amounts(fields.of_type(kind_type))
        chosen = _pick(found[0] if found else None, getattr(base, kind))
        money[kind] = chosen.value if chosen else getattr(base, kind)
        if chosen:
            conf[kind] = round(chosen.confidence, 3)
    subtotal = money["subtotal"]
    present = [v for v in (subtotal, money["tax"], money["tip"]) if v is not None]
    parts = sum(present, Decimal(0)) if subtotal is not None else None
    totals = _amounts(fields.of_type("TOTAL")) or _amounts(fields.of_type("AMOUNT_DUE"))
    total = _pick(_choose_total(totals, parts, subtotal), base.total)
    money["total"] = total.value if total else base.total
    if total:
        conf["total"] = round(total.confidence, 3)
    return money


def _items(fields: ReceiptFields, base: list[LineItem], conf: dict[str, float]) -> list[LineItem]:
    items = line_items(fields)
    if not items:
        return list(base)
    used = [
        f.confidence
        for item in fields.line_items
        for f in (item.get("ITEM", "DESCRIPTION"), item.get("PRICE", "TOTAL", "AMOUNT"))
        if f is not None
    ]
    conf["line_items"] = round(sum(used) / len(used), 3)
    return items


def merge_fields(
    base: ReceiptExtraction, fields: ReceiptFields, *, today: date
) -> ReceiptExtraction:
    """``base`` (from the lines) with Textract's fields laid over it."""
    conf: dict[str, float] = {str(k): v for k, v in base.confidence.items()}
    currency = _currency(fields)
    if currency:
        conf["currency"] = 0.95
    currency = currency or base.currency
    merchant = _merchant(fields, base.merchant, conf)
    when = _purchase_date(fields, base.purchase_date, conf, us=currency == "USD", today=today)
    money = _money(fields, base, conf)
    updates: dict[str, Any] = {
        **money,
        "merchant": merchant,
        "purchase_date": when,
        "currency": currency,
        "line_items": _items(fields, list(base.line_items), conf),
        "confidence": {k: min(max(v, 0.0), 1.0) for k, v in conf.items()},
        "summary": receipt_summary(merchant.name, when, currency, money["total"]),
    }
    return ReceiptExtraction.model_validate(base.model_dump() | updates)
