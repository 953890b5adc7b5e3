"""Fair use: a user over the receipt rate limit gets a polite answer and nothing is saved."""

from __future__ import annotations

import io
import secrets

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db.models import Receipt
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import post_update

pytestmark = pytest.mark.e2e

CHAT = 7301


def png(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 200), color).save(buf, format="PNG")
    return buf.getvalue()


def test_second_receipt_over_the_limit_is_refused_politely(database_url: str) -> None:
    with FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1) as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"receipt_rate_limits": [(600, 1)]},
        )
        with LocalStack(options) as stack:
            for color in ("white", "gray"):
                file_id = fake.add_file(png(color), file_name=f"{color}.png", mime_type="image/png")
                update = fake.document_update(
                    chat_id=CHAT,
                    user_id=CHAT,
                    file_id=file_id,
                    file_name=f"{color}.png",
                    mime_type="image/png",
                )
                assert post_update(stack, update).status_code == 200
                fake.wait_for(lambda f: len(f.calls_for("sendMessage", CHAT)) >= 1, timeout=30)
            fake.wait_for(
                lambda f: any("a lot of receipts" in t for t in f.messages(CHAT).values()),
                timeout=30,
            )
            assert stack.container is not None
            with stack.container.session_factory() as s:
                count = s.scalar(
                    select(func.count())
                    .select_from(Receipt)
                    .where(Receipt.telegram_chat_id == CHAT)
                )
            assert count == 1
