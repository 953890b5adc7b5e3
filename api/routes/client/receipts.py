"""Client: the user's receipts — list (keyset pages), detail, correct, delete, read again."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Query
from sqlalchemy import and_, or_

from api.container import Container
from api.deps import ClientUserDep, ContainerDep, SessionDep, tell_bot
from api.routes.client.schemas import (
    CONFLICT,
    NOT_FOUND,
    ClientReceipt,
    ClientReceiptDetail,
    ClientReceipts,
    Deleted,
    LineItem,
    ReceiptUpdate,
    Status,
    Submitted,
)
from bot.context import ReceiptChanged
from core.admin.repository import Cursor, InvalidCursor
from core.contracts import ReceiptStatus
from core.db.models import Receipt, User
from core.reading import files
from core.receipts.corrections import InvalidCorrection
from core.receipts.repository import ReceiptRepository
from core.summaries.months import Month
from core.summaries.repository import sent_in

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/receipts", tags=["client: receipts"])

MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"
# The order corrections are applied in: the currency before the total it is read in.
CORRECTABLE = ("merchant", "date", "currency", "total", "category")
# Without a thumbnail of its own, the list shows the file when a browser draws it in an <img>
# (a PDF or a HEIC photo gets an icon; its detail still links the file).
DRAWN = frozenset({files.JPEG, files.PNG, files.WEBP})


def public(receipt: Receipt, *, image_url: str | None) -> ClientReceipt:
    return ClientReceipt(**_fields(receipt), image_url=image_url)


def image_link(container: Container, receipt: Receipt) -> str | None:
    """A presigned GET of the receipt's file (signed locally: no call to S3), once uploaded."""
    if receipt.status == ReceiptStatus.AWAITING_UPLOAD:
        return None
    return container.store.presign_get(
        bucket=receipt.raw_bucket,
        key=receipt.raw_key,
        expires_in=container.settings.client_presign_expiry_seconds,
    )


def thumbnail_link(container: Container, receipt: Receipt) -> str | None:
    """The list's picture: the processor's small JPEG of the first page (kilobytes), else the
    file itself when a browser draws it, else nothing (an icon)."""
    if receipt.thumbnail_key is not None:
        return container.store.presign_get(
            bucket=container.settings.processed_bucket,
            key=receipt.thumbnail_key,
            expires_in=container.settings.client_presign_expiry_seconds,
        )
    return image_link(container, receipt) if receipt.content_type in DRAWN else None


def _fields(r: Receipt) -> dict[str, object]:
    return {
        "id": r.id,
        "status": r.status,
        "created_at": r.created_at,
        "merchant": r.merchant_name,
        "purchase_date": r.purchase_date,
        "currency": r.currency,
        "total": r.total,
        "category": r.category,
        "note": r.caption,
        "home_currency": r.home_currency,
        "home_total": r.home_total,
        "confirmed_at": r.confirmed_at,
        "possible_duplicate_of": r.possible_duplicate_of,
        "error_code": r.error_code,
        "error_message": r.error_message,
        "content_type": r.content_type,
    }


def detail(receipt: Receipt, *, image_url: str | None, expires_in: int) -> ClientReceiptDetail:
    confidence = {
        str(k): float(v)
        for k, v in (receipt.confidence or {}).items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    return ClientReceiptDetail(
        **_fields(receipt),
        merchant_address=receipt.merchant_address,
        merchant_phone=receipt.merchant_phone,
        purchase_time=receipt.purchase_time,
        subtotal=receipt.subtotal,
        tax=receipt.tax,
        tip=receipt.tip,
        payment_method=receipt.payment_method,
        summary=receipt.summary,
        confidence=confidence,
        line_items=[LineItem.model_validate(i) for i in receipt.line_items],
        image_url=image_url,
        image_url_expires_in=expires_in,
    )


@router.get("", summary="Your receipts, newest first (a month, a status; keyset pages)")
def list_receipts(
    user: ClientUserDep,
    container: ContainerDep,
    session: SessionDep,
    month: Annotated[
        str | None,
        Query(
            pattern=MONTH,
            description="YYYY-MM: receipts printed in it, or sent in it when without a date "
            "(as /summary counts them; in your time zone)",
            examples=["2026-10"],
        ),
    ] = None,
    status: Status | None = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="words found in the shop's name, the category or the note (any case)",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> ClientReceipts:
    conditions = []
    if month is not None:
        chosen = Month(int(month[:4]), int(month[5:]))
        tz = ZoneInfo(user.timezone or "UTC")
        conditions.append(
            or_(
                Receipt.purchase_date.between(chosen.first, chosen.last),
                and_(Receipt.purchase_date.is_(None), sent_in(chosen, tz)),
            )
        )
    if status is not None:
        conditions.append(Receipt.status == status)
    if q is not None and q.strip():
        text = q.strip().replace("\x00", "")
        conditions.append(
            or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (Receipt.merchant_name, Receipt.category, Receipt.caption)
                )
            )
        )
    after = None
    if cursor:
        position = Cursor.decode(cursor)
        try:
            after = (position.created_at, uuid.UUID(position.id))
        except ValueError as exc:
            raise InvalidCursor("the cursor is not one this API gave out") from exc
    rows = ReceiptRepository(session).page_for_user(
        user_id=user.id, where=and_(*conditions) if conditions else None, after=after, limit=limit
    )
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = Cursor(created_at=rows[-1].created_at, id=str(rows[-1].id)).encode()
    return ClientReceipts(
        data=[public(r, image_url=thumbnail_link(container, r)) for r in rows],
        next_cursor=nxt,
    )


