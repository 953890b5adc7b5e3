"""The summary chart: a valid PNG whatever the user named their categories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.charts import summary_chart
from core.summaries import Month, MonthSummary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class TestSummaryChart:
    def test_category_names_are_text_not_mathtext(self) -> None:
        """GIVEN categories whose names look like mathtext (one of them invalid as such)."""
        summary = MonthSummary(
            month=Month(2026, 10),
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
