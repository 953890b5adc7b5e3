"""Fair use: a user over the receipt rate limit gets a polite answer and nothing is saved; a
"Try again" counts toward the same limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.contracts import ErrorCode, ReceiptStatus
from core.db.models import Receipt
from core.users.repository import UserRepository
from devstack.stack import LocalStack, fake_telegram_options
from tests.e2e.conftest import (
    document_update,
    new_fake,
    png,
    post_update,
    press,
    receipts_of_chat,
)
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

CHAT = 7301


def test_second_receipt_over_the_limit_is_refused_politely(database_url: str) -> None:
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"receipt_rate_limits": [(600, 1)]},
        )
        with LocalStack(options) as stack:
            for color in ("white", "gray"):
                update = document_update(
                    fake, png(color), chat=CHAT, file_name=f"{color}.png", mime_type="image/png"
                )
                assert post_update(stack, update).status_code == 200
                fake.wait_for(lambda f: len(f.calls_for("sendMessage", CHAT)) >= 1, timeout=30)
            fake.wait_for(
                lambda f: any("a lot of receipts" in t for t in f.messages(CHAT).values()),
                timeout=30,
            )
            assert len(receipts_of_chat(stack, CHAT)) == 1


def test_try_again_counts_toward_the_receipt_rate_limit(database_url: str) -> None:
    """GIVEN three receipts of yesterday that failed for a reason a second reading can fix, and a
    limit of two receipts per ten minutes: two presses of "Try again" use it up; the third is
    refused politely (the receipt stays as it is), and so is a new receipt."""
    chat = CHAT + 1
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            run_worker=False,  # the retried receipts stay queued
            extra_api={"receipt_rate_limits": [(600, 2)]},
        )
        with LocalStack(options) as stack:
            assert stack.container is not None
            container = stack.container
            bucket = container.settings.raw_bucket
            yesterday = datetime.now(UTC) - timedelta(days=1)
            with container.session_factory.begin() as s:
                user = UserRepository(s).upsert_telegram_user(telegram_user_id=chat, chat_id=chat)
                rows = [
                    stored_receipt(
                        user_id=user.id,
                        raw_bucket=bucket,
                        telegram_chat_id=chat,
                        status=ReceiptStatus.FAILED.value,
                        error_code=ErrorCode.TIMEOUT.value,
                        error_message="Reading this receipt took too long.",
                        created_at=yesterday,
                    )
                    for _ in range(3)
                ]
                s.add_all(rows)
                s.flush()
                ids = [r.id for r in rows]
                for r in rows:
                    container.store.put(
                        bucket=bucket, key=r.raw_key, body=png(), content_type="image/png"
                    )

            for n, rid in enumerate(ids, 1):
                text = f"/receipt {rid.hex[:8]}"
                post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
                fake.wait_for(lambda f, n=n: len(f.calls_for("sendMessage", chat)) == n, 10)
                call = fake.calls_for("sendMessage", chat)[-1]
                message_id = max(fake.messages(chat))
                (retry,) = [
                    b["callback_data"]
                    for row in call.params["reply_markup"]["inline_keyboard"]
                    for b in row
                    if "Try" in b["text"]
                ]
                press(stack, fake, chat=chat, message_id=message_id, data=retry)
                fake.wait_for(lambda f, n=n: len(f.calls_for("answerCallbackQuery")) == n, 10)

            answers = [c.params for c in fake.calls_for("answerCallbackQuery")]
            assert [a.get("text") for a in answers[:2]] == ["Reading it again…"] * 2
            refused = answers[2]
            assert "a lot of receipts" in str(refused["text"])
            assert "at most 2 receipts per 10 minutes" in str(refused["text"])
            assert refused.get("show_alert") is True
            with container.session_factory() as s:
                states = [(r.status, r.attempt) for r in (s.get_one(Receipt, rid) for rid in ids)]
            assert states == [("queued", 2), ("queued", 2), ("failed", 1)]

            # The retries took the room a new receipt would have had.
            update = document_update(
                fake, png("gray"), chat=chat, file_name="new.png", mime_type="image/png"
            )
            assert post_update(stack, update).status_code == 200
            fake.wait_for(
                lambda f: any("a lot of receipts" in t for t in f.messages(chat).values()),
                timeout=30,
            )
            assert len(receipts_of_chat(stack, chat)) == 3
