"""What a user may type to correct a field of a receipt, parsed and validated."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from core.errors import ReceiptSnapError
from core.money import is_iso_currency

EDITABLE_FIELDS = ("merchant", "date", "total", "currency", "category")
EARLIEST = date(2000, 1, 1)
MAX_AMOUNT = Decimal("1000000000")


class InvalidCorrection(ReceiptSnapError):
    status_code = 422
    code = "invalid_correction"


def parse_correction(field: str, raw: str, *, today: date) -> object:
    text = raw.strip()
    if not text:
        raise InvalidCorrection("empty")
    if field == "merchant":
        if len(text) > 200:
            raise InvalidCorrection("at most 200 characters")
        return text
    if field == "category":
        if len(text) > 50:
            raise InvalidCorrection("at most 50 characters")
        return text.lower()
    if field == "currency":
        code = text.upper()
        if not is_iso_currency(code):
            raise InvalidCorrection("a three-letter ISO code such as EUR, USD or MYR")
        return code
    if field == "total":
        return parse_amount(text)
    if field == "date":
        return parse_date(text, today=today)
    raise InvalidCorrection(f"{field} cannot be edited")


def parse_amount(text: str) -> Decimal:
    cleaned = re.sub(r"[^\d.,-]", "", text)
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d{1,2}|-?\d+,\d{1,2}", cleaned):  # 1.234,50 / 12,50
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise InvalidCorrection("an amount such as 23.40") from exc
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise InvalidCorrection("an amount such as 23.40")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str, *, today: date) -> date:
    lowered = text.lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"):
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not EARLIEST <= value <= today + timedelta(days=1):
            raise InvalidCorrection("a date between 2000 and today")
        return value
    raise InvalidCorrection("a date such as 2026-10-03 or 03/10/2026")
