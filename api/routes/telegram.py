"""Telegram's webhook: secret-token header checked, the update stored in the inbox (redelivered
ones dropped), 200 once it is committed, then handed to the bot."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from telegram import Update

from api.deps import ContainerDep, SessionDep
from core.errors import Forbidden, ReceiptSnapError, Unavailable
from core.observability.logs import bind
from core.observability.metrics import api_metrics
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])

MAX_UPDATE_BYTES = 1024 * 1024


async def _update_body(
    request: Request,
    container: ContainerDep,
    secret_token: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token"),
) -> dict[str, Any]:
    """The update Telegram sent, once the secret token is checked (403 otherwise)."""
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
        int(data["update_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReceiptSnapError("not a Telegram update", code="invalid_update") from exc
    if not isinstance(data, dict):
        raise ReceiptSnapError("not a Telegram update", code="invalid_update")
    return data


@router.post(
    "/telegram/webhook", summary="Receive an update from Telegram", include_in_schema=False
)
def telegram_webhook(
    data: Annotated[dict[str, Any], Depends(_update_body)],
    container: ContainerDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> Response:
    update_id = int(data["update_id"])
    bind(update_id=update_id)  # this request's lines (the bot binds it again for the handlers)
    # The inbox: stored (committed before the 200 below) until the bot marks it handled.
    if not TelegramUpdateRepository(session).claim(update_id, payload=data, now=datetime.now(UTC)):
        logger.info("telegram.duplicate_update update_id=%s", update_id)
        api_metrics.count("WebhookUpdates", outcome="duplicate")
        return Response(status_code=200)
    api_metrics.count("WebhookUpdates", outcome="accepted")
    update = Update.de_json(data, container.bot_app.bot)
    # A background task runs after the session's commit: the bot never sees an unclaimed update.
    background.add_task(container.bot_app.update_queue.put, update)
    return Response(status_code=200)
