from __future__ import annotations

import re
from datetime import date
from types import ModuleType

import pytest

from bot import texts
from bot.locales import ms
from core.questions.service import Question, parse_question
from core.summaries.months import Day, Month, Quarter, Week, Year

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "metric", "term", "period"),
    [
        ("how much did I spend on coffee in October?", "total", "coffee", "2026-10"),
        ("How much at Corner Cafe last month", "total", "corner cafe", "2026-10"),
        ("biggest purchase last month", "biggest", None, "2026-10"),
        ("how many receipts this month", "count", None, "2026-11"),
        ("total for groceries in 2025-12", "total", "groceries", "2025-12"),
        (  # a category name of 50 characters, the longest there is
            "how much on weekly groceries and household things for our kids in october",
            "total",
            "weekly groceries and household things for our kids",
            "2026-10",
        ),
        # Issue 18: the year is kept, and quarters and years are periods of their own.
        ("How much did I spend in March 2018?", "total", None, "2018-03"),
        ("how much did I spend on coffee in march 2018?", "total", "coffee", "2018-03"),
        ("How much at IKEA in 2018-03?", "total", "ikea", "2018-03"),
        ("how much in 03/2018", "total", None, "2018-03"),
        ("how much did i spend in mar '18", "total", None, "2018-03"),
        ("How much did I spend in Mac 2018?", "total", None, "2018-03"),  # Malay
        ("how much did I spend last March?", "total", None, "2026-03"),
        ("how much in december", "total", None, "2025-12"),  # the last December, not this one
        ("how many receipts in Q1", "count", None, "2026-Q1"),
        ("biggest purchase in Q1 2018", "biggest", None, "2018-Q1"),
        ("total for groceries last quarter", "total", "groceries", "2026-Q3"),
        ("how much did I spend this year", "total", None, "2026"),
        ("How much did I spend last year?", "total", None, "2025"),
        ("how much on taxis in 2018?", "total", "taxis", "2018"),
        ("how much at Mac Donalds last month", "total", "mac donalds", "2026-10"),
        ("how much may I spend?", "total", None, "2026-11"),  # "may I" is not May
        ("how much in may", "total", None, "2026-05"),
        # Malay, as the bot's other language
        ("Berapa saya belanja untuk kopi pada bulan Oktober?", "total", "kopi", "2026-10"),
        ("berapa banyak saya belanja di Tesco bulan lepas?", "total", "tesco", "2026-10"),
        ("Jumlah perbelanjaan untuk makanan tahun ini", "total", "makanan", "2026"),
        ("berapa saya habiskan kat mamak bulan ini", "total", "mamak", "2026-11"),
        ("jumlah bagi barangan dapur tahun lepas", "total", "barangan dapur", "2025"),
        ("Berapa saya belanja pada Mac 2018?", "total", None, "2018-03"),
        ("Pembelian terbesar bulan lepas", "biggest", None, "2026-10"),
        ("Apakah pembelian paling mahal saya pada suku tahun lepas?", "biggest", None, "2026-Q3"),
        ("Berapa resit bulan ini?", "count", None, "2026-11"),
        ("Berapa banyak resit pada Q1 2018", "count", None, "2018-Q1"),
        ("bilangan resit pada 2025", "count", None, "2025"),
        ("jumlah resit saya tahun ini", "count", None, "2026"),
        ("jumlah bagi kategori makanan bulan ini", "total", "makanan", "2026-11"),
        # Weeks (Monday to Sunday; 25 November 2026 is a Wednesday of week 48) and days
        ("How much did I spend this week?", "total", None, "2026-W48"),
        ("how much did i spend last week on coffee", "total", "coffee", "2026-W47"),
        ("how much on weekly groceries last week", "total", "weekly groceries", "2026-W47"),
        ("biggest purchase today", "biggest", None, "2026-11-25"),
        ("How much did I spend yesterday at Tesco?", "total", "tesco", "2026-11-24"),
        ("how many receipts for the past week", "count", None, "2026-W47"),
        ("Berapa saya belanja minggu lepas?", "total", None, "2026-W47"),
        ("pembelian terbesar minggu ini", "biggest", None, "2026-W48"),
        ("berapa resit hari ini", "count", None, "2026-11-25"),
        ("berapa saya belanja untuk kopi semalam", "total", "kopi", "2026-11-24"),
        ("how much did I spend on coffee on 3 december", "total", "coffee", "2025-12-03"),
        ("How much at Tesco on 2026-11-20?", "total", "tesco", "2026-11-20"),
        ("biggest purchase on november 20th", "biggest", None, "2026-11-20"),
        ("berapa saya belanja pada 20 November", "total", None, "2026-11-20"),
        # the period, then the term; a year named apart from its day
        ("how much did i spend on today's groceries?", "total", "groceries", "2026-11-25"),
        ("how much on this week's groceries", "total", "groceries", "2026-W48"),
        ("how much on coffee on yesterday?", "total", "coffee", "2026-11-24"),
        ("how much on coffee on 3 march in 2018", "total", "coffee", "2018-03-03"),
        ("how much at mac 20?", "total", "mac 20", "2026-11"),
        ("how much did I spend for the mac?", "total", "the mac", "2026-11"),
        # the receipts themselves; without a period, of any time
        ("Show my receipts from Tesco last month", "list", "tesco", "2026-10"),
        ("Find my IKEA receipt", "list", "ikea", None),
        ("list receipts this week", "list", None, "2026-W48"),
        ("which receipts at ikea in 2025?", "list", "ikea", "2025"),
        ("show my coffee receipts", "list", "coffee", None),
        ("show how much I spent at tesco", "total", "tesco", "2026-11"),
        ("Tunjukkan resit saya di Tesco bulan lepas", "list", "tesco", "2026-10"),
        ("senarai resit semalam", "list", None, "2026-11-24"),
        ("cari resit ikea", "list", "ikea", None),  # Malay: the shop after the noun
        ("tunjukkan resit kopi saya minggu lepas", "list", "kopi", "2026-W47"),
        ("show my latest receipt", "list", None, None),  # which receipts, not whose
        ("show my 10 most recent receipts", "list", None, None),
        ("show receipts from 7 eleven", "list", "7 eleven", None),
        # "from" names a shop in a list only: here it is the money's source
        ("how much from my salary", "total", None, "2026-11"),
        ("berapa saya belanja dari awal bulan", "total", None, "2026-11"),
    ],
)
def test_common_forms(text: str, metric: str, term: str | None, period: str | None) -> None:
    q = parse_question(text, today=TODAY)
    assert q is not None
    assert (q.metric, q.term, q.period) == (metric, term, period)


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "what's the weather?",
        "x" * 300,
        "total in 1999-01",
        "apa khabar?",
        "berapa umur awak?",  # "how old are you": berapa alone is no question about spending
        "berapa harga kopi?",
        "dah habis makan",
        # periods not answered: not read, rather than answered for this month
        "how much did I spend last weekend?",
        "how much will I spend tomorrow",
        "how much in the last 7 days",
        "berapa saya belanja esok",
        "how much in the week of 3 december",
        "how much have I spent since march?",  # a range, not March alone
        "berapa saya belanja sejak januari",
        "how much between march and may",
        "show me the money",  # a list asks for receipts, or names a shop or category
        "find a restaurant",
        "show my receipts over 100",  # what a list cannot show: amounts, ranges, budgets
        "show my receipts from march to may",
        "show my ikea and tesco receipts",
        "show my budget for coffee",
        "show receipts in usd",
    ],
)
def test_anything_else_is_not_a_question(text: str) -> None:
    assert parse_question(text, today=TODAY) is None


