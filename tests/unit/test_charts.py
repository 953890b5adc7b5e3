"""The summary chart: a valid PNG whatever the user named their categories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.charts import summary_chart
from core.summaries.months import Month, Quarter, Year
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
