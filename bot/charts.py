"""The summary chart: spending by category and by day (a month) or by month (a quarter, a year),
for one currency (headless matplotlib)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # headless: no display, no GUI toolkit

from matplotlib import rc_context
from matplotlib.figure import Figure

from core.summaries.months import Month
from core.summaries.service import PeriodSummary


def summary_chart(summary: PeriodSummary, currency: str) -> bytes:
    """A PNG: categories (horizontal bars) above the spending per day of a month (per month of a
    quarter or a year).

    Category names are the user's own words: shown as written, never read as mathtext ("$x$"
    would be set as a formula, and "$\\foo$" would fail the whole chart)."""
    with rc_context({"text.parse_math": False}):
        return _draw(summary, currency)


def _draw(summary: PeriodSummary, currency: str) -> bytes:
    fig = Figure(figsize=(7, 6), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 1])

    categories = summary.by_category.get(currency, [])[:8][::-1]
    names = [name for name, _ in categories]
    amounts = [float(total) for _, total in categories]
    top.barh(names, amounts, color="#4C72B0")
    top.set_title(f"{summary.period.label} by category ({currency})")
    top.set_xlabel(currency)
    for y, value in enumerate(amounts):
        top.text(value, y, f" {value:,.2f}", va="center", fontsize=8)

    per_day = summary.daily.get(currency, {})
    period = summary.period
    if isinstance(period, Month):
        days = list(range(1, period.last.day + 1))
        values = [float(per_day.get(date(period.year, period.month, d), Decimal(0))) for d in days]
        bottom.bar(days, values, color="#55A868")
        bottom.set_title("Spending per day")
        bottom.set_xlim(0.5, days[-1] + 0.5)
        bottom.set_xlabel("day of the month")
    else:
        months = period.months
        per_month = [
            float(
                sum(
                    (t for d, t in per_day.items() if (d.year, d.month) == (m.year, m.month)),
                    Decimal(0),
                )
            )
            for m in months
        ]
        positions = list(range(1, len(months) + 1))
        bottom.bar(positions, per_month, color="#55A868")
        bottom.set_xticks(positions, [f"{m.first:%b}" for m in months])
        bottom.set_title("Spending per month")
        bottom.set_xlim(0.5, len(months) + 0.5)
    bottom.set_ylabel(currency)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
