"""Deterministic, rule-based receipt extractor.

No model and no network: OCR lines are regrouped into visual rows, then keyword rules and
arithmetic consistency (subtotal + tax = total, cash - change = total, sum of items) pick the
fields. Every rule is generic (keywords, formats, layout); nothing is tuned to a merchant.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

from core.contracts import LineItem, Merchant, ReceiptExtraction
from core.reading.ocr.base import OcrLine, OcrResult

CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e10")  # larger figures are ids or barcodes, and overflow Money
_TOLERANCE = Decimal("0.02")
_EARLIEST = date(2000, 1, 1)

# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------

_CURRENCY_PREFIX = (
    r"(?:US\$|S\$|SG\$|A\$|AU\$|C\$|CA\$|HK\$|NT\$|NZ\$|RM|MYR|USD|EUR|GBP|SGD|AUD|CAD|HKD|"
    r"INR|IDR|THB|PHP|CHF|JPY|CNY|RMB|RP\.?|RS\.?|\$|€|£|¥|₹|₱|฿|₩|S(?=\d))"  # S: an OCR'd $
)
_AMOUNT_RE = re.compile(
    r"(?<![\w.,/])"
    r"(?P<sign>-\s?)?"
    rf"(?P<cur>{_CURRENCY_PREFIX})?\s?"
    r"(?P<sign2>-\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,3}(?:\.\d{3})+,\d{2}|\d+[.,]\d{2})"
    r"(?![\d])(?![.,]\d)"
    r"(?P<tail>-(?![\d]))?"
    r"(?P<unit>\s?(?:%|KGS?\b|ML\b|LTR\b|/KG\b|[AP]\.?M\b))?"
)


@dataclass(frozen=True, slots=True)
class _Amount:
    value: Decimal
    start: int  # offsets in the row's text
    end: int


def parse_amount(text: str) -> Decimal | None:
    """Parse one amount such as ``RM 9.00``, ``$1,007.50``, ``1.007,50`` or ``-1.73``."""
    found = find_amounts(text)
    return found[0].value if len(found) == 1 else None


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


def find_amounts(text: str) -> list[_Amount]:
    """All money amounts in ``text`` (upper- or mixed-case), left to right."""
    amounts: list[_Amount] = []
    folded = _LEADER_DOTS_RE.sub(lambda m: " " * len(m.group()), _fold(text))
    for match in _AMOUNT_RE.finditer(folded):
        if match.group("unit"):
            continue
        value = _to_decimal(match.group("num"))
        if value is None or value >= _MAX_AMOUNT:
            continue
        if match.group("sign") or match.group("sign2") or match.group("tail"):
            value = -value
        amounts.append(_Amount(value, match.start(), match.end()))
    return amounts


# Zero-decimal currencies (IDR, JPY, KRW, VND...) print "25.000" or "224,400" and no cents.
_INT_AMOUNT_RE = re.compile(
    r"(?<![\w.,/:\-])"
    rf"(?P<cur>{_CURRENCY_PREFIX})?\s?"
    r"(?P<num>\d{1,3}(?P<sep>[.,'])\d{3}(?:(?P=sep)\d{3})*|\d{2,7})"
    r"(?![\d])(?![.,]\d)(?![:/\-])"
    r"(?P<unit>\s?(?:%|KGS?\b|ML\b|LTR\b|/KG\b))?"
)
_GROUPED_INT_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d.,])")


def find_integer_amounts(text: str) -> list[_Amount]:
    """Amounts without cents, for receipts that print none (``Rp 25.000``, ``224,400``)."""
    amounts: list[_Amount] = []
    for match in _INT_AMOUNT_RE.finditer(_fold(text)):
        if match.group("unit"):
            continue
        value = Decimal(re.sub(r"\D", "", match.group("num"))).quantize(CENT)
        if value >= _MAX_AMOUNT:
            continue
        amounts.append(_Amount(value, match.start(), match.end()))
    return amounts


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cell:
    text: str
    left: float
    top: float
    right: float
    bottom: float
    score: float = 1.0  # the OCR's recognition confidence


@dataclass(slots=True)
class _Row:
    cells: list[_Cell]
    page: int = 0
    text: str = ""
    upper: str = ""
    amounts: list[_Amount] = field(default_factory=list)

    @property
    def top(self) -> float:
        return sum(c.top for c in self.cells) / len(self.cells)

    @property
    def bottom(self) -> float:
        return sum(c.bottom for c in self.cells) / len(self.cells)

    def finish(self) -> _Row:
        self.cells.sort(key=lambda c: c.left)
        text = " ".join(c.text.strip() for c in self.cells if c.text.strip())
        self.text = unicodedata.normalize("NFKC", text)  # full-width "（RM）" -> "(RM)"
        self.upper = _fold(self.text)
        self.amounts = find_amounts(self.upper)
        return self


def _fold(text: str) -> str:
    """Upper-case character by character, keeping the length so that offsets stay valid."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def _strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).upper()


def _has_geometry(lines: Sequence[OcrLine]) -> bool:
    return any(line.box[2] > line.box[0] or line.box[3] > line.box[1] for line in lines)


def build_rows(lines: Sequence[OcrLine]) -> list[_Row]:
    """Group OCR boxes into visual rows (top to bottom, cells left to right)."""
    if not _has_geometry(lines):
        return [
            _Row([_Cell(part, 0, 0, 0, 0, line.confidence)], line.page).finish()
            for line in lines
            for part in line.text.splitlines()
            if part.strip()
        ]
    ordered = sorted(
        (line for line in lines if line.text.strip()),
        key=lambda ln: (ln.page, (ln.box[1] + ln.box[3]) / 2, ln.box[0]),
    )
    rows: list[_Row] = []
    for line in ordered:
        cell = _Cell(line.text, *line.box, line.confidence)
        current = rows[-1] if rows else None
        if current is not None and current.page == line.page and _same_row(current, cell):
            current.cells.append(cell)
        else:
            rows.append(_Row([cell], line.page))
    return [row.finish() for row in rows]


def _use_integer_amounts(rows: Sequence[_Row]) -> list[_Row]:
    """Switch to cent-less amounts when no row prints cents but several print grouped integers."""
    if any(row.amounts for row in rows):
        return list(rows)
    if sum(len(_GROUPED_INT_RE.findall(row.upper)) for row in rows) < 2:
        return list(rows)
    for row in rows:
        row.amounts = find_integer_amounts(row.upper)
    return list(rows)


def _same_row(row: _Row, cell: _Cell) -> bool:
    top, bottom = row.top, row.bottom
    centre = (cell.top + cell.bottom) / 2
    row_centre = (top + bottom) / 2
    if not (top <= centre <= bottom or cell.top <= row_centre <= cell.bottom):
        return False
    # Two boxes that overlap horizontally are stacked lines, not one row.
    return all(min(c.right, cell.right) - max(c.left, cell.left) <= 2 for c in row.cells)


# --------------------------------------------------------------------------------------------
# Labels (money keywords)
# --------------------------------------------------------------------------------------------

_NB = r"(?<![A-Z])"  # no letter before
_NA = r"(?![A-Z])"  # no letter after

