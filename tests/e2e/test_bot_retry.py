"""A receipt that failed for a reason a second reading can fix gets a "Try again" button; pressing
it reads the stored file again (no re-upload) and the card turns into the summary."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot.keyboards import card
from core.contracts import ErrorCode, ReceiptStatus
from core.db.models import Receipt
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update, send_photo

pytestmark = pytest.mark.e2e

CHAT = 7401


def test_retry_reads_the_stored_file_again(stack: LocalStack, fake: FakeTelegram) -> None:
    send_photo(stack, fake, SAMPLE, CHAT)
    fake.wait_for(lambda f: final_card(f, CHAT) is not None, timeout=120)
    assert stack.container is not None
    # As the sweeper leaves a receipt whose processing never came back.
    with stack.container.session_factory.begin() as s:
        receipt = s.scalars(select(Receipt).where(Receipt.telegram_chat_id == CHAT)).one()
        receipt.status = ReceiptStatus.FAILED.value
        receipt.error_code = ErrorCode.TIMEOUT.value
        receipt.error_message = "Reading this receipt took too long."
        rid = receipt.id
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text=f"/receipt {rid.hex[:8]}"))
    fake.wait_for(lambda f: any(t.startswith("❌") for t in f.messages(CHAT).values()), timeout=10)
    message_id = next(m for m, t in fake.messages(CHAT).items() if t.startswith("❌"))
    markup = fake.message(CHAT, message_id)["reply_markup"]
    (retry,) = [
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if "Try" in b["text"]
    ]
    uploads_before = len(fake.calls_for("getFile"))

    update = fake.callback_query_update(
        chat_id=CHAT, user_id=CHAT, message_id=message_id, data=retry
    )
    assert post_update(stack, update).status_code == 200

    fake.wait_for(lambda f: f.messages(CHAT)[message_id].startswith("🧾"), timeout=120)
    assert "9.00" in fake.messages(CHAT)[message_id]
    assert len(fake.calls_for("getFile")) == uploads_before  # nothing downloaded again
    with stack.container.session_factory() as s:
        again = s.get(Receipt, rid)
        assert again is not None
        assert (again.status, again.attempt, again.error_code) == ("done", 2, None)


def test_no_retry_button_for_failures_a_second_reading_cannot_fix() -> None:
    row = Receipt(id=uuid.uuid4(), status="failed", error_code=ErrorCode.NOT_A_RECEIPT.value)
    labels = [b.text for r in card(row, key=b"k").inline_keyboard for b in r]
    assert labels == ["🗑 Delete"]
