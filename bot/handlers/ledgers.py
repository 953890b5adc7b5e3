"""Group chats: the group's shared ledger (core/ledgers). /start there makes it (the first admin
who sends it sets its currency and time zone; anyone while no admin is known) and joins the
sender; /summary is the ledger's period with each member's part, /balance who owes whom,
/settle @member AMOUNT a payment back.

Privacy mode (Telegram's default for bots in groups) delivers commands, replies to the bot's
messages and messages that mention it; so a receipt reaches the bot sent as a reply to one of its
messages or with /receipt (or @the_bot) in its caption (README, "Group chats").
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import InputFile, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.charts import summary_chart
from bot.context import BotContext
from bot.formats import money, period_text, receipts
from bot.i18n import texts
from bot.render import message_parts
from bot.summary_text import chart_caption, summary_text
from bot.users import register
from core.db.models import Ledger, User
from core.ledgers.repository import LedgerRepository, display_name
from core.ledgers.service import balance, members_of_period
from core.money import is_iso_currency, minor_units
from core.summaries.export import export_ledger_csv
from core.summaries.months import BadMonth, parse_period
from core.summaries.service import PeriodSummary, summarize

logger = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def in_group(message: Message) -> bool:
    return message.chat.type in GROUPS


def enter_ledger(session: Session, message: Message, user: User) -> tuple[Ledger, bool]:
    """The chat's ledger (made on first use) with the sender in it; True when they joined."""
    now = datetime.now(UTC)
    repo = LedgerRepository(session)
    ledger = repo.get_or_create(
        chat_id=message.chat_id, title=message.chat.title, creator=user, now=now
    )
    return ledger, repo.join(ledger=ledger, user=user, now=now)


async def _is_admin(context: BotContext, chat_id: int, user_id: int) -> bool | None:
    """Whether the user is an admin of the group; None when Telegram does not say."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        logger.info("ledger.admin_unknown error=%s", exc)
        return None
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def start_in_group(message: Message, context: BotContext, args: list[str]) -> None:
    assert message.from_user is not None
    admin = await _is_admin(context, message.chat_id, message.from_user.id)
    code = (args[0].upper() if args else "") or None

    def run(session: Session) -> tuple[str, str, str, bool, str | None]:
        user = register(session, message)
        ledger, joined = enter_ledger(session, message, user)
        kept = ledger.configured_by is not None
        if not kept and admin is not False:  # an admin, or anyone while none is known
            ledger.currency = code if is_iso_currency(code) else ledger.currency
            ledger.currency = ledger.currency or user.default_currency
            ledger.timezone = ledger.timezone or user.timezone
            if ledger.currency is not None:
                ledger.configured_by = user.id
            context.services.receipts.catch_up_ledger(session, ledger=ledger)
        session.flush()
        return (
            ledger.title or "",
            ledger.currency or texts.LEDGER_CURRENCY_UNSET,
            ledger.timezone or "UTC",
            kept and code is not None,
            display_name(user) if joined else None,
        )

    title, currency, tz, kept, joined = await context.services.in_session(run)
    text = texts.LEDGER_STARTED.format(
        title=escape(title or message.chat.title or ""),
        currency=escape(currency),
        timezone=escape(tz),
    )
    if kept:
        text += "\n\n" + texts.LEDGER_SETTINGS_KEPT
    if joined:
        text += "\n\n" + texts.LEDGER_JOINED.format(name=escape(joined))
    await message.reply_text(text, parse_mode=ParseMode.HTML)


def _today(ledger: Ledger) -> datetime:
    try:
        zone = ZoneInfo(ledger.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(UTC).astimezone(zone)


async def summary_in_group(message: Message, context: BotContext, arg: str) -> None:
    """The ledger's period, as a person's summary is laid out, with each member's part."""

    def run(session: Session) -> tuple[PeriodSummary, str] | None:
        repo = LedgerRepository(session)
        ledger = repo.of_chat(message.chat_id)
        if ledger is None:
            return None
        context.services.receipts.catch_up_ledger(session, ledger=ledger)
        period = parse_period(arg, today=_today(ledger).date())
        result = summarize(
            session,
            user_id=None,
            ledger_id=ledger.id,
            period=period,
            timezone=ledger.timezone,
            home=ledger.currency,
        )
        if ledger.currency is None:
            return result, texts.LEDGER_NO_CURRENCY
        rows, no_rate = members_of_period(session, ledger=ledger, period=period)
        lines = [texts.LEDGER_MEMBERS.format(currency=escape(ledger.currency))]
        lines += [
            texts.LEDGER_MEMBER_LINE.format(
                name=escape(row.name),
                paid=escape(money(row.paid, ledger.currency)),
                share=escape(money(row.share, ledger.currency)),
            )
            for row in rows
        ]
        if no_rate:
            lines.append(
                texts.LEDGER_NO_RATE.format(receipts=receipts(no_rate), currency=ledger.currency)
            )
        return result, "\n".join(lines)

    try:
        found = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return
    if found is None:
        await message.reply_text(texts.LEDGER_NONE)
        return
    result, members = found
    for part in message_parts(summary_text(result), members):
        await message.reply_text(part, parse_mode=ParseMode.HTML)
    currency = result.main_currency
    if result.count and currency is not None:
        await message.reply_photo(
            InputFile(summary_chart(result, currency), filename=f"summary-{result.period.iso}.png"),
            caption=chart_caption(result, currency),
        )