_SUBTOTAL_RE = re.compile(
    _NB + r"(?:SUB\s*-?\s*TOTA[LI]|ZWISCHENSUMME|SOUS\s*-?\s*TOTAL|SUBTOTALE|SUBTOTAAL|"
    r"NETTO\s*SUMME|(?:TOTAL|AMOUNT|AMT)\.?\s*(?:SALES\s*|AMOUNT\s*|AMT\s*)?\(?\s*(?:EXCL|EXCLUDING|EXCLUSIVE|"
    r"BEFORE|W/O|HT\b)[A-Z.]*(?:\s*(?:OF\s*)?(?:GST|SST|VAT|TAX))?\)?)"
)
# "TOTAL" words that are not the amount to pay.
_TOTAL_NOT_RE = re.compile(
    _NB + r"(?:TOTAL|JUMLAH)\s*[:.]?\s*(?:NO\.?\s*OF\s*)?(?:QTY|QUANTITY|QTTY|ITEMS?|ITEM\(S\)|"
    r"PCS|PIECES|UNITS?|ARTICLES?|ARTIKEL|POINTS?|WEIGHT|COUNT|NO\b|NUMBER|KUANTITI|BARANG|"
    r"SAVINGS?|SAVED|DISC(?:OUNT)?|RABATT|REMISE|TIPS?|CUKAI|TAX|GST|VAT|SST|MWST)" + _NA
)
_TOTAL_TAX_RE = re.compile(
    _NB + r"(?:(?:TOTAL|JUMLAH)\s*[:.]?\s*(?:TAX|GST|VAT|SST|MWST|CUKAI)|"
    r"(?:TAX|GST|VAT|SST|MWST)\s*(?:AMOUNT\s*|AMT\s*)?TOTAL)" + _NA
)
_TOTAL_DISCOUNT_RE = re.compile(
    _NB + r"(?:(?:TOTAL|JUMLAH)\s*[:.]?\s*(?:DISC(?:OUNT)?|RABATT|REMISE)|"
    r"(?:DISC(?:OUNT)?|SAVINGS?)\s*TOTAL)" + _NA
)
_ITEMS_TOTAL_RE = re.compile(_NB + r"(?:ITEMS?|ITEM\s*\(S\)|ARTICLES?)\s*TOTAL" + _NA)
_STRONG_TOTAL_RE = re.compile(
    _NB + r"(?:GRAND\s*TOTAL|ROUND(?:ED|ING)?\s*(?:D\s*)?TOTAL|TOTAL\s*ROUND(?:ED|ING)|"
    r"NETT?\s*TOTAL|TOTAL\s*NETT?|TOTAL\s*(?:AMOUNT\s*)?DUE|AMOUNT\s*DUE|BALANCE\s*DUE|AMT\s*DUE|"
    r"TOTAL\s*PAYABLE|AMOUNT\s*PAYABLE|NET\s*A\s*PAYER|TOTAL\s*(?:A|À)\s*PAYER|TOTAL\s*TTC|"
    r"TOTAL\s*A\s*PAGAR|ZU\s*ZAHLEN|GESAMT\s*(?:SUMME|BETRAG)|JUMLAH\s*(?:BESAR|BERSIH|"
    r"BAYARAN|PERLU\s*DIBAYAR)|TOTAL\s*(?:SALES\s*|AMOUNT\s*|AMT\s*|\(?RM\)?\s*)?\(?\s*INC(?:L|LUSIVE|LUDING)?\.?"
    r"\s*(?:OF\s*)?(?:GST|SST|VAT|TAX|MWST))" + _NA
)
_TOTAL_RE = re.compile(
    _NB + r"(?:TOTAL|TOTALE|TOTAAL|TOTALT|SUMME|GESAMT|JUMLAH|IMPORTE|SUMA|BEDRAG|"
    r"MONTANT|TOTAL\s*AMOUNT|NETT?\s*AMOUNT|NETT?\s*AMT|AMOUNT\s*TO\s*PAY|"
    # OCR's misreadings of TOTAL on photos: TATAL, T0TAL, TOTAI, TOTA1
    r"(?:T[A0]TAL|TOTA[I1])(?![A-Z]))|合\s*计|合\s*計|总\s*计"
)
_TAX_RE = re.compile(
    _NB + r"(?:SALES\s*TAX|SERVICE\s*TAX|GST|VAT|SST|TAX|HST|PST|QST|MWST|MW\.?\s*ST|UST|"
    r"TVA|IVA|BTW|CUKAI|PPN)" + _NA
)
_TAX_NOT_AFTER_RE = re.compile(
    r"\s*\.?\s*(?:ID|REG|NO|NUMBER|#|INVOICE|INV|SUMMARY|CODE|ANALYSIS|RATE|DETAILS?|"
    r"IDENTIFICATION|IDNR|NR|EXEMPT|FREE|RELIEF|INCLUDED|INKL)" + _NA
)
_TAX_NOT_BEFORE_RE = re.compile(
    r"(?:INCL|INCLUSIVE|INCLUDING|INCLUDED|INC|EXCL|EXCLUSIVE|EXCLUDING|EXCLUDED|INKL|INKLUSIVE|"
    r"BEFORE|AFTER|W/O|"
    r"WITH|OF|PLUS|ZZGL|ENTHALTENE|DONT|INCLUDED|NO)\.?\s*[(:]?\s*$"
)
_TIP_RE = re.compile(_NB + r"(?:TIPS?|GRATUITY|TRINKGELD|POURBOIRE|PROPINA|MANCIA)" + _NA)
_SERVICE_RE = re.compile(
    _NB + r"(?:SERV(?:ICE)?\.?\s*(?:CHARGE|CHRG|CHG)|SVC\.?\s*(?:CHARGE|CHRG|CHG)|SERVIS|"
    r"CAJ\s*PERKHIDMATAN|BEDIENUNG|COPERTO)"
)
_DISCOUNT_RE = re.compile(
    _NB + r"(?:DISCOUNT|DISC|DISKAUN|RABATT|REMISE|DESCUENTO|SCONTO|KORTING|PROMO)" + _NA
)
_ROUNDING_RE = re.compile(
    _NB + r"(?:ROUNDING|ROUND\s*ADJ|RND\s*ADJ|ADJ(?:USTMENT)?|PEMBUNDARAN|RUNDUNG)"
)
_CHANGE_RE = re.compile(
    _NB + r"(?:CHANGE\s*DUE|CHANGE|KEMBALI|BAKI|RÜCKGELD|RUCKGELD|RENDU|CAMBIO|VUELTO|"
    r"WISSELGELD|RESTO)" + _NA
)
_CASH_RE = re.compile(
    _NB + r"(?:CASH|TENDERED|TENDER|AMOUNT\s*PAID|PAID|PAYMENT|TUNAI|BARGELD|GEGEBEN|BAR|"
    r"ESPECES|ESPÈCES|EFECTIVO|CONTANTI|CONTANT|VISA|MASTER\s*CARD|MASTER|AMEX|DEBIT|CREDIT|"
    r"CARD|KARTE|CARTE|TARJETA|EC)" + _NA
)
_HEADER_WORDS_RE = re.compile(
    _NB + r"(?:ITEM|ITEMS|DESCRIPTION|DESC|QTY|QUANTITY|PRICE|U/P|UNIT|AMOUNT|AMT|PRODUCT|"
    r"ARTICLE|ARTICULO|ARTIKEL|MENGE|PREIS|BETRAG|PRIX|QTE|CANT|PRECIO|DESCRIPCION|RM|TOTAL|"
    r"DISC|CODE|UOM)" + _NA
)

# (kind, regex, rank). Earlier entries win: the matched span is masked before later ones run.
_LABELS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("subtotal", _SUBTOTAL_RE, 2),
    ("subtotal", _ITEMS_TOTAL_RE, 1),
    ("tax", _TOTAL_TAX_RE, 3),
    ("discount", _TOTAL_DISCOUNT_RE, 1),
    ("ignore", _TOTAL_NOT_RE, 0),
    ("total", _STRONG_TOTAL_RE, 3),
    ("total", _TOTAL_RE, 2),
    ("service", _SERVICE_RE, 1),
    ("tip", _TIP_RE, 1),
    ("tax", _TAX_RE, 1),
    ("discount", _DISCOUNT_RE, 1),
    ("rounding", _ROUNDING_RE, 1),
    ("change", _CHANGE_RE, 1),
    ("cash", _CASH_RE, 1),
)


# Some OCR output (and annotated data sets) drops the spaces between words: "AMOUNTTENDER",
# "EAT-INTOTAL(INCLTAX)". In such compact rows the labels are matched without word boundaries.
_LOOSE_LABELS = tuple(
    (kind, re.compile(regex.pattern.replace(_NB, "").replace(_NA, "")), rank)
    for kind, regex, rank in _LABELS
)
_LETTER_TOKEN_RE = re.compile(r"\S*[A-Z]\S*")


def _plausible_loose_match(text: str, match: re.Match[str]) -> bool:
    """In run-together words a keyword must be long and start or end a word: "AMOUNTTENDER"
    yes, "MERCHANDISE" (DISC) or "CHOCOLATEBAR" (BAR) no."""
    if sum(c.isalpha() for c in match.group()) < 4:
        return False
    starts = match.start() == 0 or not text[match.start() - 1].isalpha()
    ends = match.end() == len(text) or not text[match.end()].isalpha()
    return starts or ends


def _is_compact(upper: str) -> bool:
    tokens = _LETTER_TOKEN_RE.findall(upper)
    return len(tokens) <= 2 and any(sum(c.isalpha() for c in t) >= 10 for t in tokens)


@dataclass(frozen=True, slots=True)
class _Label:
    kind: str
    rank: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Field:
    """A labelled amount: ``kind`` is total, subtotal, tax, tip, cash, change, ..."""

    kind: str
    rank: int
    value: Decimal
    row: int
    same_row: bool


def _find_labels(upper: str) -> list[_Label]:
    masked = upper
    labels: list[_Label] = []
    compact = _is_compact(upper)
    for kind, regex, rank in _LOOSE_LABELS if compact else _LABELS:
        for match in regex.finditer(masked):
            if kind == "tax" and not _valid_tax_label(masked, match):
                continue
            if compact and not _plausible_loose_match(masked, match):
                continue
            labels.append(_Label(kind, rank, match.start(), match.end()))
            masked = (
                masked[: match.start()]
                + " " * (match.end() - match.start())
                + masked[match.end() :]
            )
    labels.sort(key=lambda lb: lb.start)
    return _merge_qualifiers(upper, labels)


