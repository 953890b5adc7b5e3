"""Money amounts printed in a row: ``RM 9.00``, ``$1,007.50``, ``1.007,50``, ``Rp 25.000``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.contracts import MAX_AMOUNT
from core.reading.extraction.rules.text import fold

CENT = Decimal("0.01")

CURRENCY_PREFIX = (
    r"(?:US\$|S\$|SG\$|A\$|AU\$|C\$|CA\$|HK\$|NT\$|NZ\$|RM|MYR|USD|EUR|GBP|SGD|AUD|CAD|HKD|"
    r"INR|IDR|THB|PHP|CHF|JPY|CNY|RMB|RP\.?|RS\.?|\$|€|£|¥|₹|₱|฿|₩|S(?=\d))"  # S: an OCR'd $
)
_AMOUNT_RE = re.compile(
    r"(?<![\w.,/])"
    r"(?P<sign>-\s?)?"
    rf"(?P<cur>{CURRENCY_PREFIX})?\s?"
    r"(?P<sign2>-\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,3}(?:\.\d{3})+,\d{2}|\d+[.,]\d{2})"
    r"(?![\d])(?![.,]\d)"
    r"(?P<tail>-(?![\d]))?"
    r"(?P<unit>\s?(?:%|KGS?\b|ML\b|LTR\b|/KG\b|[AP]\.?M\b))?"
)


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    start: int  # offsets in the row's text
    end: int


def _to_decimal(num: str) -> Decimal | None:
    if "," in num and "." in num:
        decimal_sep = "," if num.rfind(",") > num.rfind(".") else "."
    else:
        decimal_sep = "," if "," in num else "."
    thousands_sep = "." if decimal_sep == "," else ","
    cleaned = num.replace(thousands_sep, "").replace(decimal_sep, ".")
    try:
        return Decimal(cleaned).quantize(CENT)
    except InvalidOperation:
        return None


# Leader dots read as a point before an amount: "TL .297.00" (never ".50", which is 0.50).
_LEADER_DOTS_RE = re.compile(r"(?<=\s)[.·]+(?=\d+[.,]\d{2}(?!\d))")


def find_amounts(text: str) -> list[Amount]:
    """All money amounts in ``text`` (upper- or mixed-case), left to right."""
    amounts: list[Amount] = []
    folded = _LEADER_DOTS_RE.sub(lambda m: " " * len(m.group()), fold(text))
    for match in _AMOUNT_RE.finditer(folded):
        if match.group("unit"):
            continue
        value = _to_decimal(match.group("num"))
        if value is None or value >= MAX_AMOUNT:
            continue
        if match.group("sign") or match.group("sign2") or match.group("tail"):
            value = -value
        amounts.append(Amount(value, match.start(), match.end()))
    return amounts


# Zero-decimal currencies (IDR, JPY, KRW, VND...) print "25.000" or "224,400" and no cents.
_INT_AMOUNT_RE = re.compile(
    r"(?<![\w.,/:\-])"
    rf"(?P<cur>{CURRENCY_PREFIX})?\s?"
    r"(?P<num>\d{1,3}(?P<sep>[.,'])\d{3}(?:(?P=sep)\d{3})*|\d{2,7})"
    r"(?![\d])(?![.,]\d)(?![:/\-])"
    r"(?P<unit>\s?(?:%|KGS?\b|ML\b|LTR\b|/KG\b))?"
)
GROUPED_INT_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d.,])")


def find_integer_amounts(text: str) -> list[Amount]:
    """Amounts without cents, for receipts that print none (``Rp 25.000``, ``224,400``)."""
    amounts: list[Amount] = []
    for match in _INT_AMOUNT_RE.finditer(fold(text)):
        if match.group("unit"):
            continue
        value = Decimal(re.sub(r"\D", "", match.group("num"))).quantize(CENT)
        if value >= MAX_AMOUNT:
            continue
        amounts.append(Amount(value, match.start(), match.end()))
    return amounts


def amounts_in(text: str) -> set[Decimal]:
    """Every money amount printed in ``text`` (with cents, and cent-less grouped figures)."""
    values: set[Decimal] = set()
    for line in unicodedata.normalize("NFKC", text).splitlines():
        values.update(abs(a.value) for a in find_amounts(line))
        values.update(a.value for a in find_integer_amounts(line))
    return values
