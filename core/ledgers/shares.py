"""A ledger receipt's amount split by its members' shares (weights), exact to the minor unit.

Each part is the amount times the member's weight over the sum of the weights, in Decimal. The
parts are rounded once, down to the currency's minor unit, and the units still missing are given
to the largest remainders (a tie: the largest weight, then the first member), so the parts sum
exactly to the amount: EUR 10.00 split 1:1:1 is 3.34, 3.33, 3.33; JPY 1000 split 2:1 is 667,
333. What each member owes in /balance is summed exactly first and rounded once there
(``transfers.rounded_nets``); this is the per-receipt view (the card, the CSV).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import TypeVar

from core.money import minor_units

K = TypeVar("K", bound=Hashable)

MAX_WEIGHT = 4  # a share button goes 1, 2, 3, 4, then none (out of this receipt), then 1


def split_amount(amount: Decimal, weights: Mapping[K, Decimal], currency: str) -> dict[K, Decimal]:
    """``amount`` in parts by ``weights`` (in their order), summing exactly to ``amount``
    rounded to the minor unit of ``currency``; members with no weight get nothing."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    positive = {k: Decimal(w) for k, w in weights.items() if w > 0}
    total_weight = sum(positive.values(), Decimal(0))
    if not positive:
        return {}
    sign = -1 if amount < 0 else 1
    whole = abs(amount).quantize(unit)
    exact = {k: whole * w / total_weight for k, w in positive.items()}
    parts = {k: v.quantize(unit, rounding=ROUND_FLOOR) for k, v in exact.items()}
    missing = int((whole - sum(parts.values(), Decimal(0))) / unit)
    order = list(positive)
    ranked = sorted(order, key=lambda k: (-(exact[k] - parts[k]), -positive[k], order.index(k)))
    for k in ranked[:missing]:
        parts[k] += unit
    return {k: sign * parts[k] for k in order}


def next_weight(weight: Decimal) -> Decimal:
    """The weight a press on a member's share button gives: one more, up to ``MAX_WEIGHT``,
    then 0 (no share), then 1 again."""
    return Decimal(0) if weight >= MAX_WEIGHT else Decimal(int(weight) + 1)


def ledger_amount(
    currency: str | None,
    *,
    total: Decimal | None,
    total_currency: str | None,
    home_total: Decimal | None,
    home_currency: str | None,
) -> Decimal | None:
    """A receipt's amount in the ledger's ``currency``: its home-currency amount, else the
    printed one, when either is in that currency (None otherwise: not split). In SQL:
    ``repository.in_ledger_currency``."""
    if currency is None:
        return None
    if home_currency == currency:
        return home_total
    if total_currency == currency:
        return total
    return None
