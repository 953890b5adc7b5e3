"""Admin: the numbers of /summary, for every user or for one.

Computed by core.summaries.service, the same code as the bot's summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from api.deps import ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import (
    NOT_FOUND,
    CategoryTotal,
    CurrencyTotal,
    DayTotal,
    MerchantTotal,
    Purchase,
    SummaryPublic,
)
from core.summaries.labels import NO_CURRENCY, UNKNOWN_MERCHANT
from core.summaries.months import Month
from core.summaries.service import PeriodSummary, summarize

router = APIRouter(prefix="/summary", tags=["admin: summary"])


@router.get(
    "",
    summary="A month's receipts, totals per currency, change, categories, merchants, days",
    responses=NOT_FOUND,
)
def month_summary(
    _: ViewerDep,
    container: ContainerDep,
    session: SessionDep,
    month: Annotated[
        str | None,
        Query(
            pattern=r"^20\d{2}-(0[1-9]|1[0-2])$",
            description="YYYY-MM; the current month (UTC, or the user's zone) when omitted",
            examples=["2026-10"],
        ),
    ] = None,
    user_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="one user; every user when omitted")
    ] = None,
    top: Annotated[int, Query(ge=1, le=50, description="merchants per currency")] = 5,
) -> SummaryPublic:
    timezone = None
    if user_id is not None:
        timezone = container.admin.get_user(session, user_id).timezone or "UTC"
    if month is None:
        today = datetime.now(UTC).astimezone(ZoneInfo(timezone or "UTC")).date()
        chosen = Month(today.year, today.month)
    else:
        chosen = Month(int(month[:4]), int(month[5:]))
    s = summarize(session, user_id=user_id, period=chosen, timezone=timezone, top=top)
    return summary_public(s, user_id=user_id, timezone=timezone)


def _code(currency: str) -> str | None:
    return None if currency == NO_CURRENCY else currency


def _change(now: Decimal, before: Decimal | None) -> float | None:
    if not before:
        return None
    return round(float((now - before) / before * 100), 1)


def summary_public(s: PeriodSummary, *, user_id: int | None, timezone: str | None) -> SummaryPublic:
    currencies = sorted(
        s.totals.keys() | s.previous_totals.keys(),
        key=lambda c: (-s.totals.get(c, Decimal(0)), c),
    )
    totals = [
        CurrencyTotal(
            currency=_code(c),
            total=s.totals.get(c, Decimal("0.00")),
            previous_total=s.previous_totals.get(c),
            change_percent=_change(s.totals.get(c, Decimal(0)), s.previous_totals.get(c)),
        )
        for c in currencies
    ]
    return SummaryPublic(
        month=s.period.iso,
        user_id=user_id,
        timezone=timezone,
        receipts=s.count,
        undated=s.undated,
        users=s.users,
        totals=totals,
        by_category=[
            CategoryTotal(currency=_code(c), category=name, total=total)
            for c in currencies
            for name, total in s.by_category.get(c, [])
        ],
        top_merchants=[
            MerchantTotal(currency=_code(c), merchant=name, total=total, receipts=n)
            for c in currencies
            for name, total, n in s.top_merchants.get(c, [])
        ],
        daily=[
            DayTotal(day=day, currency=_code(c), total=total)
            for c in sorted(s.daily)
            for day, total in sorted(s.daily[c].items())
        ],
        biggest=[
            Purchase(
                merchant=big.merchant or UNKNOWN_MERCHANT,
                currency=_code(big.currency),
                total=big.total,
            )
            for big in s.biggest
        ],
    )
