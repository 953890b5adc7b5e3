"""The processor's signed callback: verify, apply idempotently, wake the bot."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from pydantic import BaseModel, ValidationError

from api.deps import ContainerDep, SessionDep, read_body, tell_bot
from bot.context import ReceiptProcessed, ReceiptProgress
from core.contracts import ProcessingProgress, ProcessingResult
from core.errors import ReceiptSnapError, Unauthorized
from core.observability.logs import bind
from core.observability.metrics import api_metrics
from core.receipts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

logger = logging.getLogger(__name__)
router = APIRouter(tags=["internal"])

MAX_RESULT_BYTES = 2 * 1024 * 1024


async def _verified_body(
    request: Request,
    container: ContainerDep,
    timestamp: str | None = Header(default=None, alias=TIMESTAMP_HEADER),
    signature: str | None = Header(default=None, alias=SIGNATURE_HEADER),
) -> bytes:
    """The request body, once its HMAC signature and timestamp are checked (401 otherwise)."""
    body = await read_body(request, limit=MAX_RESULT_BYTES)
    try:
        verify(
            container.callback_key(),
            body,
            timestamp=timestamp,
            signature=signature,
            max_age_seconds=container.settings.callback_max_age_seconds,
        )
    except SignatureError as exc:
        logger.warning("callback.rejected reason=%s", exc)
        api_metrics.count("CallbackResults", outcome="rejected", status="unknown")
        raise Unauthorized(str(exc)) from exc
    return body


SignedBody = Annotated[bytes, Depends(_verified_body)]
M = TypeVar("M", bound=BaseModel)
SIGNED: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, forged or stale signature"}
}


def _parse(model: type[M], body: bytes, *, what: str, code: str) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise ReceiptSnapError(f"malformed {what}", code=code) from exc


@router.post(
    "/internal/processing-results",
    summary="Store a processing result (HMAC-signed by the processor)",
    responses=SIGNED,
)
def processing_result(
    body: SignedBody,
    container: ContainerDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> dict[str, str]:
    result = _parse(ProcessingResult, body, what="processing result", code="invalid_result")
    bind(receipt_id=str(result.receipt_id))
    outcome = container.receipts.apply_result(session, result)
    receipt = outcome.receipt
    undelivered = (
        receipt is not None and receipt.status_enum.is_final and receipt.notified_at is None
    )
    if outcome.applied or undelivered:  # a repeat also sends a card that never reached the user
        tell_bot(container, background, ReceiptProcessed(receipt_id=result.receipt_id))
    status = "ignored" if outcome.receipt is None else "applied" if outcome.applied else "unchanged"
    logger.info("callback.result status=%s outcome=%s", result.status, status)
    api_metrics.count("CallbackResults", outcome=status, status=str(result.status))
    return {"status": status}


@router.post(
    "/internal/processing-progress",
    summary="Note that the processor reached a stage (HMAC-signed); the answer's status says "
    "whether to go on: ok, stale (finished, gone or superseded) or taken (another run has it)",
    responses=SIGNED,
)
def processing_progress(
    body: SignedBody,
    container: ContainerDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> dict[str, str]:
    progress = _parse(ProcessingProgress, body, what="progress", code="invalid_progress")
    receipt, verdict = container.receipts.mark_progress(session, progress, now=datetime.now(UTC))
    if receipt is not None:
        tell_bot(
            container,
            background,
            ReceiptProgress(receipt_id=progress.receipt_id, stage=progress.stage),
        )
    return {"status": verdict.value}
