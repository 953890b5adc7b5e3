"""Money keywords (TOTAL, SUBTOTAL, GST, CASH, CHANGE...) and the amounts they label."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.reading.extraction.rules.amounts import find_integer_amounts
from core.reading.extraction.rules.rows import Row

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


def is_compact(upper: str) -> bool:
    tokens = _LETTER_TOKEN_RE.findall(upper)
    return len(tokens) <= 2 and any(sum(c.isalpha() for c in t) >= 10 for t in tokens)


@dataclass(frozen=True, slots=True)
class _Label:
    kind: str
    rank: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled amount: ``kind`` is total, subtotal, tax, tip, cash, change, ..."""

    kind: str
    rank: int
    value: Decimal
    row: int
    same_row: bool


def _find_labels(upper: str) -> list[_Label]:
    masked = upper
    labels: list[_Label] = []
    compact = is_compact(upper)
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


def is_header_row(row: Row) -> bool:
    return len(_HEADER_WORDS_RE.findall(row.upper)) >= 2 and not row.amounts


def collect_fields(rows: Sequence[Row]) -> list[Field]:
    fields: list[Field] = []
    for index, row in enumerate(rows):
        if is_header_row(row) or _SUGGESTION_RE.search(row.upper):
            continue
        labels = [lb for lb in _find_labels(row.upper) if lb.kind != "ignore"]
        for pos, label in enumerate(labels):
            stop = labels[pos + 1].start if pos + 1 < len(labels) else len(row.upper)
            values = [a for a in row.amounts if label.end <= a.start < stop]
            if values:
                fields.append(Field(label.kind, label.rank, values[-1].value, index, True))
            elif pos + 1 == len(labels):
                value = _amount_on_next_row(rows, index)
                if value is not None:
                    fields.append(Field(label.kind, label.rank, value, index, False))
    return fields


_ALNUM_RE = re.compile(r"[A-Z0-9]")
_SUGGESTION_RE = re.compile(r"SUGGEST|GUIDE|\d+\s*%\s*=")
LETTERS_RE = re.compile(r"[A-Z]")


def _amount_on_next_row(rows: Sequence[Row], index: int) -> Decimal | None:
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


def _is_bare_amount(row: Row) -> bool:
    if len(row.amounts) != 1 or _find_labels(row.upper):
        return False
    rest = row.upper[: row.amounts[0].start] + row.upper[row.amounts[0].end :]
    return len(LETTERS_RE.findall(rest)) <= 3


def whole_totals(rows: Sequence[Row]) -> list[Field]:
    """Rows labelled as the total that end with a whole number and print no amount with cents
    ("GRAND TOTAL 2545"): what a receipt printing whole amounts states as its total."""
    found: list[Field] = []
    for index, row in enumerate(rows):
        if row.amounts or is_header_row(row):
            continue
        labels = [lb for lb in _find_labels(row.upper) if lb.kind != "ignore"]
        if not labels or labels[-1].kind != "total":
            continue
        rest = row.upper[labels[-1].end :]
        numbers = find_integer_amounts(rest)
        if len(numbers) == 1 and not LETTERS_RE.search(rest) and numbers[0].value > 0:
            found.append(Field("total", labels[-1].rank, numbers[0].value, index, True))
    return found
