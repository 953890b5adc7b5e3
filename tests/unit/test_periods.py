"""Periods as users name them (issue 18): one reading for questions, /summary, /export, /budget."""

from __future__ import annotations

from datetime import date

import pytest

from core.summaries.months import (
    Asked,
    BadMonth,
    Day,
    Month,
    NotAMonth,
    Period,
    Quarter,
    Week,
    Year,
    find_period,
    from_iso,
    parse_month,
    parse_period,
    week_of,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Month(2026, 11)),
        ("this month", Month(2026, 11)),
        ("last month", Month(2026, 10)),
        ("previous month", Month(2026, 10)),
        ("2026-10", Month(2026, 10)),
        ("october", Month(2026, 10)),
        ("Dec", Month(2025, 12)),  # a month without a year: the last one, not the coming one
        ("2027-01", Month(2027, 1)),  # with a year: that one
        # months with years
        ("March 2018", Month(2018, 3)),
        ("march, 2018", Month(2018, 3)),
        ("march of 2018", Month(2018, 3)),
        ("2018 march", Month(2018, 3)),
        ("2018-03", Month(2018, 3)),
        ("2018/3", Month(2018, 3)),
        ("03/2018", Month(2018, 3)),
        ("3-2018", Month(2018, 3)),
        ("mar 18", Month(2018, 3)),
        ("Mar. '18", Month(2018, 3)),
        ("sept 2025", Month(2025, 9)),
        ("1999-01", Month(1999, 1)),
        # "last March": the most recent March before this month
        ("last march", Month(2026, 3)),
        ("last november", Month(2025, 11)),  # in November: a year ago
        ("last december", Month(2025, 12)),
        ("this march", Month(2026, 3)),
        # Malay
        ("Mac 2018", Month(2018, 3)),
        ("ogos", Month(2026, 8)),
        ("Disember 2025", Month(2025, 12)),
        ("mei", Month(2026, 5)),
        ("bulan lepas", Month(2026, 10)),
        ("bulan ini", Month(2026, 11)),
        # quarters
        ("Q1", Quarter(2026, 1)),
        ("q4", Quarter(2026, 4)),  # this quarter: it has begun
        ("Q1 2018", Quarter(2018, 1)),
        ("2018-Q1", Quarter(2018, 1)),
        ("2018 q2", Quarter(2018, 2)),
        ("first quarter of 2018", Quarter(2018, 1)),
        ("this quarter", Quarter(2026, 4)),
        ("last quarter", Quarter(2026, 3)),
        ("last q4", Quarter(2025, 4)),
        # years
        ("2018", Year(2018)),
        ("year 2018", Year(2018)),
        ("this year", Year(2026)),
        ("last year", Year(2025)),
        ("tahun lepas", Year(2025)),
    ],
)
def test_parse_period(text: str, expected: Period) -> None:
    assert parse_period(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["13", "2026-13", "someday", "1800", "q5", "march 2218"])
def test_parse_period_refuses(text: str) -> None:
    with pytest.raises(BadMonth):
        parse_period(text, today=TODAY)


def test_this_and_last_follow_the_users_date() -> None:
    """The caller's ``today`` is the user's date in their zone: on 1 January "last month" is
    December, "last year" the one before, "Q1" the new one."""
    new_year = date(2027, 1, 1)
    assert parse_period("last month", today=new_year) == Month(2026, 12)
    assert parse_period("last year", today=new_year) == Year(2026)
    assert parse_period("q1", today=new_year) == Quarter(2027, 1)
    assert parse_period("december", today=new_year) == Month(2026, 12)
    assert parse_period("last march", today=date(2026, 3, 10)) == Month(2025, 3)
    assert parse_period("last march", today=date(2026, 4, 1)) == Month(2026, 3)


def test_only_a_month_where_only_a_month_makes_sense() -> None:
    assert parse_month("march 2018", today=TODAY) == Month(2018, 3)
    for text, period in (("2018", Year(2018)), ("Q1 2018", Quarter(2018, 1))):
        with pytest.raises(NotAMonth) as refused:
            parse_month(text, today=TODAY)
        assert refused.value.period == period


