"""Periods as users name them, the same in questions, /summary, /export and /budget:

- a month: ``2026-10``, ``10/2026``, ``october``, ``oct 2018``, ``march '18``, ``mac 2018``
  (Malay month names too), ``this month``, ``last month``, ``last march`` (the most recent March
  before this month), ``bulan lepas``;
- a quarter: ``Q1``, ``Q1 2018``, ``2018-Q1``, ``first quarter``, ``this quarter``,
  ``last quarter``;
- a year: ``2018``, ``this year``, ``last year``, ``tahun ini``;
- a week, Monday to Sunday (``this week``, ``last week``, ``minggu lepas``, ``2026-W48``);
- in questions only (``find_period``): a day (``today``, ``yesterday``, ``hari ini``, ``semalam``,
  ``2025-12-03``, ``on 3 december``, ``dec 3rd, 2025``, ``pada 3 Disember``: by its month's name
  with "on" or an ordinal, as "mac 20" may be a shop; without a year the most recent such day,
  or the year named apart, "on 3 march in 2018").

"This" and "last" are counted from ``today``: the user's date in their time zone. A month or
quarter named without a year is the most recent one that is not after today ("december" in
November: last December). ``parse_period`` reads a whole argument (a command's);
``find_periods`` finds the periods inside a sentence (a question, weeks and days too);
``parse_month`` is for what is only monthly (budgets): a quarter or a year there is
``NotAMonth``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar, Literal, Protocol
from zoneinfo import ZoneInfo

ENGLISH_MONTHS = {
    **{calendar.month_name[n].lower(): n for n in range(1, 13)},
    **{calendar.month_abbr[n].lower(): n for n in range(1, 13)},
    "sept": 9,
}
MALAY_MONTHS = {
    "januari": 1, "februari": 2, "mac": 3, "april": 4, "mei": 5, "jun": 6, "julai": 7,
    "ogos": 8, "september": 9, "oktober": 10, "november": 11, "disember": 12,
    "okt": 10, "dis": 12,
}  # fmt: skip
MONTHS = {**ENGLISH_MONTHS, **MALAY_MONTHS}
# Inside a sentence these are other words too ("may I", "Mac" the shop): a month only after a
# preposition ("in may") or with a year ("mac 2018").
AMBIGUOUS_MONTHS = frozenset({"may", "mac", "mei", "jun", "dis", "mar"})

FIRST_YEAR, LAST_YEAR = 1900, 2099


def today_in(timezone: str | None) -> date:
    """The user's today: the date now in their time zone (UTC when unset or unknown)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(UTC).astimezone(zone).date()


class BadMonth(ValueError):
    """Not a period we read (the text is the argument)."""


class NotAMonth(BadMonth):
    """A period, but not a month where only a month makes sense (budgets)."""

    def __init__(self, period: Period) -> None:
        super().__init__(period.label)
        self.period = period


class Span(Protocol):
    """A range of calendar days, both ends included: what the summaries' conditions take."""

    @property
    def first(self) -> date: ...

    @property
    def last(self) -> date: ...


@dataclass(frozen=True, slots=True)
class Month:
    kind: ClassVar[Literal["month"]] = "month"

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
    def months(self) -> list[Month]:
        return [self]

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Quarter:
    kind: ClassVar[Literal["quarter"]] = "quarter"

    year: int
    quarter: int  # 1-4

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last(self) -> date:
        return self.months[-1].last

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    @property
    def months(self) -> list[Month]:
        return [Month(self.year, 3 * self.quarter - 2 + n) for n in range(3)]

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"


@dataclass(frozen=True, slots=True)
class Year:
    kind: ClassVar[Literal["year"]] = "year"

    year: int

    @property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        return date(self.year, 12, 31)

    @property
    def previous(self) -> Year:
        return Year(self.year - 1)

    @property
    def months(self) -> list[Month]:
        return [Month(self.year, n) for n in range(1, 13)]

    @property
    def label(self) -> str:
        return str(self.year)

    @property
    def iso(self) -> str:
        return f"{self.year:04d}"


