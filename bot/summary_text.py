"""The /summary message (Telegram HTML)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.formats import money, period_text, period_title, receipts
from bot.i18n import texts
from core.summaries.labels import NO_CURRENCY, UNCATEGORISED, UNKNOWN_MERCHANT
from core.summaries.service import BiggestPurchase, PeriodSummary


def _cur(code: str) -> str | None:
    return None if code == NO_CURRENCY else code


def _merchant(name: str | None) -> str:
    """A merchant as the queries name it, receipts without one under ``UNKNOWN_MERCHANT``."""
    return texts.UNKNOWN_MERCHANT if not name or name == UNKNOWN_MERCHANT else name


def _category(name: str) -> str:
    return texts.SUMMARY_UNCATEGORISED if name == UNCATEGORISED else name


def _purchase(big: BiggestPurchase) -> str:
    return f"{_merchant(big.merchant)}, {money(big.total, _cur(big.currency))}"


def change(now: Decimal, before: Decimal | None) -> str:
    if not before:
        return ""
    pct = (now - before) / before * 100
    arrow = "▲" if pct > 0 else "▼" if pct < 0 else "="
    return texts.SUMMARY_CHANGE.format(
        arrow=arrow, percent=f"{abs(pct):.0f}", before=money(before, None)
    )


def summary_text(summary: PeriodSummary) -> str:
    s = summary
    if not s.count:
        return texts.SUMMARY_EMPTY.format(month=period_text(s.period))
    head = texts.SUMMARY_HEAD.format(month=period_title(s.period), receipts=receipts(s.count))
    lines = [head]
    for code, total in sorted(s.totals.items(), key=lambda kv: -kv[1]):
        before = s.previous_totals.get(code)
        lines.append(f"💰 <b>{escape(money(total, _cur(code)))}</b>{change(total, before)}")
    lines.extend(home_lines(s))
    for code, categories in s.by_category.items():
        currency = escape(f" ({code})") if len(s.totals) > 1 else ""
        lines.append(texts.SUMMARY_BY_CATEGORY.format(currency=currency))
        for name, total in categories[:6]:
            lines.append(f"• {escape(_category(name))}: {escape(money(total, _cur(code)))}")
    for code, merchants in s.top_merchants.items():
        currency = escape(f" ({code})") if len(s.totals) > 1 else ""
        lines.append(texts.SUMMARY_TOP_MERCHANTS.format(currency=currency))
        for name, total, n in merchants:
            times = f" ×{n}" if n > 1 else ""
            shown = escape(_merchant(name))
            lines.append(f"• {shown}{times}: {escape(money(total, _cur(code)))}")
    if len(s.biggest) == 1:
        lines.append(texts.SUMMARY_BIGGEST.format(what=escape(_purchase(s.biggest[0]))))
    elif s.biggest:  # one per currency: amounts of different currencies are not compared
        lines.append(texts.SUMMARY_BIGGEST_PER_CURRENCY)
        lines.extend(f"• {escape(_purchase(big))}" for big in s.biggest)
    if s.undated:
        lines.append(texts.SUMMARY_UNDATED.format(receipts=receipts(s.undated)))
    lines.append(texts.SUMMARY_TZ.format(tz=escape(s.timezone)))
    return "\n".join(lines)


def not_converted(amounts: dict[str, Decimal]) -> str:
    return ", ".join(money(total, _cur(code)) for code, total in sorted(amounts.items()))


def home_lines(summary: PeriodSummary) -> list[str]:
    """The period's total in the home currency and what is left out of it; nothing when every
    amount is in the home currency already (its own line says it all) or there is none."""
    s, home = summary, summary.home_currency
    if home is None or set(s.totals) <= {home}:
        return []
    lines = []
    if s.home_total is not None:
        total = f"<b>{escape(money(s.home_total, home))}</b>"
        lines.append(
            texts.SUMMARY_HOME_TOTAL.format(currency=escape(home), total=total)
            + change(s.home_total, s.previous_home_total)
        )
    if s.not_converted:
        lines.append(
            texts.SUMMARY_NOT_CONVERTED.format(amounts=escape(not_converted(s.not_converted)))
        )
    return lines


def chart_caption(summary: PeriodSummary, currency: str) -> str:
    """The chart's caption: its currency's total and receipts (not the period's other ones)."""
    total = summary.totals.get(currency, Decimal(0))
    count = summary.counts.get(currency, 0)
    return texts.SUMMARY_CAPTION.format(
        month=period_title(summary.period),
        total=money(total, _cur(currency)),
        receipts=receipts(count),
    )
