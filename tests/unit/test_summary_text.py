"""The /summary message: amounts of different currencies are never added nor compared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.summary_text import chart_caption, summary_text
from core.summaries.months import Month
from core.summaries.service import BiggestPurchase, PeriodSummary


def october(**kw: Any) -> PeriodSummary:
    return PeriodSummary(period=Month(2026, 10), timezone="Asia/Tokyo", **kw)


class TestBiggestPurchase:
    def test_one_currency_reads_as_one_line(self) -> None:
        summary = october(
            count=2,
            totals={"EUR": Decimal("320.00")},
            biggest=[BiggestPurchase("Hotel Adlon", "EUR", Decimal("300.00"), date(2026, 10, 2))],
        )

        text = summary_text(summary)

        assert "\nBiggest purchase: Hotel Adlon, EUR 300.00\n" in text
        assert "each currency" not in text

    def test_several_currencies_get_one_each(self) -> None:
        """GIVEN JPY 5,000 and EUR 300: neither is "the" biggest."""
        summary = october(
            count=4,
            totals={"JPY": Decimal("6200.00"), "EUR": Decimal("320.00")},
            biggest=[
                BiggestPurchase("Ichiran", "JPY", Decimal("5000.00"), date(2026, 10, 5)),
                BiggestPurchase(None, "EUR", Decimal("300.00"), None),
            ],
        )

        text = summary_text(summary)

        assert (
            "\nBiggest purchase in each currency:\n"
            "• Ichiran, JPY 5,000\n"
            "• Unknown merchant, EUR 300.00\n"
        ) in text
        assert "Biggest purchase:" not in text


class TestChartCaption:
    def test_counts_the_receipts_of_the_charts_currency(self) -> None:
        """GIVEN 3 EUR receipts and 1 JPY: the EUR chart's caption says 3, not 4."""
        summary = october(
            count=4,
            totals={"JPY": Decimal("5000.00"), "EUR": Decimal("320.00")},
            counts={"JPY": 1, "EUR": 3},
        )

        assert chart_caption(summary, "EUR") == "October 2026: EUR 320.00 in 3 receipts"