def _merge_qualifiers(upper: str, labels: list[_Label]) -> list[_Label]:
    """``SUB-TOTAL (GST)``: a label right after another one only qualifies it."""
    merged: list[_Label] = []
    for label in labels:
        if merged and not _ALNUM_RE.search(upper[merged[-1].end : label.start]):
            prev = merged[-1]
            kind = "change" if label.kind == "change" else prev.kind  # "CASH CHANGE"
            merged[-1] = _Label(kind, prev.rank, prev.start, label.end)
        else:
            merged.append(label)
    return merged


def _valid_tax_label(text: str, match: re.Match[str]) -> bool:
    if _TAX_NOT_AFTER_RE.match(text, match.end()):
        return False
    before = text[max(0, match.start() - 14) : match.start()]
    return not _TAX_NOT_BEFORE_RE.search(before)


def _is_header_row(row: _Row) -> bool:
    return len(_HEADER_WORDS_RE.findall(row.upper)) >= 2 and not row.amounts


def _collect_fields(rows: Sequence[_Row]) -> list[_Field]:
    fields: list[_Field] = []
    for index, row in enumerate(rows):
        if _is_header_row(row) or _SUGGESTION_RE.search(row.upper):
            continue
        labels = [lb for lb in _find_labels(row.upper) if lb.kind != "ignore"]
        for pos, label in enumerate(labels):
            stop = labels[pos + 1].start if pos + 1 < len(labels) else len(row.upper)
            values = [a for a in row.amounts if label.end <= a.start < stop]
            if values:
                fields.append(_Field(label.kind, label.rank, values[-1].value, index, True))
            elif pos + 1 == len(labels):
                value = _amount_on_next_row(rows, index)
                if value is not None:
                    fields.append(_Field(label.kind, label.rank, value, index, False))
    return fields


_ALNUM_RE = re.compile(r"[A-Z0-9]")
_SUGGESTION_RE = re.compile(r"SUGGEST|GUIDE|\d+\s*%\s*=")
_LETTERS_RE = re.compile(r"[A-Z]")


def _amount_on_next_row(rows: Sequence[_Row], index: int) -> Decimal | None:
    """The amount of the following row when it holds nothing but that amount."""
    nxt_index = index + 1
    while (
        nxt_index < len(rows)
        and nxt_index <= index + 2
        and not _ALNUM_RE.search(rows[nxt_index].upper)
    ):
        nxt_index += 1  # a lone ":" between label and amount
    if nxt_index >= len(rows):
        return None
    nxt = rows[nxt_index]
    if not _is_bare_amount(nxt):
        return None
    if nxt_index + 1 < len(rows) and _is_bare_amount(rows[nxt_index + 1]):
        return None  # a column of amounts (e.g. a tax summary table): ambiguous
    return nxt.amounts[0].value


def _is_bare_amount(row: _Row) -> bool:
    if len(row.amounts) != 1 or _find_labels(row.upper):
        return False
    rest = row.upper[: row.amounts[0].start] + row.upper[row.amounts[0].end :]
    return len(_LETTERS_RE.findall(rest)) <= 3


# --------------------------------------------------------------------------------------------
# Money fields: total, subtotal, tax, tip
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Money:
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    tip: Decimal | None = None
    confidence: dict[str, float] = field(default_factory=dict)


def _close(a: Decimal | None, b: Decimal | None, tolerance: Decimal = _TOLERANCE) -> bool:
    return a is not None and b is not None and abs(a - b) <= tolerance


def _of_kind(fields: Iterable[_Field], kind: str) -> list[_Field]:
    return [f for f in fields if f.kind == kind]


def _cash_minus_change(fields: Sequence[_Field]) -> Decimal | None:
    changes = [f.value for f in _of_kind(fields, "change") if f.value > 0]
    cash = [abs(f.value) for f in _of_kind(fields, "cash") if f.value]
    if not changes or not cash:
        return None
    value = max(cash) - changes[-1]
    return value if value > 0 else None


def _exact_payments(fields: Sequence[_Field]) -> list[Decimal]:
    """Amounts paid when no change was given (card payments, exact cash)."""
    if any(f.value > 0 for f in _of_kind(fields, "change")):
        return []
    return [abs(f.value) for f in _of_kind(fields, "cash") if f.value]


def _expected_totals(
    fields: Sequence[_Field], items_sum: Decimal | None
) -> list[tuple[Decimal, float]]:
    """Totals implied by arithmetic on the other labelled amounts, with a weight each."""
    taxes = sorted({f.value for f in _of_kind(fields, "tax") if f.value >= 0})
    extra = sum((f.value for f in _of_kind(fields, "service")), Decimal(0))
    extra += sum((f.value for f in _of_kind(fields, "tip") if f.value > 0), Decimal(0))
    discount = sum((abs(f.value) for f in _of_kind(fields, "discount")), Decimal(0))
    bases = [f.value for f in _of_kind(fields, "subtotal") if f.value > 0]
    if items_sum is not None and items_sum > 0:
        bases.append(items_sum)
    tax_options = [Decimal(0), *taxes]
    if len(taxes) > 1:
        tax_options.append(sum(taxes, Decimal(0)))
    expected: list[tuple[Decimal, float]] = []
    for base in bases:
        for tax in tax_options:
            # Without the tax only fits tax-inclusive prices: weaker evidence.
            weight = 1.5 if tax or not taxes else 0.75
            if not (base == items_sum and tax == 0 and not extra):
                expected.append((base + tax + extra, weight))  # items alone: checked apart
            if discount:
                expected.append((base + tax + extra - discount, weight))
    roundings = [f.value for f in _of_kind(fields, "rounding") if f.value]
    return expected + [(e + r, w) for e, w in expected for r in roundings]


def _total_candidates(fields: Sequence[_Field]) -> list[_Field]:
    """Labelled totals, plus ``total + rounding`` when a rounding line follows a total."""
    totals = [f for f in _of_kind(fields, "total") if f.value > 0]
    derived: list[_Field] = []
    for rounding in _of_kind(fields, "rounding"):
        if rounding.value >= 1:  # "ROUNDING 12.00": the rounded total itself, not an adjustment
            derived.append(_Field("rounded", 2, rounding.value, rounding.row, rounding.same_row))
        if rounding.value == 0 or abs(rounding.value) >= Decimal("0.10"):
            continue
        before = [t for t in totals if t.row < rounding.row]
        if before and not any(before[-1].row < f.row < rounding.row for f in fields):
            base = before[-1]
            derived.append(
                _Field("rounded", base.rank, base.value + rounding.value, rounding.row, True)
            )
    return totals + derived


def _agreement(value: Decimal, other: Decimal | None) -> float:
    """1 when two figures are equal, 0.4 when a cent or two apart (per-line tax rounding)."""
    if other is None:
        return 0.0
    if value == other:
        return 1.0
    return 0.4 if _close(value, other) else 0.0


def _derived_totals(
    change_based: Decimal | None,
    payments: Sequence[Decimal],
    expected: Sequence[tuple[Decimal, float]],
) -> list[_Field]:
    """A total nobody labelled (or OCR misread) but two independent sums agree on:
    cash - change or the amount paid, and subtotal + tax (+ rounding)."""
    arithmetic = {e for e, w in expected if w >= 1.5}
    paid = ([change_based] if change_based is not None else []) + list(payments)
    return [_Field("derived", 2, v, 0, True) for v in dict.fromkeys(paid) if v in arithmetic]


def _merge_candidates(candidates: Sequence[_Field]) -> list[_Field]:
    """One candidate per value: its best rank, its last row."""
    by_value: dict[Decimal, _Field] = {}
    for cand in candidates:
        seen = by_value.get(cand.value)
        if seen is None:
            by_value[cand.value] = cand
        else:
            by_value[cand.value] = _Field(
                "total",
                max(seen.rank, cand.rank),
                cand.value,
                max(seen.row, cand.row),
                seen.same_row or cand.same_row,
            )
    return list(by_value.values())


def _choose_total(
    fields: Sequence[_Field], rows: Sequence[_Row], items_sum: Decimal | None
) -> tuple[Decimal | None, float]:
    change_based = _cash_minus_change(fields)
    payments = _exact_payments(fields)
    expected = _expected_totals(fields, items_sum)
    candidates = _total_candidates(fields) + _derived_totals(change_based, payments, expected)
    n_rows = max(len(rows), 1)
    largest = max((c.value for c in candidates), default=None)
    rounded = {c.value for c in candidates if c.kind == "rounded"}
    best: tuple[float, Decimal, float] | None = None
    for cand in _merge_candidates(candidates):
        score = float(cand.rank) + (0.2 if cand.same_row else 0.0) + 0.1 * cand.row / n_rows
        score += 0.2 if cand.value == largest else 0.0
        score += 0.5 if cand.value in rounded else 0.0
        evidence = 2.0 * _agreement(cand.value, change_based)
        evidence += max((w * _agreement(cand.value, e) for e, w in expected), default=0.0)
        evidence += max((_agreement(cand.value, p) for p in payments), default=0.0)
        evidence += 0.5 * _agreement(cand.value, items_sum)
        score += evidence
        conf = 0.95 if evidence >= 1.0 and cand.rank >= 2 else (0.8 if cand.rank >= 2 else 0.6)
        if not cand.same_row:
            conf -= 0.1
        if best is None or score > best[0]:
            best = (score, cand.value, conf)
    if best is not None:
        return best[1], best[2]
    if change_based is not None:
        return change_based, 0.6
    return _largest_amount(rows, fields)


