"""Telegram's webhook: secret-token header checked, the update stored in the inbox (redelivered
ones dropped), 200 once it is committed, then handed to the bot (or, with the bot in its own
process, ``TELEGRAM_HANDLER=process``, left in the inbox for it: bot/inbox.py).

The route is async and goes to a worker thread once, for the INSERT and its commit (anyio's
threadpool, not the default executor the bot's own database calls queue on); the update is
parsed into PTB's ``Update`` and queued after the response is sent. Under load the bot's work
shares this process and its GIL: every extra hop between the event loop and a thread, and every
extra round trip to the database, is one more wait for the GIL (bench/load.py)."""

from __future__ import annotations

import hmac
import json
import logging
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response
from starlette.concurrency import run_in_threadpool
from telegram import Update

from api.container import Container
from api.deps import ContainerDep, read_body
from core.db.session import session_scope
from core.errors import Forbidden, ReceiptSnapError, TooLarge, Unavailable
from core.observability.logs import bind
from core.observability.metrics import api_metrics
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])

MAX_UPDATE_BYTES = 1024 * 1024
# Telegram's updates nest a dozen levels at most (a reply's quoted message's entities...).
MAX_UPDATE_DEPTH = 64
MAX_UPDATE_ID = 2**63 - 1  # the inbox's BIGINT


def _invalid() -> ReceiptSnapError:
    return ReceiptSnapError("not a Telegram update", code="invalid_update")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json takes NaN and Infinity by default


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(f"{text} is out of range")
    return value


def _well_formed(data: object) -> bool:
    """Nested at most ``MAX_UPDATE_DEPTH`` deep, every string text a database column takes
    (valid Unicode: no lone surrogates; no NUL, which PostgreSQL refuses, as the API does);
    walked without recursion."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return False
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(value, dict | list):
            if depth > MAX_UPDATE_DEPTH:
                return False
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return True


def parse_update(body: bytes) -> dict[str, Any]:
    """The JSON object of one update, as Telegram sends them: strict JSON (no NaN, no numbers
    too large for a float), nested at most ``MAX_UPDATE_DEPTH`` deep, text without lone
    surrogates or NUL, with an integer ``update_id`` the inbox can store.
    ``ReceiptSnapError`` otherwise: ``invalid_update`` (400), ``too_large`` (413)."""
    if len(body) > MAX_UPDATE_BYTES:
        raise TooLarge("update too large")
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json goes
        raise _invalid() from exc
    if not isinstance(data, dict) or not _well_formed(data):
        raise _invalid()
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:  # bool is no id
        raise _invalid()
    return data


async def _update_body(
    request: Request,
    container: ContainerDep,
    secret_token: str | None = Header(default=None, alias="X-Telegram-Bot-Api-Secret-Token"),
) -> dict[str, Any]:
    """The update Telegram sent, once the secret token is checked (403 otherwise)."""
    expected = container.webhook_secret
    # Compared as bytes: a header is any Latin-1 text, which compare_digest refuses as str.
    if (
        not expected
        or not secret_token
        or not hmac.compare_digest(secret_token.encode(), expected.encode())
    ):
        raise Forbidden("wrong or missing secret token")
    if container.bot_app is None:
        raise Unavailable("the bot is not running")
    return parse_update(await read_body(request, limit=MAX_UPDATE_BYTES))


def _claim(container: Container, update_id: int, data: dict[str, Any]) -> bool:
    """The inbox: the update stored and committed (False: it was stored before)."""
    with session_scope(container.session_factory) as session:
        return TelegramUpdateRepository(session).claim(
            update_id, payload=data, now=datetime.now(UTC)
        )


@router.post(
    "/telegram/webhook", summary="Receive an update from Telegram", include_in_schema=False
)
async def telegram_webhook(
    data: Annotated[dict[str, Any], Depends(_update_body)],
    container: ContainerDep,
    background: BackgroundTasks,
) -> Response:
    update_id: int = data["update_id"]
    bind(update_id=update_id)  # this request's lines (the bot binds it again for the handlers)
    try:
        # Read before it is stored: an update the library cannot read would fail the bot, and
        # every replay of it from the inbox, for good.
        update = Update.de_json(data, container.bot_app.bot)
    except Exception as exc:  # KeyError, TypeError, OverflowError...: all the same to us
        logger.warning("telegram.unreadable_update error=%s", type(exc).__name__)
        api_metrics.count("WebhookUpdates", outcome="invalid")
        raise _invalid() from exc
    # The inbox: stored (committed before the 200 below) until the bot marks it handled.
    if not await run_in_threadpool(_claim, container, update_id, data):
        logger.info("telegram.duplicate_update update_id=%s", update_id)
        api_metrics.count("WebhookUpdates", outcome="duplicate")
        return Response(status_code=200)
    api_metrics.count("WebhookUpdates", outcome="accepted")
    if container.settings.telegram_handler == "process":
        return Response(status_code=200)  # the bot process takes it from the inbox
    # After the response is sent, and after the commit above: the bot never sees an unclaimed
    # update.
    background.add_task(container.bot_app.update_queue.put, update)
    return Response(status_code=200)
