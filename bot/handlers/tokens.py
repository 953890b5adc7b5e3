"""/token: a personal token for the client API (/api/v1; docs/api.md), shown once, stored only
as its SHA-256; /token revoke: every token of the user refused from now on."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import BotContext
from bot.i18n import texts
from bot.users import register
from core.clients import tokens

REVOKE = ("revoke", "batal")


async def token_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if message.chat.type != ChatType.PRIVATE:  # a token is a secret: never in a group
        await message.reply_text(texts.API_ACCESS_PRIVATE_ONLY)
        return
    args = [a.lower() for a in context.args or []]
    revoke = bool(args) and args[0] in REVOKE

    def run(session: Session) -> str:
        user = register(session, message)
        if revoke:
            count = tokens.revoke_all(session, user_id=user.id)
            if count == 0:
                return texts.API_ACCESS_NONE
            one, many = texts.API_ACCESS_REVOKED
            return (one if count == 1 else many).format(count=count)
        token = tokens.new_token(session, user_id=user.id, name="telegram /token")
        return texts.API_ACCESS_NEW.format(token=token)

    reply = await context.services.in_session(run)
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [CommandHandler("token", token_command)]
