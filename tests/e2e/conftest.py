"""Shared end-to-end fixtures: the whole local stack with the real bot and a fake Telegram."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from core.db.models import Receipt
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "receipts" / "sroie_X00016469612.jpg"
# The e2e modules share one database: each uses its own chat/user ids (5001-5020 the flow,
# 71xx receipts, 73xx limits, 74xx retry, 75xx albums, 76xx errors, 77xx summary, 78xx blocked,
# 79xx budgets, 80xx categories, 81xx exports, 82xx groups (chat -1008200), 83xx hostile input,
# 84xx fixing fields, 85xx months and commands, 86xx validation and queue news, 87xx the inbox
# and the outbox: 8701-8725 test_inbox_outbox, 875x the bot process and killed processes; 88xx
# texts in the user's language; 89xx the home currency; 90xx the client API, 91xx shared
# ledgers (group chat -1009100), 92xx the Mini App (and its CLI), 93xx members leaving and
# shares (group chats -10093xx), 94xx the command line).
CHAT = 5001


def new_fake() -> FakeTelegram:
    """A fake Telegram whose update ids start at random. Update ids are unique per bot: each
    fake starts elsewhere, as the stacks of the modules share one database and its record of
    seen update ids."""
    return FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with new_fake() as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token, fake.url, database_url=database_url, queue_visibility_timeout=5
    )
    with LocalStack(options) as s:
        yield s


def post_update(stack: LocalStack, update: dict, *, secret: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{stack.api_url}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret or stack.webhook_secret},
        timeout=10,
    )


def final_card(fake: FakeTelegram, chat_id: int) -> str | None:
    for text in fake.messages(chat_id).values():
        if text.startswith(("🧾", "❌")):
            return text
    return None


def send_photo(stack: LocalStack, fake: FakeTelegram, path: Path, chat_id: int) -> dict:
    file_id = fake.add_file(path.read_bytes(), file_name=path.name, mime_type="image/jpeg")
    update = fake.photo_update(chat_id=chat_id, user_id=chat_id, file_id=file_id)
    assert post_update(stack, update).status_code == 200
    return update


def press(
    stack: LocalStack,
    fake: FakeTelegram,
    *,
    chat: int,
    message_id: int,
    data: str,
    user: int | None = None,
) -> None:
    """Press the button with callback ``data`` on message ``message_id`` in ``chat``, as ``user``
    (by default the chat's own user)."""
    update = fake.callback_query_update(
        chat_id=chat, user_id=chat if user is None else user, message_id=message_id, data=data
    )
    assert post_update(stack, update).status_code == 200


def png(color: str = "white", size: tuple[int, int] = (120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def document_update(
    fake: FakeTelegram, data: bytes, *, chat: int, file_name: str, mime_type: str
) -> dict:
    """The update of a file sent as a document in ``chat`` (by its own user); the fake serves it."""
    file_id = fake.add_file(data, file_name=file_name, mime_type=mime_type)
    return fake.document_update(
        chat_id=chat, user_id=chat, file_id=file_id, file_name=file_name, mime_type=mime_type
    )


def receipts_of_chat(stack: LocalStack, chat: int) -> list[Receipt]:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return list(s.scalars(select(Receipt).where(Receipt.telegram_chat_id == chat)))
