"""Buttons and commands on a processed receipt, through the real bot and the fake Telegram:
confirm, delete (with confirmation; the S3 objects go too), /recent, /receipt, the same file sent
twice, and nobody acting on somebody else's receipt."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.db.models import Receipt, User
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import (
    SAMPLE,
    final_card,
    post_update,
    press,
    receipts_of_chat,
    send_photo,
)

pytestmark = pytest.mark.e2e

OWNER = 7101
STRANGER = 7102


def card_message(fake: FakeTelegram, chat: int) -> tuple[int, dict]:
    """The id and reply markup of the summary card in ``chat``."""
    for message_id, text in fake.messages(chat).items():
        if text.startswith("🧾"):
            msg = fake.message(chat, message_id)
            return message_id, msg.get("reply_markup", {})
    raise AssertionError(f"no card in chat {chat}: {fake.messages(chat)}")


def button(markup: dict, label_start: str) -> str:
    for row in markup.get("inline_keyboard", []):
        for b in row:
            if b["text"].startswith(label_start):
                return str(b["callback_data"])
    raise AssertionError(f"no button {label_start!r} in {markup}")


def ask_to_fix(stack: LocalStack, fake: FakeTelegram, field: str) -> tuple[int, dict, int, str]:
    """Press ✏️ Fix on the owner's card, then the ``field`` button: (card message id, the field
    picker's markup, messages sent before the question, the question's text)."""
    message_id, markup = card_message(fake, OWNER)
    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(markup, "✏️"))
    fake.wait_for(
        lambda f: "Back" in str(f.message(OWNER, message_id).get("reply_markup")), timeout=10
    )
    picker = fake.message(OWNER, message_id)["reply_markup"]
    sent = len(fake.calls_for("sendMessage", OWNER))
    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(picker, field))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", OWNER)) == sent + 1, timeout=10)
    return message_id, picker, sent, str(fake.calls_for("sendMessage", OWNER)[-1].params["text"])


def answers(fake: FakeTelegram) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("answerCallbackQuery")]


@pytest.fixture(scope="module")
def processed(stack: LocalStack, fake: FakeTelegram) -> None:
    send_photo(stack, fake, SAMPLE, OWNER)
    fake.wait_for(lambda f: final_card(f, OWNER) is not None, timeout=120)
    # The stranger exists as a user too (sent /start).
    post_update(stack, fake.text_update(chat_id=STRANGER, user_id=STRANGER, text="/start"))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", STRANGER)) == 1, timeout=10)


def test_card_has_confirm_and_delete_buttons_and_confirm_marks_it(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    message_id, markup = card_message(fake, OWNER)
    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(markup, "✅"))

    fake.wait_for(lambda f: "confirmed" in f.messages(OWNER)[message_id], timeout=10)
    (receipt,) = receipts_of_chat(stack, OWNER)
    assert receipt.confirmed_at is not None
    _, markup = card_message(fake, OWNER)
    assert all(not b["text"].startswith("✅") for row in markup["inline_keyboard"] for b in row)


def test_stranger_cannot_act_on_the_receipt_even_with_valid_data(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    message_id, markup = card_message(fake, OWNER)
    before = len(answers(fake))
    # The stranger replays the owner's (validly signed) delete-confirmation data.
    delete = button(markup, "🗑")
    yes = delete.replace("del:", "dy:", 1)  # signature no longer matches: rejected as well
    press(stack, fake, chat=STRANGER, user=STRANGER, message_id=message_id, data=delete)
    press(stack, fake, chat=STRANGER, user=STRANGER, message_id=message_id, data=yes)

    fake.wait_for(lambda f: len(answers(f)) >= before + 2, timeout=10)
    assert answers(fake)[before:] == [
        "That receipt no longer exists.",
        "This button is no longer valid.",
    ]
    assert len(receipts_of_chat(stack, OWNER)) == 1


def test_recent_and_receipt_commands(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    (receipt,) = receipts_of_chat(stack, OWNER)
    sent = len(fake.calls_for("sendMessage", OWNER))
    post_update(stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text="/recent"))
    post_update(
        stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text=f"/receipt {receipt.short_id}")
    )
    post_update(
        stack,
        fake.text_update(chat_id=STRANGER, user_id=STRANGER, text=f"/receipt {receipt.short_id}"),
    )

    fake.wait_for(lambda f: len(f.calls_for("sendMessage", OWNER)) >= sent + 2, timeout=10)
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", STRANGER)) >= 2, timeout=10)
    texts = [str(c.params["text"]) for c in fake.calls_for("sendMessage", OWNER)[sent:]]
    recent = next(t for t in texts if "latest receipts" in t)
    assert receipt.short_id in recent and "9.00" in recent
    assert any(t.startswith("🧾") and "9.00" in t for t in texts)
    stranger_reply = str(fake.calls_for("sendMessage", STRANGER)[-1].params["text"])
    assert "found no receipt" in stranger_reply


def test_same_file_again_is_recognised(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    send_photo(stack, fake, SAMPLE, OWNER)
    fake.wait_for(
        lambda f: any("exact file before" in t for t in f.messages(OWNER).values()), timeout=30
    )
    assert len(receipts_of_chat(stack, OWNER)) == 1


def test_fix_a_field_by_typing_it(stack: LocalStack, fake: FakeTelegram, processed: None) -> None:
    message_id, _picker, sent, prompt = ask_to_fix(stack, fake, "Total")
    assert "Send me the total" in prompt

    for text, replies in (("about nine", sent + 2), ("12,50", sent + 3)):
        post_update(stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text=text))
        fake.wait_for(lambda f, n=replies: len(f.calls_for("sendMessage", OWNER)) == n, timeout=10)
    answers_sent = [str(c.params["text"]) for c in fake.calls_for("sendMessage", OWNER)[sent + 1 :]]
    assert "doesn't look right" in answers_sent[0]
    assert "Updated" in answers_sent[1] and "12.50" in answers_sent[1]
    fake.wait_for(lambda f: "12.50" in f.messages(OWNER)[message_id], timeout=10)
    (receipt,) = receipts_of_chat(stack, OWNER)
    assert str(receipt.total) == "12.50"
    assert receipt.confidence is not None and receipt.confidence["total"] == 1.0

    # The question is answered: more text is just text, and /cancel has nothing to cancel.
    post_update(stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text="99.99"))
    post_update(stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text="/cancel"))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", OWNER)) == sent + 5, timeout=10)
    (again,) = receipts_of_chat(stack, OWNER)
    assert str(again.total) == "12.50"


def test_typing_a_category_shows_the_users_list(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    message_id, picker, sent, prompt = ask_to_fix(stack, fake, "Category")
    assert "Send me the category" in prompt
    assert "Yours: " in prompt and "groceries" in prompt
    post_update(stack, fake.text_update(chat_id=OWNER, user_id=OWNER, text="/cancel"))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", OWNER)) == sent + 2, timeout=10)
    # Back to the card, as the tests after this one expect it.
    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(picker, "«"))
    fake.wait_for(
        lambda f: "🏷" in str(f.message(OWNER, message_id).get("reply_markup")), timeout=10
    )


def test_category_picker_sets_the_category(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    message_id, markup = card_message(fake, OWNER)
    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(markup, "🏷"))
    fake.wait_for(
        lambda f: "groceries" in str(f.message(OWNER, message_id).get("reply_markup")), timeout=10
    )
    picker = fake.message(OWNER, message_id)["reply_markup"]
    # The receipt got a category by itself (a bookshop's: shopping); the picker marks it.
    assert button(picker, "• shopping")
    press(
        stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(picker, "services")
    )
    fake.wait_for(lambda f: "🏷 services" in f.messages(OWNER)[message_id], timeout=10)
    (receipt,) = receipts_of_chat(stack, OWNER)
    assert receipt.category == "services"


def test_delete_asks_then_removes_rows_and_files(
    stack: LocalStack, fake: FakeTelegram, processed: None
) -> None:
    (receipt,) = receipts_of_chat(stack, OWNER)
    store = S3Store(AwsClients(stack.worker_settings))
    processed_key = f"processed/{receipt.id}.json"
    assert store.exists(bucket=receipt.raw_bucket, key=receipt.raw_key)
    assert store.exists(bucket=stack.worker_settings.processed_bucket, key=processed_key)
    message_id, markup = card_message(fake, OWNER)

    press(stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(markup, "🗑"))
    fake.wait_for(lambda f: "cannot be undone" in f.messages(OWNER)[message_id], timeout=10)
    ask_markup = fake.message(OWNER, message_id)["reply_markup"]
    press(
        stack, fake, chat=OWNER, user=OWNER, message_id=message_id, data=button(ask_markup, "Yes")
    )

    fake.wait_for(lambda f: "deleted" in f.messages(OWNER)[message_id], timeout=10)
    assert receipts_of_chat(stack, OWNER) == []
    assert not store.exists(bucket=receipt.raw_bucket, key=receipt.raw_key)
    assert not store.exists(bucket=stack.worker_settings.processed_bucket, key=processed_key)
    assert stack.container is not None
    with stack.container.session_factory() as s:
        assert (
            s.scalar(select(func.count()).select_from(Receipt).where(Receipt.id == receipt.id)) == 0
        )


def test_settings_validate_and_store_currency_and_time_zone(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = 7150
    commands = [
        "/settings currency eur",
        "/settings currency XYZ",
        "/settings timezone europe/berlin",
        "/settings timezone Mars/Olympus",
        "/settings",
    ]
    for i, text in enumerate(commands):
        post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
        fake.wait_for(lambda f, i=i: len(f.calls_for("sendMessage", chat)) == i + 1, timeout=10)
    replies = [str(c.params["text"]) for c in fake.calls_for("sendMessage", chat)]
    assert "EUR" in replies[0] and "Saved" in replies[0]
    assert "not a currency" in replies[1]
    assert "Europe/Berlin" in replies[2]
    assert "not a time zone" in replies[3]
    assert "EUR" in replies[4] and "Europe/Berlin" in replies[4]
    assert stack.container is not None
    with stack.container.session_factory() as s:
        user = s.scalars(select(User).where(User.telegram_user_id == chat)).one()
        assert (user.default_currency, user.timezone) == ("EUR", "Europe/Berlin")
