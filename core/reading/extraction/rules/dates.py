"""Dates and times of purchase: numeric, ISO, with month names, or with their separators lost."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

from core.reading.extraction.rules.rows import Row
from core.reading.extraction.rules.text import fold, strip_accents

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "JAN JANUARY JANUAR JANV JANVIER ENE ENERO JANUARI GEN GENNAIO JANUARI",
        "FEB FEBRUARY FEBRUAR FEV FEVR FEVRIER FEBRERO FEBRUARI FEBBRAIO",
        "MAR MARCH MARZ MRZ MARS MARZO MAC MAAC MAART",
        "APR APRIL AVR AVRIL ABR ABRIL APRILE",
        "MAY MAI MAYO MEI MAG MAGGIO",
        "JUN JUNE JUNI JUIN JUNIO GIU GIUGNO",
        "JUL JULY JULI JUIL JUILLET JULIO LUG LUGLIO JULAI",
        "AUG AUGUST AOUT AGO AGOSTO OGOS OGO AGS AUGUSTUS",
        "SEP SEPT SEPTEMBER SEPTEMBRE SEPTIEMBRE SET SETTEMBRE",
        "OCT OCTOBER OKT OKTOBER OCTOBRE OCTUBRE OTT OTTOBRE",
        "NOV NOVEMBER NOVEMBRE NOVIEMBRE",
        "DEC DECEMBER DEZ DEZEMBER DECEMBRE DIC DICIEMBRE DIS DISEMBER DICEMBRE",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A year; OCR often glues the time to it: "25/12/20188:13:39PM", "06/01/1812:17".
_YEAR = r"((?:19|20)\d{2}(?=\d{1,2}:\d{2})|(?:19|20)\d{2}(?!\d)|\d{2}(?=\d{1,2}:\d{2})|\d{2}(?!\d))"
NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.,])(\d{1,2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?" + _YEAR + r"(?!\s?\.\d)"
)
_ISO_DATE_RE = re.compile(
    r"(?<![\w.,])((?:19|20)\d{2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?"
    r"(\d{2}(?=\d{1,2}:\d{2})|\d{1,2}(?!\d))"
)
# "DATE06/07/15", "TIME:2016/11/0218:01": a label glued to the figures.
_GLUED_LABEL_RE = re.compile(r"(DATE|TARIKH|DATUM|FECHA|DATA|TIME|TIJD|ZEIT)(?=[:.]?\d)")
_COMPACT_DATE_RE = re.compile(r"(?<![\d.,])(20\d{2})(\d{2})(\d{2})(?!\d)")
DAY_MONTH_RE = re.compile(
    rf"(?<![\d])(\d{{1,2}})(?:ST|ND|RD|TH)?[\s\-/.,]*(?<![A-Z])({_MONTH_ALT})(?![A-Z])\.?"
    r"[\s\-/.,']*" + _YEAR + r"(?!\s?[:.]\d)"
)
_MONTH_DAY_RE = re.compile(
    rf"(?:(?<![A-Z])|(?<=MON|TUE|WED|THU|FRI|SAT|SUN))({_MONTH_ALT})(?![A-Z])\.?[\s\-/.]*"
    r"(\d{1,2})(?:ST|ND|RD|TH)?[\s,.\-/']+" + _YEAR + r"(?!\s?[:.]\d)"
)
_DATE_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:DATE|TARIKH|DATUM|FECHA|DATA|DT|INVOICE\s*DATE|BILL\s*DATE)(?![A-Z])"
)
TIME_RE = re.compile(
    r"(?:(?<![\d:.])|(?<=(?:19|20)\d\d)|(?<=[/.\-]\d\d))([01]?\d|2[0-3])\s?[:]\s?([0-5]\d)(?:\s?:\s?([0-5]\d))?(?![\d])"
    r"(?:\s?([AP])\.?M\.?(?![A-Z]))?"
)
_DOT_TIME_RE = re.compile(r"(?<![\d:.])(1[0-2]|0?\d)\.([0-5]\d)\s?([AP])\.?M\.?(?![A-Z])")


@dataclass(frozen=True, slots=True)
class DateHit:
    value: date
    row: int
    labelled: bool
    ambiguous: bool
    timed: bool = False  # a time of day on the same row: the sale's timestamp


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_date(
    a: int, b: int, year: int, month_first: bool, plausible: Callable[[date], bool]
) -> tuple[date | None, bool]:
    day_first = _make_date(year, b, a)
    mon_first = _make_date(year, a, b)
    order = (mon_first, day_first) if month_first else (day_first, mon_first)
    for candidate in order:
        if candidate is not None and plausible(candidate):
            return candidate, a <= 12 and b <= 12 and a != b
    return None, False


def dates_in_row(
    text: str, month_first: bool, plausible: Callable[[date], bool], labelled: bool
) -> list[tuple[int, date, bool]]:
    """(position, date, ambiguous) for each date in one upper-case row."""
    plain = strip_accents(text) if not text.isascii() else text
    plain = _GLUED_LABEL_RE.sub(r"\1 ", plain)
    hits: list[tuple[int, date, bool]] = []
    for m in NUMERIC_DATE_RE.finditer(plain):
        value, ambiguous = _numeric_date(
            int(m.group(1)), int(m.group(3)), _year(m.group(4)), month_first, plausible
        )
        if value is not None:
            hits.append((m.start(), value, ambiguous))
    for m in _ISO_DATE_RE.finditer(plain):
        value = _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    for m in DAY_MONTH_RE.finditer(plain):
        value = _make_date(_year(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    for m in _MONTH_DAY_RE.finditer(plain):
        value = _make_date(_year(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
        if value is not None and plausible(value):
            hits.append((m.start(), value, False))
    if labelled:  # "20180304" is only a date next to a DATE label
        for m in _COMPACT_DATE_RE.finditer(plain):
            value = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if value is not None and plausible(value):
                hits.append((m.start(), value, False))
    return sorted(hits, key=lambda h: h[0])


def find_dates(
    rows: Sequence[Row], month_first: bool, plausible: Callable[[date], bool]
) -> list[DateHit]:
    hits: list[DateHit] = []
    for index, row in enumerate(rows):
        labelled = bool(_DATE_LABEL_RE.search(row.upper))
        prev_label = index > 0 and _is_bare_label(rows[index - 1].upper, _DATE_LABEL_RE)
        timed = bool(TIME_RE.search(row.upper) or _DOT_TIME_RE.search(row.upper))
        for _pos, value, ambiguous in dates_in_row(
            row.upper, month_first, plausible, labelled or prev_label
        ):
            hits.append(DateHit(value, index, labelled or prev_label, ambiguous, timed))
    return hits


# Dates whose separators the OCR lost or mixed up: "27032018", "27 032018", "05 02-18". Only
# looked for when a receipt shows no well-formed date, and then only where the figures stand
# alone on their row or next to a DATE label, so phone numbers and ids are not taken for dates.
_RUN_DATE_RE = re.compile(r"(?<![\d.,])(\d{2})\s?(\d{2})\s?((?:19|20)\d{2})(?![\d.,])")
_MIXED_DATE_RE = re.compile(
    r"(?<![\d.,])(\d{1,2})\s?[\s/.\-]\s?(\d{1,2})\s?[\s/.\-]\s?((?:19|20)?\d{2})(?![\d.,])"
)
_SEPARATOR_RE = re.compile(r"[/.\-]")
_TIME_TAIL_RE = re.compile(r"\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?[AP]M)?$")


def damaged_date(
    rows: Sequence[Row], month_first: bool, plausible: Callable[[date], bool]
) -> tuple[date | None, float, int | None]:
    for index, row in enumerate(rows):
        labelled = bool(_DATE_LABEL_RE.search(row.upper)) or (
            index > 0 and _is_bare_label(rows[index - 1].upper, _DATE_LABEL_RE)
        )
        # Next to a label, anywhere in the row; otherwise a cell must hold nothing else.
        texts = [row.upper] if labelled else [fold(c.text.strip()) for c in row.cells]
        for text in texts:
            text = _TIME_TAIL_RE.sub("", _DATE_LABEL_RE.sub("", text).strip(" :."))
            for regex in (_RUN_DATE_RE, _MIXED_DATE_RE):
                match = regex.search(text) if labelled else regex.fullmatch(text)
                if match is None:
                    continue
                if not labelled and regex is _MIXED_DATE_RE and not _SEPARATOR_RE.search(text):
                    continue  # "1 1 20" alone: figures of a table as well as a date
                value, _ambiguous = _numeric_date(
                    int(match.group(1)),
                    int(match.group(2)),
                    _year(match.group(3)),
                    month_first,
                    plausible,
                )
                if value is not None:
                    return value, 0.5, index
    return None, 0.0, None


def _is_bare_label(upper: str, regex: re.Pattern[str]) -> bool:
    match = regex.search(upper)
    return bool(match) and not any(ch.isdigit() for ch in upper)


def choose_date(hits: Sequence[DateHit]) -> tuple[date | None, float, int | None]:
    if not hits:
        return None, 0.0, None
    labelled = [h for h in hits if h.labelled]
    # Unlabelled, a date printed with a time of day is the sale's; one alone may be a stamp
    # ("PAID 13 MAR"), a due or an expiry date.
    timed = [h for h in hits if h.timed]
    best = labelled[0] if labelled else timed[0] if timed else hits[0]
    distinct = {h.value for h in hits}
    conf = 0.9 if labelled else 0.75
    if len(distinct) > 1:
        conf -= 0.15
    if best.ambiguous:
        conf -= 0.15
    return best.value, round(conf, 2), best.row


def find_time(rows: Sequence[Row], preferred_row: int | None) -> time | None:
    order = list(range(len(rows)))
    if preferred_row is not None:
        order.remove(preferred_row)
        order.insert(0, preferred_row)
    for index in order:
        text = rows[index].upper
        match = TIME_RE.search(text)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            second = int(match.group(3) or 0)
            return _clock(hour, minute, second, match.group(4))
        dotted = _DOT_TIME_RE.search(text)
        if dotted:
            return _clock(int(dotted.group(1)), int(dotted.group(2)), 0, dotted.group(3))
    return None


def _clock(hour: int, minute: int, second: int, meridiem: str | None) -> time | None:
    if meridiem == "P" and hour < 12:
        hour += 12
    elif meridiem == "A" and hour == 12:
        hour = 0
    try:
        return time(hour, minute, second)
    except ValueError:
        return None
