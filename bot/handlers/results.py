"""Turn the status message into the summary card when a processing result is stored."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, TypeHandler

from bot import keyboards
from bot.context import BotContext, ReceiptProcessed
from bot.render import receipt_card
from core.db.models import Receipt
from core.db.repositories import ReceiptRepository

logger = logging.getLogger(__name__)


async def on_processed(update: ReceiptProcessed, context: BotContext) -> None:
    def load(session: Session) -> Receipt | None:
        receipt = ReceiptRepository(session).get(update.receipt_id)
        if receipt is not None:
            _ = list(receipt.line_items)
        return receipt

    receipt = await context.services.in_session(load)
    if receipt is None or receipt.telegram_chat_id is None:
        return
    text = receipt_card(receipt)
    markup = keyboards.card(receipt, key=context.callback_key)
    if receipt.status_message_id is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=receipt.telegram_chat_id,
                message_id=receipt.status_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            logger.info("result.edit_failed receipt_id=%s error=%s", receipt.id, exc)
    await context.bot.send_message(
        receipt.telegram_chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


HANDLERS: list[BaseHandler[ReceiptProcessed, BotContext, None]] = [
    TypeHandler(ReceiptProcessed, on_processed),
]
