"""Who owes whom: the fewest transfers that settle a ledger (core/ledgers/transfers.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.ledgers.transfers import Transfer, fewest_transfers, rounded_nets

D = Decimal


def settle(nets: dict[str, Decimal], transfers: list[Transfer[str]]) -> dict[str, Decimal]:
    left = dict(nets)
    for t in transfers:
        left[t.payer] += t.amount
        left[t.payee] -= t.amount
    return left


class TestFewestTransfers:
    def test_three_way_two_payers_need_two_transfers(self) -> None:
        """GIVEN Ana paid 90, Ben 30, each owes 40 (Cal paid nothing)."""
        nets = {"ana": D("50.00"), "ben": D("-10.00"), "cal": D("-40.00")}
        assert fewest_transfers(nets, "EUR") == [
            Transfer("cal", "ana", D("40.00")),
            Transfer("ben", "ana", D("10.00")),
        ]

    def test_a_chain_is_cut_short(self) -> None:
        """Cal owes Ben 10 and Ben owes Ana 10: one transfer, Cal to Ana."""
        nets = {"ana": D(10), "ben": D(0), "cal": D(-10)}
        assert fewest_transfers(nets, "EUR") == [Transfer("cal", "ana", D("10.00"))]

    def test_already_settled_needs_none(self) -> None:
        assert fewest_transfers({"ana": D(0), "ben": D("0.00")}, "EUR") == []
        assert fewest_transfers({}, "EUR") == []

    def test_at_most_one_fewer_than_the_members(self) -> None:
        nets = {"a": D("12.34"), "b": D("-5.00"), "c": D("7.66"), "d": D("-15.00")}
        transfers = fewest_transfers(nets, "MYR")
        assert len(transfers) <= 3
        assert all(v == 0 for v in settle(nets, transfers).values())
        assert all(t.amount > 0 for t in transfers)

    def test_thirds_are_rounded_once_and_still_balance(self) -> None:
        """GIVEN Ana paid EUR 10.00 split three ways: each owes 3.333…; the nets are rounded
        once to cents and still sum to zero (the cent too many taken from the largest)."""
        third = D(10) / 3
        nets = {"ana": D(10) - third, "ben": -third, "cal": -third}
        assert rounded_nets(nets, "EUR") == {"ana": D("6.66"), "ben": D("-3.33"), "cal": D("-3.33")}
        transfers = fewest_transfers(nets, "EUR")
        assert transfers == [Transfer("ben", "ana", D("3.33")), Transfer("cal", "ana", D("3.33"))]

    def test_what_is_left_below_half_a_cent_is_settled(self) -> None:
        """GIVEN each owed Ana 3.333… and Ben paid back 3.33, Cal 3.34: nothing is left."""
        third = D(10) / 3
        nets = {"ana": 2 * third - D("6.67"), "ben": D("3.33") - third, "cal": D("3.34") - third}
        assert fewest_transfers(nets, "EUR") == []

    def test_yen_has_no_decimals(self) -> None:
        nets = {"ana": D(1000) - D(1000) / 3, "ben": -D(1000) / 3, "cal": -D(1000) / 3}
        transfers = fewest_transfers(nets, "JPY")
        assert [t.amount for t in transfers] == [D(333), D(333)]
        assert all(t.amount == t.amount.to_integral_value() for t in transfers)


class TestRoundedNets:
    def test_sum_stays_zero(self) -> None:
        sixth = D(1) / 6
        nets = {"a": 5 * sixth, "b": -sixth, "c": -sixth, "d": -sixth, "e": -sixth, "f": -sixth}
        rounded = rounded_nets(nets, "EUR")
        assert sum(rounded.values()) == 0
        assert all(abs(rounded[k] - nets[k]) < D("0.01") for k in nets)

    def test_refuses_nets_that_do_not_balance(self) -> None:
        with pytest.raises(ValueError, match="do not balance"):
            rounded_nets({"a": D(1), "b": D(0)}, "EUR")
