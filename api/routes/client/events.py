"""Client: a receipt's status without a polling storm — a long poll that answers as soon as
the status is no longer the one the client has (``after``), or when ``wait`` seconds pass.

The request's own session is committed before the wait (no connection is held while waiting);
the status is then read in short sessions of their own, once a second. The bot still sends its
card in the chat when processing ends.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from api.deps import ClientUserDep, ContainerDep, SessionDep
from api.routes.client.schemas import NOT_FOUND, ReceiptEvent, Status
from core.errors import NotFound
from core.receipts.repository import ReceiptRepository

router = APIRouter(tags=["client: receipts"])

POLL_SECONDS = 1.0


@router.get(
    "/receipts/{receipt_id}/events",
    summary="Wait (long poll) until the receipt's status is no longer `after`",
    responses=NOT_FOUND,
)
async def receipt_events(
    receipt_id: uuid.UUID,
    user: ClientUserDep,
    container: ContainerDep,
    session: SessionDep,
    after: Annotated[
        Status | None, Query(description="the status you have; omitted: answer at once")
    ] = None,
    wait: Annotated[int, Query(ge=0, le=55, description="seconds to wait at most")] = 25,
) -> ReceiptEvent:
    user_id = user.id
    await asyncio.to_thread(session.commit)  # the connection goes back to the pool now

    def read(s: Session) -> ReceiptEvent:
        receipt = ReceiptRepository(s).get_for_user(receipt_id, user_id=user_id)
        if receipt is None:
            raise NotFound("receipt not found")
        return ReceiptEvent(
            receipt_id=receipt.id,
            status=receipt.status,
            changed=receipt.status != after,
            error_code=receipt.error_code,
            error_message=receipt.error_message,
        )

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        event = await container.in_session(read)
        if after is None or event.changed or loop.time() >= deadline:
            return event
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - loop.time())))