def test_this_and_last_are_the_askers_own_today() -> None:
    """On 1 January in the asker's zone (still 31 December in UTC) "last month" is December and
    "this year" the new one: the caller passes the asker's date."""
    new_year = date(2027, 1, 1)
    last = parse_question("how much last month", today=new_year)
    this = parse_question("how much this year", today=new_year)
    assert last is not None and this is not None
    assert (last.period, this.period) == ("2026-12", "2027")


def test_the_question_names_its_period() -> None:
    assert Question(metric="total", period="2018-03").span == Month(2018, 3)
    assert Question(metric="total", period="2018-Q1").span == Quarter(2018, 1)
    assert Question(metric="total", period="2018").span == Year(2018)
    assert Question(metric="total", period="2026-W53").span == Week(2026, 53)
    assert Question(metric="total", period="2026-11-24").span == Day(date(2026, 11, 24))
    assert Question(metric="list", term="ikea").span is None  # a list of any time
    with pytest.raises(ValueError, match="period"):
        Question(metric="total")
    for bad in ("2018-13", "2018-Q5", "1999", "18-03", "2025-W53", "2026-W00", "2026-02-30"):
        with pytest.raises(ValueError, match="period"):
            Question(metric="total", period=bad)


def test_the_examples_in_help_are_answered_without_a_model() -> None:
    examples = re.findall(r"• “([^”]+)”", texts.HELP)
    assert len(examples) >= 3
    for text in examples:
        assert parse_question(text, today=TODAY) is not None, text


@pytest.mark.parametrize("locale", [texts, ms], ids=["en", "ms"])
def test_every_suggested_question_is_one_the_rules_read(locale: ModuleType) -> None:
    for text in locale.EXAMPLE_QUESTIONS:
        assert parse_question(text, today=TODAY) is not None, text


def test_the_malay_examples_in_help_are_malay_questions_the_rules_read() -> None:
    examples = re.findall(r"• “([^”]+)”", ms.HELP)
    assert len(examples) >= 3
    for text in examples:
        assert parse_question(text, today=TODAY) is not None, text
        assert not re.search(r"\b(how|spend|purchase)\b", text.lower()), text
