"""Telegram updates already seen (a repeat delivery is dropped)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import (
    TelegramUpdate,
)


class TelegramUpdateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, update_id: int) -> bool:
        """Record ``update_id``; False when it was seen before (a redelivery)."""
        try:
            with self.session.begin_nested():
                self.session.add(TelegramUpdate(update_id=update_id, received_at=datetime.now(UTC)))
                self.session.flush()
        except IntegrityError:
            return False
        return True
