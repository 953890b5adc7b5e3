"""Schemas shared by the admin routes: the error body and the responses every route documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """Every error: a stable code and a human-readable detail (never a stack trace)."""

    error: str = Field(examples=["not_found"])
    detail: Any = Field(default=None, examples=["user not found"])


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _err("missing, malformed, forged or expired token, or wrong issuer/audience"),
    403: _err("the token's role may not do this"),
    422: _err("invalid parameters or body"),
    429: _err("too many requests for this subject (see Retry-After)"),
}
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: _err("no such resource")}
CONFLICT: Responses = {409: _err("the resource is not in a state that allows this")}


class Me(BaseModel):
    subject: str
    role: str


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


class UserDeleted(BaseModel):
    id: int
    receipts_deleted: int
    objects_deleted: int
    objects_pending: bool = Field(
        description="true when S3 could not be cleaned at once (logged; safe to call again)"
    )


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
