"""Admin: the job queue and its DLQ — depths, oldest age, the dead letters and why, redrive."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import ValidationError

from api.deps import ActorDep, ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import (
    DeadLetter,
    DeadLetters,
    QueuesPublic,
    QueueState,
    Redriven,
    RedriveRequest,
)
from core.admin.repository import AdminReceiptQueries
from core.contracts import ProcessingJob
from core.receipts.repository import ReceiptRepository

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


@router.get(
    "/dlq",
    summary="Peek at up to 10 messages in the DLQ, each with why it is there (left in place)",
)
def dead_letters(_: ViewerDep, container: ContainerDep, session: SessionDep) -> DeadLetters:
    receipts = ReceiptRepository(session)
    letters = []
    for m in container.dlq.peek():
        sent = m.attributes.get("SentTimestamp")
        count = m.attributes.get("ApproximateReceiveCount")
        receipt_id = status = None
        try:
            job = ProcessingJob.model_validate_json(m.body)
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            what = errors[0]["msg"] if errors else "invalid"
            problem = f"not a valid job ({where or 'body'}: {what}): never readable"
        else:
            receipt_id = str(job.receipt_id)
            receipt = receipts.get(job.receipt_id)
            if receipt is None:
                problem = "a job for a receipt that no longer exists"
            else:
                status = receipt.status
                problem = receipt.error_message or (
                    f"failed every receive; the receipt is {receipt.status} (see the processor's "
                    "record.failed / record.retry log lines for this receipt_id)"
                )
        letters.append(
            DeadLetter(
                message_id=m.message_id,
                sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
                receive_count=int(count) if count else None,
                receipt_id=receipt_id,
                receipt_status=status,
                problem=problem,
                body=m.body[:2000],
            )
        )
    return DeadLetters(data=letters)


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