def _largest_amount(rows: Sequence[_Row], fields: Sequence[_Field]) -> tuple[Decimal | None, float]:
    """Fallback: the largest amount that is not a cash tendered / change figure."""
    excluded = {(f.row, f.value) for f in fields if f.kind in ("cash", "change")}
    values = [
        a.value
        for i, row in enumerate(rows)
        for a in row.amounts
        if a.value > 0 and (i, a.value) not in excluded
    ]
    if not values:
        return None, 0.0
    return max(values), 0.3


def _choose_component(
    fields: Sequence[_Field], kind: str, total: Decimal | None
) -> tuple[Decimal | None, float]:
    values = [f for f in _of_kind(fields, kind) if f.value >= 0]
    if total is not None:
        values = [f for f in values if f.value <= total]
    if not values:
        return None, 0.0
    best = max(values, key=lambda f: (f.rank, f.same_row, f.row))
    return best.value, 0.6


def _resolve_money(
    fields: Sequence[_Field], rows: Sequence[_Row], items_sum: Decimal | None
) -> _Money:
    money = _Money()
    money.total, total_conf = _choose_total(fields, rows, items_sum)
    subtotals = [f for f in _of_kind(fields, "subtotal") if f.value > 0]
    taxes = [f for f in _of_kind(fields, "tax") if f.value >= 0]
    extra = sum((f.value for f in _of_kind(fields, "service")), Decimal(0))
    sub, tax = _consistent_pair(subtotals, taxes, money.total, extra)
    if sub is not None and tax is not None:
        money.subtotal, money.tax = sub, tax
        money.confidence.update(subtotal=0.9, tax=0.9)
        total_conf = max(total_conf, 0.9) if total_conf >= 0.6 else total_conf
    else:
        money.subtotal, sub_conf = _choose_component(fields, "subtotal", money.total)
        money.tax, tax_conf = _choose_component(fields, "tax", money.total)
        if money.subtotal is not None:
            money.confidence["subtotal"] = sub_conf
        if money.tax is not None:
            money.confidence["tax"] = tax_conf
    tips = [f.value for f in _of_kind(fields, "tip") if f.value > 0]
    if tips and (money.total is None or tips[-1] < money.total):
        money.tip = tips[-1]
    if money.total is not None:
        money.confidence["total"] = round(total_conf, 2)
    return money


def _consistent_pair(
    subtotals: Sequence[_Field], taxes: Sequence[_Field], total: Decimal | None, extra: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    if total is None:
        return None, None
    for sub in subtotals:
        for tax in taxes:
            if _close(sub.value + tax.value + extra, total, Decimal("0.05")):
                return sub.value, tax.value
        if taxes and _close(sub.value + sum((t.value for t in taxes), Decimal(0)), total):
            return sub.value, sum((t.value for t in taxes), Decimal(0))
        # Tax-inclusive receipts: the subtotal already equals the total.
        if _close(sub.value, total) and taxes:
            return sub.value, max(taxes, key=lambda t: t.rank).value
    return None, None


# --------------------------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "JAN JANUARY JANUAR JANV JANVIER ENE ENERO JANUARI GEN GENNAIO JANUARI",
        "FEB FEBRUARY FEBRUAR FEV FEVR FEVRIER FEBRERO FEBRUARI FEBBRAIO",
        "MAR MARCH MARZ MRZ MARS MARZO MAC MAAC MAART",
        "APR APRIL AVR AVRIL ABR ABRIL APRILE",
        "MAY MAI MAYO MEI MAG MAGGIO",
        "JUN JUNE JUNI JUIN JUNIO GIU GIUGNO",
        "JUL JULY JULI JUIL JUILLET JULIO LUG LUGLIO JULAI",
        "AUG AUGUST AOUT AGO AGOSTO OGOS OGO AGS AUGUSTUS",
        "SEP SEPT SEPTEMBER SEPTEMBRE SEPTIEMBRE SET SETTEMBRE",
        "OCT OCTOBER OKT OKTOBER OCTOBRE OCTUBRE OTT OTTOBRE",
        "NOV NOVEMBER NOVEMBRE NOVIEMBRE",
        "DEC DECEMBER DEZ DEZEMBER DECEMBRE DIC DICIEMBRE DIS DISEMBER DICEMBRE",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A year; OCR often glues the time to it: "25/12/20188:13:39PM", "06/01/1812:17".
_YEAR = r"((?:19|20)\d{2}(?=\d{1,2}:\d{2})|(?:19|20)\d{2}(?!\d)|\d{2}(?=\d{1,2}:\d{2})|\d{2}(?!\d))"
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.,])(\d{1,2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?" + _YEAR + r"(?!\s?\.\d)"
)
_ISO_DATE_RE = re.compile(
    r"(?<![\w.,])((?:19|20)\d{2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?"
    r"(\d{2}(?=\d{1,2}:\d{2})|\d{1,2}(?!\d))"
)
# "DATE06/07/15", "TIME:2016/11/0218:01": a label glued to the figures.
_GLUED_LABEL_RE = re.compile(r"(DATE|TARIKH|DATUM|FECHA|DATA|TIME|TIJD|ZEIT)(?=[:.]?\d)")
_COMPACT_DATE_RE = re.compile(r"(?<![\d.,])(20\d{2})(\d{2})(\d{2})(?!\d)")
_DAY_MONTH_RE = re.compile(
    rf"(?<![\d])(\d{{1,2}})(?:ST|ND|RD|TH)?[\s\-/.,]*(?<![A-Z])({_MONTH_ALT})(?![A-Z])\.?"
    r"[\s\-/.,']*" + _YEAR + r"(?!\s?[:.]\d)"
)
_MONTH_DAY_RE = re.compile(
    rf"(?:(?<![A-Z])|(?<=MON|TUE|WED|THU|FRI|SAT|SUN))({_MONTH_ALT})(?![A-Z])\.?[\s\-/.]*"
    r"(\d{1,2})(?:ST|ND|RD|TH)?[\s,.\-/']+" + _YEAR + r"(?!\s?[:.]\d)"
)
_DATE_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:DATE|TARIKH|DATUM|FECHA|DATA|DT|INVOICE\s*DATE|BILL\s*DATE)(?![A-Z])"
)
_TIME_RE = re.compile(
    r"(?:(?<![\d:.])|(?<=(?:19|20)\d\d)|(?<=[/.\-]\d\d))([01]?\d|2[0-3])\s?[:]\s?([0-5]\d)(?:\s?:\s?([0-5]\d))?(?![\d])"
    r"(?:\s?([AP])\.?M\.?(?![A-Z]))?"
)
_DOT_TIME_RE = re.compile(r"(?<![\d:.])(1[0-2]|0?\d)\.([0-5]\d)\s?([AP])\.?M\.?(?![A-Z])")


@dataclass(frozen=True, slots=True)
class _DateHit:
    value: date
    row: int
    labelled: bool
    ambiguous: bool


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_date(
    a: int, b: int, year: int, month_first: bool, plausible: Callable[[date], bool]
) -> tuple[date | None, bool]:
    day_first = _make_date(year, b, a)
    mon_first = _make_date(year, a, b)
    order = (mon_first, day_first) if month_first else (day_first, mon_first)
    for candidate in order:
        if candidate is not None and plausible(candidate):
            return candidate, a <= 12 and b <= 12 and a != b
    return None, False


