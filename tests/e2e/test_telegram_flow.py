"""The whole path on loopback: a Telegram update with a real receipt photo is POSTed to the
webhook; the real bot downloads it from a fake Bot API server, uploads it to moto's S3, queues the
job on moto's SQS; the real worker runs the processor (local OCR + rules) and calls back; the bot
edits its status message into the summary."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.aws.clients import AwsClients
from core.aws.sqs import JobQueue
from core.contracts import ProcessingJob
from core.db.models import ProcessingAttempt, TelegramUpdate
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import (
    CHAT,
    SAMPLE,
    document_update,
    final_card,
    post_update,
    receipts_of_chat,
    send_photo,
)

pytestmark = pytest.mark.e2e


def test_photo_of_real_receipt_gets_summary_with_total_and_date(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    send_photo(stack, fake, SAMPLE, CHAT)

    fake.wait_for(lambda f: final_card(f, CHAT) is not None, timeout=120)

    card = final_card(fake, CHAT)
    assert card is not None
    key = json.loads(SAMPLE.with_name(SAMPLE.stem + ".key.json").read_text())
    assert key["total"] == "9.00" and key["date"] == "25/12/2018"
    assert "9.00" in card
    assert "2018-12-25" in card
    # One status message, edited: received -> reading -> summary.
    assert len(fake.messages(CHAT)) == 1
    edits = [str(c.params["text"]) for c in fake.calls_for("editMessageText", CHAT)]
    stages = [next(k for k in ("queue", "Reading", "Understanding", "🧾") if k in t) for t in edits]
    assert stages == ["queue", "Reading", "Understanding", "🧾"]


def test_wrong_webhook_secret_is_403(stack: LocalStack, fake: FakeTelegram) -> None:
    update = fake.text_update(chat_id=CHAT + 1, user_id=CHAT + 1, text="/start")
    response = post_update(stack, update, secret="wrong")
    assert response.status_code == 403
    assert fake.calls_for("sendMessage", CHAT + 1) == []


def test_duplicate_update_is_handled_once(stack: LocalStack, fake: FakeTelegram) -> None:
    chat = CHAT + 2
    update = fake.text_update(chat_id=chat, user_id=chat, text="/start")
    assert post_update(stack, update).status_code == 200
    assert post_update(stack, update).status_code == 200

    fake.wait_for(lambda f: len(f.calls_for("sendMessage", chat)) >= 1, timeout=10)
    assert stack.container is not None
    with stack.container.session_factory() as s:
        count = s.scalar(
            select(func.count())
            .select_from(TelegramUpdate)
            .where(TelegramUpdate.update_id == update["update_id"])
        )
    assert count == 1
    import time

    time.sleep(0.5)
    assert len(fake.calls_for("sendMessage", chat)) == 1
    assert "ReceiptSnap" in fake.calls_for("sendMessage", chat)[0].params["text"]


def test_duplicate_sqs_message_gives_one_receipt_and_one_reply(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = CHAT + 3
    send_photo(stack, fake, SAMPLE, chat)
    fake.wait_for(lambda f: final_card(f, chat) is not None, timeout=120)
    assert stack.container is not None
    (receipt,) = receipts_of_chat(stack, chat)
    edits_before = len(fake.calls_for("editMessageText", chat))

    # At-least-once delivery: the same job arrives again.
    settings = stack.worker_settings
    job = ProcessingJob(
        receipt_id=receipt.id,
        bucket=receipt.raw_bucket,
        key=receipt.raw_key,
        content_type=receipt.content_type,
        size=receipt.size_bytes or 1,
    )
    JobQueue(AwsClients(settings), queue_name=settings.queue_name).send_job(job)

    def repeat_seen(_: FakeTelegram) -> bool:
        with stack.container.session_factory() as s:  # type: ignore[union-attr]
            return (
                s.scalar(
                    select(func.count())
                    .select_from(ProcessingAttempt)
                    .where(ProcessingAttempt.receipt_id == receipt.id)
                )
                == 2
            )

    fake.wait_for(repeat_seen, timeout=60)
    assert len(receipts_of_chat(stack, chat)) == 1
    assert len(fake.calls_for("editMessageText", chat)) == edits_before
    assert len(fake.messages(chat)) == 1


def test_unsupported_document_gets_clear_answer(stack: LocalStack, fake: FakeTelegram) -> None:
    chat = CHAT + 4
    update = document_update(
        fake, b"hello", chat=chat, file_name="notes.txt", mime_type="text/plain"
    )
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", chat)) == 1, timeout=10)
    assert "can't read this kind of file" in fake.calls_for("sendMessage", chat)[0].params["text"]


def test_polling_mode_runs_the_same_bot(fake: FakeTelegram, database_url: str) -> None:
    """Without a public URL the bot long-polls getUpdates; the rest of the path is the same."""
    options = fake_telegram_options(fake.token, fake.url, database_url=database_url, mode="polling")
    chat = CHAT + 10
    with LocalStack(options):
        file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
        fake.pending_updates.append(fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id))
        fake.wait_for(lambda f: final_card(f, chat) is not None, timeout=120)
    card = final_card(fake, chat)
    assert card is not None
    assert "9.00" in card
    assert "2018-12-25" in card
