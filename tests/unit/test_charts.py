"""The summary chart: a valid PNG whatever the user named their categories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from matplotlib.figure import Figure

from bot.charts import summary_chart
from core.summaries.months import Month, Quarter, Week, Year
from core.summaries.service import PeriodSummary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class TestSummaryChart:
    def test_category_names_are_text_not_mathtext(self) -> None:
        """GIVEN categories whose names look like mathtext (one of them invalid as such)."""
        summary = PeriodSummary(
            period=Month(2026, 10),
            timezone="UTC",
            count=3,
            totals={"EUR": Decimal("12.00")},
            by_category={
                "EUR": [
                    ("$\\foo$ fun", Decimal("5.00")),
                    ("a_b^c $x$", Decimal("4.00")),
                    ("50% & <b>", Decimal("3.00")),
                ]
            },
            daily={"EUR": {date(2026, 10, 1): Decimal("12.00")}},
        )

        png = summary_chart(summary, "EUR")

        assert png.startswith(PNG_SIGNATURE)
        assert len(png) > 1000


class TestChartCurrency:
    """The chart shows one currency: the one of the most receipts, never the largest number."""

    def october(self, totals: dict[str, str], counts: dict[str, int]) -> PeriodSummary:
        return PeriodSummary(
            period=Month(2026, 10),
            timezone="UTC",
            count=sum(counts.values()),
            totals={c: Decimal(t) for c, t in totals.items()},
            counts=counts,
        )

    def test_most_receipts_wins_over_the_largest_amount(self) -> None:
        summary = self.october({"JPY": "5000.00", "EUR": "300.00"}, {"JPY": 1, "EUR": 3})

        assert summary.main_currency == "EUR"

    def test_a_tie_goes_to_the_larger_total_then_the_code(self) -> None:
        tie = self.october({"EUR": "300.00", "JPY": "5000.00"}, {"EUR": 2, "JPY": 2})
        same = self.october({"USD": "10.00", "EUR": "10.00"}, {"USD": 1, "EUR": 1})

        assert (tie.main_currency, same.main_currency) == ("JPY", "EUR")

    def test_no_receipts_no_chart(self) -> None:
        assert self.october({}, {}).main_currency is None


def test_a_quarter_or_a_year_is_charted_per_month() -> None:
    for period in (Quarter(2026, 4), Year(2026)):
        summary = PeriodSummary(
            period=period,
            timezone="UTC",
            count=2,
            totals={"EUR": Decimal("30.00")},
            by_category={"EUR": [("dining", Decimal("30.00"))]},
            daily={"EUR": {date(2026, 10, 1): Decimal("10.00"), date(2026, 12, 9): Decimal("20")}},
        )

        png = summary_chart(summary, "EUR")

        assert png.startswith(PNG_SIGNATURE) and len(png) > 1000


def test_a_week_is_charted_per_day_monday_first(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Figure] = []

    class Recorded(Figure):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            drawn.append(self)

    monkeypatch.setattr("bot.charts.Figure", Recorded)
    summary = PeriodSummary(
        period=Week(2026, 48),  # Monday 23 to Sunday 29 November 2026
        timezone="UTC",
        count=2,
        totals={"EUR": Decimal("12.49")},
        by_category={"EUR": [("dining", Decimal("12.49"))]},
        daily={"EUR": {date(2026, 11, 23): Decimal("2.50"), date(2026, 11, 29): Decimal("9.99")}},
    )

    assert summary_chart(summary, "EUR").startswith(PNG_SIGNATURE)

    per_day = drawn[0].axes[1]
    assert [t.get_text() for t in per_day.get_xticklabels()] == [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
    ]  # fmt: skip
    assert [round(bar.get_height(), 2) for bar in per_day.patches] == [2.5, 0, 0, 0, 0, 0, 9.99]