@router.get(
    "/{receipt_id}",
    summary="One receipt: fields, line items, confidence, status, a link to its file",
    responses=NOT_FOUND,
)
def get_receipt(
    receipt_id: uuid.UUID, user: ClientUserDep, container: ContainerDep, session: SessionDep
) -> ClientReceiptDetail:
    receipt = container.receipts.get_owned(session, receipt_id=receipt_id, user_id=user.id)
    expires = container.settings.client_presign_expiry_seconds
    return detail(receipt, image_url=image_link(container, receipt), expires_in=expires)


@router.patch(
    "/{receipt_id}",
    summary="Correct fields as in the bot (the same parsing and checks); set the note",
    responses={**NOT_FOUND, **CONFLICT},
)
def update_receipt(
    receipt_id: uuid.UUID,
    body: ReceiptUpdate,
    user: ClientUserDep,
    container: ContainerDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> ClientReceiptDetail:
    service = container.receipts
    receipt = service.get_owned(session, receipt_id=receipt_id, user_id=user.id)
    given = body.model_fields_set
    for field in CORRECTABLE:
        raw = getattr(body, field)
        if field not in given or raw is None:
            continue
        try:
            service.correct(session, receipt_id=receipt.id, user_id=user.id, field=field, raw=raw)
        except InvalidCorrection as exc:
            raise InvalidCorrection(f"{field}: expected {exc.message}") from exc
    if "note" in given:
        note = (body.note or "").strip()
        receipt.caption = note or None
        session.flush()
    session.refresh(receipt)
    _card_follows(container, background, receipt, user)
    return get_receipt(receipt.id, user, container, session)


@router.delete(
    "/{receipt_id}",
    summary="Delete a receipt, as the bot's /delete: its rows now, its files from S3",
    responses=NOT_FOUND,
)
def delete_receipt(
    receipt_id: uuid.UUID,
    user: ClientUserDep,
    container: ContainerDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> Deleted:
    receipt = container.receipts.get_owned(session, receipt_id=receipt_id, user_id=user.id)
    _card_follows(container, background, receipt, user)  # where it is: read before it goes
    objects = container.receipts.delete(session, receipt_id=receipt_id, user_id=user.id)
    session.commit()  # first: a rolled-back delete never loses files
    erasure = container.receipts.delete_objects(objects)  # what S3 refuses: the sweeper's
    return Deleted(id=receipt_id, objects_pending=not erasure.complete)


def _card_follows(
    container: Container, background: BackgroundTasks, receipt: Receipt, user: User
) -> None:
    """The receipt's message in the chat (the card) shows the change, once committed."""
    if receipt.telegram_chat_id is None:
        return  # uploaded through this API: no message in a chat
    tell_bot(
        container,
        background,
        ReceiptChanged(
            receipt_id=receipt.id,
            chat_id=receipt.telegram_chat_id,
            message_id=receipt.status_message_id,
            media_group_id=receipt.media_group_id,
            language_code=user.language_code,
        ),
    )


@router.post(
    "/{receipt_id}/retry",
    status_code=202,
    summary="Read a failed receipt again from its stored file (counts toward your limits)",
    responses={**NOT_FOUND, **CONFLICT},
)
def retry_receipt(
    receipt_id: uuid.UUID, user: ClientUserDep, container: ContainerDep, session: SessionDep
) -> Submitted:
    receipt, job = container.receipts.retry(
        session, receipt_id=receipt_id, user_id=user.id, now=datetime.now(UTC)
    )
    status = receipt.status
    session.commit()  # first: the processor never sees a rolled-back row
    container.queue.send_job(job)
    return Submitted(receipt_id=receipt_id, status=status)
