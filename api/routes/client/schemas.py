"""Schemas of the client API (/api/v1): what a Mini App or a script sends and gets."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.routes.admin.schemas import ErrorBody, Responses, SummaryPublic


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


CLIENT_RESPONSES: Responses = {
    400: _err("input the database cannot store (e.g. NUL characters in text)"),
    401: _err("no credentials, forged or expired initData, or an unknown or revoked token"),
    403: _err("the account is blocked"),
    413: _err("the request body is larger than the limit (64 KiB)"),
    422: _err("invalid parameters or body"),
    429: _err("too many requests for this user (see Retry-After)"),
    503: _err("the bot's token cannot be read (initData cannot be checked)"),
}
NOT_FOUND: Responses = {404: _err("no such receipt of yours")}
CONFLICT: Responses = {409: _err("the receipt is not in a state that allows this")}

Status = Literal["awaiting_upload", "queued", "processing", "done", "failed"]


class Me(BaseModel):
    user_id: int
    telegram_user_id: int | None
    first_name: str | None
    language_code: str | None
    default_currency: str | None
    timezone: str | None
    max_file_bytes: int = Field(description="the largest file an upload may declare")


class LineItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None


class ClientReceipt(BaseModel):
    """One of the user's receipts as a list shows it."""

    id: uuid.UUID
    status: Status
    created_at: datetime
    merchant: str | None
    purchase_date: date | None
    currency: str | None
    total: Decimal | None
    category: str | None
    note: str | None = Field(description="the user's own words with the receipt (a caption)")
    home_currency: str | None = Field(description="the user's currency (core/fx)")
    home_total: Decimal | None = Field(description="the total in it at ECB's reference rate")
    confirmed_at: datetime | None
    possible_duplicate_of: uuid.UUID | None
    error_code: str | None
    error_message: str | None = Field(description="why it failed, for the user")
    content_type: str
    image_url: str | None = Field(
        description="a short-lived presigned link to the list's picture: a small JPEG of the "
        "first page, or the file itself (receipts read before thumbnails; none for a PDF or "
        "HEIC without one)"
    )


class ClientReceipts(BaseModel):
    data: list[ClientReceipt]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class ClientReceiptDetail(ClientReceipt):
    merchant_address: str | None
    merchant_phone: str | None
    purchase_time: time | None
    subtotal: Decimal | None
    tax: Decimal | None
    tip: Decimal | None
    payment_method: str | None
    summary: str | None
    confidence: dict[str, float] = Field(
        description="per field, 0..1; below 0.6 the bot marks the field as doubtful (❓)"
    )
    line_items: list[LineItem]
    image_url_expires_in: int


class ReceiptUpdate(BaseModel):
    """Fields to correct, each as a user would type it in the bot (the same parsing and checks:
    "12,50" is 12.50, "yesterday" a date, "euro" EUR); a field left out is left alone. Only a
    read (done) receipt can be corrected. ``note`` set to null clears it."""

    model_config = ConfigDict(extra="forbid")

    merchant: str | None = Field(default=None, min_length=1, max_length=200)
    date: str | None = Field(default=None, min_length=1, max_length=40, examples=["2026-10-03"])
    total: str | None = Field(default=None, min_length=1, max_length=40, examples=["23.40"])
    currency: str | None = Field(default=None, min_length=1, max_length=20, examples=["EUR"])
    category: str | None = Field(default=None, min_length=1, max_length=50)
    note: str | None = Field(default=None, max_length=1024)


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(
        min_length=1,
        max_length=100,
        examples=["image/jpeg"],
        description="JPEG, PNG, WebP, HEIC or PDF",
    )
    size: int = Field(ge=1, le=2**53, description="bytes; at most the product's file limit")
    file_name: str | None = Field(default=None, max_length=255)


class PresignedPost(BaseModel):
    url: str = Field(description="POST a multipart form here: every field, then the file as `file`")
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class UploadCreated(BaseModel):
    receipt_id: uuid.UUID
    upload: PresignedPost


class Submitted(BaseModel):
    receipt_id: uuid.UUID
    status: Status
    error_code: str | None = None
    error_message: str | None = None


class Deleted(BaseModel):
    id: uuid.UUID
    objects_pending: bool = Field(description="the files are erased later (S3 was not reached)")


class ClientSummary(SummaryPublic):
    home_currency: str | None = None
    home_total: Decimal | None = None


class Categories(BaseModel):
    data: list[str] = Field(description="your categories: your own, else the default list")


class CategoryName(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)


class CategoryChanged(BaseModel):
    name: str
    receipts: int = Field(default=0, description="receipts that followed the change")
    budget_changed: bool = False


class BudgetPublic(BaseModel):
    category: str
    currency: str
    amount: Decimal
    spent: Decimal = Field(description="in the month asked for, in the budget's currency")
    percent: int


class Budgets(BaseModel):
    month: str
    data: list[BudgetPublic]


class BudgetPut(BaseModel):
    """A monthly budget, the amount as typed in the bot ("150", "RM 150,00")."""

    model_config = ConfigDict(extra="forbid")

    amount: str = Field(min_length=1, max_length=40, examples=["150.00"])
    currency: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217; yours when omitted"
    )


class ReceiptEvent(BaseModel):
    receipt_id: uuid.UUID
    status: Status
    changed: bool = Field(description="false: the wait ended with the status still `after`")
    error_code: str | None = None
    error_message: str | None = None
