"""Admin: the audit of every admin write (who, what, when, from where)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep, ViewerDep
from api.routes.admin.schemas import AuditEntryPublic, AuditPublic
from core.admin.repository import AuditRepository

router = APIRouter(prefix="/audit", tags=["admin: audit"])


@router.get("", summary="Admin writes, newest first")
def list_audit(
    _: ViewerDep,
    session: SessionDep,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64, examples=["user.delete"])] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 date-time")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPublic:
    rows, total = AuditRepository(session).page(
        subject=subject, action=action, since=since, offset=offset, limit=limit
    )
    return AuditPublic(data=[AuditEntryPublic.model_validate(r) for r in rows], count=total)
