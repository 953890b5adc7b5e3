"""Schemas shared by the admin routes: the error body and the responses every route documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
NOT_FOUND = {404: _err("no such resource")}
CONFLICT = {409: _err("the resource is not in a state that allows this")}


class Me(BaseModel):
    subject: str
    role: str
