"""Group chats: the group's shared ledger (core/ledgers). /start there makes it (the first admin
who sends it sets its currency and time zone; anyone while no admin is known) and joins the
sender; /summary is the ledger's period with each member's part, /balance who owes whom,
/settle @member AMOUNT a payment back.

Privacy mode (Telegram's default for bots in groups) delivers commands, replies to the bot's
messages and messages that mention it; so a receipt reaches the bot sent as a reply to one of its
messages or with /receipt (or @the_bot) in its caption (README, "Group chats").

Members leaving and the bot being removed (``MEMBERSHIP``), from what Telegram delivers:
``my_chat_member`` (the bot's own status in a chat: sent to every bot, once it is in
``allowed_updates``, bot/webhook.py), the service messages ``left_chat_member`` and
``new_chat_members`` (delivered whatever the privacy mode; about people joining, not in large
groups since Bot API 5.1) and ``chat_member`` (anyone's status: only to a bot that is an admin
there and asked for it in ``allowed_updates``). A member who leaves is marked left (their
receipts, shares and balance stay; new receipts are no longer split to them); the bot removed
marks the ledger removed, and nothing is sent to the group after (bot/handlers/results.py).
Its members keep reading it: /balance in a private chat gives each ledger they are or were in.
A group upgraded to a supergroup (a new chat id) takes its ledger along
(``migrate_to_chat_id`` / ``migrate_from_chat_id``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from html import escape
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import ChatMember, InputFile, Message, Update
from telegram import User as TelegramUser
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.charts import summary_chart
from bot.context import BotContext
from bot.formats import capitalised, file_part, money, period_text, receipts
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
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)
T = TypeVar("T")

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def in_group(message: Message) -> bool:
    return message.chat.type in GROUPS


def enter_ledger(session: Session, message: Message, user: User) -> tuple[Ledger, bool]:
    """The chat's ledger (made on first use) with the sender in it; True when they joined. A
    message sent there after the bot was removed says it is back."""
    now = datetime.now(UTC)
    repo = LedgerRepository(session)
    ledger = repo.get_or_create(
        chat_id=message.chat_id, title=message.chat.title, creator=user, now=now
    )
    if ledger.removed_at is not None and message.date > ledger.removed_at:
        ledger.removed_at = None
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


async def _of_ledger(
    message: Message, context: BotContext, run: Callable[[Session], T | None]
) -> T | None:
    """``run`` on the group's ledger; a bad period or no ledger answered here (None)."""
    try:
        found = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return None
    if found is None:
        await message.reply_text(texts.LEDGER_NONE)
    return found


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

    found = await _of_ledger(message, context, run)
    if found is None:
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


def _ledger_csv(
    session: Session,
    context: BotContext,
    ledger: Ledger,
    arg: str,
    *,
    everything: str,
    sent_until: datetime | None = None,
) -> tuple[str, str, bytes]:
    """The ledger's CSV for ``arg`` (a period, or "all": then ``everything`` names it): what it
    covers, the file's name part and its bytes (``sent_until``: receipts sent by then only)."""
    context.services.receipts.catch_up_ledger(session, ledger=ledger)
    period = None if arg == "all" else parse_period(arg, today=_today(ledger).date())
    what = everything if period is None else period_text(period)
    name = "all" if period is None else file_part(period)
    data = "".join(export_ledger_csv(session, ledger=ledger, period=period, sent_until=sent_until))
    return what, name, data.encode("utf-8")


def _has_rows(data: bytes) -> bool:
    return data.count(b"\n") > 1  # more than the header line


async def export_in_group(message: Message, context: BotContext, arg: str) -> None:
    """/export [period|all] in a group: the ledger's receipts as CSV, with payer and shares."""

    def run(session: Session) -> tuple[str, str, bytes] | None:
        ledger = LedgerRepository(session).of_chat(message.chat_id)
        if ledger is None:
            return None
        return _ledger_csv(session, context, ledger, arg, everything=texts.EXPORT_ALL)

    found = await _of_ledger(message, context, run)
    if found is None:
        return
    what, name, data = found
    if not _has_rows(data):
        await message.reply_text(texts.EXPORT_EMPTY.format(what=what))
        return
    await message.reply_document(
        InputFile(data, filename=f"ledger-{name}.csv"),
        caption=texts.EXPORT_CAPTION.format(what=capitalised(what)),
    )


