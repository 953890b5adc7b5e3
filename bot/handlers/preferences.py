"""/settings: the user's currency (the home currency of their ledger: receipts that show none are
read in it, and every amount is also given in it, core/fx) and time zone; /cancel."""

from __future__ import annotations

import zoneinfo
from html import escape

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import BotContext
from bot.formats import receipts
from bot.i18n import texts
from bot.users import register
from core.db.models import User
from core.money import is_iso_currency
from core.receipts.repository import PendingEditRepository
from core.users.repository import UserRepository


def _valid_timezone(name: str) -> str | None:
    """The canonical IANA name for ``name`` (case-insensitive), or None."""
    by_lower = {tz.lower(): tz for tz in zoneinfo.available_timezones()}
    return by_lower.get(name.strip().lower())


async def settings_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    args = context.args or []
    what = args[0].lower() if args else None
    value = " ".join(args[1:]).strip() if len(args) > 1 else ""
    changes: dict[str, str] = {}
    if what == "currency" and value:
        code = value.upper()
        if not is_iso_currency(code):
            await message.reply_text(
                texts.SETTINGS_BAD_CURRENCY.format(value=escape(value)), parse_mode=ParseMode.HTML
            )
            return
        changes["default_currency"] = code
    elif what in ("timezone", "tz", "time-zone") and value:
        tz = _valid_timezone(value)
        if tz is None:
            await message.reply_text(
                texts.SETTINGS_BAD_TIMEZONE.format(value=escape(value)), parse_mode=ParseMode.HTML
            )
            return
        changes["timezone"] = tz
    elif what is not None:
        await message.reply_text(texts.SETTINGS_USAGE)
        return

    def run(session: Session) -> tuple[User, int]:
        user = register(session, message)
        before = (user.default_currency, user.timezone)
        UserRepository(session).update_preferences(user, **changes)
        converted = 0
        if changes and before != (user.default_currency, user.timezone):
            # The home currency (or the day an undated receipt takes its rate on) changed:
            # every receipt of the user again, in this transaction (core/fx/service.py).
            converted = context.services.receipts.catch_up(session, user=user, everything=True)
        return user, converted

    user, converted = await context.services.in_session(run)
    if changes:
        key, value = next(iter(changes.items()))
        label = texts.SETTINGS_NAMES[key]
        text = texts.SETTINGS_SAVED.format(what=label, value=escape(value))
        if key == "default_currency" and converted:
            text += texts.SETTINGS_CONVERTED.format(receipts=receipts(converted))
        await message.reply_text(text, parse_mode=ParseMode.HTML)
        return
    await message.reply_text(
        texts.SETTINGS.format(
            currency=escape(user.default_currency or texts.SETTINGS_NOT_SET),
            timezone=escape(user.timezone or "UTC"),
        ),
        parse_mode=ParseMode.HTML,
    )


async def cancel(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None

    def run(session: Session) -> bool:
        user = UserRepository(session).get_by_telegram_id(tg_user.id)
        return user is not None and PendingEditRepository(session).clear(user_id=user.id)

    cleared = await context.services.in_session(run)
    await message.reply_text(texts.EDIT_CANCELLED if cleared else texts.CANCELLED)


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("settings", settings_command),
    CommandHandler("cancel", cancel),
]
