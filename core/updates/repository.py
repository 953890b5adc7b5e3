"""The inbox of Telegram updates: stored before the webhook's 200, marked when handled."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.models import (
    TelegramUpdate,
)

logger = logging.getLogger(__name__)

# Taken from the inbox at most this many times (a replay after the first handling died, or the
# bot process's takings); then the update is given up.
MAX_TAKES = 3


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

    def _bookkeeping(self) -> None:
        """This transaction's commit does not wait for its WAL to reach the disk (PostgreSQL's
        ``synchronous_commit``, for this transaction only): a crash of the database server may
        lose its last fraction of a second of such marks, which only hands those updates to a
        handler again (handlers are idempotent for replays). What a handler does in its own
        transactions, and the webhook's INSERT, stay durable on commit, and WAL is flushed in
        order: a mark that survived means the work before it did too. So each update costs one
        flush, the webhook's, instead of three: the acknowledgement does not queue behind the
        bot's flushes on the same disk (bench/load.py)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SET LOCAL synchronous_commit = off"))

    def mark_handled(self, update_id: int, *, now: datetime) -> None:
        """Handled: the payload (the user's message) is not kept past its use."""
        self._bookkeeping()
        self.session.execute(
            update(TelegramUpdate)
            .where(TelegramUpdate.update_id == update_id, TelegramUpdate.handled_at.is_(None))
            .values(handled_at=now, payload=None)
        )

    def take(
        self, *, now: datetime, stale_before: datetime, fresh: bool, limit: int
    ) -> list[dict[str, Any]]:
        """The payloads of updates not handled yet, for a handler to take, oldest first, each
        marked taken now: those taken (or, never taken, received) before ``stale_before``,
        whose handler died or hung, and with ``fresh`` those never taken at all (the bot in its
        own process takes every update from here). Rows are locked, so a second taker skips
        them. ``attempts`` counts the takings: past ``MAX_TAKES`` (or without a payload) an
        update is given up, marked handled, and logged as an error."""
        taken_or_received = func.coalesce(TelegramUpdate.taken_at, TelegramUpdate.received_at)
        due = taken_or_received < stale_before
        if fresh:
            due = or_(due, TelegramUpdate.taken_at.is_(None))
        rows = self.session.scalars(
            select(TelegramUpdate)
            .where(TelegramUpdate.handled_at.is_(None), due)
            .order_by(TelegramUpdate.received_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:  # the marks below are flushed at the commit
            self._bookkeeping()
        payloads = []
        for row in rows:
            if row.payload is None or row.attempts >= MAX_TAKES:
                logger.error("inbox.gave_up update_id=%s attempts=%d", row.update_id, row.attempts)
                row.handled_at, row.payload = now, None
                continue
            row.attempts += 1
            row.taken_at = now
            payloads.append(row.payload)
        return payloads
