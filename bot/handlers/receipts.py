"""A user's receipts: /recent, /receipt ID, /delete ID, and the buttons under a summary card.

Every action resolves the receipt through the pressing user's own id: callback data is signed,
and even valid data never reaches another user's receipt.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import TypeVar

from sqlalchemy.orm import Session
from telegram import CallbackQuery, ForceReply, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import keyboards
from bot.callbacks import BadCallbackData, unpack
from bot.context import BotContext
from bot.handlers import edit
from bot.handlers.budgets import send_warnings
from bot.i18n import texts
from bot.render import rate_limit, receipt_card, recent_line, wanted
from bot.waiting import queue_watch
from core.aws.s3 import StoredObjects
from core.categories.service import list_categories
from core.contracts import ProcessingJob
from core.db.models import PendingEdit, Receipt
from core.errors import Conflict, NotFound, RateLimited
from core.ledgers.repository import display_name
from core.ledgers.service import cycle_share, payer_after, share_members, toggle_split
from core.receipts.corrections import InvalidCorrection
from core.receipts.repository import PendingEditRepository, ReceiptRepository
from core.receipts.views import ReceiptView
from core.summaries.months import today_in
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)

RECENT_LIMIT = 10
T = TypeVar("T")


def _user_id(session: Session, telegram_user_id: int) -> int | None:
    user = UserRepository(session).get_by_telegram_id(telegram_user_id)
    return user.id if user else None


async def recent(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    assert update.effective_user is not None
    tg_id = update.effective_user.id

    def load(session: Session) -> list[str]:
        uid = _user_id(session, tg_id)
        if uid is None:
            return []
        return [
            recent_line(ReceiptView.of(r))
            for r in ReceiptRepository(session).recent_for_user(user_id=uid, limit=RECENT_LIMIT)
        ]

    lines = await context.services.in_session(load)
    if not lines:
        await message.reply_text(texts.RECENT_EMPTY)
        return
    await message.reply_text("\n".join([texts.RECENT_TITLE, *lines]), parse_mode=ParseMode.HTML)


async def _find(context: BotContext, telegram_user_id: int, short_id: str) -> ReceiptView | None:
    def load(session: Session) -> ReceiptView | None:
        uid = _user_id(session, telegram_user_id)
        if uid is None:
            return None
        found = ReceiptRepository(session).find_for_user_by_prefix(short_id.strip(), user_id=uid)
        return ReceiptView.of(found[0]) if len(found) == 1 else None

    return await context.services.in_session(load)


async def _receipt_from_args(update: Update, context: BotContext, usage: str) -> ReceiptView | None:
    """The receipt named by the command's argument, or None after telling the user why not."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    if not context.args:
        await message.reply_text(usage)
        return None
    short_id = context.args[0][:16]
    receipt = await _find(context, update.effective_user.id, short_id)
    if receipt is None:
        await message.reply_text(
            texts.NOT_FOUND_ID.format(short_id=escape(short_id)), parse_mode=ParseMode.HTML
        )
    return receipt


async def show_receipt(update: Update, context: BotContext) -> None:
    receipt = await _receipt_from_args(update, context, texts.RECEIPT_USAGE)
    if receipt is not None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            receipt_card(receipt),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboards.card(receipt, key=context.callback_key, app_url=context.app_url),
        )


async def delete_command(update: Update, context: BotContext) -> None:
    receipt = await _receipt_from_args(update, context, texts.DELETE_USAGE)
    if receipt is not None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            receipt_card(receipt) + "\n\n" + texts.DELETE_ASK,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboards.confirm_delete(receipt, key=context.callback_key),
        )


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    try:
        action, receipt_id = unpack(query.data or "", key=context.callback_key)
    except BadCallbackData:
        logger.info("bot.bad_callback_data user=%s", query.from_user.id)
        await query.answer(texts.BUTTON_EXPIRED)
        return
    handler = _ACTIONS.get(action)
    if handler is None and keyboards.is_category_action(action):
        handler = _set_category(action)
    if handler is None and (member := keyboards.shared_member(action)) is not None:
        handler = _share(member)
    quick = keyboards.quick_answer(action) if handler is None else None
    if quick is not None:
        handler = _quick(*quick)
    if handler is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    try:
        await handler(query, context, receipt_id)
    except (NotFound, Conflict):
        chat_id = query.message.chat.id if query.message is not None else None
        await query.answer(await _why_not(context, receipt_id, query.from_user.id, chat_id))


