"""Schemas shared by the admin routes: the error body and the responses every route documents."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ErrorBody(BaseModel):
    """Every error: a stable code and a human-readable detail (never a stack trace)."""

    error: str = Field(examples=["not_found"])
    detail: Any = Field(default=None, examples=["user not found"])


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _err("input the database cannot store (e.g. NUL characters in text)"),
    401: _err("missing, malformed, forged or expired token, or wrong issuer/audience"),
    403: _err("the token's role may not do this"),
    422: _err("invalid parameters or body"),
    429: _err("too many requests for this subject (see Retry-After)"),
    503: _err("the signing key is not usable (too short, a previous key without rotated_at)"),
}
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: _err("no such resource")}
CONFLICT: Responses = {409: _err("the resource is not in a state that allows this")}
UNKNOWN_TOKEN: Responses = {422: _err("invalid body, or a token this API did not issue")}


class Me(BaseModel):
    subject: str
    role: str
    token_id: str | None = Field(
        default=None, description="the token's jti (what POST /tokens/revoke takes)"
    )
    expires_at: datetime | None = None


class RevokeRequest(BaseModel):
    """The token to refuse from now on: the token itself, or its id (``jti``, as ``/me`` shows
    it), exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    token: str | None = Field(default=None, min_length=1, max_length=4096)
    jti: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")

    @model_validator(mode="after")
    def _one_of_them(self) -> RevokeRequest:
        if (self.token is None) == (self.jti is None):
            raise ValueError("give either token or jti")
        return self


class TokenRevoked(BaseModel):
    jti: str
    subject: str | None = Field(description="whom the token was for (when the token was given)")
    expires_at: datetime = Field(description="the revocation is kept until then")
    already_revoked: bool


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    telegram_user_id: int | None
    username: str | None
    first_name: str | None
    language_code: str | None
    default_currency: str | None
    timezone: str | None
    blocked_at: datetime | None
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int = Field(description="users matching the search (all pages)")


class UserDetail(UserPublic):
    receipts_total: int
    receipts_by_status: dict[str, int]


OBJECTS_DELETED = (
    "S3 object versions and delete markers permanently removed (every version of the files, "
    "processed JSON and OCR cache entries)"
)
OBJECTS_PENDING = "true when S3 did not erase everything at once (each object left is logged)"


class UserDeleted(BaseModel):
    id: int
    receipts_deleted: int
    objects_deleted: int = Field(description=OBJECTS_DELETED)
    objects_pending: bool = Field(description=OBJECTS_PENDING)


