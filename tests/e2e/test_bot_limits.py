"""Fair use: a user over the receipt rate limit gets a polite answer and nothing is saved."""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack, fake_telegram_options
from tests.e2e.conftest import document_update, new_fake, png, post_update, receipts_of_chat

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
