"""What typed while a question of ✏️ Fix is open counts as its answer (bot/answers.py), and the
quick-answer buttons (bot/keyboards.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from types import MappingProxyType

import pytest

from bot import keyboards
from bot.answers import is_answer, reads_as_question
from bot.callbacks import derive_key, unpack
from core.contracts import ReceiptStatus
from core.receipts.views import ReceiptView

TODAY = date(2026, 11, 25)
MINE = ("groceries", "what not", "pets")
KEY = derive_key("1000:test-token")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        # A question in plain words is no category nor merchant: it ends the question.
        ("category", "how many receipts in 2018-03?", False),
        ("category", "What did I spend on coffee in March", False),
        ("merchant", "how much at Tesco last month?", False),
        ("merchant", "which was my biggest purchase", False),
        # Names, even ones starting with a question word.
        ("category", "Pets", True),
        ("category", "what not", True),  # one of the user's categories
        ("category", "eating out", True),
        ("merchant", "Which Wich", True),
        ("merchant", "Café Nero", True),
        # A date, total or currency: what reads as one, or a short try at one (asked again).
        ("date", "24/12/2018", True),
        ("date", "yesterday", True),
        ("date", "31/02/2018", True),
        ("date", "last friday", True),
        ("date", "receipts on 2026-03-01?", False),
        ("date", "spent on coffee in march", False),
        ("total", "12,50", True),
        ("total", "about nine", True),
        ("total", "total was 12 euros I think", True),
        ("total", "how much did I spend this month", False),
        ("total", "lunch with the whole team at noon", False),
        ("currency", "euro", True),
        ("currency", "EURO?", False),
    ],
)
def test_is_answer(field: str, raw: str, expected: bool) -> None:
    assert is_answer(field, raw, today=TODAY, categories=MINE) is expected


def test_reads_as_question() -> None:
    assert reads_as_question("groceries?")
    assert reads_as_question("how much in total")
    assert not reads_as_question("how much")  # two words: could be a name
    assert not reads_as_question("Whose Café")


def _view(**changes: object) -> ReceiptView:
    view = ReceiptView(
        id=uuid.uuid4(),
        user_id=1,
        status=ReceiptStatus.DONE,
        created_at=datetime.now(UTC),
        merchant_name="Shop",
        purchase_date=date(2018, 12, 25),
        purchase_time=None,
        currency="MYR",
        subtotal=None,
        tax=None,
        total=None,
        category=None,
        confidence=MappingProxyType({"date": 0.8}),
        confirmed_at=None,
        possible_duplicate_of=None,
        error_code=None,
        error_message=None,
        telegram_chat_id=1,
        status_message_id=2,
        telegram_message_id=1,
        notified_at=None,
        media_group_id=None,
        line_items=(),
    )
    return replace(view, **changes)  # type: ignore[arg-type]


def _buttons(markup: object) -> dict[str, str]:
    rows = markup.inline_keyboard  # type: ignore[attr-defined]
    return {b.text: str(b.callback_data) for row in rows for b in row}


def test_quick_dates_stand_for_what_would_be_typed() -> None:
    receipt = _view()
    found = _buttons(keyboards.quick_dates(receipt, today=TODAY, key=KEY))
    assert list(found) == ["Today", "Yesterday", "🧾 2018-12-25", "« Back"]
    actions = {label: unpack(data, key=KEY) for label, data in found.items()}
    assert all(rid == receipt.id for _, rid in actions.values())
    assert all(len(data.encode()) <= 64 for data in found.values())
    assert keyboards.quick_answer(actions["Today"][0]) == ("date", "today")
    assert keyboards.quick_answer(actions["Yesterday"][0]) == ("date", "yesterday")
    assert keyboards.quick_answer(actions["🧾 2018-12-25"][0]) == ("date", "2018-12-25")
    assert keyboards.quick_answer(actions["« Back"][0]) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"purchase_date": None},  # none read
        {"purchase_date": date(2026, 11, 24)},  # yesterday's: a button already
        {"confidence": MappingProxyType({"date": 1.0})},  # the user's, not the printed one
    ],
)
def test_no_printed_date_button(changes: dict[str, object]) -> None:
    markup = keyboards.quick_dates(_view(**changes), today=TODAY, key=KEY)
    assert list(_buttons(markup)) == ["Today", "Yesterday", "« Back"]


def test_quick_currencies_mark_the_receipts_own() -> None:
    receipt = _view()
    found = _buttons(keyboards.quick_currencies(receipt, ["MYR", "EUR", "SGD"], key=KEY))
    assert list(found) == ["• MYR", "EUR", "SGD", "« Back"]
    action, _ = unpack(found["EUR"], key=KEY)
    assert keyboards.quick_answer(action) == ("currency", "EUR")
    assert keyboards.quick_answer("qcEURO") is None
    assert keyboards.quick_answer("qd2018122") is None