def _dates_in_row(
    text: str, month_first: bool, plausible: Callable[[date], bool], labelled: bool
) -> list[tuple[int, date, bool]]:
    """(position, date, ambiguous) for each date in one upper-case row."""
    plain = _strip_accents(text) if not text.isascii() else text
    plain = _GLUED_LABEL_RE.sub(r"\1 ", plain)
    hits: list[tuple[int, date, bool]] = []
    for m in _NUMERIC_DATE_RE.finditer(plain):
        value, ambiguous = _numeric_date(
            int(m.group(1)), int(m.group(3)), _year(m.group(4)), month_first, plausible
        )
        if value is not None:
            hits.append((m.start(), value, ambiguous))
    for m in _ISO_DATE_RE.finditer(plain):
        value = _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    for m in _DAY_MONTH_RE.finditer(plain):
        value = _make_date(_year(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    for m in _MONTH_DAY_RE.finditer(plain):
        value = _make_date(_year(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    if labelled:  # "20180304" is only a date next to a DATE label
        for m in _COMPACT_DATE_RE.finditer(plain):
            value = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if value is not None and plausible(value):
                hits.append((m.start(), value, False))
    return sorted(hits, key=lambda h: h[0])


def _find_dates(
    rows: Sequence[_Row], month_first: bool, plausible: Callable[[date], bool]
) -> list[_DateHit]:
    hits: list[_DateHit] = []
    for index, row in enumerate(rows):
        labelled = bool(_DATE_LABEL_RE.search(row.upper))
        prev_label = index > 0 and _is_bare_label(rows[index - 1].upper, _DATE_LABEL_RE)
        for _pos, value, ambiguous in _dates_in_row(
            row.upper, month_first, plausible, labelled or prev_label
        ):
            hits.append(_DateHit(value, index, labelled or prev_label, ambiguous))
    return hits


# Dates whose separators the OCR lost or mixed up: "27032018", "27 032018", "05 02-18". Only
# looked for when a receipt shows no well-formed date, and then only where the figures stand
# alone on their row or next to a DATE label, so phone numbers and ids are not taken for dates.
_RUN_DATE_RE = re.compile(r"(?<![\d.,])(\d{2})\s?(\d{2})\s?((?:19|20)\d{2})(?![\d.,])")
_MIXED_DATE_RE = re.compile(
    r"(?<![\d.,])(\d{1,2})\s?[\s/.\-]\s?(\d{1,2})\s?[\s/.\-]\s?((?:19|20)?\d{2})(?![\d.,])"
)
_SEPARATOR_RE = re.compile(r"[/.\-]")
_TIME_TAIL_RE = re.compile(r"\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?[AP]M)?$")


def _damaged_date(
    rows: Sequence[_Row], month_first: bool, plausible: Callable[[date], bool]
) -> tuple[date | None, float, int | None]:
    for index, row in enumerate(rows):
        labelled = bool(_DATE_LABEL_RE.search(row.upper)) or (
            index > 0 and _is_bare_label(rows[index - 1].upper, _DATE_LABEL_RE)
        )
        # Next to a label, anywhere in the row; otherwise a cell must hold nothing else.
        texts = [row.upper] if labelled else [_fold(c.text.strip()) for c in row.cells]
        for text in texts:
            text = _TIME_TAIL_RE.sub("", _DATE_LABEL_RE.sub("", text).strip(" :."))
            for regex in (_RUN_DATE_RE, _MIXED_DATE_RE):
                match = regex.search(text) if labelled else regex.fullmatch(text)
                if match is None:
                    continue
                if not labelled and regex is _MIXED_DATE_RE and not _SEPARATOR_RE.search(text):
                    continue  # "1 1 20" alone: figures of a table as well as a date
                value, _ambiguous = _numeric_date(
                    int(match.group(1)),
                    int(match.group(2)),
                    _year(match.group(3)),
                    month_first,
                    plausible,
                )
                if value is not None:
                    return value, 0.5, index
    return None, 0.0, None


def _is_bare_label(upper: str, regex: re.Pattern[str]) -> bool:
    match = regex.search(upper)
    return bool(match) and not any(ch.isdigit() for ch in upper)


def _choose_date(hits: Sequence[_DateHit]) -> tuple[date | None, float, int | None]:
    if not hits:
        return None, 0.0, None
    labelled = [h for h in hits if h.labelled]
    best = labelled[0] if labelled else hits[0]
    distinct = {h.value for h in hits}
    conf = 0.9 if labelled else 0.75
    if len(distinct) > 1:
        conf -= 0.15
    if best.ambiguous:
        conf -= 0.15
    return best.value, round(conf, 2), best.row


def _find_time(rows: Sequence[_Row], preferred_row: int | None) -> time | None:
    order = list(range(len(rows)))
    if preferred_row is not None:
        order.remove(preferred_row)
        order.insert(0, preferred_row)
    for index in order:
        text = rows[index].upper
        match = _TIME_RE.search(text)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            second = int(match.group(3) or 0)
            return _clock(hour, minute, second, match.group(4))
        dotted = _DOT_TIME_RE.search(text)
        if dotted:
            return _clock(int(dotted.group(1)), int(dotted.group(2)), 0, dotted.group(3))
    return None


def _clock(hour: int, minute: int, second: int, meridiem: str | None) -> time | None:
    if meridiem == "P" and hour < 12:
        hour += 12
    elif meridiem == "A" and hour == 12:
        hour = 0
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Currency
# --------------------------------------------------------------------------------------------

_ISO_CODES = (
    *("MYR", "USD", "EUR", "GBP", "SGD", "AUD", "CAD", "NZD", "HKD", "JPY", "CNY", "INR"),
    *("IDR", "THB", "PHP", "VND", "KRW", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"),
    *("AED", "SAR", "ZAR", "BRL", "MXN", "TWD"),
)
_ISO_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(_ISO_CODES) + r"|EUROS?|Euros?|RMB)(?![A-Za-z])")
_SYMBOLS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"(?<![A-Z])RM(?![A-Z])"), "MYR", 0.9),
    (re.compile(r"€"), "EUR", 0.9),
    (re.compile(r"£"), "GBP", 0.85),
    (re.compile(r"₹|(?<![A-Z])RS\.?\s?(?=\d)"), "INR", 0.8),
    (re.compile(r"(?<![A-Z])SG?\$"), "SGD", 0.85),
    (re.compile(r"(?<![A-Z])AU?\$"), "AUD", 0.85),
    (re.compile(r"(?<![A-Z])CA?\$"), "CAD", 0.85),
    (re.compile(r"(?<![A-Z])HK\$"), "HKD", 0.85),
    (re.compile(r"(?<![A-Z])NT\$"), "TWD", 0.85),
    (re.compile(r"(?<![A-Z])NZ\$"), "NZD", 0.85),
    (re.compile(r"(?<![A-Z])US\$"), "USD", 0.9),
    (re.compile(r"₱"), "PHP", 0.85),
    (re.compile(r"฿"), "THB", 0.85),
    (re.compile(r"₩"), "KRW", 0.85),
    (re.compile(r"(?<![A-Z])RP\.?\s?(?=\d)"), "IDR", 0.8),
    (re.compile(r"¥|円"), "JPY", 0.6),
)
_DOLLAR_RE = re.compile(r"\$")
# Country markers printed on receipts that pin down a bare "$" or no symbol at all.
_COUNTRY_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Z])(?:MALAYSIA|SDN\.?\s*BHD|S/B|JALAN|JLN|TAMAN)(?![A-Z])"), "MYR"),
    (re.compile(r"(?<![A-Z])SINGAPORE(?![A-Z])"), "SGD"),
    (re.compile(r"(?<![A-Z])(?:AUSTRALIA|ABN)(?![A-Z])"), "AUD"),
    (re.compile(r"(?<![A-Z])(?:NEW\s*ZEALAND)(?![A-Z])"), "NZD"),
    (re.compile(r"(?<![A-Z])(?:HONG\s*KONG)(?![A-Z])"), "HKD"),
    (re.compile(r"(?<![A-Z])CANADA(?![A-Z])"), "CAD"),
    (re.compile(r"(?<![A-Z])INDONESIA(?![A-Z])|\.CO\.ID\b"), "IDR"),
    # A US address line: "LAS VEGAS, NV 89104".
    (
        re.compile(
            r",\s?(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|"
            r"MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)"
            r"\.?\s?\d{5}(?:-\d{4})?(?!\d)"
        ),
        "USD",
    ),
)


def _detect_currency(text: str, original: str, default: str | None) -> tuple[str | None, float]:
    # ISO codes are printed in capitals: "Cashier: nok" is a name, not Norwegian kroner.
    codes = [_normalise_code(m.group(1).upper()) for m in _ISO_RE.finditer(original)]
    if codes:
        return max(set(codes), key=codes.count), 0.9
    for regex, code, conf in _SYMBOLS:
        if regex.search(text):
            return code, conf
    for regex, code in _COUNTRY_MARKERS:
        if regex.search(text):
            return code, 0.5
    if _DOLLAR_RE.search(text):
        return "USD", 0.5
    if default:
        return default.upper(), 0.3
    return None, 0.0


def _normalise_code(code: str) -> str:
    if code.startswith("EURO"):
        return "EUR"
    return "CNY" if code == "RMB" else code


# --------------------------------------------------------------------------------------------
# Merchant
# --------------------------------------------------------------------------------------------