async def _why_not(
    context: BotContext, receipt_id: uuid.UUID, telegram_user_id: int, chat_id: int | None
) -> str:
    """A button that found no receipt of the presser's: another member's card in the group
    where everyone sees it (only its sender changes it), or, anywhere else, gone: a stranger
    learns nothing of another user's receipts, not even that one exists."""

    def sender_in_group(session: Session) -> int | None:
        row = ReceiptRepository(session).get(receipt_id)
        if row is None or chat_id is None or chat_id >= 0 or row.telegram_chat_id != chat_id:
            return None
        return row.user.telegram_user_id

    sender = await context.services.in_session(sender_in_group)
    if sender is not None and sender != telegram_user_id:
        return texts.NOT_YOURS
    return texts.RECEIPT_GONE


async def _confirm(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned_change(
        query,
        context,
        lambda s, uid: context.services.receipts.confirm(s, receipt_id=receipt_id, user_id=uid),
    )
    await query.answer(texts.CONFIRMED)
    await _show_card(query, context, receipt)


async def _ask_delete(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned(query, context, receipt_id)
    await query.answer()
    await _edit(
        query,
        receipt_card(receipt) + "\n\n" + texts.DELETE_ASK,
        keyboards.confirm_delete(receipt, key=context.callback_key),
    )


async def _keep(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned(query, context, receipt_id)
    await query.answer(texts.KEPT)
    await _show_card(query, context, receipt)


async def _delete(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    services = context.services
    tg_id = query.from_user.id

    def run(session: Session) -> StoredObjects:
        uid = _user_id(session, tg_id)
        if uid is None:
            raise NotFound("no such user")
        return services.receipts.delete(session, receipt_id=receipt_id, user_id=uid)

    objects = await services.in_session(run)
    # S3, not the database: a thread of its own (what S3 refuses is left to the sweeper)
    await asyncio.to_thread(services.receipts.delete_objects, objects)
    await query.answer()
    await _edit(query, texts.DELETED.format(short_id=receipt_id.hex[:8]), None)


async def _owned(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> ReceiptView:
    return await _owned_change(
        query,
        context,
        lambda s, uid: context.services.receipts.view(s, receipt_id=receipt_id, user_id=uid),
    )


async def _show_card(query: CallbackQuery, context: BotContext, receipt: ReceiptView) -> None:
    """The pressed message becomes the receipt's card, with its buttons."""
    markup = keyboards.card(receipt, key=context.callback_key, app_url=context.app_url)
    await _edit(query, receipt_card(receipt), markup)


async def _edit(query: CallbackQuery, text: str, markup: object) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)  # type: ignore[arg-type]
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _retry(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    services = context.services
    tg_id = query.from_user.id
    message_id = query.message.message_id if query.message else None

    def run(session: Session) -> ProcessingJob:
        uid = _user_id(session, tg_id)
        if uid is None:
            raise NotFound("no such user")
        receipt, job = services.receipts.retry(session, receipt_id=receipt_id, user_id=uid)
        if message_id is not None:  # the result edits the message the user pressed
            receipt.status_message_id = message_id
        return job

    try:
        job = await services.in_session(run)
    except RateLimited as exc:  # a retry is a receipt read again: the same limit
        await query.answer(texts.RETRY_RATE_LIMITED.format(limit=rate_limit(exc)), show_alert=True)
        return
    await asyncio.to_thread(services.queue.send_job, job)
    await query.answer(texts.RETRYING)
    await _edit(query, texts.QUEUED, None)
    if query.message is not None and message_id is not None:  # its place, kept up to date
        await queue_watch(context.bot_data).start(
            context, receipt_id=receipt_id, chat_id=query.message.chat.id, message_id=message_id
        )


async def _fix(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned(query, context, receipt_id)
    await query.answer(texts.FIX_WHICH)
    await _edit(query, receipt_card(receipt), keyboards.fields(receipt, key=context.callback_key))


async def _back(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned(query, context, receipt_id)
    await query.answer()
    await _show_card(query, context, receipt)


def _ask(field: str) -> Action:
    """The question about ``field``: a force-reply prompt (a reply to it is the answer), and
    quick answers on the card where they are few (a date, a currency, a category)."""

    async def ask(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
        tg_id = query.from_user.id
        message = query.message
        chat_id = message.chat.id if message else tg_id
        message_id = message.message_id if message else None

        def run(session: Session) -> tuple[int, ReceiptView, list[str], date]:
            user = UserRepository(session).get_by_telegram_id(tg_id)
            if user is None:
                raise NotFound("no such user")
            receipt = context.services.receipts.view(
                session, receipt_id=receipt_id, user_id=user.id
            )
            choices: list[str] = []
            if field == "category":
                choices = list_categories(session, user_id=user.id)
            elif field == "currency":
                choices = ReceiptRepository(session).currencies_by_use(
                    user_id=user.id, limit=keyboards.CURRENCY_CHOICES
                )
                if user.default_currency and user.default_currency not in choices:
                    choices.append(user.default_currency)
            PendingEditRepository(session).put(
                PendingEdit(
                    user_id=user.id,
                    receipt_id=receipt_id,
                    field=field,
                    chat_id=chat_id,
                    card_message_id=message_id,
                    expires_at=datetime.now(UTC) + EDIT_TIMEOUT,
                )
            )
            return user.id, receipt, choices, today_in(user.timezone)

        user_id, receipt, choices, today = await context.services.in_session(run)
        await query.answer()
        quick = _quick_answers(field, receipt, choices, context.callback_key, today=today)
        if quick is not None and message_id is not None:
            try:
                await query.edit_message_reply_markup(reply_markup=quick)
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
        prompt = texts.ASK_FIELD[field]
        if field == "category" and choices:
            prompt += texts.YOUR_CATEGORIES.format(names=escape(", ".join(choices)))
        if quick is not None:
            prompt += texts.ASK_TAP
        sent = await context.bot.send_message(
            chat_id,
            prompt + texts.ASK_SUFFIX,
            parse_mode=ParseMode.HTML,
            reply_markup=ForceReply(input_field_placeholder=texts.ASK_PLACEHOLDER[field]),
        )

        def remember(session: Session) -> None:
            PendingEditRepository(session).remember_prompt(
                user_id=user_id, receipt_id=receipt_id, field=field, message_id=sent.message_id
            )

        await context.services.in_session(remember)

    return ask


def _quick_answers(
    field: str, receipt: ReceiptView, choices: list[str], key: bytes, *, today: date
) -> InlineKeyboardMarkup | None:
    """The card's buttons while the question about ``field`` is open, if it has quick answers:
    dates, the user's currencies, or the category picker."""
    if field == "date":
        return keyboards.quick_dates(receipt, today=today, key=key)
    if field == "currency" and choices:
        return keyboards.quick_currencies(receipt, choices, key=key)
    if field == "category":
        return keyboards.categories(receipt, choices, key=key)
    return None


def _quick(field: str, raw: str) -> Action:
    """A quick answer: applied exactly as the same text typed would be (the same parsing and
    checks, the field then certain), and the question it answers ends."""

    async def apply(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
        tg_id = query.from_user.id

        def run(session: Session) -> tuple[ReceiptView | None, edit.Question | None, str | None]:
            uid = _user_id(session, tg_id)
            if uid is None:
                raise NotFound("no such user")
            try:
                receipt = context.services.receipts.correct(
                    session, receipt_id=receipt_id, user_id=uid, field=field, raw=raw
                )
            except InvalidCorrection as exc:
                return None, None, wanted(exc)
            ended = PendingEditRepository(session).end(
                user_id=uid, receipt_id=receipt_id, field=field
            )
            return receipt, edit.Question.of(ended) if ended else None, None

        receipt, question, problem = await context.services.in_session(run)
        if receipt is None:
            await query.answer(texts.INVALID_FIELD.format(hint=problem), show_alert=True)
            return
        label = texts.FIELD_LABELS[field]
        value = edit.shown_value(receipt, field)
        await query.answer(texts.QUICK_CORRECTED.format(label=label, value=value))
        await _show_card(query, context, receipt)
        if question is not None:
            await edit.close_prompt(context, question, receipt)

    return apply


async def _keep_both(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    receipt = await _owned_change(
        query,
        context,
        lambda s, uid: context.services.receipts.keep_duplicate(
            s, receipt_id=receipt_id, user_id=uid
        ),
    )
    await query.answer(texts.KEPT_BOTH)
    await _show_card(query, context, receipt)


async def _pick_category(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    tg_id = query.from_user.id

    def run(session: Session) -> tuple[ReceiptView, list[str]]:
        uid = _user_id(session, tg_id)
        if uid is None:
            raise NotFound("no such user")
        receipt = context.services.receipts.view(session, receipt_id=receipt_id, user_id=uid)
        return receipt, list_categories(session, user_id=uid)

    receipt, names = await context.services.in_session(run)
    await query.answer()
    await _edit(
        query,
        receipt_card(receipt),
        keyboards.categories(receipt, names, key=context.callback_key),
    )


def _set_category(action: str) -> Action:
    """A picker button: the category it names in the user's list as it is now."""

    async def set_category(
        query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID
    ) -> None:
        tg_id = query.from_user.id
        receipts = context.services.receipts

        def run(
            session: Session,
        ) -> tuple[ReceiptView, list[str], str | None, edit.Question | None]:
            uid = _user_id(session, tg_id)
            if uid is None:
                raise NotFound("no such user")
            names = list_categories(session, user_id=uid)
            name = keyboards.chosen_category(action, names)
            if name is None:
                receipt = receipts.view(session, receipt_id=receipt_id, user_id=uid)
                return receipt, names, name, None
            receipt = receipts.set_category(
                session, receipt_id=receipt_id, user_id=uid, category=name
            )
            # The picker is the quick answer to Fix → Category too: that question ends.
            ended = PendingEditRepository(session).end(
                user_id=uid, receipt_id=receipt_id, field="category"
            )
            return receipt, names, name, edit.Question.of(ended) if ended else None

        receipt, names, name, question = await context.services.in_session(run)
        if name is None:  # renamed or removed since the picker was shown: show it afresh
            await query.answer(texts.CATEGORY_GONE)
            markup = keyboards.categories(receipt, names, key=context.callback_key)
            await _edit(query, receipt_card(receipt), markup)
            return
        await query.answer(texts.CATEGORY_SET.format(category=name))
        await _show_card(query, context, receipt)
        if question is not None:
            await edit.close_prompt(context, question, receipt)

    return set_category


async def _owned_change(
    query: CallbackQuery, context: BotContext, change: Callable[[Session, int], T]
) -> T:
    """Run ``change`` on a receipt of the pressing user; the receipt as it is afterwards."""
    tg_id = query.from_user.id

    def run(session: Session) -> T:
        uid = _user_id(session, tg_id)
        if uid is None:
            raise NotFound("no such user")
        receipt = change(session, uid)
        return receipt

    return await context.services.in_session(run)


async def _ledger_change(
    query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID, *, payer: bool
) -> None:
    """A group ledger's receipt: the next member pays (``payer``), or the split toggles. Only
    its sender changes it (``receipts.view`` checks), as with every other button."""

    def change(session: Session, uid: int) -> ReceiptView:
        context.services.receipts.view(session, receipt_id=receipt_id, user_id=uid)
        row = ReceiptRepository(session).get(receipt_id)
        if row is None or row.ledger_id is None:
            raise NotFound("not a ledger receipt")
        if payer:
            payer_after(session, receipt=row)
        else:
            toggle_split(session, receipt=row)
        session.flush()
        return ReceiptView.of(row)

    receipt = await _owned_change(query, context, change)
    note = (
        texts.PAID_BY_NOW.format(name=receipt.payer_name or "?")
        if payer
        else texts.SPLIT_NOW.get(receipt.split or "equal", "")
    )
    await query.answer(note)
    await _show_card(query, context, receipt)
    await send_warnings(context, receipt_id)  # new shares may take a sharer past a budget


def _ledger_row(session: Session, context: BotContext, receipt_id: uuid.UUID, uid: int) -> Receipt:
    """A group ledger's receipt of the pressing user (its sender: ``receipts.view`` checks)."""
    context.services.receipts.view(session, receipt_id=receipt_id, user_id=uid)
    row = ReceiptRepository(session).get(receipt_id)
    if row is None or row.ledger_id is None:
        raise NotFound("not a ledger receipt")
    return row


def _members(session: Session, row: Receipt) -> list[tuple[int, str]]:
    return [(u.id, display_name(u)) for u in share_members(session, receipt=row)]


async def _shares(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    """The member by member shares of a group ledger's receipt (🧮 on its card)."""

    def load(session: Session, uid: int) -> tuple[ReceiptView, list[tuple[int, str]]]:
        row = _ledger_row(session, context, receipt_id, uid)
        return ReceiptView.of(row), _members(session, row)

    receipt, members = await _owned_change(query, context, load)
    await query.answer(texts.SHARES_HOW)
    markup = keyboards.shares(receipt, members, key=context.callback_key)
    await _edit(query, receipt_card(receipt), markup)


def _share(member: int) -> Action:
    async def press(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
        def change(
            session: Session, uid: int
        ) -> tuple[ReceiptView, list[tuple[int, str]], str | None]:
            row = _ledger_row(session, context, receipt_id, uid)
            members = _members(session, row)
            if member not in {m for m, _ in members}:
                return ReceiptView.of(row), members, texts.SHARE_NOT_MEMBER
            if cycle_share(session, receipt=row, user_id=member) is None:
                return ReceiptView.of(row), members, texts.SHARE_LAST
            session.flush()
            return ReceiptView.of(row), members, None

        receipt, members, refused = await _owned_change(query, context, change)
        await query.answer(refused or texts.SPLIT_NOW.get(receipt.split or "equal", ""))
        if refused == texts.SHARE_LAST:  # nothing changed, and the buttons are as they were
            return
        # Changed, or the member left since the buttons were drawn: the buttons as they are now.
        markup = keyboards.shares(receipt, members, key=context.callback_key)
        await _edit(query, receipt_card(receipt), markup)
        if refused is None:
            await send_warnings(context, receipt_id)

    return press


async def _paid_by(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    await _ledger_change(query, context, receipt_id, payer=True)


async def _split(query: CallbackQuery, context: BotContext, receipt_id: uuid.UUID) -> None:
    await _ledger_change(query, context, receipt_id, payer=False)


Action = Callable[[CallbackQuery, BotContext, uuid.UUID], Awaitable[None]]
EDIT_TIMEOUT = timedelta(minutes=15)

_ACTIONS: dict[str, Action] = {
    keyboards.CONFIRM: _confirm,
    keyboards.DELETE: _ask_delete,
    keyboards.DELETE_NO: _keep,
    keyboards.DELETE_YES: _delete,
    keyboards.RETRY: _retry,
    keyboards.FIX: _fix,
    keyboards.BACK: _back,
    keyboards.KEEP_BOTH: _keep_both,
    keyboards.CATEGORY: _pick_category,
    keyboards.PAID_BY: _paid_by,
    keyboards.SPLIT: _split,
    keyboards.SHARES: _shares,
    **{action: _ask(field) for action, field in keyboards.EDIT_ACTIONS.items()},
}

HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("recent", recent),
    CommandHandler("receipt", show_receipt),
    CommandHandler("delete", delete_command),
    CallbackQueryHandler(on_button),
]
