"""A user blocked by an admin: one polite reply per update, nothing processed or saved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.texts import BLOCKED
from core.db.models import User
from devstack.stack import LocalStack, fake_telegram_options
from tests.e2e.conftest import document_update, new_fake, png, post_update, receipts_of_chat

pytestmark = pytest.mark.e2e

CHAT = 7801


def test_blocked_user_gets_one_polite_reply_and_no_receipt(database_url: str) -> None:
    with new_fake() as fake:
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            assert stack.container is not None
            with stack.container.session_factory.begin() as s:
                s.add(
                    User(telegram_user_id=CHAT, telegram_chat_id=CHAT, blocked_at=datetime.now(UTC))
                )
            update = document_update(
                fake, png(), chat=CHAT, file_name="r.png", mime_type="image/png"
            )

            assert post_update(stack, update).status_code == 200

            fake.wait_for(lambda f: len(f.calls_for("sendMessage", CHAT)) >= 1, timeout=30)
            assert list(fake.messages(CHAT).values()) == [BLOCKED]
            assert receipts_of_chat(stack, CHAT) == []
