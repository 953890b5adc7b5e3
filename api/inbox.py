"""The inbox and the outbox, from the API's side: what Telegram was told we have, and what the
user was never told, is picked up again after a crash.

- Inbox: an update stored by the webhook (before its 200) but never marked handled by the bot
  (the process died while handling it) is put on the bot's queue again: at start (every such
  update belongs to a process that is gone) and by the sweeper (after a grace period, for one
  that hung). Handlers are idempotent for this: a photo finds the receipt its message made.
  After ``MAX_TAKES`` takings the update is given up, logged as an error.
- Outbox: a finished receipt whose card Telegram never accepted (``notified_at`` unset) is
  handed to the bot again, which sends the card and marks it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import Update

from api.container import Container
from bot.context import ReceiptProcessed
from core.observability.metrics import api_metrics
from core.receipts.repository import ReceiptRepository
from core.updates.repository import TelegramUpdateRepository

logger = logging.getLogger(__name__)

# Cards of older receipts are not sent any more.
RESEND_WITHIN = timedelta(days=1)
BATCH = 100


async def replay_unhandled(container: Container, *, grace: timedelta | None = None) -> int:
    """Put updates acknowledged but never handled on the bot's queue again; how many. A
    handler not done after ``inbox_replay_after_seconds`` is taken as dead (a photo's whole
    capture takes seconds)."""
    if grace is None:
        grace = timedelta(seconds=container.settings.inbox_replay_after_seconds)
    application = container.bot_app
    settings = container.settings
    if application is None or settings.telegram_mode != "webhook":
        return 0
    if settings.telegram_handler == "process":
        return 0  # the bot process takes them (bot/inbox.py)

    def take(session: Session) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        return TelegramUpdateRepository(session).take(
            now=now, stale_before=now - grace, fresh=False, limit=BATCH
        )

    payloads = await container.in_session(take)
    for payload in payloads:
        logger.warning("inbox.replay update_id=%s", payload.get("update_id"))
        await application.update_queue.put(Update.de_json(payload, application.bot))
    if payloads:
        api_metrics.count("InboxReplayed", len(payloads))
    return len(payloads)


async def resend_unnotified(container: Container) -> int:
    """Hand finished receipts whose card never reached Telegram to the bot again (once the
    first try had ``outbox_resend_after_seconds`` to finish); how many."""
    grace = timedelta(seconds=container.settings.outbox_resend_after_seconds)
    application = container.bot_app
    if application is None:
        return 0

    def find(session: Session) -> list[uuid.UUID]:
        now = datetime.now(UTC)
        rows = ReceiptRepository(session).unnotified(
            finished_before=now - grace, finished_since=now - RESEND_WITHIN, limit=BATCH
        )
        return [r.id for r in rows]

    receipt_ids = await container.in_session(find)
    for receipt_id in receipt_ids:
        logger.warning("outbox.resend receipt_id=%s", receipt_id)
        await application.update_queue.put(ReceiptProcessed(receipt_id=receipt_id))
    if receipt_ids:
        api_metrics.count("OutboxResent", len(receipt_ids))
    return len(receipt_ids)
