"""A ledger receipt split by weights, exact to the minor unit (core/ledgers/shares.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ledgers.shares import MAX_WEIGHT, next_weight, split_amount

D = Decimal


class TestSplitAmount:
    def test_three_ways_the_odd_cent_goes_to_the_first(self) -> None:
        assert split_amount(D("10.00"), {"ana": D(1), "ben": D(1), "cal": D(1)}, "EUR") == {
            "ana": D("3.34"),
            "ben": D("3.33"),
            "cal": D("3.33"),
        }

    def test_weights_two_one_one(self) -> None:
        # 9.99 * 2/4 = 4.995, 2.4975 each for the others: 4.99 + 2.49 + 2.49 = 9.97; the two
        # cents missing go to the largest remainders, Ben's and Cal's .0075 (Ana's is .005).
        parts = split_amount(D("9.99"), {"ana": D(2), "ben": D(1), "cal": D(1)}, "EUR")
        assert parts == {"ana": D("4.99"), "ben": D("2.50"), "cal": D("2.50")}

    def test_yen_has_no_minor_unit(self) -> None:
        assert split_amount(D("1000"), {"ana": D(2), "ben": D(1)}, "JPY") == {
            "ana": D("667"),
            "ben": D("333"),
        }

    def test_three_decimals_for_kuwaiti_dinar(self) -> None:
        parts = split_amount(D("1.000"), {"a": D(1), "b": D(1), "c": D(1)}, "KWD")
        assert parts == {"a": D("0.334"), "b": D("0.333"), "c": D("0.333")}

    def test_a_refund_splits_negative_and_no_weight_gets_nothing(self) -> None:
        parts = split_amount(D("-10.00"), {"ana": D(1), "ben": D(0), "cal": D(2)}, "EUR")
        assert parts == {"ana": D("-3.33"), "cal": D("-6.67")}

    def test_no_weights_no_parts(self) -> None:
        assert split_amount(D("5.00"), {"ana": D(0)}, "EUR") == {}

    @given(
        cents=st.integers(min_value=-(10**9), max_value=10**9),
        weights=st.lists(st.integers(min_value=0, max_value=MAX_WEIGHT), min_size=1, max_size=12),
        currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    )
    def test_parts_always_sum_exactly_to_the_amount(
        self, cents: int, weights: list[int], currency: str
    ) -> None:
        digits = {"EUR": 2, "JPY": 0, "KWD": 3}[currency]
        amount = D(cents).scaleb(-digits)
        parts = split_amount(amount, {i: D(w) for i, w in enumerate(weights)}, currency)
        if not any(weights):
            assert parts == {}
            return
        assert sum(parts.values(), D(0)) == amount
        unit = D(1).scaleb(-digits)
        total_weight = sum(weights)
        for i, part in parts.items():  # each within one unit of its exact part
            assert abs(part - amount * weights[i] / total_weight) < unit


@pytest.mark.parametrize(("now", "then"), [(0, 1), (1, 2), (3, 4), (4, 0)])
def test_a_press_gives_one_more_share_then_none(now: int, then: int) -> None:
    assert next_weight(D(now)) == D(then)
