"""The user behind a Telegram message, registered (or refreshed) in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Message

from core.db.models import User
from core.users.repository import UserRepository


def register(session: Session, message: Message) -> User:
    """The sender's row, created on first contact; chat, name and language kept current."""
    tg_user = message.from_user
    assert tg_user is not None
    return UserRepository(session).upsert_telegram_user(
        telegram_user_id=tg_user.id,
        chat_id=message.chat_id,
        username=tg_user.username,
        first_name=tg_user.first_name,
        language_code=tg_user.language_code,
    )
