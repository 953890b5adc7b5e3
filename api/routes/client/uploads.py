"""Client: uploads straight to S3 — a presigned POST for a new receipt, then submit it.

The file never passes through the API: ``POST /uploads`` makes the receipt (awaiting_upload) and
a form upload whose policy binds the key (the server's), the Content-Type and the size; the
client posts the file to S3, then ``POST /receipts/{id}/submit`` checks the object (HEAD, first
bytes, size: ``ReceiptService.submit``, the bot's own path) and queues it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import ClientUserDep, ContainerDep, SessionDep
from api.routes.client.schemas import (
    CONFLICT,
    NOT_FOUND,
    PresignedPost,
    Submitted,
    UploadCreated,
    UploadRequest,
)
from core.users.repository import UserRepository

router = APIRouter(tags=["client: uploads"])


@router.post(
    "/uploads",
    status_code=201,
    summary="A new receipt and a presigned POST to upload its file straight to S3",
)
def create_upload(
    body: UploadRequest, user: ClientUserDep, container: ContainerDep, session: SessionDep
) -> UploadCreated:
    owner = UserRepository(session).get(user.id)
    assert owner is not None
    reservation = container.receipts.reserve(
        session,
        user=owner,
        content_type=body.content_type,
        size=body.size,
        file_name=body.file_name,
        source="api",
        # The card goes to the user's private chat when processing ends, as for a photo sent
        # there (no chat known yet: the Mini App alone shows it).
        telegram_chat_id=owner.telegram_chat_id,
        now=datetime.now(UTC),
    )
    receipt = container.receipts.get_owned(
        session, receipt_id=reservation.receipt.id, user_id=user.id
    )
    expires = container.settings.client_presign_expiry_seconds
    url, fields = container.store.presign_post(
        bucket=receipt.raw_bucket,
        key=receipt.raw_key,
        content_type=receipt.content_type,
        max_bytes=body.size,  # the size declared (reserve checked it against the file limit)
        expires_in=expires,
    )
    return UploadCreated(
        receipt_id=receipt.id,
        upload=PresignedPost(url=url, fields=fields, expires_in=expires, max_bytes=body.size),
    )


@router.post(
    "/receipts/{receipt_id}/submit",
    status_code=202,
    summary="The file is in S3: check it and queue the receipt (a repeat changes nothing)",
    responses={**NOT_FOUND, **CONFLICT},
)
def submit_receipt(
    receipt_id: uuid.UUID, user: ClientUserDep, container: ContainerDep, session: SessionDep
) -> Submitted:
    view, job = container.receipts.submit(session, receipt_id=receipt_id, user_id=user.id)
    session.commit()  # first: the processor never sees a rolled-back row
    if job is not None:
        container.queue.send_job(job)
    return Submitted(
        receipt_id=view.id,
        status=view.status.value,
        error_code=view.error_code,
        error_message=view.error_message,
    )
