"""The bot in its own process (``TELEGRAM_HANDLER=process``, as deployed for load): the API only
stores the webhook's updates and the bot process takes them from the inbox. Real processes,
killed for real: ``receiptsnap api`` and ``receiptsnap bot`` as children, SIGKILL to the bot.

Whatever the moment of the kill (the photo's download, its upload to S3, the receipt's row or
the job on the queue may or may not have happened), every acknowledged update is handled once
the bot is back, and each photo ends as exactly one receipt with exactly one card."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot import i18n, texts
from core.db.models import Receipt, TelegramUpdate
from core.db.session import make_engine
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, post_update

pytestmark = pytest.mark.e2e

# 87xx: the inbox and the outbox (see tests/e2e/conftest.py); 875x this module.
HELP, WHILE_DEAD, PHOTO = 8750, 8751, 8752
CARD_MARKS = ("🧾", "❌")


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token,
        fake.url,
        database_url=database_url,
        queue_visibility_timeout=5,
        api_process=True,
        bot_process=True,
    )
    with LocalStack(options) as s:
        yield s


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def replies(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def card_sends(fake: FakeTelegram, chat: int) -> int:
    calls = fake.calls_for("sendMessage", chat) + fake.calls_for("editMessageText", chat)
    return sum(str(c.params.get("text", "")).startswith(CARD_MARKS) for c in calls)


def test_the_bot_process_answers_what_the_webhook_stored(
    stack: LocalStack, fake: FakeTelegram, engine: Engine
) -> None:
    update = fake.text_update(chat_id=HELP, user_id=HELP, text="/help")
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", HELP)) == 1, timeout=60)
    assert replies(fake, HELP)[0].startswith(texts.HELP.split("\n", 1)[0])
    # The "/" menu was published once per language, by the bot process only (not the API too)
    assert len(fake.calls_for("setMyCommands")) == len(i18n.LANGUAGES)

    def stored() -> Any:
        with engine.connect() as conn:
            return conn.execute(
                select(TelegramUpdate.handled_at, TelegramUpdate.attempts).where(
                    TelegramUpdate.update_id == update["update_id"]
                )
            ).one()

    # Marked handled once the handler returned, a moment after its reply (on a loaded machine,
    # after this test looked): waited for.
    fake.wait_for(lambda _f: stored().handled_at is not None, timeout=10)
    row = stored()
    assert row.handled_at is not None and row.attempts == 1  # taken once, by the bot process


def test_updates_wait_in_the_inbox_while_the_bot_is_dead_and_a_kill_mid_photo_loses_nothing(
    stack: LocalStack, fake: FakeTelegram, engine: Engine
) -> None:
    """GIVEN the bot process killed (SIGKILL) while it downloads a photo (its receipt reserved,
    its status message sent), and a /help sent while no bot process runs
    WHEN the bot process starts again
    THEN the webhook still answered 200 meanwhile, the /help is answered once, and the photo is
    one receipt with one card."""
    file_id = fake.add_file(SAMPLE.read_bytes(), file_name="r.jpg", mime_type="image/jpeg")
    photo = fake.photo_update(chat_id=PHOTO, user_id=PHOTO, file_id=file_id)
    fake.hold_downloads()
    try:
        assert post_update(stack, photo).status_code == 200
        # Killed in the middle of the capture: the receipt reserved, the status message sent,
        # the file's download under way.
        fake.wait_for(lambda f: f.downloads_waiting >= 1, timeout=30)
        stack.kill("bot")
    finally:
        fake.release_downloads()

    help_update = fake.text_update(chat_id=WHILE_DEAD, user_id=WHILE_DEAD, text="/help")
    assert post_update(stack, help_update).status_code == 200  # stored: the API does not wait
    assert not fake.calls_for("sendMessage", WHILE_DEAD)

    stack.restart("bot")  # at start it takes every update not handled
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", WHILE_DEAD)) >= 1, timeout=30)
    fake.wait_for(lambda f: card_sends(f, PHOTO) >= 1, timeout=120)
    time.sleep(1.0)  # a second card or reply would follow the first within moments
    with engine.connect() as conn:
        receipts = conn.execute(
            select(Receipt.status).where(Receipt.telegram_chat_id == PHOTO)
        ).all()
        unhandled = conn.scalar(
            select(func.count())
            .select_from(TelegramUpdate)
            .where(
                TelegramUpdate.update_id.in_([photo["update_id"], help_update["update_id"]]),
                TelegramUpdate.handled_at.is_(None),
            )
        )
    assert [r.status for r in receipts] == ["done"]
    with engine.connect() as conn:
        takings = conn.scalar(
            select(TelegramUpdate.attempts).where(TelegramUpdate.update_id == photo["update_id"])
        )
    assert takings == 2  # the dead process's, then the new one's
    assert len(replies(fake, WHILE_DEAD)) == 1
    assert card_sends(fake, PHOTO) == 1
    assert unhandled == 0