async def export_ledgers_privately(message: Message, context: BotContext, arg: str) -> None:
    """/export groups [period|all] in a private chat: the CSV of each ledger the sender is or
    was a member of (the newest ``PRIVATE_LEDGERS``), the bot still in its group or not, so a
    removed group's ledger is never out of its members' reach. One who has left gets the
    receipts sent until they left, not those sent after."""

    def run(session: Session) -> tuple[list[tuple[str, str, bytes]], int] | None:
        user = register(session, message)
        found = LedgerRepository(session).of_member(user.id)
        if not found:
            return None
        files = []
        for n, (ledger, member) in enumerate(found[:PRIVATE_LEDGERS], 1):
            what, name, data = _ledger_csv(
                session,
                context,
                ledger,
                arg,
                everything=texts.EXPORT_ALL_LEDGER,
                sent_until=member.left_at,
            )
            if _has_rows(data):
                title = ledger.title or str(ledger.telegram_chat_id)
                caption = texts.EXPORT_LEDGER_CAPTION.format(title=title, what=what)
                if member.left_at is not None:
                    caption += texts.EXPORT_LEDGER_UNTIL_LEFT
                files.append((caption, f"{n}-{name}", data))
        return files, max(0, len(found) - PRIVATE_LEDGERS)

    try:
        found = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return
    if found is None:
        await message.reply_text(texts.BALANCE_NO_LEDGERS)
        return
    files, more = found
    if not files:
        await message.reply_text(texts.EXPORT_LEDGERS_EMPTY)
    for caption, name, data in files:
        await message.reply_document(
            InputFile(data, filename=f"ledger-{name}.csv"), caption=caption
        )
    if more:
        await message.reply_text(texts.EXPORT_MORE_LEDGERS.format(n=more))


def balance_text(session: Session, context: BotContext, ledger: Ledger) -> str:
    """Who owes whom in ``ledger``, as /balance says it."""
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


# A private /balance names this many of the person's ledgers at most (the newest).
PRIVATE_LEDGERS = 10


def private_balances(session: Session, context: BotContext, message: Message) -> list[str]:
    """/balance in a private chat: who owes whom in each ledger the sender is or was a member
    of, the bot still in its group or not (what a removed ledger's members keep reading)."""
    user = register(session, message)
    found = LedgerRepository(session).of_member(user.id)
    if not found:
        return [texts.BALANCE_NO_LEDGERS]
    blocks = []
    for ledger, member in found[:PRIVATE_LEDGERS]:
        text = balance_text(session, context, ledger)
        notes = [texts.LEDGER_YOU_LEFT] if member.left_at is not None else []
        if ledger.removed_at is not None:
            notes.append(texts.LEDGER_BOT_REMOVED)
        blocks.append("\n".join([text, *notes]))
    if len(found) > PRIVATE_LEDGERS:
        blocks.append(texts.BALANCE_MORE_LEDGERS.format(n=len(found) - PRIVATE_LEDGERS))
    return blocks


async def balance_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if not in_group(message):
        if message.from_user is None:
            return
        blocks = await context.services.in_session(
            lambda session: private_balances(session, context, message)
        )
        for part in message_parts(*blocks):
            await message.reply_text(part, parse_mode=ParseMode.HTML)
        return

    def run(session: Session) -> str:
        ledger = LedgerRepository(session).of_chat(message.chat_id)
        if ledger is None:
            return texts.LEDGER_NONE
        return balance_text(session, context, ledger)

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


