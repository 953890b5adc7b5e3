"""Admin: the job queue and its DLQ — depths, oldest age, redrive."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import ActorDep, ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import QueuesPublic, QueueState, Redriven, RedriveRequest
from core.admin.repository import AdminReceiptQueries

router = APIRouter(prefix="/queue", tags=["admin: queue"])
REDRIVE_ALL = 10_000


@router.get("", summary="Approximate depths of the queue and the DLQ, oldest ages")
def queue_state(_: ViewerDep, container: ContainerDep, session: SessionDep) -> QueuesPublic:
    oldest = AdminReceiptQueries(session).oldest_queued_at()
    age = None
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        age = max(0, int((datetime.now(UTC) - oldest).total_seconds()))
    q, dlq = container.queue, container.dlq
    return QueuesPublic(
        queue=QueueState(name=q.name, **q.depth(), oldest_age_seconds=age),
        dlq=QueueState(name=dlq.name, **dlq.depth(), oldest_age_seconds=dlq.oldest_age_seconds()),
    )


@router.post("/redrive", summary="Move messages from the DLQ back to the queue (all or a count)")
def redrive(
    body: RedriveRequest, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> Redriven:
    moved = container.dlq.move_to(container.queue, limit=body.count or REDRIVE_ALL)
    container.admin.record(
        session,
        actor,
        action="queue.redrive",
        target_type="queue",
        target_id=container.dlq.name,
        detail={"requested": body.count, "moved": moved},
    )
    return Redriven(moved=moved)
