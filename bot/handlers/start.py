"""/start, /help and the answer to a command the bot does not know."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.ledgers import in_group, start_in_group
from bot.i18n import texts
from bot.suggestions import unknown_command
from bot.users import register


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    name = f", {escape(user.first_name)}" if user and user.first_name else ""
    message = update.effective_message
    assert message is not None
    if in_group(message) and message.from_user is not None:  # the group's shared ledger
        await start_in_group(message, context, list(context.args or []))
        return
    if message.from_user is not None:  # in a private chat: where personal messages go
        await context.services.in_session(lambda session: register(session, message))
    await message.reply_text(texts.START.format(name=name), parse_mode=ParseMode.HTML)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        texts.HELP.format(
            max_pages=context.services.settings.max_pdf_pages,
            max_mb=context.services.settings.bot_file_limit_bytes // 1_048_576,
        ),
        parse_mode=ParseMode.HTML,
    )


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command nothing else took: the closest known one and the short list. One addressed to
    another bot ("/stats@otherbot" in a group) is not ours to answer."""
    message = update.effective_message
    assert message is not None
    first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, addressee = first.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    await message.reply_text(unknown_command(message.text or "/"))


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
]
FALLBACK_HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    MessageHandler(filters.COMMAND, on_unknown_command),
]
