"""Who owes whom: the balances of a ledger settled by the fewest transfers (greedy).

Each member's net is what they paid (receipts, payments back they made) less what they owe
(their shares, payments back they received), exact in Decimal. The nets are rounded once, to
the currency's minor unit, keeping their sum at zero (``rounded_nets``); then the largest debtor
pays the largest creditor, again and again, until nothing is left. Each step settles at least
one of the two, so n members need at most n - 1 transfers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Generic, TypeVar

from core.money import minor_units

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Transfer(Generic[K]):
    payer: K
    payee: K
    amount: Decimal


def rounded_nets(nets: Mapping[K, Decimal], currency: str) -> dict[K, Decimal]:
    """The nets to the minor unit of ``currency``, still summing to zero: each rounded half to
    even, then the units the sum is off by taken from (or given to) the nets that rounding moved
    furthest the other way; a tie, the largest balance first (a net below half a unit stays 0).
    Errors are compared to 12 decimals: the database's divisions differ beyond them."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    total = sum(nets.values(), Decimal(0))
    # A sum not quite zero (shares of 1/3 are not exact in Decimal) is noise below the unit.
    if abs(total) >= unit / 2:
        raise ValueError(f"the nets do not balance: {total}")
    out = {k: v.quantize(unit, rounding=ROUND_HALF_EVEN) for k, v in nets.items()}
    steps = int((-sum(out.values(), Decimal(0)) / unit).to_integral_value())
    if steps:
        sign = 1 if steps > 0 else -1
        fine = Decimal("1e-12")

        def order(k: K) -> tuple[Decimal, Decimal, str]:
            error = (out[k] - nets[k]).quantize(fine)
            return sign * error, -abs(nets[k]).quantize(fine), str(k)

        for k in sorted(nets, key=order)[: abs(steps)]:
            out[k] += sign * unit
    return out


def fewest_transfers(nets: Mapping[K, Decimal], currency: str) -> list[Transfer[K]]:
    """Transfers that bring every net to zero: the largest debtor to the largest creditor,
    amounts in the minor unit of ``currency``."""
    left = {k: v for k, v in rounded_nets(nets, currency).items() if v != 0}
    transfers: list[Transfer[K]] = []
    while left:
        creditor = max(left, key=lambda k: (left[k], str(k)))
        debtor = min(left, key=lambda k: (left[k], str(k)))
        amount = min(left[creditor], -left[debtor])
        transfers.append(Transfer(payer=debtor, payee=creditor, amount=amount))
        for k, change in ((creditor, -amount), (debtor, amount)):
            left[k] += change
            if left[k] == 0:
                del left[k]
    return transfers
