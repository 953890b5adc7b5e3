"""The user's own categories through the real bot: /categories add, rename, remove and reset; a
caption naming one; the picker offering the user's list; receipts and budgets following a rename."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db.models import Budget, Receipt, User
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, post_update, press, receipts_of_chat

pytestmark = pytest.mark.e2e

CHAT = 8001


def say(stack: LocalStack, fake: FakeTelegram, text: str) -> str:
    """Send ``text`` as the user; the bot's text reply as the user sees it."""
    before = set(fake.messages(CHAT))

    def replies(f: FakeTelegram) -> list[int]:
        new = sorted(set(f.messages(CHAT)) - before)
        return [i for i in new if "text" in (f.message(CHAT, i) or {})]  # not a late chart

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text=text))
    fake.wait_for(lambda f: bool(replies(f)), timeout=10)
    return fake.messages(CHAT)[replies(fake)[0]]


def card(fake: FakeTelegram) -> tuple[int, str]:
    for message_id, text in fake.messages(CHAT).items():
        if text.startswith("🧾"):
            return message_id, text
    raise LookupError("no card yet")


def buttons(fake: FakeTelegram, message_id: int) -> dict[str, str]:
    message = fake.message(CHAT, message_id) or {}
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def the_receipt(stack: LocalStack) -> Receipt:
    (receipt,) = receipts_of_chat(stack, CHAT)
    return receipt


def budgets(stack: LocalStack) -> list[str]:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        query = select(Budget.category).join(User).where(User.telegram_user_id == CHAT)
        return list(s.scalars(query))


def test_own_categories_from_command_to_caption_picker_and_budget(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    listing = say(stack, fake, "/categories")
    assert "Your categories" in listing and "The default list" in listing
    assert "• groceries" in listing and "/categories rename dining -> eating out" in listing

    assert say(stack, fake, "/categories add Pets").startswith("Added pets")
    assert say(stack, fake, "/categories add PETS") == "You have pets already."
    assert say(stack, fake, "/categories add").startswith("A category needs a name")
    renamed = say(stack, fake, "/categories rename dining -> Eating Out")
    assert renamed == "Renamed dining to eating out."
    assert say(stack, fake, "/categories rename coffee tea") == (
        "coffee is not one of your categories. /categories lists them."
    )
    assert say(stack, fake, "/categories rename dining").startswith("Tell me the old name")
    assert say(stack, fake, "/categories remove").startswith("Which one?")
    assert say(stack, fake, "/categories frobnicate").startswith("/categories add pets")
    listing = say(stack, fake, "/categories")
    assert "The default list" not in listing
    assert listing.splitlines()[1:3] == ["• eating out", "• pets"]  # their own first
    assert "• dining" not in listing

    # A budget on a category of several words; one not in the list is refused.
    assert say(stack, fake, "/budget eating out 10 MYR").startswith("Budget for eating out: MYR")
    assert "not one of your categories" in say(stack, fake, "/budget dining 10 MYR")

    # A caption naming the user's own category is the receipt's category (MYR 9.00).
    file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
    update = fake.photo_update(
        chat_id=CHAT, user_id=CHAT, file_id=file_id, caption="Eating out with Ana"
    )
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: "🏷 eating out" in card(f)[1], timeout=120)
    assert the_receipt(stack).category == "eating out"
    fake.wait_for(
        lambda f: any("90% of your eating out budget" in t for t in f.messages(CHAT).values()),
        timeout=10,
    )

    # Renaming carries the receipt and the budget along.
    assert say(stack, fake, "/categories rename eating out meals") == (
        "Renamed eating out to meals. Moved with it: its 1 receipt. So did its budget."
    )
    assert the_receipt(stack).category == "meals"
    assert budgets(stack) == ["meals"]
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 2018-12"))
    fake.wait_for(
        lambda f: any("meals: MYR 9.00 of MYR 10.00 (90%)" in t for t in f.messages(CHAT).values()),
        timeout=30,
    )

    # The picker offers the user's list, their own first, the current one marked.
    message_id, _ = card(fake)
    press(
        stack, fake, chat=CHAT, message_id=message_id, data=buttons(fake, message_id)["🏷 Category"]
    )
    fake.wait_for(lambda f: "pets" in buttons(f, message_id), timeout=10)
    picker = buttons(fake, message_id)
    assert list(picker)[:3] == ["• meals", "pets", "groceries"]
    assert "dining" not in picker and "eating out" not in picker
    press(stack, fake, chat=CHAT, message_id=message_id, data=picker["pets"])
    fake.wait_for(lambda f: "🏷 pets" in f.messages(CHAT)[message_id], timeout=10)
    assert the_receipt(stack).category == "pets"

    # Removing keeps the receipt, uncategorised, and says so.
    assert say(stack, fake, "/categories remove pets") == (
        "Removed pets. Kept: its 1 receipt, now without a category "
        "(🏷 Category on a receipt sets one)."
    )
    assert the_receipt(stack).category is None

    # A picker button of a removed category picks nothing else: the picker comes back.
    answered = len(fake.calls_for("answerCallbackQuery"))
    press(stack, fake, chat=CHAT, message_id=message_id, data=picker["pets"])
    fake.wait_for(lambda f: len(f.calls_for("answerCallbackQuery")) > answered, timeout=10)
    last = fake.calls_for("answerCallbackQuery")[-1]
    assert last.params.get("text") == "That category no longer exists: pick another."
    # The picker comes back in an edit after the answer: waited for, not read at once.
    fake.wait_for(
        lambda f: "pets" not in buttons(f, message_id) and "meals" in buttons(f, message_id),
        timeout=10,
    )
    assert the_receipt(stack).category is None

    # Back to the defaults: the own category and its budget go, and the reply says so.
    assert say(stack, fake, "/categories reset") == (
        "Back to the default list. Removed: meals. Budgets removed: meals."
    )
    assert budgets(stack) == []
    assert "The default list" in say(stack, fake, "/categories")
    assert say(stack, fake, "/categories reset") == "You have the default list already."


def test_replies_quoting_a_long_name_stay_within_telegrams_limit(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """A name of thousands of characters is quoted cut, not whole (twice, for /budget)."""
    long = "x" * 4000

    assert say(stack, fake, f"/categories remove {long}") == (
        "x" * 50 + "… is not one of your categories. /categories lists them."
    )
    assert say(stack, fake, f"/budget {long} 10 EUR").startswith("x" * 50 + "… is not one of")
