"""Queries of the admin API (kept apart from the bot's repositories). They flush; the caller's
unit of work commits."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.contracts import ReceiptStatus
from core.db.models import (
    AdminAuditEntry,
    AlbumMessage,
    Ledger,
    LedgerMember,
    ProcessingAttempt,
    Receipt,
    RevokedAdminToken,
    User,
)
from core.db.paging import after_row
from core.errors import ReceiptSnapError


class InvalidCursor(ReceiptSnapError):
    status_code = 422
    code = "invalid_cursor"


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position: the (created_at, id) of the last row of the previous page."""

    created_at: datetime
    id: str

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            created, _, ident = raw.partition("|")
            return cls(created_at=datetime.fromisoformat(created), id=ident)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidCursor("the cursor is not one this API gave out") from exc


@dataclass(frozen=True, slots=True)
class ReceiptFilter:
    status: str | None = None
    user_id: int | None = None
    ledger_id: int | None = None
    merchant: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    error_code: str | None = None


class AdminUserQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def search(self, *, query: str | None, offset: int, limit: int) -> tuple[Sequence[User], int]:
        stmt: Select[User] = select(User)
        if query:
            q = query.strip()
            conditions = [
                func.lower(User.username).contains(q.lower().lstrip("@"), autoescape=True),
                func.lower(User.first_name).contains(q.lower(), autoescape=True),
            ]
            if q.isdigit() and len(q) <= 18:
                conditions.append(User.telegram_user_id == int(q))
            stmt = stmt.where(or_(*conditions))
        total = int(self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        rows = self.session.scalars(
            stmt.order_by(User.created_at.desc(), User.id.desc()).offset(offset).limit(limit)
        ).all()
        return rows, total

    def receipt_counts(self, user_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(Receipt.status, func.count())
            .where(Receipt.user_id == user_id)
            .group_by(Receipt.status)
        ).all()
        return {str(status): int(n) for status, n in rows}

    def receipt_keys(self, user_id: int) -> Sequence[tuple[uuid.UUID, str, str]]:
        rows = self.session.execute(
            select(Receipt.id, Receipt.raw_bucket, Receipt.raw_key).where(
                Receipt.user_id == user_id
            )
        ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def delete(self, user: User) -> None:
        """The user and everything of theirs (receipts, items, attempts, edits cascade), and
        nobody else's: an album row is keyed by chat and album, not by user, so only the albums of
        the user's own receipts go, and every album of their private chat with the bot (whose id
        is the user's Telegram id); a group's other albums stay."""
        own_album = (
            select(Receipt.id)
            .where(
                Receipt.user_id == user.id,
                Receipt.telegram_chat_id == AlbumMessage.chat_id,
                Receipt.media_group_id == AlbumMessage.media_group_id,
            )
            .exists()
        )
        private = (
            AlbumMessage.chat_id == user.telegram_user_id
            if user.telegram_user_id is not None
            else false()
        )
        self.session.execute(
            delete(AlbumMessage)
            .where(or_(own_album, private))
            .execution_options(synchronize_session=False)
        )
        self.session.execute(delete(Receipt).where(Receipt.user_id == user.id))
        self.session.delete(user)
        self.session.flush()


class AdminLedgerQueries:
    """The group ledgers, as admins see them (core/ledgers holds the balances)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def page(
        self, *, query: str | None, after: Cursor | None, limit: int
    ) -> tuple[Sequence[tuple[Ledger, int]], Cursor | None]:
        """Newest first, each with its number of current members; ``query``: the group's
        Telegram chat id or part of its title. ``limit`` rows after ``after`` and the cursor of
        the next page (keyset: a ledger made meanwhile never shifts a page)."""
        members = (
            select(func.count())
            .where(LedgerMember.ledger_id == Ledger.id, LedgerMember.left_at.is_(None))
            .correlate(Ledger)
            .scalar_subquery()
        )
        stmt = select(Ledger, members)
        if query:
            q = query.strip()
            conditions = [func.lower(Ledger.title).contains(q.lower(), autoescape=True)]
            if q.lstrip("-").isdigit() and len(q) <= 19:
                conditions.append(Ledger.telegram_chat_id == int(q))
            stmt = stmt.where(or_(*conditions))
        if after is not None:
            if not after.id.isdigit():
                raise InvalidCursor("the cursor is not one this API gave out")
            stmt = stmt.where(
                after_row(Ledger.created_at, Ledger.id, (after.created_at, int(after.id)))
            )
        rows = [
            (ledger, int(n))
            for ledger, n in self.session.execute(
                stmt.order_by(Ledger.created_at.desc(), Ledger.id.desc()).limit(limit + 1)
            )
        ]
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1][0]
        return rows[:limit], Cursor(created_at=last.created_at, id=str(last.id))

    def receipt_counts(self, ledger_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(Receipt.status, func.count())
            .where(Receipt.ledger_id == ledger_id)
            .group_by(Receipt.status)
        ).all()
        return {str(status): int(n) for status, n in rows}


class AdminReceiptQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _filtered(self, f: ReceiptFilter) -> Select[Receipt]:
        stmt = select(Receipt)
        if f.status:
            stmt = stmt.where(Receipt.status == f.status)
        if f.user_id is not None:
            stmt = stmt.where(Receipt.user_id == f.user_id)
        if f.ledger_id is not None:
            stmt = stmt.where(Receipt.ledger_id == f.ledger_id)
        if f.merchant:
            stmt = stmt.where(
                func.lower(Receipt.merchant_name).contains(f.merchant.lower(), autoescape=True)
            )
        if f.created_from is not None:
            stmt = stmt.where(Receipt.created_at >= f.created_from)
        if f.created_to is not None:
            stmt = stmt.where(Receipt.created_at < f.created_to)
        if f.error_code:
            stmt = stmt.where(Receipt.error_code == f.error_code)
        return stmt

    def page(
        self, f: ReceiptFilter, *, after: Cursor | None, limit: int
    ) -> tuple[Sequence[Receipt], Cursor | None]:
        """Newest first; ``limit`` rows after ``after`` and the cursor of the next page."""
        stmt = self._filtered(f)
        if after is not None:
            try:
                after_id = uuid.UUID(after.id)
            except ValueError as exc:
                raise InvalidCursor("the cursor is not one this API gave out") from exc
            stmt = stmt.where(
                after_row(Receipt.created_at, Receipt.id, (after.created_at, after_id))
            )
        rows = self.session.scalars(
            stmt.order_by(Receipt.created_at.desc(), Receipt.id.desc()).limit(limit + 1)
        ).all()
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], Cursor(created_at=last.created_at, id=str(last.id))

    def matching(self, f: ReceiptFilter, *, limit: int) -> Sequence[Receipt]:
        """Up to ``limit`` receipts, oldest first, locked (for bulk reprocessing)."""
        stmt = self._filtered(f).order_by(Receipt.created_at).limit(limit)
        return self.session.scalars(
            stmt.options(selectinload(Receipt.user)).with_for_update(skip_locked=True)
        ).all()

    def get(self, receipt_id: uuid.UUID, *, for_update: bool = False) -> Receipt | None:
        stmt = (
            select(Receipt)
            .where(Receipt.id == receipt_id)
            .options(selectinload(Receipt.line_items), selectinload(Receipt.user))
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def oldest_queued_at(self) -> datetime | None:
        """When the receipt longest in the queue was queued (None: the queue is empty)."""
        return self.session.scalar(
            select(func.min(Receipt.queued_at)).where(Receipt.status == ReceiptStatus.QUEUED.value)
        )


class StatsQueries:
    """The system statistics' reads over receipts and attempts created in [since, until)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def per_day_and_status(
        self, *, since: datetime, until: datetime
    ) -> list[tuple[date, str, int]]:
        """(day created, status, receipts)."""
        day = func.date(Receipt.created_at)
        rows = self.session.execute(
            select(day, Receipt.status, func.count())
            .where(Receipt.created_at >= since, Receipt.created_at < until)
            .group_by(day, Receipt.status)
        )
        return [
            (d if isinstance(d, date) else date.fromisoformat(str(d)), str(status), int(n))
            for d, status, n in rows
        ]

    def failures_by_reason(self, *, since: datetime, until: datetime) -> dict[str, int]:
        """Failed receipts per error code (none recorded: "unknown")."""
        return {
            str(code or "unknown"): int(n)
            for code, n in self.session.execute(
                select(Receipt.error_code, func.count())
                .where(
                    Receipt.created_at >= since,
                    Receipt.created_at < until,
                    Receipt.status == ReceiptStatus.FAILED.value,
                )
                .group_by(Receipt.error_code)
            )
        }

    def active_users(self, *, since: datetime, until: datetime) -> int:
        """Users who sent a receipt."""
        return int(
            self.session.scalar(
                select(func.count(func.distinct(Receipt.user_id))).where(
                    Receipt.created_at >= since, Receipt.created_at < until
                )
            )
            or 0
        )

    def queued_and_completed(
        self, *, since: datetime, until: datetime
    ) -> list[tuple[datetime, datetime]]:
        """(queued at, completed at) of the receipts that have both."""
        return [
            (queued, done)
            for queued, done in self.session.execute(
                select(Receipt.queued_at, Receipt.completed_at).where(
                    Receipt.created_at >= since,
                    Receipt.created_at < until,
                    Receipt.queued_at.is_not(None),
                    Receipt.completed_at.is_not(None),
                )
            )
            if queued is not None and done is not None
        ]

    def applied_attempts(
        self, *, since: datetime, until: datetime, limit: int
    ) -> Sequence[ProcessingAttempt]:
        """The attempts whose result was applied (at most ``limit``)."""
        return self.session.scalars(
            select(ProcessingAttempt)
            .where(
                ProcessingAttempt.applied.is_(True),
                ProcessingAttempt.created_at >= since,
                ProcessingAttempt.created_at < until,
            )
            .limit(limit)
        ).all()


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AdminAuditEntry) -> AdminAuditEntry:
        self.session.add(entry)
        self.session.flush()
        return entry

    def page(
        self,
        *,
        subject: str | None,
        action: str | None,
        since: datetime | None,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[AdminAuditEntry], int]:
        stmt = select(AdminAuditEntry)
        if subject:
            stmt = stmt.where(AdminAuditEntry.subject == subject)
        if action:
            stmt = stmt.where(AdminAuditEntry.action == action)
        if since is not None:
            stmt = stmt.where(AdminAuditEntry.created_at >= since)
        total = int(self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        rows = self.session.scalars(
            stmt.order_by(AdminAuditEntry.created_at.desc(), AdminAuditEntry.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return rows, total


class RevokedTokenRepository:
    """Ids (``jti``) of admin tokens revoked before their expiry; a row goes once the token
    would have expired anyway."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def is_revoked(self, jti: str) -> bool:
        found = self.session.scalar(
            select(RevokedAdminToken.jti).where(RevokedAdminToken.jti == jti)
        )
        return found is not None

    def revoke(
        self,
        jti: str,
        *,
        subject: str | None,
        revoked_by: str,
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Record the revocation; False when the token was already revoked (the row's expiry is
        extended if this one is later)."""
        existing = self.session.get(RevokedAdminToken, jti)
        if existing is not None:
            if expires_at > existing.expires_at:
                existing.expires_at = expires_at
                self.session.flush()
            return False
        row = RevokedAdminToken(
            jti=jti, subject=subject, revoked_by=revoked_by, revoked_at=now, expires_at=expires_at
        )
        try:
            with self.session.begin_nested():  # another request may revoke it at the same time
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def prune(self, *, now: datetime) -> int:
        """Forget revocations of tokens that have expired (they are refused anyway)."""
        result = self.session.execute(
            delete(RevokedAdminToken).where(RevokedAdminToken.expires_at < now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def jsonable(value: Any) -> Any:
    """Audit details stored as JSON (ids, dates and decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
