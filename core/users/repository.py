"""Users: who they are on Telegram and their preferences."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import (
    Receipt,
    User,
)


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def lock(self, user_id: int) -> User | None:
        """The user's row, locked until the commit: what one user does one at a time (counting
        their receipts against the rate limit and taking a slot) waits here. SQLite has no row
        locks (FOR UPDATE is dropped): a write that changes nothing starts the transaction with
        the database's write lock instead (Python's sqlite3 begins a transaction at the first
        write), so a second one waits here too, and then reads what the first committed."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("UPDATE users SET id = id WHERE id = :id"), {"id": user_id})
        return self.session.scalar(select(User).where(User.id == user_id).with_for_update())

    def get_by_telegram_id(self, telegram_user_id: int) -> User | None:
        return self.session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))

    def upsert_telegram_user(
        self,
        *,
        telegram_user_id: int,
        chat_id: int | None,
        username: str | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> User:
        user = self.get_by_telegram_id(telegram_user_id)
        if user is None:
            user = User(telegram_user_id=telegram_user_id)
            try:
                with self.session.begin_nested():
                    self.session.add(user)
                    self.session.flush()
            except IntegrityError:  # created concurrently by another update of the same user
                user = self.get_by_telegram_id(telegram_user_id)
                assert user is not None
        if chat_id is not None:  # None: this update says nothing of the user's own chat
            user.telegram_chat_id = chat_id
        user.username = username
        user.first_name = first_name
        if language_code is not None:  # None: this update does not say (Telegram's is optional)
            user.language_code = language_code
        self.session.flush()
        return user

    def language_of_owner(self, receipt_id: uuid.UUID) -> str | None:
        """The language code last seen from the receipt's owner (None: unknown, or no receipt)."""
        return self.session.scalar(
            select(User.language_code)
            .join(Receipt, Receipt.user_id == User.id)
            .where(Receipt.id == receipt_id)
        )

    def update_preferences(
        self, user: User, *, default_currency: str | None = None, timezone: str | None = None
    ) -> User:
        if default_currency is not None:
            user.default_currency = default_currency
        if timezone is not None:
            user.timezone = timezone
        self.session.flush()
        return user
