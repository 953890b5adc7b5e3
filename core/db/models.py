"""SQLAlchemy 2 models. Portable between PostgreSQL (production) and SQLite (local run)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Time,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from core.contracts import ReceiptStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT primary keys autoincrement on PostgreSQL; SQLite only does so for INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")
MoneyType = Numeric(14, 2)
# Exchange rates: ECB publishes up to 5 significant digits; a cross rate (two of them divided)
# is kept to 12 decimals.
FxRateType = Numeric(24, 12)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite gives naive ones back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    default_currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Set by an admin: the bot answers the user's updates politely and processes nothing.
    blocked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="user", passive_deletes=True, foreign_keys="Receipt.user_id"
    )


def merchant_key_of(name: str | None) -> str:
    """A merchant's name compared loosely: upper case, letters and digits only, 200 at most."""
    return "".join(ch for ch in (name or "").upper() if ch.isalnum())[:200]


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('awaiting_upload', 'queued', 'processing', 'done', 'failed')",
            name="status_valid",
        ),
        CheckConstraint("size_bytes IS NULL OR size_bytes > 0", name="size_positive"),
        Index("ix_receipts_user_id_created_at", "user_id", "created_at"),
        Index("ix_receipts_user_id_sha256", "user_id", "sha256"),
        Index("ix_receipts_status_updated_at", "status", "updated_at"),
        Index("ix_receipts_status_queued_at", "status", "queued_at"),
        Index("ix_receipts_user_id_purchase_date", "user_id", "purchase_date"),
        Index("ix_receipts_ledger_id_purchase_date", "ledger_id", "purchase_date"),
        Index("ix_receipts_merchant_key", "merchant_key"),
        UniqueConstraint(
            "telegram_chat_id", "telegram_message_id", name="uq_receipts_telegram_message"
        ),
        Index(
            "ix_receipts_unnotified",
            "completed_at",
            postgresql_where=text("notified_at IS NULL AND status IN ('done', 'failed')"),
            sqlite_where=text("notified_at IS NULL AND status IN ('done', 'failed')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=ReceiptStatus.AWAITING_UPLOAD.value)
    source: Mapped[str] = mapped_column(String(20), default="telegram")

    file_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    raw_bucket: Mapped[str] = mapped_column(String(63))
    raw_key: Mapped[str] = mapped_column(String(512), unique=True)
    processed_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))  # in the processed bucket

    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The chat message the receipt came from: a replayed update finds its receipt by it.
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(String(1024))

    merchant_name: Mapped[str | None] = mapped_column(String(200))
    # The name compared loosely (``merchant_key_of``), kept with it: other users' receipts of the
    # same merchant are found by it (a category they agree on is offered to a new user).
    merchant_key: Mapped[str | None] = mapped_column(String(200))
    merchant_address: Mapped[str | None] = mapped_column(String(500))
    merchant_phone: Mapped[str | None] = mapped_column(String(50))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_time: Mapped[time | None] = mapped_column(Time)
    currency: Mapped[str | None] = mapped_column(String(3))
    subtotal: Mapped[Decimal | None] = mapped_column(MoneyType)
    tax: Mapped[Decimal | None] = mapped_column(MoneyType)
    tip: Mapped[Decimal | None] = mapped_column(MoneyType)
    total: Mapped[Decimal | None] = mapped_column(MoneyType)
    # The total in the ledger's home currency (core/fx): the same amount for a receipt in it,
    # else converted at the ECB reference rate of the purchase date (``fx_rate``: home units per
    # unit of ``currency``; ``fx_rate_date``: the day the rate was published). ``home_currency``
    # set with no ``home_total``: tried, no rate (a currency ECB does not publish, a date
    # outside its data). ``home_currency`` unset or not the ledger's: not converted yet.
    home_currency: Mapped[str | None] = mapped_column(String(3))
    home_total: Mapped[Decimal | None] = mapped_column(MoneyType)
    fx_rate: Mapped[Decimal | None] = mapped_column(FxRateType)
    fx_rate_date: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str | None] = mapped_column(String(50))
    payment_method: Mapped[str | None] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(String(300))
    confidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warnings: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(String(500))

    # A group's receipt (core/ledgers): its ledger (None: the person's own), who paid it (None:
    # the sender, ``user_id``) and how it is split (``SPLIT_EQUAL``: the members of the ledger
    # when it was sent, ``SPLIT_ONLY_PAYER``: the payer alone, ``SPLIT_SHARES``: shares chosen
    # member by member on the card), as ``receipt_shares`` rows.
    ledger_id: Mapped[int | None] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    paid_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    split: Mapped[str | None] = mapped_column(String(12))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()
    requeue_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column()
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Another receipt of the user with the same merchant, day, total and currency (flagged,
    # never blocking); cleared when the user keeps both.
    possible_duplicate_of: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Sent as part of an album: progress is shown in one message for the whole album.
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column()
    # The outbox: when Telegram accepted the finished receipt's card (None: still to send).
    notified_at: Mapped[datetime | None] = mapped_column()
    # The processing run reading the current attempt, and since when (ProcessingProgress.claim).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="receipts", foreign_keys=[user_id])
    ledger: Mapped[Ledger | None] = relationship()
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_user_id])
    line_items: Mapped[list[LineItemRow]] = relationship(
        back_populates="receipt",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="LineItemRow.position",
    )
    attempts: Mapped[list[ProcessingAttempt]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("merchant_name")
    def _keep_merchant_key(self, _name: str, value: str | None) -> str | None:
        self.merchant_key = merchant_key_of(value) or None
        return value

    @property
    def status_enum(self) -> ReceiptStatus:
        return ReceiptStatus(self.status)

    @property
    def short_id(self) -> str:
        return self.id.hex[:8]


SPLIT_EQUAL = "equal"
SPLIT_ONLY_PAYER = "only_payer"
SPLIT_SHARES = "shares"


class Ledger(Base):
    """A group chat's shared ledger: its receipts, members, settlements. Its currency is the
    home currency of its receipts (core/fx) and the one its balances are in."""

    __tablename__ = "ledgers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who set the currency and time zone with /start (an admin of the group, or anyone while no
    # admin is known); None: taken from whoever made the ledger, still open to /start.
    configured_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the bot was removed from the group (left or kicked); None while it is in it. Nothing
    # is sent to a removed ledger's group; its members still read it in their private chats.
    removed_at: Mapped[datetime | None] = mapped_column()


class LedgerMember(Base):
    """A person in a ledger: from when they joined (their first receipt or /start there) to
    when they left (``left_at``; their receipts, shares and balance stay)."""

    __tablename__ = "ledger_members"

    ledger_id: Mapped[int] = mapped_column(
        ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class ReceiptShare(Base):
    """One member's part of a ledger receipt, as a weight: their amount is the receipt's amount
    in the ledger's currency times ``share`` over the sum of the receipt's shares (so a
    corrected total needs no new rows; an equal split is 1 each)."""

    __tablename__ = "receipt_shares"

    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
        index=True,
    )
    share: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(1))