@dataclass(frozen=True, slots=True)
class Week:
    """An ISO week: Monday to Sunday, numbered in its Thursday's year (``2026-W01`` starts on
    29 December 2025)."""

    kind: ClassVar[Literal["week"]] = "week"

    year: int
    week: int  # 1-53

    @property
    def first(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def last(self) -> date:
        return self.first + timedelta(days=6)

    @property
    def previous(self) -> Week:
        return week_of(self.first - timedelta(days=7))

    @property
    def label(self) -> str:
        return f"the week of {self.first.isoformat()}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


@dataclass(frozen=True, slots=True)
class Day:
    kind: ClassVar[Literal["day"]] = "day"

    day: date

    @property
    def first(self) -> date:
        return self.day

    @property
    def last(self) -> date:
        return self.day

    @property
    def year(self) -> int:
        return self.day.year

    @property
    def iso(self) -> str:
        return self.day.isoformat()


Period = Month | Quarter | Year | Week  # what a command's period may be
Asked = Period | Day  # what a question may be about


def week_of(day: date) -> Week:
    year, week, _ = day.isocalendar()
    return Week(year, week)


def this_month(today: date) -> Month:
    return Month(today.year, today.month)


def this_quarter(today: date) -> Quarter:
    return Quarter(today.year, (today.month - 1) // 3 + 1)


def from_iso(text: str) -> Asked:
    """``2018-03``, ``2018-Q1``, ``2018``, ``2018-W09`` or ``2018-03-02`` (``.iso``) back to the
    period."""
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
            return week_of(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return Day(date.fromisoformat(text))
    except ValueError:  # week 53 of a year of 52, 2018-02-30
        raise BadMonth(text) from None
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Month(year, month)
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        return Quarter(int(m[1]), int(m[2]))
    elif re.fullmatch(r"\d{4}", text):
        return Year(int(text))
    raise BadMonth(text)


# ---------------------------------------------------------------- the phrases

_NAME = "|".join(sorted(map(re.escape, MONTHS), key=lambda n: (-len(n), n)))
NAME = rf"(?P<name>{_NAME})\.?"
YEAR = r"(?P<year>(?:19|20)\d{2})"
SHORT_YEAR = r"'?(?P<short>\d{2})"  # "mar 18" in a command, "mar '18" in a sentence too
THIS = r"(?P<this>this|current)"
LAST = r"(?P<last>last|previous|past)"
THIS_OR_LAST = rf"(?:{THIS}|{LAST})"
MALAY_THIS_OR_LAST = r"(?:(?P<this>ini|sekarang)|(?P<last>lepas|lalu))"
QUARTER = r"q(?P<q>[1-4])"
ORDINAL = r"(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}
_SEP = r"\s*[,/-]?\s*(?:of\s+)?"  # "march 2018", "march, 2018", "mar-2018", "march of 2018"
# Words that may come before a period in a sentence ("in march", "for Q1", "pada Mac").
PREPOSITIONS = r"(?:in|during|for|over|of|from|pada|bulan|dalam)"

Build = Callable[[re.Match[str], date], Period]


def _year(m: re.Match[str]) -> int:
    if m.groupdict().get("short"):
        return 2000 + int(m["short"])
    return int(m["year"])


def _month_number(m: re.Match[str]) -> int:
    number = int(m["month"]) if m.groupdict().get("month") else MONTHS[m["name"]]
    if not 1 <= number <= 12:
        raise BadMonth(m[0])
    return number


def _quarter_number(m: re.Match[str]) -> int:
    return int(m["q"]) if m.groupdict().get("q") else ORDINALS[m["ord"]]


def _relative(m: re.Match[str], today: date) -> Period:
    unit = m["unit"]
    last = m["last"] is not None
    if unit in ("month", "bulan"):
        current = this_month(today)
        return current.previous if last else current
    if unit in ("quarter", "suku tahun"):
        quarter = this_quarter(today)
        return quarter.previous if last else quarter
    return Year(today.year - 1 if last else today.year)


def _named_month_relative(m: re.Match[str], today: date) -> Period:
    number = MONTHS[m["name"]]
    if m["last"] is not None:  # the most recent such month before this one
        return Month(today.year if number < today.month else today.year - 1, number)
    return Month(today.year, number)


def _quarter_relative(m: re.Match[str], today: date) -> Period:
    number = _quarter_number(m)
    current = this_quarter(today)
    if m["last"] is not None:  # the most recent such quarter before this one
        return Quarter(today.year if number < current.quarter else today.year - 1, number)
    return Quarter(today.year, number)


def _recent_month(m: re.Match[str], today: date) -> Period:
    chosen = Month(today.year, _month_number(m))
    return Month(today.year - 1, chosen.month) if chosen.first > today else chosen


def _recent_quarter(m: re.Match[str], today: date) -> Period:
    chosen = Quarter(today.year, _quarter_number(m))
    return Quarter(today.year - 1, chosen.quarter) if chosen.first > today else chosen


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    build: Build
    in_sentences: bool = True  # also found inside a sentence (not only as a whole argument)


def _relative_week(m: re.Match[str], today: date) -> Week:
    week = week_of(today)
    return week.previous if m["last"] is not None else week


def _iso_week(m: re.Match[str], _today: date) -> Week:
    try:
        return week_of(date.fromisocalendar(_year(m), int(m["week"]), 1))
    except ValueError:  # week 53 of a year of 52
        raise BadMonth(m[0]) from None


_RULES = [
    _Rule(rf"(?:on\s+)?{THIS_OR_LAST}\s+week(?!\s+of\b)", _relative_week),  # not "week of may"
    _Rule(rf"minggu\s+{MALAY_THIS_OR_LAST}", _relative_week),
    _Rule(rf"{YEAR}-w(?P<week>\d{{2}})", _iso_week),  # 2026-W48, lower-cased
    _Rule(rf"{THIS_OR_LAST}\s+(?P<unit>month|quarter|year)", _relative),
    _Rule(rf"(?P<unit>bulan|suku tahun|tahun)\s+{MALAY_THIS_OR_LAST}", _relative),
    _Rule(rf"{THIS_OR_LAST}\s+{NAME}", _named_month_relative),
    _Rule(rf"{THIS_OR_LAST}\s+(?:{QUARTER}|{ORDINAL})", _quarter_relative),
    _Rule(rf"{NAME}{_SEP}{YEAR}", lambda m, _: Month(_year(m), _month_number(m))),
    _Rule(rf"{YEAR}\s*[,/-]?\s*{NAME}", lambda m, _: Month(_year(m), _month_number(m))),
    _Rule(
        rf"{NAME}\s*[,/-]?\s*'(?P<short>\d{{2}})", lambda m, _: Month(_year(m), _month_number(m))
    ),
    _Rule(
        rf"{NAME}\s*[,/-]?\s*{SHORT_YEAR}",
        lambda m, _: Month(_year(m), _month_number(m)),
        in_sentences=False,  # "march 18" in a sentence is a day
    ),
    _Rule(rf"{YEAR}[-/.](?P<month>\d{{1,2}})", lambda m, _: Month(_year(m), _month_number(m))),
    _Rule(rf"(?P<month>\d{{1,2}})[-/.]{YEAR}", lambda m, _: Month(_year(m), _month_number(m))),
    _Rule(
        rf"(?:{QUARTER}|{ORDINAL}){_SEP}{YEAR}", lambda m, _: Quarter(_year(m), _quarter_number(m))
    ),
    _Rule(rf"{YEAR}\s*[-/ ]?\s*{QUARTER}", lambda m, _: Quarter(_year(m), _quarter_number(m))),
    _Rule(rf"(?:{QUARTER}|{ORDINAL})", _recent_quarter),
    _Rule(rf"(?:(?:the\s+)?year\s+|tahun\s+)?{YEAR}", lambda m, _: Year(_year(m))),
    _Rule(NAME, _recent_month),
    _Rule(r"(?P<month>\d{1,2})", _recent_month, in_sentences=False),
]
_WHOLE = [(re.compile(rule.pattern), rule.build) for rule in _RULES]


def _relative_day(m: re.Match[str], today: date) -> Asked:
    return Day(today - timedelta(days=1)) if m["yesterday"] else Day(today)


def _named_day(m: re.Match[str], today: date) -> Asked:
    """A day by its date; without a year the most recent such day that is not after today."""
    month, day = _month_number(m), int(m["day"])
    named = m.groupdict().get("year")
    for year in [_year(m)] if named else range(today.year, today.year - 8, -1):
        try:
            chosen = date(year, month, day)
        except ValueError:  # 30 February; for 29 February the years before are tried
            continue
        if named or chosen <= today:
            return Day(chosen)
    raise BadMonth(m[0])


DAY_NUMBER = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|hb)?"  # "3rd", Malay "3hb" (haribulan)
ORDINAL_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|hb)"
# A day by its month's name needs "on" ("on 3 mac"; "pada" is a preposition already) or an
# ordinal ("3rd of march"): "mac 20" or "ss 15 jun" may be a shop's or a place's name.
ON = r"(?:on|pada)\s+(?:the\s+)?"
_DAY_MONTH = rf"(?:\s+of)?\s+{NAME}(?:{_SEP}{YEAR})?"  # "3 december 2025", "3rd of march"
_MONTH_DAY = rf"\s+(?:the\s+)?(?:DAY)(?:\s*,?\s*{YEAR})?"  # "dec 3rd, 2025"
_MONTH_NUMBER_DAY = _MONTH_DAY.replace("DAY", DAY_NUMBER)
_MONTH_ORDINAL_DAY = _MONTH_DAY.replace("DAY", ORDINAL_DAY)
# Days: found in questions only (a command's summary of one day would be a chart of one bar).
_QUESTION_ONLY: list[tuple[str, Callable[[re.Match[str], date], Asked]]] = [
    (r"(?:on\s+)?(?:(?P<today>today|hari ini)|(?P<yesterday>yesterday|semalam))", _relative_day),
    (rf"(?:on\s+)?{YEAR}-(?P<month>\d{{2}})-(?P<day>\d{{2}})", _named_day),  # ISO 8601
    (rf"{ON}{DAY_NUMBER}{_DAY_MONTH}", _named_day),
    (rf"(?:the\s+)?{ORDINAL_DAY}{_DAY_MONTH}", _named_day),
    (rf"{ON}{NAME}{_MONTH_NUMBER_DAY}", _named_day),
    (rf"{NAME}{_MONTH_ORDINAL_DAY}", _named_day),
]
_LEADING_PREPOSITION = re.compile(rf"(?:(?:{PREPOSITIONS}|on)\s+)?")
# Periods we do not answer for: a question naming one is not read, rather than answered for
# another period.
UNANSWERED_PERIODS = re.compile(
    r"\b(?:tomorrow|esok|lusa|kelmarin|weekends?|hujung minggu|fortnight|day before|week of|"
    r"since|sejak|between|"  # ranges: "since march" is not March alone
    r"(?:last|past|previous|next)\s+\d+\s+(?:days?|weeks?|months?|years?)|next\s+\w+)\b"
)
_IN_SENTENCE: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], Asked]]] = [
    (
        re.compile(
            rf"(?<![\w/.'-])(?:(?P<prep>{PREPOSITIONS})\s+(?P<the>the\s+)?)?(?:{pattern})"
            r"(?:'s)?(?![\w/-])"  # "today's groceries": the period, then the term
        ),
        build,
    )
    for pattern, build in [
        *((rule.pattern, rule.build) for rule in _RULES if rule.in_sentences),
        *_QUESTION_ONLY,
    ]
]

