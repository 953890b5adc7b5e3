"""The summary chart: spending by category and by day, for one currency (headless matplotlib)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # headless: no display, no GUI toolkit

from matplotlib import rc_context
from matplotlib.figure import Figure

from core.summaries.service import MonthSummary


def summary_chart(summary: MonthSummary, currency: str) -> bytes:
    """A PNG: categories (horizontal bars) above daily spending (bars over the month's days).

    Category names are the user's own words: shown as written, never read as mathtext ("$x$"
    would be set as a formula, and "$\\foo$" would fail the whole chart)."""
    with rc_context({"text.parse_math": False}):
        return _draw(summary, currency)


def _draw(summary: MonthSummary, currency: str) -> bytes:
    fig = Figure(figsize=(7, 6), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 1])

    categories = summary.by_category.get(currency, [])[:8][::-1]
    names = [name for name, _ in categories]
    amounts = [float(total) for _, total in categories]
    top.barh(names, amounts, color="#4C72B0")
    top.set_title(f"{summary.month.label} by category ({currency})")
    top.set_xlabel(currency)
    for y, value in enumerate(amounts):
        top.text(value, y, f" {value:,.2f}", va="center", fontsize=8)

    month = summary.month
    days = list(range(1, month.last.day + 1))
    per_day = summary.daily.get(currency, {})
    values = [float(per_day.get(date(month.year, month.month, d), Decimal(0))) for d in days]
    bottom.bar(days, values, color="#55A868")
    bottom.set_title("Spending per day")
    bottom.set_xlim(0.5, days[-1] + 0.5)
    bottom.set_xlabel("day of the month")
    bottom.set_ylabel(currency)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
