"""The inbox of Telegram updates: stored before the webhook's 200, marked when handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.models import (
    TelegramUpdate,
)


class TelegramUpdateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, update_id: int, *, payload: dict[str, Any], now: datetime) -> bool:
        """Store the update; False when it was stored before (a redelivery).

        One ``INSERT ... ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite, the two databases the
        app runs on): no savepoint around it, so no extra round trips on the webhook's path."""
        insert = (
            postgresql.insert
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        statement = (
            insert(TelegramUpdate)
            .values(update_id=update_id, received_at=now, payload=payload)
            .on_conflict_do_nothing(index_elements=[TelegramUpdate.update_id])
        )
        result = self.session.execute(statement)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def mark_handled(self, update_id: int, *, now: datetime) -> None:
        """Handled: the payload (the user's message) is not kept past its use."""
        self.session.execute(
            update(TelegramUpdate)
            .where(TelegramUpdate.update_id == update_id, TelegramUpdate.handled_at.is_(None))
            .values(handled_at=now, payload=None)
        )

    def unhandled(self, *, received_before: datetime, limit: int) -> Sequence[TelegramUpdate]:
        """Updates acknowledged to Telegram but never handled, oldest first, locked (a second
        sweeper skips them)."""
        return self.session.scalars(
            select(TelegramUpdate)
            .where(
                TelegramUpdate.handled_at.is_(None),
                TelegramUpdate.received_at < received_before,
            )
            .order_by(TelegramUpdate.received_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
