"""Admin: receipts — filtered list (cursor pagination), detail, reprocess one or many, delete."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import ActorDep, ContainerDep, SessionDep, ViewerDep
from api.routes.admin.schemas import (
    CONFLICT,
    NOT_FOUND,
    LineItemPublic,
    ReceiptDeleted,
    ReceiptDetail,
    ReceiptPublic,
    ReceiptsPublic,
    Reprocessed,
    ReprocessRequest,
)
from core.admin.repository import AdminReceiptQueries, Cursor, ReceiptFilter
from core.aws.clients import AwsError
from core.aws.s3 import ObjectNotFound
from core.contracts import ProcessingJob

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/receipts", tags=["admin: receipts"])

MAX_PROCESSED_BYTES = 2 * 1024 * 1024
Status = Literal["awaiting_upload", "queued", "processing", "done", "failed"]


@router.get("", summary="List receipts, newest first (filters, cursor pagination)")
def list_receipts(
    _: ViewerDep,
    session: SessionDep,
    status: Status | None = None,
    user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    ledger_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="a group ledger's receipts")
    ] = None,
    merchant: Annotated[str | None, Query(max_length=100, description="contains")] = None,
    created_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    created_to: Annotated[datetime | None, Query(description="exclusive")] = None,
    error_code: Annotated[str | None, Query(max_length=50, description="failure reason")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReceiptsPublic:
    f = ReceiptFilter(
        status=status,
        user_id=user_id,
        ledger_id=ledger_id,
        merchant=merchant,
        created_from=created_from,
        created_to=created_to,
        error_code=error_code,
    )
    after = Cursor.decode(cursor) if cursor else None
    rows, nxt = AdminReceiptQueries(session).page(f, after=after, limit=limit)
    return ReceiptsPublic(
        data=[ReceiptPublic.model_validate(r) for r in rows],
        next_cursor=nxt.encode() if nxt else None,
    )


@router.get(
    "/{receipt_id}",
    summary="One receipt: extraction, processed JSON, presigned link to the original",
    responses=NOT_FOUND,
)
def get_receipt(
    receipt_id: uuid.UUID, _: ViewerDep, container: ContainerDep, session: SessionDep
) -> ReceiptDetail:
    s = container.settings
    receipt = container.admin.get_receipt(session, receipt_id)
    base = ReceiptPublic.model_validate(receipt).model_dump()
    items = [LineItemPublic.model_validate(i) for i in receipt.line_items]
    extra = {
        k: getattr(receipt, k)
        for k in (
            "merchant_address",
            "merchant_phone",
            "purchase_time",
            "subtotal",
            "tax",
            "tip",
            "payment_method",
            "summary",
            "confidence",
            "warnings",
            "caption",
        )
    }
    raw_bucket, raw_key, processed_key = (
        receipt.raw_bucket,
        receipt.raw_key,
        receipt.processed_key,
    )
    processed = None
    if processed_key:
        try:
            body = container.store.get(
                bucket=s.processed_bucket, key=processed_key, max_bytes=MAX_PROCESSED_BYTES
            )
            processed = json.loads(body)
        except (ObjectNotFound, ValueError):
            processed = None
        except AwsError:
            logger.warning("admin.processed_unreadable receipt_id=%s", receipt_id)
    url = container.store.presign_get(
        bucket=raw_bucket, key=raw_key, expires_in=s.admin_presign_expiry_seconds
    )
    return ReceiptDetail(
        **base,
        **extra,
        line_items=items,
        processed=processed if isinstance(processed, dict) else None,
        original_url=url,
        original_url_expires_in=s.admin_presign_expiry_seconds,
    )


def _send(container: ContainerDep, jobs: list[ProcessingJob]) -> None:
    for job in jobs:
        container.queue.send_job(job)


@router.post(
    "/{receipt_id}/reprocess",
    status_code=202,
    summary="Send a receipt back to the queue from its stored file",
    responses={**NOT_FOUND, **CONFLICT},
)
def reprocess_receipt(
    receipt_id: uuid.UUID,
    actor: ActorDep,
    container: ContainerDep,
    session: SessionDep,
    force: Annotated[bool, Query(description="also reprocess a done receipt")] = False,
) -> Reprocessed:
    job = container.admin.reprocess(session, actor, receipt_id=receipt_id, force=force)
    session.commit()  # first: the processor never sees a rolled-back row
    _send(container, [job])
    return Reprocessed(queued=[job.receipt_id], skipped=[])


@router.post(
    "/reprocess",
    status_code=202,
    summary="Send many receipts back to the queue (by ids, or e.g. all failed since a date)",
)
def reprocess_many(
    body: ReprocessRequest, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> Reprocessed:
    queries_filter = ReceiptFilter(
        status=None if body.receipt_ids else body.status,
        user_id=body.user_id,
        created_from=body.since,
        created_to=body.until,
        error_code=body.error_code,
    )
    queries = AdminReceiptQueries(session)
    if body.receipt_ids:
        found = [queries.get(rid, for_update=True) for rid in dict.fromkeys(body.receipt_ids)]
        receipts = [r for r in found if r is not None]
    else:
        receipts = list(queries.matching(queries_filter, limit=body.limit))
    jobs, skipped = container.admin.reprocess_many(
        session, actor, receipts=receipts, criteria=body.model_dump(exclude_none=True)
    )
    session.commit()  # first: the processor never sees a rolled-back row
    _send(container, jobs)
    return Reprocessed(queued=[j.receipt_id for j in jobs], skipped=skipped)


@router.delete(
    "/{receipt_id}",
    summary="Delete a receipt: its rows, and every version of its S3 objects",
    responses=NOT_FOUND,
)
def delete_receipt(
    receipt_id: uuid.UUID, actor: ActorDep, container: ContainerDep, session: SessionDep
) -> ReceiptDeleted:
    objects = container.admin.delete_receipt(session, actor, receipt_id=receipt_id)
    session.commit()  # first: a rolled-back delete never loses files
    erasure = container.receipts.delete_objects(objects)  # what S3 refuses: the sweeper's
    return ReceiptDeleted(
        id=str(receipt_id),
        objects_deleted=erasure.removed,
        objects_pending=not erasure.complete,
    )