class LedgerPublic(BaseModel):
    """A group chat's shared ledger."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    telegram_chat_id: int
    title: str | None
    currency: str | None = Field(description="its balances' currency (None: not set yet)")
    timezone: str | None
    created_by: int | None = Field(description="the user whose first use made it")
    configured_by: int | None = Field(description="who set its currency and time zone")
    created_at: datetime
    removed_at: datetime | None = Field(
        description="when the bot was removed from the group (None: it is in it)"
    )
    member_count: int = Field(description="current members (who have not left)")


class LedgersPublic(BaseModel):
    data: list[LedgerPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class LedgerMemberPublic(BaseModel):
    """A member, past or current, with their part of the ledger (in its currency, rounded once:
    the nets sum to zero)."""

    user_id: int
    telegram_user_id: int | None
    username: str | None
    first_name: str | None
    joined_at: datetime
    left_at: datetime | None = Field(description="None: still a member")
    paid: Decimal = Field(description="what they paid of the ledger's receipts")
    share: Decimal = Field(description="their shares of the ledger's receipts")
    net: Decimal = Field(description="paid less shares, with payments back: > 0 is owed to them")


class LedgerDetail(LedgerPublic):
    members: list[LedgerMemberPublic] = Field(description="in the order they joined")
    receipts_total: int
    receipts_by_status: dict[str, int]
    total: Decimal | None = Field(
        description="the done receipts in the ledger's currency (None: no currency yet)"
    )
    receipts_without_rate: int = Field(
        description="done receipts with no amount in the ledger's currency (no ECB rate)"
    )
    settlements: int = Field(description="payments back recorded (/settle)")


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    subject: str
    role: str
    action: str
    target_type: str
    target_id: str | None
    client_ip: str | None
    detail: dict[str, Any] | None


class AuditPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: int
    status: str
    source: str
    content_type: str
    size_bytes: int | None
    merchant_name: str | None
    purchase_date: date | None
    currency: str | None
    total: Decimal | None
    category: str | None
    error_code: str | None
    error_message: str | None
    attempt: int
    created_at: datetime
    queued_at: datetime | None
    completed_at: datetime | None


class ReceiptsPublic(BaseModel):
    data: list[ReceiptPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class LineItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None


class ReceiptDetail(ReceiptPublic):
    merchant_address: str | None
    merchant_phone: str | None
    purchase_time: time | None
    subtotal: Decimal | None
    tax: Decimal | None
    tip: Decimal | None
    payment_method: str | None
    summary: str | None
    confidence: dict[str, Any] | None
    warnings: dict[str, Any] | None
    caption: str | None
    line_items: list[LineItemPublic]
    processed: dict[str, Any] | None = Field(description="the processed JSON, when it exists")
    original_url: str | None = Field(description="short-lived presigned GET of the original")
    original_url_expires_in: int


class ReprocessRequest(BaseModel):
    """Which receipts to send back to the queue: explicit ids, or a filter (oldest first)."""

    model_config = ConfigDict(extra="forbid")

    receipt_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    status: Literal["failed", "queued", "processing"] = "failed"
    since: datetime | None = None
    until: datetime | None = None
    error_code: str | None = Field(default=None, max_length=50)
    user_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    limit: int = Field(default=100, ge=1, le=500)


class Reprocessed(BaseModel):
    queued: list[uuid.UUID]
    skipped: list[uuid.UUID] = Field(description="not reprocessable (state or missing file)")


class Deleted(BaseModel):
    id: str
    deleted: bool = True


class ReceiptDeleted(Deleted):
    objects_deleted: int = Field(description=OBJECTS_DELETED)
    objects_pending: bool = Field(description=OBJECTS_PENDING)


class QueueState(BaseModel):
    name: str
    visible: int = Field(description="approximate messages waiting")
    in_flight: int = Field(description="approximate messages being processed")
    oldest_age_seconds: int | None = Field(
        description="queue: oldest receipt waiting in the database; DLQ: oldest message peeked"
    )


class QueuesPublic(BaseModel):
    queue: QueueState
    dlq: QueueState


class DeadLetter(BaseModel):
    message_id: str
    sent_at: datetime | None
    receive_count: int | None = Field(description="receives before the message came here")
    receipt_id: str | None = Field(description="the job's receipt; null when not a valid job")
    receipt_status: str | None
    problem: str = Field(description="why it is here, as far as the API can tell")
    body: str = Field(description="the message body, at most 2,000 characters")


class DeadLetters(BaseModel):
    data: list[DeadLetter]


class RedriveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(default=None, ge=1, le=10_000, description="all when omitted")


class Redriven(BaseModel):
    moved: int


class DayCounts(BaseModel):
    day: date
    done: int = 0
    failed: int = 0
    other: int = Field(default=0, description="still awaiting upload, queued or processing")


class StatsPublic(BaseModel):
    since: datetime
    until: datetime
    receipts_per_day: list[DayCounts]
    done: int
    failed: int
    success_rate: float | None = Field(description="done / (done + failed); null without any")
    failures_by_reason: dict[str, int]
    processing_seconds_p50: float | None = Field(description="inside the processor")
    processing_seconds_p95: float | None
    end_to_end_seconds_p50: float | None = Field(description="queued -> result stored")
    end_to_end_seconds_p95: float | None
    engines: dict[str, int] = Field(description='"ocr + extractor" -> results')
    cost_total_usd: Decimal
    cost_per_receipt_usd: Decimal | None
    cost_complete: bool = Field(description="false when some model tokens had no price")
    active_users: int = Field(description="users who sent a receipt in the window")


class CurrencyTotal(BaseModel):
    currency: str | None = Field(description="ISO 4217; null for receipts without a currency")
    total: Decimal = Field(description="this month (0 when only the month before had any)")
    previous_total: Decimal | None = Field(description="the month before; null without any")
    change_percent: float | None = Field(
        description="(total - previous_total) / previous_total x 100, one decimal"
    )


class CategoryTotal(BaseModel):
    currency: str | None
    category: str = Field(examples=["groceries", "uncategorised"])
    total: Decimal


class MerchantTotal(BaseModel):
    currency: str | None
    merchant: str
    total: Decimal
    receipts: int


class DayTotal(BaseModel):
    day: date
    currency: str | None
    total: Decimal


class Purchase(BaseModel):
    merchant: str
    currency: str | None
    total: Decimal


class SummaryPublic(BaseModel):
    """The numbers of /summary, for one user or for every user. Amounts in different currencies
    are never added together: every total carries its currency."""

    month: str = Field(examples=["2026-10"])
    user_id: int | None = Field(description="the user summarised; null for every user")
    timezone: str | None = Field(
        description="the user's zone for receipts without a printed date (which count on the "
        "day they were sent); null for every user: each receipt in its owner's zone"
    )
    receipts: int = Field(description="done receipts in the month")
    undated: int = Field(description="of which without a printed date")
    users: int = Field(description="users with a receipt in the month")
    totals: list[CurrencyTotal] = Field(description="per currency, largest first")
    by_category: list[CategoryTotal] = Field(description="per currency, largest first")
    top_merchants: list[MerchantTotal] = Field(description="per currency, at most `top` each")
    daily: list[DayTotal]
    biggest: list[Purchase] = Field(
        description="the largest single receipt of each currency (amounts of different "
        "currencies are not compared), currencies in the order of `totals`; empty without any"
    )
