"""Admin: group ledgers — list (search by chat id or title, cursor pagination) and detail with
members (joined, left) and totals, as users are seen."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import (
    NOT_FOUND,
    LedgerDetail,
    LedgerMemberPublic,
    LedgerPublic,
    LedgersPublic,
)
from core.admin.repository import AdminLedgerQueries, Cursor
from core.db.models import Ledger
from core.ledgers.repository import LedgerRepository
from core.ledgers.service import balance
from core.money import minor_units

router = APIRouter(prefix="/ledgers", tags=["admin: ledgers"])

LedgerId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the ledger's internal id")]


def _public(ledger: Ledger, members: int) -> LedgerPublic:
    columns = (name for name in LedgerPublic.model_fields if name != "member_count")
    return LedgerPublic.model_validate(
        {**{name: getattr(ledger, name) for name in columns}, "member_count": members}
    )


@router.get("", summary="List group ledgers, newest first (search, cursor pagination)")
def list_ledgers(
    _: ViewerDep,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=64, description="chat id or title")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LedgersPublic:
    after = Cursor.decode(cursor) if cursor else None
    rows, nxt = AdminLedgerQueries(session).page(query=q, after=after, limit=limit)
    return LedgersPublic(
        data=[_public(ledger, n) for ledger, n in rows],
        next_cursor=nxt.encode() if nxt else None,
    )


@router.get(
    "/{ledger_id}",
    summary="One ledger: members (joined, left) with what each paid and owes, totals",
    responses=NOT_FOUND,
)
def get_ledger(
    ledger_id: LedgerId, _: ViewerDep, container: ContainerDep, session: SessionDep
) -> LedgerDetail:
    ledger = container.admin.get_ledger(session, ledger_id)
    repo = LedgerRepository(session)
    memberships = repo.memberships(ledger.id)
    result = balance(session, ledger=ledger)
    zero = Decimal(0).quantize(Decimal(1).scaleb(-minor_units(ledger.currency or "EUR")))
    members = [
        LedgerMemberPublic(
            user_id=m.user_id,
            telegram_user_id=m.user.telegram_user_id,
            username=m.user.username,
            first_name=m.user.first_name,
            joined_at=m.joined_at,
            left_at=m.left_at,
            paid=result.paid.get(m.user_id, zero) if result else zero,
            share=result.owed.get(m.user_id, zero) if result else zero,
            net=result.nets.get(m.user_id, zero) if result else zero,
        )
        for m in memberships
    ]
    counts = AdminLedgerQueries(session).receipt_counts(ledger.id)
    current = sum(1 for m in memberships if m.left_at is None)
    return LedgerDetail(
        **_public(ledger, current).model_dump(),
        members=members,
        receipts_total=sum(counts.values()),
        receipts_by_status=counts,
        total=sum(result.paid.values(), zero) if result else None,
        receipts_without_rate=result.without_rate if result else 0,
        settlements=len(repo.settlements(ledger.id, currency=ledger.currency))
        if ledger.currency
        else 0,
    )
