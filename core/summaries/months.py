"""Calendar months as users name them: ``2026-10``, ``october``, ``oct``, ``last month``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

MONTHS = {
    name.lower(): n
    for n in range(1, 13)
    for name in (calendar.month_name[n], calendar.month_abbr[n])
}


class BadMonth(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str | None, *, today: date) -> Month:
    """``2026-10``, ``10``, ``october``, ``oct``, ``last month``, ``this month`` or nothing."""
    value = (text or "").strip().lower()
    current = Month(today.year, today.month)
    if value in ("", "this month", "now"):
        return current
    if value in ("last month", "previous month", "last"):
        return current.previous
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(m[1]), int(m[2])
    elif value.isdigit() and 1 <= int(value) <= 12:
        year, month = today.year, int(value)
    elif value in MONTHS:
        year, month = today.year, MONTHS[value]
    else:
        raise BadMonth(value)
    if not 1 <= month <= 12:
        raise BadMonth(value)
    chosen = Month(year, month)
    if not re.fullmatch(r"\d{4}-\d{1,2}", value) and chosen.first > today:
        chosen = Month(year - 1, month)  # "december" in November: the last December
    return chosen
