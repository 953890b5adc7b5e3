"""The status message follows the receipt: stages while it is read, then the summary card."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, TypeHandler

from bot import keyboards
from bot.albums import update_album
from bot.context import BotContext, ReceiptChanged, ReceiptProcessed, ReceiptProgress
from bot.handlers.budgets import send_warnings
from bot.i18n import texts
from bot.render import receipt_card
from bot.waiting import queue_watch, receipt_lock
from core.receipts.repository import ReceiptRepository
from core.receipts.views import ReceiptView

logger = logging.getLogger(__name__)


async def _view(context: BotContext, receipt_id: Any) -> ReceiptView | None:
    """The receipt as it is now (None: gone)."""

    def load(session: Session) -> ReceiptView | None:
        receipt = ReceiptRepository(session).get(receipt_id)
        return ReceiptView.of(receipt) if receipt is not None else None

    return await context.services.in_session(load)


def _lock(context: BotContext, receipt_id: Any) -> asyncio.Lock:
    """The receipt's lock (``bot/waiting.py``): a progress note, the result and the queue's
    refresh (handled concurrently) never edit the status message at once."""
    return receipt_lock(context.bot_data, receipt_id)


async def on_processed(update: ReceiptProcessed, context: BotContext) -> None:
    logger.info("results.reply")  # the bound receipt_id ends the journey
    queue_watch(context.bot_data).stop(update.receipt_id)
    async with _lock(context, update.receipt_id):
        await _show_result(update, context)
    context.bot_data.get("receipt_locks", {}).pop(update.receipt_id, None)
    await send_warnings(context, update.receipt_id)


async def _show_result(update: ReceiptProcessed, context: BotContext) -> None:
    """The card, once: Telegram's acceptance is marked (the outbox); a card already accepted is
    not sent again, and one that cannot be delivered (the bot blocked, the chat gone) is not
    tried again. Any other failure leaves it unmarked, for the sweeper to send."""

    receipt = await _view(context, update.receipt_id)
    if receipt is None or receipt.telegram_chat_id is None:
        return
    if receipt.notified_at is not None:
        logger.info("result.already_notified")
        return
    if receipt.ledger_removed:  # the bot is out of the group: its members read it privately
        logger.info("result.group_left")
        await _mark_notified(context, receipt)
        return
    sent: int | None = None
    try:
        sent = await _send_card(receipt, context)
    except (Forbidden, BadRequest) as exc:  # undeliverable: retrying would not help
        logger.warning("result.undeliverable error=%s", exc)
    await _mark_notified(context, receipt, message_id=sent)


async def _send_card(receipt: ReceiptView, context: BotContext) -> int | None:
    """The card, in place of the status message (or the album's); the id of the message sent
    when there was none to edit."""
    assert receipt.telegram_chat_id is not None
    if receipt.media_group_id is not None:
        await update_album(
            context, chat_id=receipt.telegram_chat_id, media_group_id=receipt.media_group_id
        )
    text = receipt_card(receipt)
    markup = keyboards.card(receipt, key=context.callback_key, app_url=context.app_url)
    if receipt.status_message_id is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=receipt.telegram_chat_id,
                message_id=receipt.status_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            logger.info("result.edit_failed receipt_id=%s error=%s", receipt.id, exc)
    message = await context.bot.send_message(
        receipt.telegram_chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )
    return message.message_id


async def _mark_notified(
    context: BotContext, receipt: ReceiptView, *, message_id: int | None = None
) -> None:
    def mark(session: Session) -> None:
        ReceiptRepository(session).mark_notified(
            receipt.id, at=datetime.now(UTC), message_id=message_id
        )

    await context.services.in_session(mark)


async def on_progress(update: ReceiptProgress, context: BotContext) -> None:
    text = texts.STAGES.get(update.stage)
    watch = queue_watch(context.bot_data)
    watch.stop(update.receipt_id)  # it has left the queue
    async with _lock(context, update.receipt_id):
        receipt = await _view(context, update.receipt_id)  # read under the lock: still not done?
        if receipt is None or text is None or receipt.status.is_final or receipt.ledger_removed:
            return
        if receipt.telegram_chat_id is not None:  # "typing…" while it is read
            await watch.chat_action(context.bot, receipt.telegram_chat_id)
        if receipt.telegram_chat_id is not None and receipt.media_group_id is not None:
            await update_album(
                context, chat_id=receipt.telegram_chat_id, media_group_id=receipt.media_group_id
            )
            return
        if receipt.telegram_chat_id is None or receipt.status_message_id is None:
            return
        try:
            await context.bot.edit_message_text(
                text, chat_id=receipt.telegram_chat_id, message_id=receipt.status_message_id
            )
        except BadRequest as exc:
            logger.info("progress.edit_failed receipt_id=%s error=%s", receipt.id, exc)


async def on_changed(update: ReceiptChanged, context: BotContext) -> None:
    """The receipt's card shows it as it now is (or as deleted); one not shown yet is left to
    its result (``on_processed``)."""

    async with _lock(context, update.receipt_id):
        if update.media_group_id is not None:  # one message for the whole album
            await update_album(
                context, chat_id=update.chat_id, media_group_id=update.media_group_id
            )
            return
        if update.message_id is None:
            return
        receipt = await _view(context, update.receipt_id)
        if receipt is None:
            text, markup = texts.DELETED.format(short_id=update.receipt_id.hex[:8]), None
        elif receipt.notified_at is None:
            return  # its card is still to come, as it now is
        else:
            markup = keyboards.card(receipt, key=context.callback_key, app_url=context.app_url)
            text = receipt_card(receipt)
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=update.chat_id,
                message_id=update.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except (BadRequest, Forbidden) as exc:  # unchanged, the message or the chat gone
            logger.info("changed.edit_failed receipt_id=%s error=%s", update.receipt_id, exc)


HANDLERS: list[BaseHandler[Any, BotContext, None]] = [
    TypeHandler(ReceiptProcessed, on_processed),
    TypeHandler(ReceiptChanged, on_changed),
    TypeHandler(ReceiptProgress, on_progress),
]