@pytest.mark.parametrize(
    ("period", "first", "last", "previous", "label", "iso"),
    [
        (Month(2024, 2), date(2024, 2, 1), date(2024, 2, 29), Month(2024, 1), "February 2024",
         "2024-02"),
        (Month(2024, 1), date(2024, 1, 1), date(2024, 1, 31), Month(2023, 12), "January 2024",
         "2024-01"),
        (Quarter(2024, 1), date(2024, 1, 1), date(2024, 3, 31), Quarter(2023, 4), "Q1 2024",
         "2024-Q1"),
        (Quarter(2024, 4), date(2024, 10, 1), date(2024, 12, 31), Quarter(2024, 3), "Q4 2024",
         "2024-Q4"),
        (Year(2024), date(2024, 1, 1), date(2024, 12, 31), Year(2023), "2024", "2024"),
    ],
)  # fmt: skip
def test_a_period_is_a_range_of_days(
    period: Period, first: date, last: date, previous: Period, label: str, iso: str
) -> None:
    assert (period.first, period.last, period.previous) == (first, last, previous)
    assert (period.label, period.iso) == (label, iso)
    assert from_iso(period.iso) == period
    assert period.months[0].first == first and period.months[-1].last == last


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("how much did i spend in march 2018?", Month(2018, 3)),
        ("biggest purchase in q1 2018 at ikea", Quarter(2018, 1)),
        ("how much at mac donalds last month", Month(2026, 10)),  # "mac" alone is no month
        ("how much may i spend", None),
        ("how much in mac", Month(2026, 3)),
        ("receipts of 2018", Year(2018)),
        ("receipts on 2025-12-03", Day(date(2025, 12, 3))),
        ("how much on 3 december", Day(date(2025, 12, 3))),  # the last 3 December, not the next
        ("how much on 25 november", Day(TODAY)),
        ("how much on the 3rd of march 2018", Day(date(2018, 3, 3))),
        ("how much on dec 3rd, 2025", Day(date(2025, 12, 3))),
        ("how much in march 18", Month(2026, 3)),  # a day needs "on" or an ordinal
        ("how much in march 18th", Day(date(2026, 3, 18))),
        ("how much at mac 20", None),  # a shop's name, not 20 March
        ("how much at ss 15 jun 2026", Month(2026, 6)),  # Subang's SS 15 in June
        ("how much for the mac", None),  # "in mac" is March, "for the mac" the shop
        ("how much in the last week of december", Month(2025, 12)),
        ("how much on 3 march in 2018", Day(date(2018, 3, 3))),  # the year named apart
        ("how much in 2018 on 3 march", Day(date(2018, 3, 3))),
        ("how much on yesterday", Day(date(2026, 11, 24))),
        ("berapa pada 3hb mac", Day(date(2026, 3, 3))),
        ("how much on february 30", Month(2026, 2)),  # no such day: the month it names
        ("how much on 29 february", Day(date(2024, 2, 29))),  # the last one there was
        ("how much on mac", None),  # the shop
        ("how much this week", Week(2026, 48)),
        ("how much last week", Week(2026, 47)),
        ("how much on weekly things", None),
        ("how much today", Day(TODAY)),
        ("how much yesterday", Day(date(2026, 11, 24))),
        ("berapa minggu lepas", Week(2026, 47)),
        ("berapa hari ini", Day(TODAY)),
        ("berapa semalam", Day(date(2026, 11, 24))),
    ],
)
def test_a_period_inside_a_sentence(sentence: str, expected: Asked | None) -> None:
    found = find_period(sentence, today=TODAY)
    assert (found.period if found else None) == expected


@pytest.mark.parametrize(
    ("period", "first", "last", "previous", "label", "iso"),
    [
        (Week(2026, 48), date(2026, 11, 23), date(2026, 11, 29), Week(2026, 47),
         "the week of 2026-11-23", "2026-W48"),
        # ISO weeks belong to their Thursday's year: 2026 has 53, its first starts in 2025
        (Week(2026, 1), date(2025, 12, 29), date(2026, 1, 4), Week(2025, 52),
         "the week of 2025-12-29", "2026-W01"),
        (Week(2027, 1), date(2027, 1, 4), date(2027, 1, 10), Week(2026, 53),
         "the week of 2027-01-04", "2027-W01"),
    ],
)  # fmt: skip
def test_a_week_is_a_range_of_days(
    period: Week, first: date, last: date, previous: Week, label: str, iso: str
) -> None:
    assert (period.first, period.last, period.previous) == (first, last, previous)
    assert (period.label, period.iso) == (label, iso)
    assert from_iso(period.iso) == period
    assert parse_period(iso, today=TODAY) == period  # a command takes it too


def test_a_day_is_a_range_of_one_day() -> None:
    day = Day(date(2026, 3, 1))
    assert (day.first, day.last, day.iso) == (date(2026, 3, 1), date(2026, 3, 1), "2026-03-01")
    assert from_iso(day.iso) == day


def test_this_and_last_week_at_the_turn_of_the_year() -> None:
    """1 January 2027 is a Friday of 2026's week 53; the Monday after starts 2027's first."""
    assert week_of(date(2027, 1, 1)) == Week(2026, 53)
    found = find_period("how much last week", today=date(2027, 1, 4))
    assert found is not None and found.period == Week(2026, 53)


@pytest.mark.parametrize("text", ["2025-W53", "2026-W00", "2026-02-30", "2026-13-01"])
def test_a_week_or_a_day_that_does_not_exist(text: str) -> None:
    with pytest.raises(BadMonth):
        from_iso(text)


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("this week", Week(2026, 48)),
        ("last week", Week(2026, 47)),
        ("minggu lepas", Week(2026, 47)),
        ("minggu ini", Week(2026, 48)),
        ("2026-W53", Week(2026, 53)),
    ],
)
def test_a_command_takes_a_week(text: str, week: Week) -> None:
    assert parse_period(text, today=TODAY) == week


@pytest.mark.parametrize(
    "text", ["today", "yesterday", "3 december", "2025-W53", "next week", "0001-W01", "9999-W52"]
)
def test_a_command_takes_no_day(text: str) -> None:
    """A day is a question's period only (its summary would be a chart of one bar)."""
    with pytest.raises(BadMonth):
        parse_period(text, today=TODAY)
