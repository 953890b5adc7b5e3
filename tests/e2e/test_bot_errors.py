"""What the user sees when something is off: every message says what happened and what to do."""

from __future__ import annotations

import pytest

from bot import texts
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import (
    SAMPLE,
    document_update,
    final_card,
    png,
    post_update,
    receipts_of_chat,
)

pytestmark = pytest.mark.e2e


def replies(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def test_file_over_telegrams_download_limit_is_refused_with_advice(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = 7601
    update = document_update(
        fake, b"%PDF-1.4 tiny", chat=chat, file_name="big.pdf", mime_type="application/pdf"
    )
    update["message"]["document"]["file_size"] = 25 * 1024 * 1024
    downloads = len(fake.calls_for("getFile"))
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: len(replies(f, chat)) == 1, timeout=10)
    assert "20 MB" in replies(fake, chat)[0] and "smaller" in replies(fake, chat)[0]
    assert len(fake.calls_for("getFile")) == downloads  # not even tried


def test_blank_photo_ends_with_a_reason_and_no_retry_button(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = 7602
    update = document_update(
        fake, png(size=(400, 600)), chat=chat, file_name="blank.png", mime_type="image/png"
    )
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: final_card(f, chat) is not None, timeout=60)
    card = final_card(fake, chat)
    assert card is not None and card.startswith("❌")
    assert "good light" in card  # what to do
    (message_id,) = fake.messages(chat)
    markup = fake.message(chat, message_id)["reply_markup"]
    assert [b["text"] for row in markup["inline_keyboard"] for b in row] == ["🗑 Delete"]


def test_forwarded_photo_is_read_like_any_other(stack: LocalStack, fake: FakeTelegram) -> None:
    chat = 7603
    file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
    update = fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)
    update["message"]["forward_origin"] = {
        "type": "user",
        "date": update["message"]["date"],
        "sender_user": {"id": 42, "is_bot": False, "first_name": "Bo"},
    }
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: final_card(f, chat) is not None, timeout=120)
    card = final_card(fake, chat)
    assert card is not None and "9.00" in card


def test_help_and_unknown_commands_get_answers(stack: LocalStack, fake: FakeTelegram) -> None:
    chat = 7604
    for i, text in enumerate(["/help", "/frobnicate", "hello there"]):
        post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
        fake.wait_for(lambda f, i=i: len(replies(f, chat)) == i + 1, timeout=10)
    help_text, unknown, text = replies(fake, chat)
    assert "/recent" in help_text and "/settings" in help_text
    assert "plain words" in help_text and "biggest purchase" in help_text.lower()
    assert unknown.startswith("I don't know /frobnicate.") and "/summary" in unknown
    assert "send me a photo" in text


@pytest.mark.parametrize(
    ("chat", "kind"),
    [(7605, "photo"), (7606, "document"), (7607, "document-size-unreported")],
)
def test_empty_file_is_answered_at_once_and_nothing_is_saved(
    stack: LocalStack, fake: FakeTelegram, chat: int, kind: str
) -> None:
    """GIVEN a file of 0 bytes (as Telegram reports it, or only once downloaded)
    THEN the user is told it is empty, no status is left "uploading…", no receipt is made."""
    if kind == "photo":
        file_id = fake.add_file(b"", mime_type="image/jpeg")
        update = fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)
    else:
        update = document_update(
            fake, b"", chat=chat, file_name="empty.pdf", mime_type="application/pdf"
        )
        if kind == "document-size-unreported":
            del update["message"]["document"]["file_size"]
    downloads = len(fake.calls_for("getFile"))

    assert post_update(stack, update).status_code == 200

    fake.wait_for(lambda f: texts.EMPTY_FILE in f.messages(chat).values(), timeout=10)
    assert list(fake.messages(chat).values()) == [texts.EMPTY_FILE]
    assert receipts_of_chat(stack, chat) == []
    if kind != "document-size-unreported":
        assert len(fake.calls_for("getFile")) == downloads  # not even downloaded


def test_program_named_like_a_photo_with_a_path_in_its_name_is_refused(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = 7608
    update = document_update(
        fake,
        b"MZ\x90\x00" + bytes(range(256)) * 8,
        chat=chat,
        file_name="../../../etc/receipt.jpg",
        mime_type="image/jpeg",
    )
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: final_card(f, chat) is not None, timeout=30)
    card = final_card(fake, chat)
    assert card is not None and card.startswith("❌") and "not a JPEG" in card
    [receipt] = receipts_of_chat(stack, chat)
    assert receipt.raw_key == f"users/{receipt.user_id}/{receipt.id}.jpg"  # the name is not a path
    assert receipt.file_name == "../../../etc/receipt.jpg"  # kept only as the user's label
