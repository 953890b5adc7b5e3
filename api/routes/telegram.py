"""Telegram's webhook: secret-token header checked, the update stored in the inbox (redelivered
ones dropped), 200 once it is committed, then handed to the bot.

The route is async and goes to a worker thread once, for the INSERT and its commit (anyio's
threadpool, not the default executor the bot's own database calls queue on); the update is
parsed into PTB's ``Update`` and queued after the response is sent. Under load the bot's work
shares this process and its GIL: every extra hop between the event loop and a thread, and every
extra round trip to the database, is one more wait for the GIL (bench/load.py)."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from starlette.concurrency import run_in_threadpool
from telegram import Update

from api.container import Container
from api.deps import ContainerDep
from core.db.session import session_scope
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


def _claim(container: Container, update_id: int, data: dict[str, Any]) -> bool:
    """The inbox: the update stored and committed (False: it was stored before)."""
    with session_scope(container.session_factory) as session:
        return TelegramUpdateRepository(session).claim(
            update_id, payload=data, now=datetime.now(UTC)
        )


async def _hand_to_bot(application: Any, data: dict[str, Any]) -> None:
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # stored and acknowledged: left unhandled in the inbox, replay gives up
        logger.exception("telegram.unparseable_update update_id=%s", data.get("update_id"))
        return
    await application.update_queue.put(update)


@router.post(
    "/telegram/webhook", summary="Receive an update from Telegram", include_in_schema=False
)
async def telegram_webhook(
    data: Annotated[dict[str, Any], Depends(_update_body)],
    container: ContainerDep,
    background: BackgroundTasks,
) -> Response:
    update_id = int(data["update_id"])
    bind(update_id=update_id)  # this request's lines (the bot binds it again for the handlers)
    # The inbox: stored (committed before the 200 below) until the bot marks it handled.
    if not await run_in_threadpool(_claim, container, update_id, data):
        logger.info("telegram.duplicate_update update_id=%s", update_id)
        api_metrics.count("WebhookUpdates", outcome="duplicate")
        return Response(status_code=200)
    api_metrics.count("WebhookUpdates", outcome="accepted")
    # After the response is sent, and after the commit above: the bot never sees an unclaimed
    # update, and the 200 does not wait for the update to be parsed.
    background.add_task(_hand_to_bot, container.bot_app, data)
    return Response(status_code=200)
