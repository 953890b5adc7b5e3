"""Budgets through the real bot: set one, a receipt crossing 80% warns once, /summary shows it."""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update

pytestmark = pytest.mark.e2e

CHAT = 7901


def texts_sent(fake: FakeTelegram) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", CHAT)]


def test_budget_warns_once_and_shows_in_the_summary(stack: LocalStack, fake: FakeTelegram) -> None:
    for i, text in enumerate(["/budget shopping 10 MYR", "/budget", "/budget shopping ten"]):
        post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text=text))
        fake.wait_for(lambda f, i=i: len(texts_sent(f)) == i + 1, timeout=10)
    set_reply, listing, bad = texts_sent(fake)
    assert "MYR 10.00 a month" in set_reply
    assert "shopping: MYR 0.00 of MYR 10.00 (0%)" in listing
    assert "Use /budget" in bad

    # The caption names the category; MYR 9.00 is 90% of the budget.
    file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
    update = fake.photo_update(chat_id=CHAT, user_id=CHAT, file_id=file_id, caption="shopping")
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: any("budget" in t for t in texts_sent(f)[3:]), timeout=120)
    card = final_card(fake, CHAT)
    assert card is not None and "shopping" in card
    warnings = [t for t in texts_sent(fake) if "% of your shopping budget" in t]
    assert warnings == [
        "⚠️ You've used 90% of your shopping budget for December 2018: MYR 9.00 of MYR 10.00."
    ]

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 2018-12"))
    fake.wait_for(
        lambda f: any("Budgets for December 2018" in t for t in texts_sent(f)), timeout=30
    )
    assert any("shopping: MYR 9.00 of MYR 10.00 (90%)" in t for t in texts_sent(fake))


def test_questions_in_plain_words_are_answered_from_the_users_receipts(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    # Runs after the budget test: this chat has one MYR 9.00 "shopping" receipt of 2018-12-25.
    questions = [
        "How much did I spend on shopping in 2018-12?",
        "biggest purchase in 2018-12",
        "how much on coffee in 2018-12",
        "what's the weather like?",
    ]
    before = len(texts_sent(fake))
    for i, text in enumerate(questions):
        post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text=text))
        fake.wait_for(lambda f, i=i: len(texts_sent(f)) == before + i + 1, timeout=10)
    total, biggest, nothing, other = texts_sent(fake)[before:]
    assert total == "December 2018, shopping: MYR 9.00 in 1 receipt."
    assert "MYR 9.00 on 2018-12-25" in biggest
    assert nothing == "I found no receipts on coffee in December 2018."
    assert "send me a photo" in other


def test_a_budget_without_a_currency_takes_the_one_of_the_users_receipts(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN a user with no currency set whose receipts are all in MYR (this chat, after the
    tests above) WHEN a budget is set without one THEN it is in MYR, and said why; a user with
    no receipts and no currency is asked."""
    before = len(texts_sent(fake))
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/budget dining 50"))
    fake.wait_for(lambda f: len(texts_sent(f)) == before + 1, timeout=10)
    (reply,) = texts_sent(fake)[before:]
    assert reply.startswith("Budget for dining: MYR 50.00 a month")
    assert reply.endswith("In the currency of your receipts; /settings currency sets yours.</i>")

    newcomer = CHAT + 50
    post_update(
        stack, fake.text_update(chat_id=newcomer, user_id=newcomer, text="/budget dining 50")
    )
    fake.wait_for(lambda f: bool(f.calls_for("sendMessage", newcomer)), timeout=10)
    asked = str(fake.calls_for("sendMessage", newcomer)[0].params["text"])
    assert asked.startswith("Which currency?")
