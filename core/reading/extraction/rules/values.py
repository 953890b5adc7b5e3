"""Single values, each already isolated: an amount, a date, a currency code.

A field Textract isolated (``structured.py``) is parsed with the receipt's own rules
(``parse_amount``, ``parse_date``); a value a person types to correct a receipt is read with the
same rules and a little more loosely (``parse_typed_amount``, ``parse_date`` without ``today``),
its caller checking the range and saying why it refuses one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from core.contracts import plausible_purchase_date
from core.reading.extraction.rules.amounts import find_amounts, find_integer_amounts
from core.reading.extraction.rules.dates import dates_in_row
from core.reading.extraction.rules.text import fold

# Thousands grouped by spaces, as people type them: "1 234,56".
_DIGIT_SPACE_RE = re.compile(r"(?<=\d)\s+(?=\d)")
_COMMA_DECIMAL_RE = re.compile(r"-?\d{1,3}(\.\d{3})+,\d{1,2}|-?\d+,\d{1,2}")  # 1.234,50 / 12,5
_NAMED_CODES = {"EURO": "EUR", "EUROS": "EUR", "RMB": "CNY"}


def parse_amount(text: str) -> Decimal | None:
    """One amount as printed in a field of its own: ``$1,810.46``, ``659.00 Y``, ``$1000``."""
    found = find_amounts(text)
    if len(found) == 1:
        return found[0].value
    integers = find_integer_amounts(unicodedata.normalize("NFKC", text))
    return integers[0].value if len(integers) == 1 else None


def parse_typed_amount(text: str) -> Decimal | None:
    """One amount as a person types it: an amount with cents as a receipt prints it
    (``RM 12.50``, ``1.234,56``, ``12.50 EUR.``), else the figures alone, so that the short
    forms no receipt prints are read too (``5``, ``12.5``, ``12,5``, ``1 234,56``). A dot before
    three figures is a decimal point here (``0.500``), not the thousands of a receipt in rupiah.
    Not rounded and not checked: the caller says what it refuses (negative, too large)."""
    squeezed = _DIGIT_SPACE_RE.sub("", text)
    printed = find_amounts(squeezed)
    if len(printed) == 1:
        return printed[0].value
    cleaned = re.sub(r"[^\d.,-]", "", squeezed)
    if _COMMA_DECIMAL_RE.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_date(text: str, *, month_first: bool, today: date | None = None) -> date | None:
    """The first date in ``text`` (``12/07/2019``, ``12 March 2020``, ``2019-12-07``, ``20191207``).

    With ``today``, only a plausible date counts (2000 to tomorrow), and a day-first reading that
    is not plausible gives way to the month-first one. Without it, the first valid date is taken
    as written (day-first unless ``month_first``), for the caller to check."""

    def plausible(value: date) -> bool:
        return today is None or plausible_purchase_date(value, today=today)

    upper = fold(unicodedata.normalize("NFKC", text))
    hits = dates_in_row(upper, month_first, plausible, labelled=True)
    return hits[0][1] if hits else None


def normalise_code(code: str) -> str:
    """An upper-case currency code or name as printed: ``EUROS`` is EUR, ``RMB`` is CNY."""
    return _NAMED_CODES.get(code, code)
