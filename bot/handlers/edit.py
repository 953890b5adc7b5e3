"""Typed answers to "Send me the total…": the pending edit is in the database, so whichever API
instance gets the answer can apply it. Text that answers no question gets a helpful reply."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import keyboards, texts
from bot.context import BotContext
from bot.render import money, receipt_card
from core.categories.service import list_categories
from core.db.models import PendingEdit, Receipt
from core.errors import Conflict, NotFound
from core.questions.service import Question, answer, question_categories
from core.receipts.corrections import InvalidCorrection
from core.receipts.repository import PendingEditRepository
from core.summaries.labels import NO_CURRENCY
from core.summaries.service import BiggestPurchase
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None
    raw = message.text or ""
    services = context.services

    known: list[str] = []  # the user's categories before the answer (a new one is added)

    def run(session: Session) -> tuple[PendingEdit | None, Receipt | None, str | None]:
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
        _ = list(receipt.line_items)
        return pending, receipt, None

    try:
        pending, receipt, problem = await services.in_session(run)
    except (NotFound, Conflict):
        await message.reply_text(texts.RECEIPT_GONE)
        return
    if pending is None:
        await message.reply_text(await _answer_question(context, tg_user.id, raw))
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
    }[pending.field]
    reply = texts.CORRECTED.format(label=label, value=escape(str(shown)))
    if pending.field == "category" and receipt.category not in known:
        reply += texts.CATEGORY_ADDED_NOTE
    await message.reply_text(reply, parse_mode=ParseMode.HTML)
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


async def _answer_question(context: BotContext, telegram_user_id: int, raw: str) -> str:
    """A question in plain words ("how much on coffee in October?"), or the usual hint.

    The reader (rules, or a model on AWS) sees only the text, the user's date and category
    names; the numbers come from this user's receipts. No session is held while it reads."""
    services = context.services

    def asker(session: Session) -> tuple[int, str | None, list[str]] | None:
        user = UserRepository(session).get_by_telegram_id(telegram_user_id)
        if user is None:
            return None
        return user.id, user.timezone, question_categories(session, user_id=user.id)

    found = await services.in_session(asker)
    if found is None:
        return texts.UNKNOWN_TEXT
    user_id, timezone, categories = found
    today = datetime.now(UTC).astimezone(ZoneInfo(timezone or "UTC")).date()
    reading = await asyncio.to_thread(
        services.questions.read, raw, today=today, categories=categories
    )
    question = reading.question
    if question is None:
        return texts.UNKNOWN_TEXT
    logger.info(
        "questions.answer user_id=%s reader=%s metric=%s fallback=%s",
        user_id,
        reading.reader,
        question.metric,
        reading.fallback,
    )

    def run(session: Session) -> str:
        result = answer(session, question, user_id=user_id, timezone=timezone)
        return render_answer(question, result)

    return await services.in_session(run)


def _purchase(big: BiggestPurchase) -> str:
    when = f" on {big.day.isoformat()}" if big.day else ""
    amount = money(big.total, None if big.currency == NO_CURRENCY else big.currency)
    return f"{big.merchant or 'unknown merchant'}, {amount}{when}"


def render_answer(question: Question, result: dict[str, Any]) -> str:
    month = result["month"].label
    what = f" on {question.term}" if question.term else ""
    if question.metric == "biggest":
        biggest: list[BiggestPurchase] = result["biggest"]
        if not biggest:
            return texts.ANSWER_NONE.format(what=what, month=month)
        if len(biggest) == 1:
            return texts.ANSWER_BIGGEST.format(
                what=what, month=month, purchase=_purchase(biggest[0])
            )
        # One per currency: amounts of different currencies are not compared.
        return texts.ANSWER_BIGGEST_PER_CURRENCY.format(
            what=what, month=month, purchases="; ".join(_purchase(b) for b in biggest)
        )
    if not result["count"]:
        return texts.ANSWER_NONE.format(what=what, month=month)
    if question.metric == "count":
        return texts.ANSWER_COUNT.format(count=result["count"], what=what, month=month)
    amounts = ", ".join(
        money(t, None if c == NO_CURRENCY else c) for c, t in sorted(result["totals"].items())
    )
    return texts.ANSWER_TOTAL.format(
        month=month,
        what=f", {question.term}" if question.term else "",
        amounts=amounts,
        count=result["count"],
    )


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
]
