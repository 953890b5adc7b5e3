"""Typed answers to "Send me the total…": the pending edit is in the database, so whichever API
instance gets the answer can apply it. Other text is a question in plain words
(``bot/handlers/questions.py``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html import escape

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import keyboards, texts
from bot.context import BotContext
from bot.handlers import questions
from bot.render import now_impossible, receipt_card
from core.categories.service import list_categories
from core.db.models import PendingEdit
from core.errors import Conflict, NotFound
from core.receipts.corrections import InvalidCorrection
from core.receipts.repository import PendingEditRepository
from core.receipts.views import ReceiptView
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None
    raw = message.text or ""
    services = context.services

    known: list[str] = []  # the user's categories before the answer (a new one is added)

    def run(session: Session) -> tuple[PendingEdit | None, ReceiptView | None, str | None]:
        user = UserRepository(session).get_by_telegram_id(tg_user.id)
        if user is None:
            return None, None, None
        pending_repo = PendingEditRepository(session)
        pending = pending_repo.take(user_id=user.id, now=datetime.now(UTC))
        if pending is None:
            return None, None, None
        if pending.field == "category":
            known.extend(list_categories(session, user_id=user.id))
        try:
            receipt = services.receipts.correct(
                session,
                receipt_id=pending.receipt_id,
                user_id=user.id,
                field=pending.field,
                raw=raw,
            )
        except InvalidCorrection as exc:
            # Ask again: the same question stays open.
            pending_repo.put(
                PendingEdit(
                    user_id=pending.user_id,
                    receipt_id=pending.receipt_id,
                    field=pending.field,
                    chat_id=pending.chat_id,
                    card_message_id=pending.card_message_id,
                    expires_at=pending.expires_at,
                )
            )
            return pending, None, exc.message
        return pending, receipt, None

    try:
        pending, receipt, problem = await services.in_session(run)
    except (NotFound, Conflict):
        await message.reply_text(texts.RECEIPT_GONE)
        return
    if pending is None:
        await message.reply_text(await questions.reply(context, tg_user.id, raw))
        return
    if problem is not None or receipt is None:
        await message.reply_text(texts.INVALID_FIELD.format(hint=problem))
        return
    label = texts.FIELD_LABELS[pending.field]
    shown = {
        "merchant": receipt.merchant_name,
        "date": receipt.purchase_date.isoformat() if receipt.purchase_date else None,
        "total": f"{receipt.total:,.2f}" if receipt.total is not None else None,
        "currency": receipt.currency,
        "category": receipt.category,
        "subtotal": f"{receipt.subtotal:,.2f}" if receipt.subtotal is not None else None,
        "tax": f"{receipt.tax:,.2f}" if receipt.tax is not None else None,
    }[pending.field]
    reply = texts.CORRECTED.format(label=label, value=escape(str(shown)))
    if pending.field == "category" and receipt.category not in known:
        reply += texts.CATEGORY_ADDED_NOTE
    impossible = now_impossible(receipt, pending.field)  # never an impossible card in silence
    if impossible is not None:
        reply += impossible
    markup = keyboards.fix(receipt, key=context.callback_key) if impossible else None
    await message.reply_text(reply, parse_mode=ParseMode.HTML, reply_markup=markup)
    if pending.card_message_id is not None:
        try:
            await context.bot.edit_message_text(
                receipt_card(receipt),
                chat_id=pending.chat_id,
                message_id=pending.card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboards.card(receipt, key=context.callback_key),
            )
        except BadRequest as exc:
            logger.info("edit.card_not_updated receipt_id=%s error=%s", receipt.id, exc)


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
]
