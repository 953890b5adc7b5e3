"""The bot in its own process (``TELEGRAM_HANDLER=process``): it takes the updates the webhook
stored from the inbox (``telegram_updates``), instead of being handed them in the API's event
loop, so that the webhook's acknowledgement is one INSERT whatever the bot is doing.

Each update is taken (``taken_at``, ``attempts``) and put on the application's queue; the
``InboxUpdateProcessor`` marks it handled once its handlers ran. One taken but not handled
within ``inbox_replay_after_seconds`` (this process died, or a handler hung) is taken again, at
most ``MAX_TAKES`` times in all; at start every update not handled is taken at once, since the
process that took it is gone. So there is exactly one bot process. No more is taken while
``BATCH`` taken updates are not handled yet (``InboxUpdateProcessor.pending``: the application
starts a task for each update at once, so its queue's length says nothing): a backlog stays in
the inbox, where it survives a crash, and is not taken twice for waiting too long here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import Update

from bot.app import TRANSIENT_ERRORS
from bot.context import BotServices
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)

BATCH = 256  # the processor handles this many at once (InboxUpdateProcessor)
RETRY_SECONDS = 1.0  # after the database failed a taking


async def take_updates(
    application: Any, services: BotServices, *, replay_after: timedelta, at_start: bool
) -> int:
    """One taking: due updates on the application's queue; how many were taken."""
    pending = application.update_processor.pending  # taken, not handled yet
    room = BATCH - len(pending)
    if room <= 0:
        return 0

    def take(session: Session) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        return TelegramUpdateRepository(session).take(
            now=now,
            stale_before=now if at_start else now - replay_after,
            fresh=True,
            limit=room,
        )

    payloads = await services.in_session(take)
    for payload in payloads:
        try:
            update = Update.de_json(payload, application.bot)
        except Exception as exc:  # noqa: BLE001 - the webhook read it first: a library change
            logger.error("inbox.unreadable update_id=%s error=%s", payload.get("update_id"), exc)
            continue  # taken again later, then given up
        pending.add(update.update_id)
        await application.update_queue.put(update)
    return len(payloads)


async def consume_inbox(application: Any, services: BotServices, stop: asyncio.Event) -> None:
    """Take updates from the inbox until ``stop`` is set: at once while there are more, else
    every ``inbox_poll_seconds``; a database away for a moment is waited out (and what was
    taken before it went away stays for the handlers)."""
    settings = services.settings
    replay_after = timedelta(seconds=settings.inbox_replay_after_seconds)
    at_start = True
    while not stop.is_set():
        try:
            taken = await take_updates(
                application, services, replay_after=replay_after, at_start=at_start
            )
            at_start = False
        except TRANSIENT_ERRORS as exc:
            logger.warning("inbox.take_failed error=%r", exc)
            await _wait(stop, RETRY_SECONDS)
            continue
        if taken:
            await asyncio.sleep(0)  # the handlers go first
        else:
            await _wait(stop, settings.inbox_poll_seconds)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
