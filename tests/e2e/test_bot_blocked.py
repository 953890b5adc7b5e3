"""A user blocked by an admin: one polite reply per update, nothing processed or saved."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.texts import BLOCKED
from core.db.models import Receipt, User
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import post_update

pytestmark = pytest.mark.e2e

CHAT = 7801


def test_blocked_user_gets_one_polite_reply_and_no_receipt(database_url: str) -> None:
    with FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1) as fake:
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            assert stack.container is not None
            with stack.container.session_factory.begin() as s:
                s.add(
                    User(telegram_user_id=CHAT, telegram_chat_id=CHAT, blocked_at=datetime.now(UTC))
                )
            buf = io.BytesIO()
            Image.new("RGB", (120, 200), "white").save(buf, format="PNG")
            file_id = fake.add_file(buf.getvalue(), file_name="r.png", mime_type="image/png")
            update = fake.document_update(
                chat_id=CHAT,
                user_id=CHAT,
                file_id=file_id,
                file_name="r.png",
                mime_type="image/png",
            )

            assert post_update(stack, update).status_code == 200

            fake.wait_for(lambda f: len(f.calls_for("sendMessage", CHAT)) >= 1, timeout=30)
            assert list(fake.messages(CHAT).values()) == [BLOCKED]
            with stack.container.session_factory() as s:
                count = s.scalar(
                    select(func.count())
                    .select_from(Receipt)
                    .where(Receipt.telegram_chat_id == CHAT)
                )
            assert count == 0