class LedgerSettlement(Base):
    """A payment back between two members (/settle), in the ledger's currency; once per chat
    message (an update replayed from the inbox finds the one it made)."""

    __tablename__ = "ledger_settlements"
    __table_args__ = (UniqueConstraint("ledger_id", "telegram_message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), index=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(MoneyType)
    currency: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)


class LineItemRow(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal | None] = mapped_column(MoneyType)
    amount: Mapped[Decimal | None] = mapped_column(MoneyType)

    receipt: Mapped[Receipt] = relationship(back_populates="line_items")


class PendingEdit(Base):
    """A field the user was asked to type a new value for: conversation state lives in the
    database, so any API instance can take the answer."""

    __tablename__ = "pending_edits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    receipt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column()
    # The question itself (a force-reply message): a reply to it is the answer, even set aside.
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # When a message that was clearly no answer (a command, a file, a question in plain words)
    # set the question aside; None while it is open.
    set_aside_at: Mapped[datetime | None] = mapped_column()


class AlbumMessage(Base):
    """The one progress message of an album (several receipts sent at once)."""

    __tablename__ = "album_messages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    media_group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MerchantCategory(Base):
    """The category a user chose for a merchant: it wins for that merchant from then on."""

    __tablename__ = "merchant_categories"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    merchant_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserCategory(Base):
    """One of a user's own spending categories. A user without rows has the default list; the
    first change copies the defaults in, so that every later change works on one list. Names are
    kept in lower case, as receipts, budgets and corrections keep them."""

    __tablename__ = "user_categories"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Budget(Base):
    """A monthly budget of a user for one category, in one currency."""

    __tablename__ = "budgets"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MoneyType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BudgetAlert(Base):
    """A budget warning already given (each level once per month)."""

    __tablename__ = "budget_alerts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FxRate(Base):
    """One ECB euro foreign exchange reference rate: units of ``currency`` per euro on ``day``
    (a TARGET business day), as the refresher loaded it (core/fx/ecb.py)."""

    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    per_euro: Mapped[Decimal] = mapped_column(Numeric(20, 8))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReceiptRetry(Base):
    """A user's "Try again" on a failed receipt: it counts toward the receipt rate limit as a new
    receipt does (rows older than the longest window are pruned)."""

    __tablename__ = "receipt_retries"
    __table_args__ = (Index("ix_receipt_retries_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelegramUpdate(Base):
    """The inbox: each update Telegram delivered, stored before the webhook's 200 (Telegram
    redelivers only what it did not see a 200 for), its payload kept until the bot handled it.
    One acknowledged but never handled (the API died) is replayed from here."""

    __tablename__ = "telegram_updates"
    __table_args__ = (
        Index(
            "ix_telegram_updates_unhandled",
            "received_at",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    handled_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When a handler last took it from the inbox (unset: as the webhook handed it on, at
    # ``received_at``): one taken and not handled in time is taken again.
    taken_at: Mapped[datetime | None] = mapped_column()


class PendingErasure(Base):
    """S3 objects of rows already deleted (a receipt, a user), kept until S3 confirmed every
    version gone: erased right after the commit, and again by the sweeper until complete."""

    __tablename__ = "pending_erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # {"keys": [[bucket, key], ...], "prefixes": [[bucket, prefix], ...]}
    objects: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ProcessingAttempt(Base):
    """One processing result received for a receipt (repeats included), for stats and support."""

    __tablename__ = "processing_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    applied: Mapped[bool] = mapped_column(default=False)
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(String(500))
    ocr_engine: Mapped[str | None] = mapped_column(String(50))
    extractor: Mapped[str | None] = mapped_column(String(50))
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    receipt: Mapped[Receipt] = relationship(back_populates="attempts")


class AdminAuditEntry(Base):
    """One admin write through the admin API: who, what, when, from where."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RevokedAdminToken(Base):
    """An admin API token refused before its expiry, by its ``jti``; kept until it expires."""

    __tablename__ = "admin_revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ClientToken(Base):
    """A personal token for the client API (``Authorization: Bearer``), asked for in the bot
    (/token): only its SHA-256 is kept; a revoked one is refused."""

    __tablename__ = "client_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
