"""/budget: monthly budgets per category; warnings come with the receipt that crosses them.
/budget MONTH shows another month's ("/budget march 2018"); a quarter or a year is refused."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CommandHandler

from bot import i18n
from bot.context import BotContext
from bot.formats import money, period_text
from bot.i18n import texts
from bot.render import shown
from bot.users import private_chat, register
from core.budgets.service import (
    BudgetStatus,
    BudgetWarning,
    budget_status,
    counted_for,
    new_warnings,
    remove_budget,
    set_budget,
)
from core.categories.service import find, list_categories
from core.contracts import ReceiptStatus
from core.money import is_iso_currency
from core.receipts.corrections import InvalidCorrection, parse_amount
from core.receipts.repository import ReceiptRepository
from core.summaries.months import BadMonth, Month, NotAMonth, parse_month
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)

OFF = ("off", "remove", "none", "0")


def status_lines(statuses: list[BudgetStatus], month: Month) -> str:
    lines = [texts.BUDGETS_HEAD.format(month=period_text(month))]
    for s in statuses:
        lines.append(
            texts.BUDGET_LINE.format(
                category=escape(s.category),
                spent=money(s.spent, s.currency),
                amount=money(s.amount, s.currency),
                percent=s.percent,
            )
        )
    return "\n".join(lines)


def warning_text(warning: BudgetWarning) -> str:
    s = warning.status
    return texts.BUDGET_WARNING[warning.level].format(
        percent=s.percent,
        category=s.category,
        month=period_text(warning.month),
        spent=money(s.spent, s.currency),
        amount=money(s.amount, s.currency),
    )


async def send_warnings(context: BotContext, receipt_id: uuid.UUID) -> None:
    """Budget warnings are personal: each person the receipt counts toward (its owner; a group
    receipt's sharers, each by their share) whose budget it takes past a threshold is told in
    their own private chat, in their language, wherever the receipt was sent; never in a
    group. Someone whose private chat is unknown is not checked (nothing recorded as given)
    until it is."""

    def check(session: Session) -> list[tuple[int, str | None, BudgetWarning]]:
        receipt = ReceiptRepository(session).get(receipt_id)
        if receipt is None or receipt.status != ReceiptStatus.DONE:
            return []
        found = []
        for uid in counted_for(session, receipt=receipt):
            user = UserRepository(session).get(uid)
            chat_id = private_chat(user)
            if user is None or chat_id is None:
                continue
            for warning in new_warnings(session, receipt=receipt, user_id=uid):
                found.append((chat_id, user.language_code, warning))
        return found

    for chat_id, language, warning in await context.services.in_session(check):
        with i18n.speaking(language):
            text = warning_text(warning)
        try:
            await context.bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as exc:  # that person blocked the bot: the others still
            logger.warning("budget.warning_undeliverable error=%s", exc)


async def budget(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    args = context.args or []

    def run(session: Session) -> str:
        user = register(session, message)
        now = datetime.now(UTC).astimezone(ZoneInfo(user.timezone or "UTC"))
        month: Month | None = Month(now.year, now.month)
        if args:  # a month asked for ("/budget march 2018"), or a budget set or removed
            try:
                month = parse_month(" ".join(args), today=now.date())
            except NotAMonth as exc:
                return texts.BUDGETS_MONTHLY_ONLY.format(period=escape(period_text(exc.period)))
            except BadMonth:
                month = None
        if month is not None:
            context.services.receipts.catch_up(session, user=user)  # home amounts behind
            statuses = budget_status(session, user=user, month=month)
            return status_lines(statuses, month) if statuses else texts.BUDGETS_NONE
        *words, last = args
        if words and last.lower() in OFF:
            category = " ".join(words).lower()[:50]
            removed = remove_budget(session, user_id=user.id, category=category)
            template = texts.BUDGET_REMOVED if removed else texts.BUDGET_NOT_FOUND
            return template.format(category=escape(category))
        # CATEGORY (maybe several words) AMOUNT [CURRENCY]
        currency = None
        if len(args) >= 3 and len(last) == 3 and last.isalpha():
            *words, last = words
            currency = args[-1].upper()
        if not words:
            return texts.BUDGET_USAGE
        try:
            amount = parse_amount(last)
        except InvalidCorrection:
            return texts.BUDGET_USAGE
        found = find(list_categories(session, user_id=user.id), " ".join(words))
        if found is None:
            return texts.BUDGET_UNKNOWN_CATEGORY.format(category=shown(" ".join(words)))
        category = found
        note = ""
        if currency is None and user.default_currency is None:
            # No currency set: the one all the user's receipts are in, said so; several: asked.
            used = ReceiptRepository(session).currencies_by_use(user_id=user.id, limit=2)
            if len(used) == 1:
                currency, note = used[0], texts.BUDGET_CURRENCY_OF_RECEIPTS
        currency = currency or user.default_currency
        if currency is None or not is_iso_currency(currency) or amount <= Decimal(0):
            return texts.BUDGET_NEEDS_CURRENCY if currency is None else texts.BUDGET_USAGE
        set_budget(session, user_id=user.id, category=category, amount=amount, currency=currency)
        text = texts.BUDGET_SET.format(category=escape(category), amount=money(amount, currency))
        return text + note

    reply = await context.services.in_session(run)
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [CommandHandler("budget", budget)]