_LEGAL_FORMS = (
    r"SDN\.?\s*B[A-Z]{2}\.?|BHD\.?|S/B|LTD\.?|LIMITED|LLC|L\.L\.C\.|INC\.?|CORP\.?|CORPORATION|"
    r"CO\.?|COMPANY|GMBH|AG|KG|OHG|E\.K\.|S\.A\.|S\.L\.|SRL|S\.R\.L\.|S\.P\.A\.|SAS|SARL|"
    r"B\.V\.|N\.V\.|PLC|PTY\.?|PTE\.?|ENTERPRISES?|TRADING"
)
_BUSINESS_WORDS = (
    r"RESTAURANTS?|RESTORAN|RESTAURANTE|RISTORANTE|CAFE|CAFÉ|BISTRO|HARDWARE|MARKET|MART|"
    r"STORES?|SUPERMARKET|STATIONERY|PHARMACY|BAKERY|HOTEL|BAR|GRILL|KITCHEN|PIZZERIA|"
    r"TRATTORIA|BOULANGERIE|APOTHEKE|HOUSE|CENTRE|CENTER|SHOP|BOOKS?|ELECTRICAL|"
    r"FOOD|FOODS|PUB|DELI|BOUTIQUE|SALON|STATION"
)
_LEGAL_SUFFIX_RE = re.compile(r"(?<![A-Z])(?:" + _LEGAL_FORMS + r")(?![A-Z])")
_LEGAL_END_RE = re.compile(r"(?:(?<![A-Z])(?:" + _LEGAL_FORMS + r")|SDN\.?\s*BHD\.?)\W*$")
_BUSINESS_END_RE = re.compile(r"(?<![A-Z])(?:" + _BUSINESS_WORDS + r")\W*$")
_GENERIC_WORD_RE = re.compile(
    r"(?<![A-Z])(?:" + _LEGAL_FORMS + "|" + _BUSINESS_WORDS + r"|AND|THE|OF)(?![A-Z])|&"
)
_SUFFIX_START_RE = re.compile(
    r"^\W*(?:\(M\)\s*)?(?:SDN\.?\s*BHD|SDN|BHD|S/B|LTD|LIMITED|LLC|INC|CORP|GMBH|PLC|PTY|PTE|CO\.|CO\s|COMPANY|ENTERPRISE|"
    r"TRADING|RESTAURANT|RESTORAN)(?![A-Z])"
)
_TITLE_RE = re.compile(
    r"(?<![A-Z])(?:TAX\s*INVOICE|INVOICE|RECEIPT|RECEIPTS|WELCOME|COPY|SIMPLIFIED|CASH\s*BILL|"
    r"CASH\s*SALES?|BILL|CHECK|ORDER|TABLE|CASHIER|THANK|MEMBER|DUPLICATE|REPRINT|"
    r"KASSENBON|QUITTUNG|RECHNUNG|FACTURA|TICKET|RECU|REÇU|FACTURE|SCONTRINO|KVITTO|"
    r"KWITANSI|RESIT|SALES?\s*SLIP|STATEMENT|CUSTOMER|MERCHANT|OPEN|HOURS|GOODS|SOLD|"
    r"RETURN|EXCHANGE|POS|TERMINAL|TRANSACTION|QUOTATION|DOCUMENT|SHOPPING)(?![A-Z])"
)
_COMPACT_TITLE_RE = re.compile(
    r"RECEIPT|INVOICE|WELCOME|CUSTOMER|CASHIER|MERCHANT|DUPLICATE|CHECKOUT|REPRINT|STATEMENT|"
    r"TRANSACTION|SIMPLIFIED|QUITTUNG|RECHNUNG|FACTURA|KASSENBON|THANKYOU"
)
_REG_RE = re.compile(
    r"(?<![A-Z])(?:GST|SST|VAT|TAX|CO\.?\s*-?\s*REG|COMPANY\s*(?:REG|NO)|REG\.?\s*NO|ROC|BR\s*NO|"
    r"ABN|ACN|TIN|NPWP|UST|STEUER|SIRET|SIREN|CIF|NIF|P\.?IVA|BUSINESS\s*NO|CO\.?\s*NO|"
    r"REGISTRATION)(?![A-Z])|\(\s*[A-Z]{0,3}\d{4,}[\w\- ]*\)|\b\d{5,}-?[A-Z]\b"
)
_CONTACT_RE = re.compile(
    r"(?<![A-Z])(?:TEL|TELE?PHONE|PHONE|PH|FAX|H/P|HP|MOBILE|EMAIL|E-MAIL|WEBSITE|WWW|HTTP|"
    r"TLF|TELF|TÉL|TELEFON|FON|CALL|HOTLINE|WHATSAPP)(?![A-Z])|@|\.COM|\.MY\b|WWW\.|\.DE\b|"
    r"\.CO\b|\.NET\b"
)
_STREET_RE = re.compile(
    r"(?<![A-Z])(?:JALAN|JLN|JL|LORONG|LRG|TAMAN|TMN|LOT|NO|ROAD|RD|STREET|ST|AVE|AVENUE|BLVD|"
    r"BOULEVARD|LANE|LN|DRIVE|DR|HWY|HIGHWAY|WAY|PLAZA|FLOOR|FLR|LEVEL|UNIT|BLOCK|BLK|SUITE|"
    r"STE|STR|STRASSE|STRAßE|PLATZ|WEG|RUE|AVENIDA|CALLE|VIA|PIAZZA|CORSO|KM|BATU|SEKSYEN|"
    r"PERSIARAN|BANDAR|KAWASAN|JAYA|MALL|CENTRE|CENTER|SQUARE|SQ|PKT|BUILDING|BLDG|GROUND)"
    r"(?![A-Z])"
)
_POSTCODE_RE = re.compile(r"(?<!\d)\d{5}(?!\d)|(?<![A-Z])[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b")
_PHONE_RE = re.compile(r"\+?\(?\d[\d\s\-()/.]{6,}\d")
_LEADING_LABEL_RE = re.compile(r"^[A-Z]{3,12}\s*:\s*(?=\S)")
_TRAILING_REG_RE = re.compile(
    r"\s*(?:\(\s*[A-Z]{0,3}\s*\d[\w\- ]*\)|\(?\s*(?:CO\.?\s*)?(?:REG\.?\s*)?(?:NO\.?\s*)?:?\s*"
    r"[A-Z]{0,2}\d{4,}[\w\-]*\)?)\s*$"
)
_REG_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:CO\.?\s*-?\s*REG|COMPANY\s*(?:REG|NO)|REG\.?\s*NO|ROC\s*NO|BR\s*NO|"
    r"GST\s*(?:ID|REG|NO)|SST\s*(?:ID|REG|NO)|VAT\s*(?:ID|REG|NO))"
)
_STREET_START_RE = re.compile(
    r"^\W*(?:JALAN|JLN|JL|LORONG|LRG|TAMAN|TMN|PERSIARAN|KAWASAN|LOT|UNIT|BLOCK|BLK|LEVEL|"
    r"FLOOR|SUITE)(?![A-Z])"
)
_ZERO_IN_WORD_RE = re.compile(r"(?<![\w])(?=[A-Za-z]*0)[A-Za-z0]*[A-Za-z][A-Za-z0]*(?![\w])")
_SDN_BHD_RE = re.compile(r"(?<![A-Za-z])S[A-Za-z]N(\.?\s*)B[A-Za-z]D(?=\W*$)", re.IGNORECASE)
_KEY_VALUE_RE = re.compile(r"^[A-Z][A-Z .'/]{1,20}:\s*\S")
_ALPHA_WORD_RE = re.compile(r"[A-Z]{2,}")
_CONNECTOR_END_RE = re.compile(r"(?:&|\bAND|\bOF|\bTHE|-|,|/)\s*$")


@dataclass(frozen=True, slots=True)
class _NameCandidate:
    text: str
    rows: tuple[int, ...]
    tier: int  # 2: ends with a legal form (SDN BHD, LTD...), 1: with a trade word, 0: neither


def _name_tier(name: str) -> int:
    upper = name.upper()
    if not _ALPHA_WORD_RE.search(_GENERIC_WORD_RE.sub(" ", upper)):
        return 0  # only generic words, e.g. "BISTRO & CAFE": a tagline, not a name
    if _LEGAL_END_RE.search(upper):
        return 2
    return 1 if _BUSINESS_END_RE.search(upper) else 0


def _letters_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isalpha() for c in chars) / len(chars)


def _is_address(upper: str) -> bool:
    has_digit = any(c.isdigit() for c in upper)
    streets = {m.group() for m in _STREET_RE.finditer(upper)}
    if _REG_RE.search(upper):
        streets.discard("NO")  # "REG NO: 1203194-W" is no street number
        if not streets:
            return False
    street = bool(streets)
    if has_digit and (street or _POSTCODE_RE.search(upper)):
        return True
    return bool(re.match(r"^\s*\d+[\w/-]*\s*,", upper))


def _is_contact(upper: str) -> bool:
    return bool(_CONTACT_RE.search(upper))


