"""Telegram's webhook: secret-token header checked, redelivered updates dropped, 200 at once."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.orm import Session
from telegram import Update

from api.deps import ContainerDep
from core.errors import ReceiptSnapError
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])

MAX_UPDATE_BYTES = 1024 * 1024


class Forbidden(ReceiptSnapError):
    status_code = 403
    code = "forbidden"


class Unavailable(ReceiptSnapError):
    status_code = 503
    code = "unavailable"


@router.post(
    "/telegram/webhook", summary="Receive an update from Telegram", include_in_schema=False
)
async def telegram_webhook(
    request: Request,
    container: ContainerDep,
    secret_token: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token"),
) -> Response:
    expected = container.webhook_secret
    if not expected or not secret_token or not hmac.compare_digest(secret_token, expected):
        raise Forbidden("wrong or missing secret token")
    if container.bot_app is None:
        raise Unavailable("the bot is not running")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise ReceiptSnapError("update too large", code="too_large")
    try:
        data = json.loads(body)
        update_id = int(data["update_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReceiptSnapError("not a Telegram update", code="invalid_update") from exc

    def claim(session: Session) -> bool:
        return TelegramUpdateRepository(session).claim(update_id)

    if not await container.in_session(claim):
        logger.info("telegram.duplicate_update update_id=%s", update_id)
        return Response(status_code=200)
    update = Update.de_json(data, container.bot_app.bot)
    await container.bot_app.update_queue.put(update)
    return Response(status_code=200)