def _present(member: ChatMember) -> bool:
    """Whether a chat member's status is in the chat (a restricted one: when still a member)."""
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def _bot_in_group(session: Session, chat_id: int, *, present: bool, at: datetime) -> str | None:
    """The bot added to (``present``) or removed from the group: its ledger marked so; what
    changed, for the log (None: no ledger, or nothing to change)."""
    ledger = LedgerRepository(session).of_chat(chat_id)
    if ledger is None:
        return None
    if present and ledger.removed_at is not None and at >= ledger.removed_at:
        ledger.removed_at = None
        return "readded"
    if not present and ledger.removed_at is None:
        ledger.removed_at = at
        return "removed"
    return None


def _member_left(session: Session, chat_id: int, telegram_user_id: int, at: datetime) -> bool:
    ledger = LedgerRepository(session).of_chat(chat_id)
    user = UserRepository(session).get_by_telegram_id(telegram_user_id)
    if ledger is None or user is None:
        return False
    return LedgerRepository(session).leave(ledger=ledger, user_id=user.id, now=at)


async def _record(
    context: BotContext, chat_id: int, changes: list[tuple[TelegramUser, bool]], at: datetime
) -> None:
    """Members (the bot among them) in or out of the group at ``at``; nothing is answered (a
    service message is not a request, and a removed bot has nowhere to answer)."""
    bot_id = context.bot.id

    def run(session: Session) -> list[str]:
        done = []
        for tg_user, present in changes:
            if tg_user.id == bot_id:
                what = _bot_in_group(session, chat_id, present=present, at=at)
                done += [f"bot_{what}"] if what else []
            elif not present and _member_left(session, chat_id, tg_user.id, at):
                done.append("member_left")
        return done

    for what in await context.services.in_session(run):
        logger.info("ledger.%s chat_id=%s", what, chat_id)


async def on_member_update(update: Update, context: BotContext) -> None:
    """``my_chat_member`` (the bot's own status) or ``chat_member`` (anyone's, to an admin
    bot) in a group."""
    change = update.my_chat_member or update.chat_member
    if change is not None and change.chat.type in GROUPS:
        member = change.new_chat_member
        await _record(context, change.chat.id, [(member.user, _present(member))], change.date)
    raise ApplicationHandlerStop


async def on_service_message(update: Update, context: BotContext) -> None:
    """The service messages "… left the group" and "… joined the group" (the bot among them)."""
    message = update.effective_message
    if message is not None and in_group(message):
        changes = [(u, True) for u in message.new_chat_members or ()]
        if message.left_chat_member is not None:
            changes.append((message.left_chat_member, False))
        await _record(context, message.chat_id, changes, message.date)
    raise ApplicationHandlerStop


async def on_migrate(update: Update, context: BotContext) -> None:
    """A group upgraded to a supergroup gets a new chat id (Telegram says so in both chats:
    ``migrate_to_chat_id`` in the old one, ``migrate_from_chat_id`` in the new one): the
    ledger moves with it, once, so its receipts and members are not left behind."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message is not None and message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        raise ApplicationHandlerStop

    def run(session: Session) -> bool:
        return LedgerRepository(session).move_chat(old_chat_id=old, new_chat_id=new) is not None

    if await context.services.in_session(run):
        logger.info("ledger.moved old_chat_id=%s new_chat_id=%s", old, new)
    raise ApplicationHandlerStop


# Before the blocked-user gate (bot/blocked.py, same group, so only one of them runs): that a
# member left or the bot was removed is a fact to record, whoever made it happen.
MEMBERSHIP: list[BaseHandler[Update, BotContext, None]] = [
    ChatMemberHandler(on_member_update, ChatMemberHandler.ANY_CHAT_MEMBER),
    MessageHandler(
        filters.StatusUpdate.LEFT_CHAT_MEMBER | filters.StatusUpdate.NEW_CHAT_MEMBERS,
        on_service_message,
    ),
    MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate),
]

# Before every feature's handlers: what is personal is never answered in a group.
PERSONAL_COMMANDS = ("recent", "receipt", "delete", "budget", "categories", "settings")
GROUP_GUARDS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler(PERSONAL_COMMANDS, personal_in_group, filters=filters.ChatType.GROUPS),
]

HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("balance", balance_command),
    CommandHandler("settle", settle_command),
]
