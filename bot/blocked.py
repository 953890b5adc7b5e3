"""Users blocked by an admin: each update gets one polite reply and nothing else happens.

A ``TypeHandler`` in group -2 runs before every other handler (but the log context's and, in
the same group before it, the record of members leaving, bot/handlers/ledgers.py) and stops the
update there. It stops an update with no sender too: Telegram names one in every message
and button press the bot takes (``ALLOWED_UPDATES``), so such an update is made up, and has
nobody to register or answer.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.i18n import texts
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)

GROUP = -2


async def stop_blocked(update: Update, context: BotContext) -> None:
    tg_user = update.effective_user
    if tg_user is None:
        logger.info("bot.update_without_sender update_id=%s", update.update_id)
        raise ApplicationHandlerStop

    def is_blocked(session: Session) -> bool:
        user = UserRepository(session).get_by_telegram_id(tg_user.id)
        return user is not None and user.blocked_at is not None

    if not await context.services.in_session(is_blocked):
        return
    logger.info("bot.blocked_user_update update_id=%s", update.update_id)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.BLOCKED, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(texts.BLOCKED)
    except TelegramError as exc:
        logger.warning("bot.blocked_reply_failed error=%r", exc)
    raise ApplicationHandlerStop


GATE = TypeHandler(Update, stop_blocked)
