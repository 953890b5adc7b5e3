"""What a user may type to correct a field of a receipt, parsed and validated."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from core.contracts import plausible_purchase_date
from core.errors import ReceiptSnapError
from core.money import is_iso_currency
from core.reading.extraction.rules import values
from core.reading.validation import Impossible, impossible_amounts

EDITABLE_FIELDS = ("merchant", "date", "total", "currency", "category", "subtotal", "tax")
AMOUNT_FIELDS = ("total", "subtotal", "tax")
MAX_AMOUNT = Decimal("1000000000")


class InvalidCorrection(ReceiptSnapError):
    """``message``: what the value should be, in English (the API's answer); ``wanted``: which
    kind of value, with its ``values``, for the bot to say it in the user's language (its
    ``WANTED`` texts; none: the message as it is)."""

    status_code = 422
    code = "invalid_correction"

    def __init__(self, message: str, *, wanted: str = "", **values: object) -> None:
        super().__init__(message)
        self.wanted = wanted
        self.values = values


def parse_correction(field: str, raw: str, *, today: date) -> object:
    text = raw.strip()
    if not text:
        raise InvalidCorrection("empty", wanted="empty")
    if field == "merchant":
        if len(text) > 200:
            raise InvalidCorrection("at most 200 characters", wanted="length", limit=200)
        return text
    if field == "category":
        if len(text) > 50:
            raise InvalidCorrection("at most 50 characters", wanted="length", limit=50)
        return text.lower()
    if field == "currency":
        code = values.normalise_code(text.upper())  # "euro" is EUR, "rmb" CNY
        if not is_iso_currency(code):
            raise InvalidCorrection(
                "a three-letter ISO code such as EUR, USD or MYR", wanted="currency"
            )
        return code
    if field in AMOUNT_FIELDS:
        return parse_amount(text)
    if field == "date":
        return parse_date(text, today=today)
    raise InvalidCorrection(f"{field} cannot be edited")


def parse_amount(text: str) -> Decimal:
    """An amount as typed: read like a receipt's (``RM 12.50``, ``1.234,56``) and more loosely
    (``5``, ``12,5``, ``1 234,56``); never negative, below a billion, two decimals."""
    value = values.parse_typed_amount(text)
    if value is None or value < 0 or value >= MAX_AMOUNT:
        raise InvalidCorrection("an amount such as 23.40", wanted="amount")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str, *, today: date) -> date:
    """A date as typed: ``today``, ``yesterday`` (Malay ``hari ini``, ``semalam``), or read like
    a receipt's (``2026-10-03``, ``3 Oct 2026``, ``03.10.26``), day first (``03/10/2026`` is 3
    October), 2000 to tomorrow."""
    lowered = " ".join(text.lower().split())
    if lowered in ("today", "hari ini"):
        return today
    if lowered in ("yesterday", "semalam"):
        return today - timedelta(days=1)
    value = values.parse_date(text, month_first=False)
    if value is None:
        raise InvalidCorrection("a date such as 2026-10-03 or 03/10/2026", wanted="date")
    if not plausible_purchase_date(value, today=today):
        raise InvalidCorrection("a date between 2000 and today", wanted="date_range")
    return value


def contradicted(
    field: str,
    *,
    total: Decimal | None,
    subtotal: Decimal | None,
    tax: Decimal | None,
    tip: Decimal | None,
    item_amounts: Iterable[Decimal | None] = (),
) -> list[tuple[str, Impossible]]:
    """After the user typed ``field``, the amounts that now cannot be beside it, each with the
    field then in doubt (never the one typed, which is certain): the tax, tip, subtotal or items
    for a typed total, the total for a typed tax or subtotal."""
    if field not in AMOUNT_FIELDS:
        return []
    found = impossible_amounts(
        total=total, subtotal=subtotal, tax=tax, tip=tip, item_amounts=item_amounts
    )
    if field == "total":
        return [(problem.field, problem) for problem in found]
    return [("total", problem) for problem in found if problem.field == field]