def _clean_name(text: str) -> str:
    name = re.sub(r"(?<=\d)·", "-", text.strip())  # "(519537·X)": the OCR's hyphen after a digit
    reg = _REG_LABEL_RE.search(name.upper())
    if reg and reg.start() > 0:
        name = name[: reg.start()]  # "ADVANCO COMPANY Company Reg. No"
    name = _TRAILING_REG_RE.sub("", name)
    name = _ZERO_IN_WORD_RE.sub(lambda m: m.group().replace("0", "O"), name)  # "AEON C0." (OCR)
    name = _SDN_BHD_RE.sub(r"SDN\1BHD", name)  # "SDN BND", "San Bhd": OCR slips on the suffix
    name = re.sub(r"(?<![A-Za-z])S/[D8]$", "S/B", name)  # Malaysia's "S/B" (Sdn Bhd), misread
    upper = name.upper()
    label = _LEADING_LABEL_RE.match(upper)
    if label and _LEGAL_SUFFIX_RE.search(upper[label.end() :]):
        name = name[label.end() :]
    return re.sub(r"\s+", " ", name).strip(" .,:;-*#")


def _is_name_like(row: _Row) -> bool:
    cleaned = _clean_name(row.text)
    upper = cleaned.upper()
    if len([c for c in upper if c.isalpha()]) < 3 or _letters_ratio(upper) < 0.6:
        return False
    if row.amounts or _TITLE_RE.search(upper) or _is_contact(upper):
        return False
    if _is_compact(upper) and _COMPACT_TITLE_RE.search(upper):
        return False
    if _REG_RE.search(upper) and not _LEGAL_SUFFIX_RE.search(upper):
        return False
    if (_STREET_START_RE.search(upper) or _KEY_VALUE_RE.search(upper)) and not (
        _LEGAL_SUFFIX_RE.search(upper)
    ):
        return False  # "JALAN ...", "MODE: CASH"
    return not _is_address(upper)


def _is_stop_row(row: _Row) -> bool:
    upper = row.upper
    return (
        _is_address(upper)
        or _is_contact(upper)
        or bool(row.amounts)
        or bool(_NUMERIC_DATE_RE.search(upper))
        or bool(_DAY_MONTH_RE.search(upper))
    )


def _name_candidates(rows: Sequence[_Row], limit: int = 10) -> list[_NameCandidate]:
    """Name-like rows at the top, stopping at the address / contact block."""
    picked: list[int] = []
    for index, row in enumerate(rows[:limit]):
        if _is_name_like(row):
            picked.append(index)
        elif picked and _is_stop_row(row) and not _REG_RE.search(row.upper):
            break
    candidates: list[_NameCandidate] = []
    i = 0
    while i < len(picked):
        group = [picked[i]]
        while (
            i + 1 < len(picked)
            and picked[i + 1] == group[-1] + 1
            and _should_join(rows[group[-1]].text, rows[picked[i + 1]].text)
        ):
            i += 1
            group.append(picked[i])
        text = _clean_name(" ".join(_clean_name(rows[g].text) for g in group))
        candidates.append(_NameCandidate(text, tuple(group), _name_tier(text)))
        i += 1
    return candidates


def _should_join(first: str, second: str) -> bool:
    a, b = _clean_name(first).upper(), _clean_name(second).upper()
    if len(a) + len(b) > 70:
        return False
    if a.count("(") > a.count(")") or _CONNECTOR_END_RE.search(a):
        return True
    return bool(_SUFFIX_START_RE.search(b)) and not _LEGAL_END_RE.search(a)


MERCHANT_MIN_OCR_SCORE = 0.9


def _choose_merchant(rows: Sequence[_Row]) -> tuple[str | None, float, int | None]:
    candidates = _name_candidates(rows)
    # Printed shop names are capitalised; an all-lower-case line is a note or a customer name.
    candidates = [c for c in candidates if c.tier or not c.text.islower()] or candidates
    if not candidates:
        return None, 0.0, None
    top = candidates[:4]
    best = max(top, key=lambda c: (c.tier, -c.rows[0]))
    conf = {2: 0.85, 1: 0.7, 0: 0.55}[best.tier]
    if best.rows[0] > 3:
        conf -= 0.15
    # A name the OCR was unsure of is often misspelt: ask the user about it.
    if min(cell.score for i in best.rows for cell in rows[i].cells) < MERCHANT_MIN_OCR_SCORE:
        conf -= 0.2
    return best.text[:200], round(conf, 2), best.rows[-1]


def _find_address(rows: Sequence[_Row], after: int | None) -> str | None:
    if after is None:
        return None
    parts: list[str] = []
    for row in rows[after + 1 : after + 8]:
        upper = row.upper
        if _is_contact(upper) or row.amounts or _TITLE_RE.search(upper):
            break
        if _REG_RE.search(upper) and not _is_address(upper):
            if parts:
                break
            continue
        if _is_address(upper) or (parts and _letters_ratio(upper) > 0.6 and len(parts) < 5):
            parts.append(row.text.strip(" ,"))
        elif parts:
            break
    return ", ".join(parts)[:500] if parts else None


_PHONE_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:TEL|TELE?PHONE|PHONE|PH|H/P|HP|MOBILE|TLF|TELF|TÉL|TELEFON|FON)(?![A-Z])"
)


def _find_phone(rows: Sequence[_Row], limit: int = 15) -> str | None:
    for row in rows[:limit]:
        label = _PHONE_LABEL_RE.search(row.upper)
        if not label:
            continue
        match = _PHONE_RE.search(row.upper, label.end())
        if match and sum(c.isdigit() for c in match.group()) >= 7:
            return match.group().strip()[:50]
    return None


# --------------------------------------------------------------------------------------------
# Line items
# --------------------------------------------------------------------------------------------

