from __future__ import annotations

import re
from datetime import date

import pytest

from bot import texts
from core.questions.service import parse_question

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "metric", "term", "month"),
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
    ],
)
def test_common_forms(text: str, metric: str, term: str | None, month: str) -> None:
    q = parse_question(text, today=TODAY)
    assert q is not None
    assert (q.metric, q.term, q.month) == (metric, term, month)


@pytest.mark.parametrize("text", ["hello", "what's the weather?", "x" * 300])
def test_anything_else_is_not_a_question(text: str) -> None:
    assert parse_question(text, today=TODAY) is None


def test_the_examples_in_help_are_answered_without_a_model() -> None:
    examples = re.findall(r"• “([^”]+)”", texts.HELP)
    assert len(examples) == 3
    for text in examples:
        assert parse_question(text, today=TODAY) is not None, text