async def export_in_group(message: Message, context: BotContext, arg: str) -> None:
    """/export [period|all] in a group: the ledger's receipts as CSV, with payer and shares."""

    def run(session: Session) -> tuple[str, str, bytes] | None:
        ledger = LedgerRepository(session).of_chat(message.chat_id)
        if ledger is None:
            return None
        context.services.receipts.catch_up_ledger(session, ledger=ledger)
        period = None if arg == "all" else parse_period(arg, today=_today(ledger).date())
        what = texts.EXPORT_ALL if period is None else period_text(period)
        name = "all" if period is None else period.label.replace(" ", "-").lower()
        data = "".join(export_ledger_csv(session, ledger=ledger, period=period))
        return what, name, data.encode("utf-8")

    try:
        found = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return
    if found is None:
        await message.reply_text(texts.LEDGER_NONE)
        return
    what, name, data = found
    if data.count(b"\n") <= 1:  # the header line only
        await message.reply_text(texts.EXPORT_EMPTY.format(what=what))
        return
    await message.reply_document(
        InputFile(data, filename=f"ledger-{name}.csv"),
        caption=texts.EXPORT_CAPTION.format(what=what),
    )


async def balance_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if not in_group(message):
        await message.reply_text(texts.GROUP_ONLY)
        return

    def run(session: Session) -> str:
        ledger = LedgerRepository(session).of_chat(message.chat_id)
        if ledger is None:
            return texts.LEDGER_NONE
        context.services.receipts.catch_up_ledger(session, ledger=ledger)
        result = balance(session, ledger=ledger)
        if result is None:
            return texts.LEDGER_NO_CURRENCY
        cur = result.currency
        lines = [texts.BALANCE_HEAD.format(title=escape(ledger.title or ""), currency=cur)]
        if not result.transfers:
            lines.append(texts.BALANCE_SETTLED)
        lines += [
            texts.BALANCE_LINE.format(
                payer=escape(result.names.get(t.payer, "?")),
                payee=escape(result.names.get(t.payee, "?")),
                amount=escape(money(t.amount, cur)),
            )
            for t in result.transfers
        ]
        if result.without_rate:
            lines.append(
                texts.LEDGER_NO_RATE.format(receipts=receipts(result.without_rate), currency=cur)
            )
        return "\n".join(lines)

    await message.reply_text(await context.services.in_session(run), parse_mode=ParseMode.HTML)


_AMOUNT = re.compile(r"^\d+(?:[.,]\d+)?$")


async def settle_command(update: Update, context: BotContext) -> None:
    """/settle @member AMOUNT (or, replying to the member's message, /settle AMOUNT): the
    sender paid the member back AMOUNT in the ledger's currency."""
    message = update.effective_message
    assert message is not None and message.from_user is not None
    if not in_group(message):
        await message.reply_text(texts.GROUP_ONLY)
        return
    args = list(context.args or [])
    names = [a for a in args if a.startswith("@")]
    figures = [a for a in args if _AMOUNT.match(a)]
    replied = message.reply_to_message.from_user if message.reply_to_message else None
    target_id = replied.id if replied is not None and not replied.is_bot else None

    def run(session: Session) -> str:
        repo = LedgerRepository(session)
        ledger = repo.of_chat(message.chat_id)
        if ledger is None:
            return texts.LEDGER_NONE
        if ledger.currency is None:
            return texts.LEDGER_NO_CURRENCY
        usage = texts.SETTLE_USAGE.format(currency=ledger.currency)
        if len(figures) != 1 or len(names) > 1 or (not names and target_id is None):
            return usage
        try:
            amount = Decimal(figures[0].replace(",", "."))
        except InvalidOperation:
            return usage
        unit = Decimal(1).scaleb(-minor_units(ledger.currency))
        if amount <= 0 or amount != amount.quantize(unit) or amount >= Decimal(10) ** 12:
            return usage
        sender = register(session, message)
        enter_ledger(session, message, sender)
        if names:
            member = repo.member_by_username(ledger.id, names[0])
            missing = names[0]
        else:
            members = repo.members(ledger.id, current=False)
            member = next((u for u in members if u.telegram_user_id == target_id), None)
            missing = replied.first_name if replied is not None else "?"
        if member is None:
            return texts.SETTLE_NOT_MEMBER.format(name=escape(missing))
        if member.id == sender.id:
            return texts.SETTLE_SELF
        repo.settle(
            ledger=ledger,
            from_user=sender.id,
            to_user=member.id,
            amount=amount,
            now=datetime.now(UTC),
            message_id=message.message_id,
        )
        return texts.SETTLE_DONE.format(
            payer=escape(display_name(sender)),
            payee=escape(display_name(member)),
            amount=escape(money(amount, ledger.currency)),
        )

    await message.reply_text(await context.services.in_session(run), parse_mode=ParseMode.HTML)


async def personal_in_group(update: Update, context: BotContext) -> None:
    """A personal command (/recent, /budget, …) sent in a group: answered in no group."""
    message = update.effective_message
    assert message is not None
    if message.from_user is not None:
        await context.services.in_session(lambda session: register(session, message))
    await message.reply_text(texts.PERSONAL_IN_GROUP)


# Before every feature's handlers: what is personal is never answered in a group.
PERSONAL_COMMANDS = ("recent", "receipt", "delete", "budget", "categories", "settings")
GROUP_GUARDS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler(PERSONAL_COMMANDS, personal_in_group, filters=filters.ChatType.GROUPS),
]

HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("balance", balance_command),
    CommandHandler("settle", settle_command),
]
