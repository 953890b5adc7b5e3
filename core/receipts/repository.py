"""Receipts, their line items, attempts, albums and pending edits: every query of the feature."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, and_, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from core.aws.s3 import StoredObjects
from core.categories.repository import _merchant_key
from core.db.models import (
    AlbumMessage,
    LineItemRow,
    PendingEdit,
    PendingErasure,
    ProcessingAttempt,
    Receipt,
    ReceiptRetry,
    User,
)
from core.db.paging import after_row


class ReceiptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, receipt: Receipt) -> Receipt:
        self.session.add(receipt)
        self.session.flush()
        return receipt

    def get(self, receipt_id: uuid.UUID, *, for_update: bool = False) -> Receipt | None:
        stmt = (
            select(Receipt)
            .where(Receipt.id == receipt_id)
            .options(selectinload(Receipt.line_items))
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def get_for_user(self, receipt_id: uuid.UUID, *, user_id: int) -> Receipt | None:
        return self.session.scalar(
            select(Receipt)
            .where(Receipt.id == receipt_id, Receipt.user_id == user_id)
            .options(selectinload(Receipt.line_items))
        )

    def get_by_telegram_message(self, *, chat_id: int, message_id: int) -> Receipt | None:
        return self.session.scalar(
            select(Receipt).where(
                Receipt.telegram_chat_id == chat_id, Receipt.telegram_message_id == message_id
            )
        )

    def unnotified(
        self, *, finished_before: datetime, finished_since: datetime, limit: int
    ) -> Sequence[Receipt]:
        """Finished receipts of a chat whose card Telegram never accepted (the outbox)."""
        return self.session.scalars(
            select(Receipt)
            .where(
                Receipt.notified_at.is_(None),
                Receipt.status.in_(("done", "failed")),
                Receipt.telegram_chat_id.is_not(None),
                Receipt.completed_at < finished_before,
                Receipt.completed_at >= finished_since,
            )
            .order_by(Receipt.completed_at)
            .limit(limit)
        ).all()

    def mark_notified(
        self, receipt_id: uuid.UUID, *, at: datetime, message_id: int | None = None
    ) -> None:
        """Telegram accepted the card; ``message_id``: sent as a new message (the receipt had
        none in the chat: uploaded through the client API), which later changes edit."""
        values: dict[str, object] = {"notified_at": at}
        if message_id is not None:
            values["status_message_id"] = message_id
        self.session.execute(
            update(Receipt)
            .where(Receipt.id == receipt_id, Receipt.notified_at.is_(None))
            .values(**values)
        )

    def find_for_user_by_prefix(self, prefix: str, *, user_id: int) -> Sequence[Receipt]:
        """Receipts of this user whose id starts with ``prefix``, the short id shown in chats
        (up to 8 hex digits: the part before the first hyphen in PostgreSQL's text form)."""
        prefix = prefix.lower()
        if not 4 <= len(prefix) <= 8 or any(c not in "0123456789abcdef" for c in prefix):
            return []
        id_text = func.substr(cast(Receipt.id, String), 1, len(prefix))
        return self.session.scalars(
            select(Receipt)
            .where(Receipt.user_id == user_id, id_text == prefix)
            .options(selectinload(Receipt.line_items))
            .limit(5)
        ).all()

    def count_created_since(self, *, user_id: int, since: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(Receipt)
                .where(Receipt.user_id == user_id, Receipt.created_at >= since)
            )
            or 0
        )

    def count_retries_since(self, *, user_id: int, since: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(ReceiptRetry)
                .where(ReceiptRetry.user_id == user_id, ReceiptRetry.created_at >= since)
            )
            or 0
        )

    def record_retry(
        self, *, user_id: int, receipt_id: uuid.UUID, at: datetime, keep_since: datetime
    ) -> None:
        """One "Try again" of the user; their retries before ``keep_since`` (older than any
        rate-limit window) go."""
        self.session.execute(
            delete(ReceiptRetry).where(
                ReceiptRetry.user_id == user_id, ReceiptRetry.created_at < keep_since
            )
        )
        self.session.add(ReceiptRetry(user_id=user_id, receipt_id=receipt_id, created_at=at))
        self.session.flush()

    def find_same_file(self, *, user_id: int, sha256: str, exclude: uuid.UUID) -> Receipt | None:
        return self.session.scalars(
            select(Receipt)
            .where(
                Receipt.user_id == user_id,
                Receipt.sha256 == sha256,
                Receipt.id != exclude,
                Receipt.status != "failed",
            )
            .order_by(Receipt.created_at)
            .limit(1)
        ).first()

    def find_lookalike(self, receipt: Receipt) -> Receipt | None:
        """An earlier read receipt of the same user with the same merchant, day, total and
        currency (different currencies are never duplicates)."""
        if None in (receipt.merchant_name, receipt.purchase_date, receipt.total, receipt.currency):
            return None
        candidates = self.session.scalars(
            select(Receipt)
            .where(
                Receipt.user_id == receipt.user_id,
                Receipt.id != receipt.id,
                Receipt.status == "done",
                Receipt.purchase_date == receipt.purchase_date,
                Receipt.total == receipt.total,
                Receipt.currency == receipt.currency,
            )
            .order_by(Receipt.created_at)
            .limit(20)
        )
        key = _merchant_key(receipt.merchant_name)
        return next((c for c in candidates if _merchant_key(c.merchant_name) == key), None)

    def delete(self, receipt: Receipt) -> None:
        self.session.delete(receipt)
        self.session.flush()

    def page_for_user(
        self,
        *,
        user_id: int,
        where: ColumnElement[bool] | None = None,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int,
    ) -> Sequence[Receipt]:
        """The user's receipts, newest first by (created_at, id): keyset pagination, ``after``
        the last row of the page before; ``limit`` + 1 rows, to tell whether another page is."""
        stmt = select(Receipt).where(Receipt.user_id == user_id)
        if where is not None:
            stmt = stmt.where(where)
        if after is not None:
            stmt = stmt.where(after_row(Receipt.created_at, Receipt.id, after))
        return self.session.scalars(
            stmt.order_by(Receipt.created_at.desc(), Receipt.id.desc()).limit(limit + 1)
        ).all()

    def recent_for_user(self, *, user_id: int, limit: int = 10) -> Sequence[Receipt]:
        return self.session.scalars(
            select(Receipt)
            .where(Receipt.user_id == user_id)
            .order_by(Receipt.created_at.desc())
            .limit(limit)
        ).all()

    def currencies_by_use(self, *, user_id: int, limit: int) -> list[str]:
        """The currencies of the user's receipts, the most used first (then the latest)."""
        uses = func.count(Receipt.id)
        rows = self.session.execute(
            select(Receipt.currency)
            .where(Receipt.user_id == user_id, Receipt.currency.is_not(None))
            .group_by(Receipt.currency)
            .order_by(uses.desc(), func.max(Receipt.created_at).desc(), Receipt.currency)
            .limit(limit)
        )
        return [str(code) for (code,) in rows]

    def home_amounts_behind(
        self,
        *,
        user_id: int | None,
        home: str,
        everything: bool = False,
        ledger_id: int | None = None,
    ) -> Sequence[Receipt]:
        """The user's own read receipts (not a group ledger's; with ``ledger_id``: the
        ledger's) whose home amount is not in ``home`` yet, or has no rate (``everything``: all
        of them)."""
        behind = or_(
            Receipt.home_currency.is_(None),
            Receipt.home_currency != home,
            and_(
                Receipt.home_total.is_(None),
                Receipt.total.is_not(None),
                Receipt.currency.is_not(None),
            ),
        )
        return self.session.scalars(
            select(Receipt).where(
                Receipt.ledger_id == ledger_id
                if ledger_id is not None
                else and_(Receipt.user_id == user_id, Receipt.ledger_id.is_(None)),
                Receipt.status == "done",
                *(() if everything else (behind,)),
            )
        ).all()

    def all_with_items(self) -> Sequence[Receipt]:
        """Every receipt with its line items, oldest first (the demo's closing report)."""
        return self.session.scalars(
            select(Receipt).options(selectinload(Receipt.line_items)).order_by(Receipt.created_at)
        ).all()

    def stale(
        self, *, statuses: tuple[str, ...], column: str, before: datetime, limit: int
    ) -> Sequence[Receipt]:
        """Receipts in ``statuses`` whose ``column`` timestamp is older than ``before``, locked;
        rows another instance is sweeping are skipped."""
        ts = getattr(Receipt, column)
        stmt = (
            select(Receipt)
            .where(Receipt.status.in_(statuses), ts < before)
            .order_by(ts)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(stmt).all()

    def replace_line_items(self, receipt: Receipt, items: list[LineItemRow]) -> None:
        self.session.execute(delete(LineItemRow).where(LineItemRow.receipt_id == receipt.id))
        self.session.expire(receipt, ["line_items"])
        for item in items:
            item.receipt_id = receipt.id
            self.session.add(item)
        self.session.flush()

    def add_attempt(self, attempt: ProcessingAttempt) -> None:
        self.session.add(attempt)
        self.session.flush()

    def queue_state(self, receipt_id: uuid.UUID) -> tuple[str, datetime | None] | None:
        """The receipt's status and when it was queued (two columns, nothing else loaded)."""
        row = self.session.execute(
            select(Receipt.status, Receipt.queued_at).where(Receipt.id == receipt_id)
        ).first()
        return (row[0], row[1]) if row is not None else None

    def count_queued_before(self, queued_at: datetime) -> int:
        """Receipts waiting in the queue that were queued before ``queued_at`` (of every user:
        they share the processor). The index on (status, queued_at) answers it."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(Receipt)
                .where(Receipt.status == "queued", Receipt.queued_at < queued_at)
            )
            or 0
        )

    def recent_processing(self, *, limit: int) -> list[tuple[datetime, float]]:
        """The latest results applied as read: when each arrived and the processor's seconds for
        it (``timings.total``), newest first; walks the primary key backwards."""
        rows = self.session.execute(
            select(ProcessingAttempt.created_at, ProcessingAttempt.timings)
            .where(ProcessingAttempt.applied.is_(True), ProcessingAttempt.status == "done")
            .order_by(ProcessingAttempt.id.desc())
            .limit(limit)
        ).all()
        recent: list[tuple[datetime, float]] = []
        for created_at, timings in rows:
            seconds = (timings or {}).get("total")
            if isinstance(seconds, int | float) and seconds > 0:
                recent.append((created_at, float(seconds)))
        return recent


class ErasureRepository:
    """S3 objects still to erase (the erasure outbox)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, objects: StoredObjects) -> None:
        self.session.add(
            PendingErasure(
                objects={
                    "keys": [list(k) for k in objects.keys],
                    "prefixes": [list(p) for p in objects.prefixes],
                }
            )
        )
        self.session.flush()

    def due(self, *, created_before: datetime, limit: int) -> Sequence[PendingErasure]:
        return self.session.scalars(
            select(PendingErasure)
            .where(PendingErasure.created_at < created_before)
            .order_by(PendingErasure.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()

    def remove(self, row: PendingErasure) -> None:
        self.session.delete(row)
        self.session.flush()


def stored_objects(row: PendingErasure) -> StoredObjects:
    return StoredObjects(
        keys=tuple((str(b), str(k)) for b, k in row.objects.get("keys", [])),
        prefixes=tuple((str(b), str(p)) for b, p in row.objects.get("prefixes", [])),
    )


class AlbumRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, *, chat_id: int, media_group_id: str) -> bool:
        """True for the first receipt of the album: it sends the album's progress message."""
        try:
            with self.session.begin_nested():
                self.session.add(AlbumMessage(chat_id=chat_id, media_group_id=media_group_id))
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def set_message(self, *, chat_id: int, media_group_id: str, message_id: int) -> None:
        album = self.session.get(AlbumMessage, (chat_id, media_group_id))
        if album is not None:
            album.message_id = message_id
            self.session.flush()

    def get(self, *, chat_id: int, media_group_id: str) -> AlbumMessage | None:
        return self.session.get(AlbumMessage, (chat_id, media_group_id))

    def receipts(self, *, chat_id: int, media_group_id: str) -> Sequence[Receipt]:
        return self.session.scalars(
            select(Receipt)
            .where(Receipt.telegram_chat_id == chat_id, Receipt.media_group_id == media_group_id)
            .order_by(Receipt.created_at)
        ).all()


class PendingEditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, edit: PendingEdit) -> None:
        """The user's one pending edit (a newer question replaces an older one)."""
        self.session.execute(delete(PendingEdit).where(PendingEdit.user_id == edit.user_id))
        self.session.add(edit)
        self.session.flush()

    def get(self, *, user_id: int) -> PendingEdit | None:
        """The user's pending edit, locked (two answers at once: one of them takes it)."""
        return self.session.get(PendingEdit, user_id, with_for_update=True)

    def remove(self, edit: PendingEdit) -> None:
        self.session.delete(edit)
        self.session.flush()

    def remember_prompt(
        self, *, user_id: int, receipt_id: uuid.UUID, field: str, message_id: int
    ) -> None:
        """The message that asked the question (if it is still the user's question)."""
        self.session.execute(
            update(PendingEdit)
            .where(
                PendingEdit.user_id == user_id,
                PendingEdit.receipt_id == receipt_id,
                PendingEdit.field == field,
            )
            .values(prompt_message_id=message_id)
        )

    def set_aside(self, *, telegram_user_id: int, chat_id: int, now: datetime) -> bool:
        """The open question of the Telegram user in ``chat_id`` is set aside (a message that
        is no answer came); only a reply to its prompt answers it now. One statement."""
        user_ids = select(User.id).where(User.telegram_user_id == telegram_user_id)
        result = self.session.execute(
            update(PendingEdit)
            .where(
                PendingEdit.user_id.in_(user_ids),
                PendingEdit.chat_id == chat_id,
                PendingEdit.set_aside_at.is_(None),
                PendingEdit.expires_at > now,
            )
            .values(set_aside_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def end(self, *, user_id: int, receipt_id: uuid.UUID, field: str) -> PendingEdit | None:
        """The user's question about ``field`` of this receipt is answered (by a button): gone.
        Returns it (its prompt can be closed), or None if the user's question is another."""
        edit = self.session.get(PendingEdit, user_id, with_for_update=True)
        if edit is None or edit.receipt_id != receipt_id or edit.field != field:
            return None
        self.remove(edit)
        return edit

    def clear(self, *, user_id: int) -> bool:
        result = self.session.execute(delete(PendingEdit).where(PendingEdit.user_id == user_id))
        return bool(getattr(result, "rowcount", 0))
