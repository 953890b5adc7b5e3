"""Money fields: the total, subtotal, tax and tip, chosen by rank and arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.reading.extraction.rules.labels import Field, whole_totals
from core.reading.extraction.rules.rows import Row

_TOLERANCE = Decimal("0.02")
# The confidence of a total that no "TOTAL" row states while one states another amount (the
# amount after a rounding line, a payment, a sum): which figure a person means is then a guess
# the review in chat should see, however well the arithmetic agrees with the one chosen.
CONTESTED = 0.85
# A total read as a whole number after a TOTAL label, no amount with cents labelled as a total.
WHOLE_TOTAL = 0.5


@dataclass(slots=True)
class Money:
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    tip: Decimal | None = None
    confidence: dict[str, float] = field(default_factory=dict)


def close(a: Decimal | None, b: Decimal | None, tolerance: Decimal = _TOLERANCE) -> bool:
    return a is not None and b is not None and abs(a - b) <= tolerance


def _of_kind(fields: Iterable[Field], kind: str) -> list[Field]:
    return [f for f in fields if f.kind == kind]


def _cash_minus_change(fields: Sequence[Field]) -> Decimal | None:
    changes = [f.value for f in _of_kind(fields, "change") if f.value > 0]
    cash = [abs(f.value) for f in _of_kind(fields, "cash") if f.value]
    if not changes or not cash:
        return None
    value = max(cash) - changes[-1]
    return value if value > 0 else None


def _exact_payments(fields: Sequence[Field]) -> list[Decimal]:
    """Amounts paid when no change was given (card payments, exact cash)."""
    if any(f.value > 0 for f in _of_kind(fields, "change")):
        return []
    return [abs(f.value) for f in _of_kind(fields, "cash") if f.value]


def _expected_totals(
    fields: Sequence[Field], items_sum: Decimal | None
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


def _total_candidates(fields: Sequence[Field]) -> list[Field]:
    """Labelled totals, plus ``total + rounding`` when a rounding line follows a total."""
    totals = [f for f in _of_kind(fields, "total") if f.value > 0]
    derived: list[Field] = []
    for rounding in _of_kind(fields, "rounding"):
        if rounding.value >= 1:  # "ROUNDING 12.00": the rounded total itself, not an adjustment
            derived.append(Field("rounded", 2, rounding.value, rounding.row, rounding.same_row))
        if rounding.value == 0 or abs(rounding.value) >= Decimal("0.10"):
            continue
        before = [t for t in totals if t.row < rounding.row]
        if before and not any(before[-1].row < f.row < rounding.row for f in fields):
            base = before[-1]
            derived.append(
                Field("rounded", base.rank, base.value + rounding.value, rounding.row, True)
            )
    return totals + derived


def _agreement(value: Decimal, other: Decimal | None) -> float:
    """1 when two figures are equal, 0.4 when a cent or two apart (per-line tax rounding)."""
    if other is None:
        return 0.0
    if value == other:
        return 1.0
    return 0.4 if close(value, other) else 0.0


def _derived_totals(
    change_based: Decimal | None,
    payments: Sequence[Decimal],
    expected: Sequence[tuple[Decimal, float]],
) -> list[Field]:
    """A total nobody labelled (or OCR misread) but two independent sums agree on:
    cash - change or the amount paid, and subtotal + tax (+ rounding)."""
    arithmetic = {e for e, w in expected if w >= 1.5}
    paid = ([change_based] if change_based is not None else []) + list(payments)
    return [Field("derived", 2, v, 0, True) for v in dict.fromkeys(paid) if v in arithmetic]


def _merge_candidates(candidates: Sequence[Field]) -> list[Field]:
    """One candidate per value: its best rank, its last row."""
    by_value: dict[Decimal, Field] = {}
    for cand in candidates:
        seen = by_value.get(cand.value)
        if seen is None:
            by_value[cand.value] = cand
        else:
            by_value[cand.value] = Field(
                "total",
                max(seen.rank, cand.rank),
                cand.value,
                max(seen.row, cand.row),
                seen.same_row or cand.same_row,
            )
    return list(by_value.values())


def _contested(fields: Sequence[Field], value: Decimal | None) -> bool:
    """Whether ``value`` is on no row labelled as the total ("TOTAL 12.00") while such a row
    states another amount ("TOTAL 11.98")."""
    if value is None:
        return False
    stated = {f.value for f in _of_kind(fields, "total") if f.rank >= 2 and f.same_row}
    return bool(stated) and value not in stated


def _choose_total(
    fields: Sequence[Field], rows: Sequence[Row], items_sum: Decimal | None
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
    if whole := whole_totals(rows):
        # No amount with cents after a TOTAL, but a whole number is: doubtful (the OCR may
        # have dropped a decimal point), yet a better guess than the largest amount.
        return max(whole, key=lambda f: (f.rank, f.row)).value, WHOLE_TOTAL
    return _largest_amount(rows, fields) or _zero_total(fields)


# A receipt on which nothing costs anything: true, but rare enough that a person should check.
ZERO_TOTAL = 0.6


def _zero_total(fields: Sequence[Field]) -> tuple[Decimal | None, float]:
    """0 when a row labelled as the total states 0.00 and no amount on the receipt is positive
    (a trade-in, a voucher, an exchange: "TOTAL 0.00"); else nothing."""
    if any(f.value == 0 and f.rank >= 2 and f.same_row for f in _of_kind(fields, "total")):
        return Decimal(0), ZERO_TOTAL
    return None, 0.0


def _largest_amount(rows: Sequence[Row], fields: Sequence[Field]) -> tuple[Decimal, float] | None:
    """Fallback: the largest positive amount that is not a cash tendered / change figure."""
    excluded = {(f.row, f.value) for f in fields if f.kind in ("cash", "change")}
    values = [
        a.value
        for i, row in enumerate(rows)
        for a in row.amounts
        if a.value > 0 and (i, a.value) not in excluded
    ]
    if not values:
        return None
    return max(values), 0.3


def _choose_component(
    fields: Sequence[Field], kind: str, total: Decimal | None
) -> tuple[Decimal | None, float]:
    values = [f for f in _of_kind(fields, kind) if f.value >= 0]
    if total is not None:
        values = [f for f in values if f.value <= total]
    if not values:
        return None, 0.0
    best = max(values, key=lambda f: (f.rank, f.same_row, f.row))
    return best.value, 0.6


# A total read from amounts printed one row below their labels: the arithmetic agrees, the
# layout does not, so a person should check it.
SHIFTED = 0.75


def _shifted_total(
    fields: Sequence[Field], rows: Sequence[Row], total: Decimal | None
) -> Decimal | None:
    """The amount under a "TOTAL" row when the amounts column slipped a row below the labels
    ("TAX 159.55" / "TOTAL 12.92" / "172.47"): the row above the total's states an amount
    (read as a tax or subtotal) that, added to the total's, gives the unlabelled amount below."""
    labelled_rows = {f.row for f in fields}
    for f in _of_kind(fields, "total"):
        if f.value != total or not f.same_row or f.rank < 2 or f.row + 1 >= len(rows):
            continue
        above = [
            g.value
            for g in fields
            if g.row == f.row - 1 and g.same_row and g.kind in ("tax", "subtotal")
        ]
        below = rows[f.row + 1]
        if not above or f.row + 1 in labelled_rows or len(below.amounts) != 1:
            continue
        value = below.amounts[0].value
        if sum(c.isalpha() for c in below.upper) <= 3 and value == above[-1] + f.value:
            return value
    return None


def resolve_money(fields: Sequence[Field], rows: Sequence[Row], items_sum: Decimal | None) -> Money:
    money = Money()
    money.total, total_conf = _choose_total(fields, rows, items_sum)
    shifted = _shifted_total(fields, rows, money.total)
    if shifted is not None:
        money.total = shifted
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
    if _contested(fields, money.total):
        total_conf = min(total_conf, CONTESTED)
    if shifted is not None:
        total_conf = min(total_conf, SHIFTED)
    if money.total is not None:
        money.confidence["total"] = round(total_conf, 2)
    return money


def _consistent_pair(
    subtotals: Sequence[Field], taxes: Sequence[Field], total: Decimal | None, extra: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    if total is None:
        return None, None
    for sub in subtotals:
        for tax in taxes:
            if close(sub.value + tax.value + extra, total, Decimal("0.05")):
                return sub.value, tax.value
        if taxes and close(sub.value + sum((t.value for t in taxes), Decimal(0)), total):
            return sub.value, sum((t.value for t in taxes), Decimal(0))
        # Tax-inclusive receipts: the subtotal already equals the total.
        if close(sub.value, total) and taxes:
            return sub.value, max(taxes, key=lambda t: t.rank).value
    return None, None