THIS_MONTH_WORDS = ("", "this month", "now", "current month", "bulan ini")
LAST_MONTH_WORDS = ("last", "last month", "previous month", "bulan lepas", "bulan lalu")


def normal(text: str | None) -> str:
    """Lower case, one space between words, the sentence's end and quotes' curls gone."""
    value = " ".join((text or "").lower().replace("’", "'").split())
    return value.rstrip("?!.").strip()


def parse_period(text: str | None, *, today: date) -> Period:
    """A whole argument naming a month, a quarter, a year or a week (nothing: this month)."""
    value = normal(text)
    if value in THIS_MONTH_WORDS:
        return this_month(today)
    if value in LAST_MONTH_WORDS:
        return this_month(today).previous
    for pattern, build in _WHOLE:
        if m := pattern.fullmatch(value):
            period = build(m, today)
            if not FIRST_YEAR <= period.year <= LAST_YEAR:
                raise BadMonth(value)
            return period
    raise BadMonth(value)


def parse_month(text: str | None, *, today: date) -> Month:
    """Like ``parse_period``, for what is kept per month: a quarter or a year is ``NotAMonth``."""
    period = parse_period(text, today=today)
    if not isinstance(period, Month):
        raise NotAMonth(period)
    return period


@dataclass(frozen=True, slots=True)
class Found:
    """A period named inside a sentence, where (``start``, ``end``, its preposition included)."""

    period: Asked
    start: int
    end: int
    yearless: bool = False  # a day named without its year
    year: tuple[int, int] | None = None  # where the year it took was named, apart from it

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Where the period is named, last first (to cut them out of the sentence)."""
        return sorted([(self.start, self.end), *([self.year] if self.year else [])], reverse=True)


def find_periods(sentence: str, *, today: date) -> Iterator[Found]:
    """Every period named in ``sentence`` (lower case), overlapping ones included."""
    for pattern, build in _IN_SENTENCE:
        for m in pattern.finditer(sentence):
            name = m.groupdict().get("name")
            bare = build is _recent_month
            if bare and name in AMBIGUOUS_MONTHS and (m["prep"] is None or m["the"]):
                continue  # "in mac" is March, "for the mac" the shop
            try:
                period = build(m, today)
            except BadMonth:
                continue
            if FIRST_YEAR <= period.year <= LAST_YEAR:
                yearless = build is _named_day and not m.groupdict().get("year")
                start = m.start()
                lead = _LEADING_PREPOSITION.match(m[0])
                if m[0].endswith("'s") and lead:  # "on today's groceries": the groceries' "on"
                    start += lead.end()
                yield Found(period, start, m.end(), yearless)


def find_period(sentence: str, *, today: date) -> Found | None:
    """The period a sentence asks about: the longest phrase naming one (a tie: the last). A day
    named without a year takes a year named apart ("on 3 march in 2018", "3 dec last year")."""
    found = list(find_periods(sentence, today=today))
    best = max(found, key=lambda f: (f.end - f.start, f.start), default=None)
    if best is None or not best.yearless or not isinstance(best.period, Day):
        return best
    for other in found:
        if isinstance(other.period, Year) and (other.end <= best.start or other.start >= best.end):
            try:
                day = best.period.day.replace(year=other.period.year)
            except ValueError:  # 29 February
                return None
            return Found(Day(day), best.start, best.end, year=(other.start, other.end))
    return best
