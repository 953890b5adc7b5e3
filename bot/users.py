"""The user behind a Telegram message, registered (or refreshed) in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from telegram import Message
from telegram.constants import ChatType

from core.db.models import User
from core.users.repository import UserRepository


def register(session: Session, message: Message) -> User:
    """The sender's row, created on first contact; name and language kept current, and the
    private chat with the bot (``users.telegram_chat_id``, where personal messages go) when the
    message was sent there. A group never replaces a person's chat."""
    tg_user = message.from_user
    assert tg_user is not None
    return UserRepository(session).upsert_telegram_user(
        telegram_user_id=tg_user.id,
        chat_id=message.chat_id if message.chat.type == ChatType.PRIVATE else None,
        username=tg_user.username,
        first_name=tg_user.first_name,
        language_code=tg_user.language_code,
    )


def private_chat(user: User | None) -> int | None:
    """The user's private chat with the bot, if known: where personal messages (budget
    warnings) go; never a group's (a group's or a channel's id is negative, a private chat's is
    the user's own, positive)."""
    if user is None or user.telegram_chat_id is None or user.telegram_chat_id <= 0:
        return None
    return user.telegram_chat_id


def owner_language(session: Session, receipt_id: Any) -> str | None:
    """The language of the receipt's owner, as last seen from Telegram (None: unknown)."""
    return UserRepository(session).language_of_owner(receipt_id)
