"""Amounts, dates and periods as the current language writes them (``bot/i18n.py``).

English keeps the bot's own forms ("MYR 1,234.50", ISO dates "2026-10-03", "October 2026"):
unambiguous, and what its users have always seen. Every other language is formatted by Babel
(CLDR) for its locale: Malay "RM1,234.50", "3 Okt 2026", "Oktober 2026".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date, get_quarter_names
from babel.numbers import format_currency, format_decimal

from bot import i18n
from bot.i18n import texts
from core.money import minor_units
from core.summaries.months import Asked, Day, Month, Period, Quarter, Week

TWO_PLACES = "#,##0.00"


def _locale() -> str | None:
    """Babel's locale of the current language; None for English (the bot's own forms)."""
    language = i18n.current()
    return None if language is i18n.ENGLISH else language.locale


def amount(value: Decimal) -> str:
    """A figure with two decimals and grouped thousands, without a currency."""
    locale = _locale()
    if locale is None:
        return f"{value:,.2f}"
    return format_decimal(value, format=TWO_PLACES, locale=locale, decimal_quantization=True)


def receipts(n: int) -> str:
    """A count of receipts with its noun: "1 receipt", "2 receipts" ("2 resit")."""
    one, many = i18n.texts.RECEIPTS
    return (one if n == 1 else many).format(n=f"{n:,}")


def money(value: Decimal | None, currency: str | None) -> str:
    """An amount in its currency (none: the figure alone); "—" for no amount."""
    if value is None:
        return "—"
    locale = _locale()
    if locale is None:  # ``MYR 1,234.50``, ``JPY 26,597``: the currency's own decimals
        return f"{currency} {value:,.{minor_units(currency)}f}" if currency else f"{value:,.2f}"
    if not currency:
        return amount(value)
    return format_currency(value, currency, locale=locale)


def day_text(value: date) -> str:
    """A calendar day: ISO in English, the locale's medium form elsewhere ("3 Okt 2026")."""
    locale = _locale()
    return value.isoformat() if locale is None else format_date(value, "medium", locale=locale)


def month_text(value: date) -> str:
    """The month's short name, as a chart's axis shows it ("Oct", "Okt")."""
    locale = _locale()
    return f"{value:%b}" if locale is None else format_date(value, "LLL", locale=locale)


def weekday_text(value: date) -> str:
    """The day of the week's short name, as a week's chart shows it ("Mon", "Isn")."""
    locale = _locale()
    return f"{value:%a}" if locale is None else format_date(value, "EEE", locale=locale)


def period_title(value: Asked) -> str:
    """``period_text`` starting a sentence or a title ("The week of 2026-11-23")."""
    return capitalised(period_text(value))


def period_text(value: Asked) -> str:
    """A month ("October 2026", "Oktober 2026"), a quarter ("Q1 2026", "S1 2026"), a year, a
    week ("the week of 2026-11-30", "minggu 30 Nov 2026") or a day (as ``day_text``)."""
    if isinstance(value, Day):
        return day_text(value.day)
    if isinstance(value, Week):
        return texts.WEEK_OF.format(day=day_text(value.first))
    locale = _locale()
    if locale is None:
        return value.label
    if isinstance(value, Month):
        return format_date(value.first, "LLLL y", locale=locale)
    if isinstance(value, Quarter):
        return f"{get_quarter_names('abbreviated', locale=locale)[value.quarter]} {value.year}"
    return str(value.year)


def capitalised(text: str) -> str:
    """``text`` starting a sentence: "The week of 2026-11-23", "All your receipts"."""
    return text[:1].upper() + text[1:]


def file_part(value: Period) -> str:
    """A period in a file's name: "march-2018", "q1-2018", "2018", "2026-W48"."""
    return value.iso if isinstance(value, Week) else value.label.replace(" ", "-").lower()


def period_when(value: Asked) -> str:
    """The period with its preposition, as a sentence ends: "in October 2026", "on 2026-12-07"."""
    template = texts.ON_DAY if isinstance(value, Day) else texts.IN_PERIOD
    return template.format(period=period_text(value))
