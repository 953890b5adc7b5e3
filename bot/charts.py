"""The summary chart: spending by category and by day (a month) or by month (a quarter, a year),
for one currency (headless matplotlib)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # headless: no display, no GUI toolkit

from matplotlib import rc_context
from matplotlib.figure import Figure

from bot.formats import amount, month_text, period_title, weekday_text
from bot.i18n import texts
from core.summaries.labels import UNCATEGORISED
from core.summaries.months import Month, Week
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
    names = [texts.SUMMARY_UNCATEGORISED if n == UNCATEGORISED else n for n, _ in categories]
    amounts = [float(total) for _, total in categories]
    top.barh(names, amounts, color="#4C72B0")
    top.set_title(
        texts.CHART_BY_CATEGORY.format(period=period_title(summary.period), currency=currency)
    )
    top.set_xlabel(currency)
    for y, (_, total) in enumerate(categories):
        top.text(float(total), y, f" {amount(total)}", va="center", fontsize=8)

    per_day = summary.daily.get(currency, {})
    period = summary.period
    if isinstance(period, Week):
        days7 = [period.first + timedelta(days=n) for n in range(7)]
        values = [float(per_day.get(d, Decimal(0))) for d in days7]
        bottom.bar(range(1, 8), values, color="#55A868")
        bottom.set_xticks(range(1, 8), [weekday_text(d) for d in days7])
        bottom.set_title(texts.CHART_PER_DAY)
        bottom.set_xlim(0.5, 7.5)
    elif isinstance(period, Month):
        days = list(range(1, period.last.day + 1))
        values = [float(per_day.get(date(period.year, period.month, d), Decimal(0))) for d in days]
        bottom.bar(days, values, color="#55A868")
        bottom.set_title(texts.CHART_PER_DAY)
        bottom.set_xlim(0.5, days[-1] + 0.5)
        bottom.set_xlabel(texts.CHART_DAYS)
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
        bottom.set_xticks(positions, [month_text(m.first) for m in months])
        bottom.set_title(texts.CHART_PER_MONTH)
        bottom.set_xlim(0.5, len(months) + 0.5)
    bottom.set_ylabel(currency)

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
