"""Admin: how the system is doing over a window of days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import DayCounts, StatsPublic
from core.admin.stats import system_stats

router = APIRouter(prefix="/stats", tags=["admin: stats"])


@router.get("", summary="Receipts per day, success rate, failures, latency, engines, cost, users")
def stats(
    _: ViewerDep,
    container: ContainerDep,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366, description="the window, ending now")] = 30,
) -> StatsPublic:
    until = datetime.now(UTC)
    since = until - timedelta(days=days)
    s = system_stats(session, since=since, until=until, prices=container.settings.prices)
    per_day = [
        DayCounts(
            day=d,
            done=c.get("done", 0),
            failed=c.get("failed", 0),
            other=sum(n for k, n in c.items() if k not in ("done", "failed")),
        )
        for d, c in s.receipts_per_day.items()
    ]
    return StatsPublic(
        since=s.since,
        until=s.until,
        receipts_per_day=per_day,
        done=s.done,
        failed=s.failed,
        success_rate=s.success_rate,
        failures_by_reason=s.failures_by_reason,
        processing_seconds_p50=s.processing_seconds_p50,
        processing_seconds_p95=s.processing_seconds_p95,
        end_to_end_seconds_p50=s.end_to_end_seconds_p50,
        end_to_end_seconds_p95=s.end_to_end_seconds_p95,
        engines=s.engines,
        cost_total_usd=s.cost_total_usd,
        cost_per_receipt_usd=s.cost_per_receipt_usd,
        cost_complete=s.cost_complete,
        active_users=s.active_users,
    )
