"""Line items: the priced rows between the receipt's header and its totals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.contracts import LineItem
from core.reading.extraction.rules.amounts import CENT, CURRENCY_PREFIX
from core.reading.extraction.rules.dates import DAY_MONTH_RE, NUMERIC_DATE_RE, TIME_RE
from core.reading.extraction.rules.labels import LETTERS_RE, Field, is_header_row
from core.reading.extraction.rules.merchant import letters_ratio
from core.reading.extraction.rules.rows import Row
from core.reading.extraction.rules.totals import close

_QTY_PRICE_RE = re.compile(
    r"(?<![\d.,])(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:PCS?|UNITS?|EA|KG)?\s*[X@*×]\s*"
    + rf"(?:{CURRENCY_PREFIX})?\s?(\d+[.,]\d{{2,3}})(?!\d)"
)
_QTY_TOKEN_RE = re.compile(r"(?<![\w.,/:-])(\d{1,3}(?:\.\d{1,3})?)(?![\w.,/:-])")
_LEADING_QTY_RE = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,3})?)\s*[X*]?\s+(?=[A-Z])")
_TRAILING_QTY_RE = re.compile(r"\s(\d{1,3}(?:\.\d{1,3})?)\s*[X*]?\s*$")
_BARCODE_RE = re.compile(r"^\s*\d{6,}\s*")
_QTY_HEADER_RE = re.compile(r"(?<![A-Z])(?:QTY|QUANTITY|MENGE|CANT|QTE|UND|KUANTITI)(?![A-Z])")
_ITEM_STOP_KINDS = {
    "total",
    "subtotal",
    "tax",
    "cash",
    "change",
    "tip",
    "rounding",
    "service",
    "discount",
}
_TAX_CODE_END_RE = re.compile(r"\s+(?:SR|ZR|ZRL|ES|OS|TX|NR)\s*[*]?\s*$")  # GST/SST codes
_NOT_ITEM_RE = re.compile(
    r"(?<![A-Z])(?:TOTAL|CHANGE|CASH|TENDER|BALANCE|GST|VAT|TAX|ROUNDING|SUMMARY|AMOUNT|"
    r"PAYMENT|PAID|VISA|MASTERCARD|DEPOSIT|POINTS?|GROSS|NETT?|SUBTOTAL)(?![A-Z])"
)
# A unit price on its own line: "(S) @ 15.90", "PRECIO KILO 6.30", "PRICE/KG 2.99", "€/kg".
_UNIT_PRICE_ONLY_RE = re.compile(
    r"@\s*$|(?<![A-Z])(?:PRECIO|PRICE|PREIS|PRIX|PREZZO|PRIJS|HARGA)\s*(?:/|PER|POR|PAR|AL)?\s*"
    r"(?:KILO|KG|KILOGRAM|KILOGRAMO|LB|POUND)(?![A-Z])|(?:€|\$|RM|£)\s*/\s*(?:KG|LB)(?![A-Z])"
)
_CONTEXT_RE = re.compile(
    r"(?<![A-Z])(?:DATE|TIME|CASHIER|TABLE|INVOICE|INV|RECEIPT|BILL|ORDER|SERVER|TERMINAL|"
    r"POS|SLIP|TRANS|MEMBER|PAX|GUEST|COUNTER|STAFF|CHECK|DOC|TARIKH|KASSE|BON)(?![A-Z])"
)


@dataclass(frozen=True, slots=True)
class _ItemRegion:
    begin: int
    end: int
    qty_column: bool


def _date_and_time_only(row: Row) -> bool:
    """A date, and a time that reads like an amount ('12/3/2015 13.11'); not an item that
    prints a date ('ROOM 101 02/06/2016 120.00': 120.00 is no time of day)."""
    if not (NUMERIC_DATE_RE.search(row.upper) or DAY_MONTH_RE.search(row.upper)):
        return False
    return all(0 <= a.value < 24 and a.value % 1 < Decimal("0.6") for a in row.amounts)


def _items_region(rows: Sequence[Row], fields: Sequence[Field], start: int) -> _ItemRegion:
    """Rows between the header (column titles, date, cashier...) and the first (sub)total."""
    money_rows = [f.row for f in fields if f.kind in ("total", "subtotal")]
    end = min(money_rows) if money_rows else len(rows)
    begin, qty_column = start, False
    for index in range(start, end):
        row = rows[index]
        dated = _date_and_time_only(row)
        if row.amounts and not dated:
            break  # the first priced row: the header is above it
        if dated:
            begin = index + 1  # "12/3/2015 13.11": a date and a time, no price
        elif is_header_row(row):
            begin, qty_column = index + 1, bool(_QTY_HEADER_RE.search(row.upper))
        elif _CONTEXT_RE.search(row.upper) or TIME_RE.search(row.upper):
            begin = index + 1
    return _ItemRegion(begin, end, qty_column)


def _quantity_and_price(row: Row) -> tuple[Decimal | None, Decimal | None]:
    """``2 x 3.50``, ``2 @ 3.50`` or a quantity column followed by unit price and amount."""
    amount = row.amounts[-1].value
    match = _QTY_PRICE_RE.search(row.upper)
    if match:
        qty, price = _to_decimal_loose(match.group(1)), _to_decimal_loose(match.group(2))
        if qty and price is not None and close(qty * price, amount, Decimal("0.05")):
            return qty, price.quantize(CENT)
    if len(row.amounts) >= 2:
        spans = [(a.start, a.end) for a in row.amounts]
        for token in _QTY_TOKEN_RE.finditer(row.upper[: row.amounts[-1].start]):
            if any(lo <= token.start() < hi for lo, hi in spans):
                continue
            count = Decimal(token.group(1))
            for unit in row.amounts[:-1]:
                if count > 0 and unit.value > 0 and close(count * unit.value, amount):
                    return count, unit.value
    return None, None


def _leading_quantity(
    description: str, amount: Decimal
) -> tuple[str, Decimal | None, Decimal | None]:
    """``2 NASI LEMAK 11.00`` under a QTY column: quantity 2, unit price 5.50."""
    match = _LEADING_QTY_RE.match(description.upper())
    if not match or Decimal(match.group(1)) == 0:
        return description, None, None
    qty = Decimal(match.group(1))
    unit = amount / qty
    unit_price = unit if unit == unit.quantize(CENT) else None
    return description[match.end() :], qty, unit_price.quantize(CENT) if unit_price else None


def _to_decimal_loose(num: str) -> Decimal | None:
    try:
        return Decimal(num.replace(",", "."))
    except InvalidOperation:
        return None


def _description(row: Row) -> str:
    cut = row.amounts[0].start
    match = _QTY_PRICE_RE.search(row.upper)
    if match:
        cut = min(cut, match.start())
    return _BARCODE_RE.sub("", row.text[:cut]).strip()


def _clean_description(text: str) -> str:
    text = _BARCODE_RE.sub("", re.sub(r"\s+", " ", text))
    text = _TAX_CODE_END_RE.sub("", text.strip(" .,:;-*#@"))
    return text.strip(" .,:;-*#@")[:300]


def _make_item(
    description: str, row: Row, qty_column: bool, own_description: bool
) -> LineItem | None:
    amount = row.amounts[-1].value
    quantity, unit_price = _quantity_and_price(row)
    if own_description and quantity is not None:
        lead = _LEADING_QTY_RE.match(description.upper())
        trail = _TRAILING_QTY_RE.search(description)
        if lead and Decimal(lead.group(1)) == quantity:
            description = description[lead.end() :]
        elif trail and Decimal(trail.group(1)) == quantity:
            description = description[: trail.start()]
    elif own_description and qty_column and len(row.amounts) == 1:
        description, quantity, unit_price = _leading_quantity(description, amount)
    description = _clean_description(description)
    if len(LETTERS_RE.findall(description.upper())) < 2:
        return None
    return LineItem(
        description=description, quantity=quantity, unit_price=unit_price, amount=amount
    )


def _is_description_row(row: Row) -> bool:
    text = _BARCODE_RE.sub("", row.upper)
    return len(LETTERS_RE.findall(text)) >= 3 and letters_ratio(text) >= 0.5


def _has_own_description(row: Row) -> bool:
    return len(LETTERS_RE.findall(_description(row).upper())) >= 3


def _is_unit_price_line(row: Row) -> bool:
    """``(S) @ 15.90``: a unit price printed on its own line, not an item."""
    return bool(row.amounts) and bool(
        _UNIT_PRICE_ONLY_RE.search(row.upper[: row.amounts[-1].start])
    )


def _descriptions_follow(rows: Sequence[Row], region: _ItemRegion, skip: set[int]) -> bool:
    """True when the layout prints each description *below* its priced row."""
    for index in range(region.begin, region.end):
        row = rows[index]
        if index in skip:
            continue
        if not row.amounts:
            if _is_description_row(row):
                return False
            continue
        if _has_own_description(row):
            return False
        return index + 1 < region.end and _is_description_row(rows[index + 1])
    return False


def extract_items(rows: Sequence[Row], fields: Sequence[Field], start: int) -> list[LineItem]:
    region = _items_region(rows, fields, start)
    label_rows = {f.row for f in fields if f.kind in _ITEM_STOP_KINDS}
    skip = {i for i in range(region.begin, region.end) if i in label_rows}
    skip |= {i for i in range(region.begin, region.end) if _NOT_ITEM_RE.search(rows[i].upper)}
    skip |= {i for i in range(region.begin, region.end) if _is_unit_price_line(rows[i])}
    follow = _descriptions_follow(rows, region, skip)
    items: list[LineItem] = []
    pending: list[str] = []  # description rows printed above their amounts
    for index in range(region.begin, region.end):
        row = rows[index]
        if index in skip:
            pending = []
            continue
        if not row.amounts:
            if _is_description_row(row) and not follow:
                pending.append(row.text)
            continue
        description, own = _description(row), _has_own_description(row)
        if not own and follow:
            nxt = index + 1
            if nxt < region.end and not rows[nxt].amounts and _is_description_row(rows[nxt]):
                description = rows[nxt].text
        elif not own and pending:
            description = pending[0]
        pending = []
        item = _make_item(description, row, region.qty_column, own)
        if item is not None:
            items.append(item)
    return items


def cut_at_running_total(
    items: list[LineItem],
    taxes: Sequence[Decimal],
    *,
    labelled: Sequence[Decimal] = (),
    discount: Decimal = Decimal(0),
) -> list[LineItem]:
    """Arithmetic finds the subtotal rows a label did not name ("SUBTTL", "GROSS AMT", "Food"):
    a row whose amount is the sum of the two or more items above it (plus a tax, for a total)
    is no item, and what follows it is the receipt's totals block.

    Unless all the items already add up to a labelled total or subtotal (``labelled``): then
    that row is an item whose price happens to be the sum of the ones above (8.00 and 12.00,
    then 20.00)."""
    whole = sum((item.amount or Decimal(0) for item in items), Decimal(0))
    sums = (whole, whole - discount, *(whole + tax for tax in taxes))
    if any(close(value, target) for value in sums for target in labelled):
        return items
    running = Decimal(0)
    for index, item in enumerate(items):
        amount = item.amount or Decimal(0)
        totals = (running, *(running + tax for tax in taxes))
        if index >= 2 and running > 0 and amount in totals:
            return items[:index]
        running += amount
    return items


def items_confidence(
    items: Sequence[LineItem],
    subtotal: Decimal | None,
    total: Decimal | None,
    discount: Decimal = Decimal(0),
    tax: Decimal | None = None,
) -> tuple[list[LineItem], float]:
    if not items:
        return [], 0.0
    total_sum = sum((i.amount or Decimal(0) for i in items), Decimal(0))
    for value in (total_sum, total_sum - discount):
        if close(value, subtotal) or close(value, total):
            return list(items), 0.9
    if tax and (close(total_sum + tax, total) or close(total_sum - discount + tax, total)):
        return list(items), 0.9  # prices before tax, the tax printed apart
    reference = subtotal or total
    if reference is not None and reference > 0:
        if total_sum > reference * Decimal("1.25") or total_sum <= 0:
            return [], 0.0  # more than the receipt's total: some rows are not items
        ratio = float(total_sum / reference)
        return list(items), 0.6 if 0.8 <= ratio <= 1.2 else 0.35
    return list(items), 0.3