_QTY_PRICE_RE = re.compile(
    r"(?<![\d.,])(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:PCS?|UNITS?|EA|KG)?\s*[X@*×]\s*"
    + rf"(?:{_CURRENCY_PREFIX})?\s?(\d+[.,]\d{{2,3}})(?!\d)"
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


def _date_and_time_only(row: _Row) -> bool:
    """A date, and a time that reads like an amount ('12/3/2015 13.11'); not an item that
    prints a date ('ROOM 101 02/06/2016 120.00': 120.00 is no time of day)."""
    if not (_NUMERIC_DATE_RE.search(row.upper) or _DAY_MONTH_RE.search(row.upper)):
        return False
    return all(0 <= a.value < 24 and a.value % 1 < Decimal("0.6") for a in row.amounts)


def _items_region(rows: Sequence[_Row], fields: Sequence[_Field], start: int) -> _ItemRegion:
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
        elif _is_header_row(row):
            begin, qty_column = index + 1, bool(_QTY_HEADER_RE.search(row.upper))
        elif _CONTEXT_RE.search(row.upper) or _TIME_RE.search(row.upper):
            begin = index + 1
    return _ItemRegion(begin, end, qty_column)


def _quantity_and_price(row: _Row) -> tuple[Decimal | None, Decimal | None]:
    """``2 x 3.50``, ``2 @ 3.50`` or a quantity column followed by unit price and amount."""
    amount = row.amounts[-1].value
    match = _QTY_PRICE_RE.search(row.upper)
    if match:
        qty, price = _to_decimal_loose(match.group(1)), _to_decimal_loose(match.group(2))
        if qty and price is not None and _close(qty * price, amount, Decimal("0.05")):
            return qty, price.quantize(CENT)
    if len(row.amounts) >= 2:
        spans = [(a.start, a.end) for a in row.amounts]
        for token in _QTY_TOKEN_RE.finditer(row.upper[: row.amounts[-1].start]):
            if any(lo <= token.start() < hi for lo, hi in spans):
                continue
            count = Decimal(token.group(1))
            for unit in row.amounts[:-1]:
                if count > 0 and unit.value > 0 and _close(count * unit.value, amount):
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


def _description(row: _Row) -> str:
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
    description: str, row: _Row, qty_column: bool, own_description: bool
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
    if len(_LETTERS_RE.findall(description.upper())) < 2:
        return None
    return LineItem(
        description=description, quantity=quantity, unit_price=unit_price, amount=amount
    )


def _is_description_row(row: _Row) -> bool:
    text = _BARCODE_RE.sub("", row.upper)
    return len(_LETTERS_RE.findall(text)) >= 3 and _letters_ratio(text) >= 0.5


def _has_own_description(row: _Row) -> bool:
    return len(_LETTERS_RE.findall(_description(row).upper())) >= 3


def _is_unit_price_line(row: _Row) -> bool:
    """``(S) @ 15.90``: a unit price printed on its own line, not an item."""
    return bool(row.amounts) and bool(
        _UNIT_PRICE_ONLY_RE.search(row.upper[: row.amounts[-1].start])
    )


def _descriptions_follow(rows: Sequence[_Row], region: _ItemRegion, skip: set[int]) -> bool:
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


def _extract_items(rows: Sequence[_Row], fields: Sequence[_Field], start: int) -> list[LineItem]:
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


def _cut_at_running_total(
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
    if any(_close(value, target) for value in sums for target in labelled):
        return items
    running = Decimal(0)
    for index, item in enumerate(items):
        amount = item.amount or Decimal(0)
        totals = (running, *(running + tax for tax in taxes))
        if index >= 2 and running > 0 and amount in totals:
            return items[:index]
        running += amount
    return items


def _items_confidence(
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
        if _close(value, subtotal) or _close(value, total):
            return list(items), 0.9
    if tax and (_close(total_sum + tax, total) or _close(total_sum - discount + tax, total)):
        return list(items), 0.9  # prices before tax, the tax printed apart
    reference = subtotal or total
    if reference is not None and reference > 0:
        if total_sum > reference * Decimal("1.25") or total_sum <= 0:
            return [], 0.0  # more than the receipt's total: some rows are not items
        ratio = float(total_sum / reference)
        return list(items), 0.6 if 0.8 <= ratio <= 1.2 else 0.35
    return list(items), 0.3


# --------------------------------------------------------------------------------------------
# Payment method
# --------------------------------------------------------------------------------------------

_PAYMENT_METHODS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![A-Z])VISA(?![A-Z])"), "visa"),
    (
        re.compile(r"(?<![A-Z])MASTER\s*CARD|(?<![A-Z])MASTER(?![A-Z])"),
        "mastercard",
    ),
    (re.compile(r"(?<![A-Z])(?:AMEX|AMERICAN\s*EXPRESS)(?![A-Z])"), "amex"),
    (
        re.compile(r"(?<![A-Z])(?:DINERS|JCB|UNIONPAY|UNION\s*PAY|MAESTRO|DISCOVER)(?![A-Z])"),
        "card",
    ),
    (
        re.compile(
            r"(?<![A-Z])(?:APPLE\s*PAY|GOOGLE\s*PAY|ALIPAY|WECHAT\s*PAY|GRAB\s*PAY|"
            r"TOUCH\s*'?N\s*GO|BOOST|PAYPAL|E-?WALLET)(?![A-Z])"
        ),
        "e-wallet",
    ),
    (
        re.compile(r"(?<![A-Z])(?:DEBIT|EFTPOS|EC\s*-?\s*KARTE|GIROCARD|NETS)(?![A-Z])"),
        "debit card",
    ),
    (
        re.compile(r"(?<![A-Z])(?:CREDIT\s*CARD|CREDIT|CARD|KARTE|CARTE|TARJETA|KAD)(?![A-Z])"),
        "card",
    ),
    (
        re.compile(
            r"(?<![A-Z])(?:CASH|TUNAI|BAR|BARGELD|ESPECES|ESPÈCES|EFECTIVO|CONTANTI)"
            r"(?![A-Z])"
        ),
        "cash",
    ),
)
_PAYMENT_CONTEXT_RE = re.compile(r"(?<![A-Z])(?:PAYMENT|PAID|TENDER|MODE|PAY\s*TYPE)(?![A-Z])")


def _payment_method(rows: Sequence[_Row], fields: Sequence[_Field]) -> str | None:
    totals = [f.row for f in fields if f.kind == "total"]
    first_total = min(totals) if totals else len(rows)
    relevant = [
        row
        for i, row in enumerate(rows)
        if (i >= first_total and (row.amounts or _PAYMENT_CONTEXT_RE.search(row.upper)))
        or _PAYMENT_CONTEXT_RE.search(row.upper)
    ]
    for regex, name in _PAYMENT_METHODS:
        if any(regex.search(row.upper) for row in relevant):
            return name
    return None


# --------------------------------------------------------------------------------------------
# The extractor
# --------------------------------------------------------------------------------------------


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

        ``categories`` is accepted for the port; rules do not classify (category stays None).
        """
        extraction = self._from_lines(ocr)
        if ocr.fields is not None:
            from core.reading.extraction.structured import merge_fields

            extraction = merge_fields(extraction, ocr.fields, today=self.today())
        return extraction

    def _from_lines(self, ocr: OcrResult) -> ReceiptExtraction:
        rows = _use_integer_amounts(build_rows(ocr.lines))
        if not rows:
            return ReceiptExtraction()
        full_text = "\n".join(row.upper for row in rows)
        confidence: dict[str, float] = {}

        original = "\n".join(row.text for row in rows)
        currency, currency_conf = _detect_currency(full_text, original, self.default_currency)
        if currency:
            confidence["currency"] = currency_conf

        merchant_name, merchant_conf, merchant_row = _choose_merchant(rows)
        if merchant_name:
            confidence["merchant"] = merchant_conf
        merchant = Merchant(
            name=merchant_name,
            address=_find_address(rows, merchant_row),
            phone=_find_phone(rows),
        )

        purchase_date, date_conf, date_row = self._date(rows, currency)
        if purchase_date:
            confidence["date"] = date_conf

        fields = _collect_fields(rows)
        start = (merchant_row + 1) if merchant_row is not None else 0
        taxes = [f.value for f in fields if f.kind == "tax"]
        discount = sum((abs(f.value) for f in fields if f.kind == "discount"), Decimal(0))
        raw_items = _cut_at_running_total(
            _extract_items(rows, fields, start),
            taxes,
            labelled=[f.value for f in fields if f.kind in ("total", "subtotal")],
            discount=discount,
        )
        items_sum = sum((i.amount or Decimal(0) for i in raw_items), Decimal(0)) or None
        money = _resolve_money(fields, rows, items_sum)
        # A total guessed as the largest amount is no check on the items it may come from.
        checked_total = money.total if money.confidence.get("total", 0.0) >= 0.6 else None
        items, items_conf = _items_confidence(
            raw_items, money.subtotal, checked_total, discount, money.tax
        )
        if items:
            confidence["line_items"] = items_conf
        confidence.update(money.confidence)

        return ReceiptExtraction(
            merchant=merchant,
            purchase_date=purchase_date,
            purchase_time=_find_time(rows, date_row),
            currency=currency,
            subtotal=money.subtotal,
            tax=money.tax,
            tip=money.tip,
            total=money.total,
            line_items=items[:500],
            payment_method=_payment_method(rows, fields),
            confidence=confidence,
            summary=_summary(merchant_name, purchase_date, currency, money.total),
        )

    def _date(
        self, rows: Sequence[_Row], currency: str | None
    ) -> tuple[date | None, float, int | None]:
        latest = self.today() + timedelta(days=1)

        def plausible(value: date) -> bool:
            return _EARLIEST <= value <= latest

        month_first = currency == "USD"
        found = _choose_date(_find_dates(rows, month_first, plausible))
        if found[0] is None:
            return _damaged_date(rows, month_first, plausible)
        return found


def _summary(
    merchant: str | None, when: date | None, currency: str | None, total: Decimal | None
) -> str | None:
    parts: list[str] = []
    if merchant:
        parts.append(merchant[:120])
    if when:
        parts.append(when.isoformat())
    if total is not None:
        parts.append(f"{currency} {total:.2f}" if currency else f"{total:.2f}")
    return " — ".join(parts)[:300] if parts else None


# --------------------------------------------------------------------------------------------
# Helpers for single values (fields already isolated by an engine or a model)
# --------------------------------------------------------------------------------------------


def parse_money(text: str) -> Decimal | None:
    """One amount as printed in a field of its own: ``$1,810.46``, ``659.00 Y``, ``$1000``."""
    found = parse_amount(text)
    if found is not None:
        return found
    integers = find_integer_amounts(unicodedata.normalize("NFKC", text))
    return integers[0].value if len(integers) == 1 else None


def parse_date(text: str, *, month_first: bool, today: date) -> date | None:
    """The first plausible date in ``text`` (``12/07/2019``, ``12 March 2020``, ``2019-12-07``)."""
    latest = today + timedelta(days=1)
    upper = _fold(unicodedata.normalize("NFKC", text))
    hits = _dates_in_row(upper, month_first, lambda d: _EARLIEST <= d <= latest, labelled=True)
    return hits[0][1] if hits else None


def detect_currency(text: str, *, default: str | None = None) -> str | None:
    """The currency that ``text`` shows by code, symbol or country marker."""
    normalised = unicodedata.normalize("NFKC", text)
    code, _conf = _detect_currency(_fold(normalised), normalised, default)
    return code


def receipt_summary(
    merchant: str | None, when: date | None, currency: str | None, total: Decimal | None
) -> str | None:
    """The one-line summary: ``MERCHANT — 2026-10-03 — MYR 22.26``."""
    return _summary(merchant, when, currency, total)


def amounts_in(text: str) -> set[Decimal]:
    """Every money amount printed in ``text`` (with cents, and cent-less grouped figures)."""
    values: set[Decimal] = set()
    for line in unicodedata.normalize("NFKC", text).splitlines():
        values.update(abs(a.value) for a in find_amounts(line))
        values.update(a.value for a in find_integer_amounts(line))
    return values
