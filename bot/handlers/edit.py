"""Answers to the questions of ✏️ Fix ("Send me the total…"), typed or tapped.

The question waits in the database (``pending_edits``), so whichever API instance gets the
answer can apply it. It is asked with a force-reply prompt (``bot/handlers/receipts.py``): a
reply to that prompt is its answer, whatever came in between. Anything clearly not its answer
sets it aside and is handled as what it is: a command or a file (``set_aside``, before their
own handlers run), a question in plain words (``bot/answers.py``). Text that answers no open
question is a question in plain words (``bot/handlers/questions.py``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import keyboards
from bot.answers import is_answer
from bot.context import BotContext
from bot.formats import amount, day_text
from bot.handlers import questions
from bot.i18n import texts
from bot.render import now_impossible, receipt_card, wanted
from core.categories.service import list_categories
from core.db.models import PendingEdit
from core.errors import Conflict, NotFound
from core.receipts.corrections import InvalidCorrection
from core.receipts.repository import PendingEditRepository
from core.receipts.views import ReceiptView
from core.summaries.months import today_in
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)

# After the blocked-user gate (-2), before every feature's handler (0): a command or a file
# sets the open question aside before it is handled.
SET_ASIDE_GROUP = -1


@dataclass(frozen=True, slots=True)
class Question:
    """A pending edit as read in its session."""

    receipt_id: uuid.UUID
    field: str
    chat_id: int
    card_message_id: int | None
    prompt_message_id: int | None

    @classmethod
    def of(cls, edit: PendingEdit) -> Question:
        return cls(
            receipt_id=edit.receipt_id,
            field=edit.field,
            chat_id=edit.chat_id,
            card_message_id=edit.card_message_id,
            prompt_message_id=edit.prompt_message_id,
        )


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: str  # none | set_aside | invalid | gone | done
    question: Question | None = None
    receipt: ReceiptView | None = None
    problem: str | None = None
    new_category: bool = False


def shown_value(receipt: ReceiptView, field: str) -> str:
    """The field's value as the confirmation of a correction shows it (plain text)."""
    value = {
        "merchant": receipt.merchant_name,
        "date": day_text(receipt.purchase_date) if receipt.purchase_date else None,
        "total": amount(receipt.total) if receipt.total is not None else None,
        "currency": receipt.currency,
        "category": receipt.category,
        "subtotal": amount(receipt.subtotal) if receipt.subtotal is not None else None,
        "tax": amount(receipt.tax) if receipt.tax is not None else None,
    }[field]
    return str(value)


async def on_text(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None
    raw = message.text or ""
    replied_to = message.reply_to_message.message_id if message.reply_to_message else None
    chat_id = message.chat_id
    services = context.services
    now = datetime.now(UTC)

    def run(session: Session) -> _Outcome:
        user = UserRepository(session).get_by_telegram_id(tg_user.id)
        if user is None:
            return _Outcome("none")
        repo = PendingEditRepository(session)
        pending = repo.get(user_id=user.id)
        if pending is None:
            return _Outcome("none")
        if pending.expires_at <= now:
            repo.remove(pending)
            return _Outcome("none")
        if pending.chat_id != chat_id:  # asked in another chat: not this text's question
            return _Outcome("none")
        question = Question.of(pending)
        known = list_categories(session, user_id=user.id) if pending.field == "category" else []
        reply = replied_to is not None and replied_to == pending.prompt_message_id
        if not reply:
            if pending.set_aside_at is not None:
                return _Outcome("none")
            if not is_answer(pending.field, raw, today=today_in(user.timezone), categories=known):
                pending.set_aside_at = now
                session.flush()
                return _Outcome("set_aside", question)
        try:
            receipt = services.receipts.correct(
                session,
                receipt_id=pending.receipt_id,
                user_id=user.id,
                field=pending.field,
                raw=raw,
            )
        except InvalidCorrection as exc:  # asked again: the question is open (again)
            pending.set_aside_at = None
            session.flush()
            return _Outcome("invalid", question, problem=wanted(exc))
        except (NotFound, Conflict):
            repo.remove(pending)
            return _Outcome("gone", question)
        repo.remove(pending)
        new = pending.field == "category" and receipt.category not in known
        return _Outcome("done", question, receipt, new_category=new)

    outcome = await services.in_session(run)
    if outcome.kind in ("none", "set_aside"):
        if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            return  # a question about one's own spending is never answered in a group
        answer = await questions.reply(context, tg_user.id, raw)
        if outcome.question is not None:
            logger.info("edit.set_aside by=question field=%s", outcome.question.field)
            label = texts.FIELD_LABELS[outcome.question.field].lower()
            answer += texts.QUESTION_SET_ASIDE.format(field=label)
        await message.reply_text(answer)
        return
    if outcome.kind == "gone":
        await message.reply_text(texts.RECEIPT_GONE)
        return
    if outcome.kind == "invalid":
        await message.reply_text(texts.INVALID_FIELD.format(hint=outcome.problem))
        return
    assert outcome.receipt is not None and outcome.question is not None
    receipt, question = outcome.receipt, outcome.question
    reply = corrected_text(receipt, question.field)
    if outcome.new_category:
        reply += texts.CATEGORY_ADDED_NOTE
    impossible = now_impossible(receipt, question.field)  # never an impossible card in silence
    if impossible is not None:
        reply += impossible
    markup = keyboards.fix(receipt, key=context.callback_key) if impossible else None
    await message.reply_text(reply, parse_mode=ParseMode.HTML, reply_markup=markup)
    if question.card_message_id is not None:
        try:
            await context.bot.edit_message_text(
                receipt_card(receipt),
                chat_id=question.chat_id,
                message_id=question.card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboards.card(
                    receipt, key=context.callback_key, app_url=context.app_url
                ),
            )
        except BadRequest as exc:
            logger.info("edit.card_not_updated receipt_id=%s error=%s", receipt.id, exc)


def corrected_text(receipt: ReceiptView, field: str) -> str:
    label = texts.FIELD_LABELS[field]
    return texts.CORRECTED.format(label=label, value=escape(shown_value(receipt, field)))


async def close_prompt(context: BotContext, question: Question, receipt: ReceiptView) -> None:
    """A question answered by a button: its prompt says how it ended (best effort)."""
    if question.prompt_message_id is None:
        return
    try:
        await context.bot.edit_message_text(
            corrected_text(receipt, question.field),
            chat_id=question.chat_id,
            message_id=question.prompt_message_id,
            parse_mode=ParseMode.HTML,
        )
    except BadRequest as exc:
        logger.info("edit.prompt_not_closed receipt_id=%s error=%s", receipt.id, exc)


async def set_aside(update: Update, context: BotContext) -> None:
    """A command or a file (a receipt, most likely) is no answer: the open question in this
    chat is set aside (a reply to its prompt still answers it), and the message is handled by
    its own handler as usual."""
    message, tg_user = update.message, update.effective_user
    if message is None or tg_user is None:
        return
    now = datetime.now(UTC)

    def run(session: Session) -> bool:
        return PendingEditRepository(session).set_aside(
            telegram_user_id=tg_user.id, chat_id=message.chat_id, now=now
        )

    if await context.services.in_session(run):
        logger.info("edit.set_aside by=%s", "command" if message.text else "message")


SET_ASIDE: BaseHandler[Update, BotContext, None] = MessageHandler(
    filters.UpdateType.MESSAGE & (filters.COMMAND | ~filters.TEXT), set_aside
)

HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
]
