"""/categories: the user's spending categories (list, add, rename, remove, reset)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot.context import BotContext
from bot.formats import receipts
from bot.i18n import texts
from bot.render import shown
from bot.users import register
from core.categories.service import (
    MAX_CATEGORIES,
    CategoryError,
    add_category,
    list_categories,
    own_categories,
    remove_category,
    rename_category,
    reset_categories,
)

ADD = ("add", "new", "+")
RENAME = ("rename", "mv")
REMOVE = ("remove", "delete", "del", "rm", "-")
RESET = ("reset", "defaults", "default")
ARROWS = ("->", "→", "=>")


def split_rename(text: str, names: Sequence[str]) -> tuple[str, str] | None:
    """Old and new name from "dining -> eating out", or "eating out dining out" (the longest of
    the user's names the text starts with is the old one), or "two words"; None otherwise."""
    for arrow in ARROWS:
        if arrow in text:
            old, new = text.split(arrow, 1)
            return (old.strip(), new.strip()) if old.strip() and new.strip() else None
    loose = " ".join(text.split()).lower()
    old_name = max((n for n in names if loose.startswith(n + " ")), key=len, default=None)
    if old_name is not None:
        return old_name, loose[len(old_name) + 1 :]
    words = text.split()
    return (words[0], words[1]) if len(words) == 2 else None


def listing(names: Sequence[str], *, customised: bool) -> str:
    lines = [texts.CATEGORIES_HEAD]
    if not customised:
        lines.append(texts.CATEGORIES_DEFAULT_NOTE)
    lines += [texts.CATEGORIES_LINE.format(name=escape(n)) for n in names]
    return "\n".join(lines) + "\n\n" + texts.CATEGORIES_USAGE


def error_text(error: CategoryError) -> str:
    template = texts.CATEGORY_ERRORS.get(error.code, texts.CATEGORY_ERRORS["empty"])
    return template.format(name=shown(error.name), max=MAX_CATEGORIES)


def _names(items: Sequence[str]) -> str:
    return ", ".join(escape(n) for n in items)


def run_command(session: Session, *, user_id: int, text: str) -> str:
    """The reply to ``/categories <text>``."""
    words = text.split(maxsplit=1)
    verb = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) == 2 else ""
    if not verb:
        own = own_categories(session, user_id=user_id)
        names = own or list_categories(session, user_id=user_id)
        return listing(names, customised=own is not None)
    if verb in ADD:
        name = add_category(session, user_id=user_id, name=rest)
        return texts.CATEGORY_ADDED.format(name=escape(name))
    if verb in RENAME:
        parts = split_rename(rest, list_categories(session, user_id=user_id))
        if parts is None:
            return texts.CATEGORIES_RENAME_USAGE
        renamed = rename_category(session, user_id=user_id, old=parts[0], new=parts[1])
        return texts.CATEGORY_RENAMED.format(
            old=escape(renamed.old),
            new=escape(renamed.new),
            receipts=texts.CATEGORY_RENAMED_RECEIPTS.format(receipts=receipts(renamed.receipts))
            if renamed.receipts
            else "",
            budget=texts.CATEGORY_RENAMED_BUDGET if renamed.budget_moved else "",
        )
    if verb in REMOVE:
        if not rest:
            return texts.CATEGORIES_REMOVE_USAGE
        removed = remove_category(session, user_id=user_id, name=rest)
        gone = removed.detached
        return texts.CATEGORY_REMOVED.format(
            name=escape(removed.name),
            receipts=texts.CATEGORY_REMOVED_RECEIPTS.format(receipts=receipts(gone.receipts))
            if gone.receipts
            else "",
            budget=texts.CATEGORY_REMOVED_BUDGET if gone.budget_removed else "",
        )
    if verb in RESET and not rest:
        if own_categories(session, user_id=user_id) is None:
            return texts.CATEGORIES_RESET_ALREADY
        reset = reset_categories(session, user_id=user_id)
        return texts.CATEGORIES_RESET.format(
            removed=texts.CATEGORIES_RESET_REMOVED.format(names=_names(reset.removed))
            if reset.removed
            else "",
            receipts=texts.CATEGORIES_RESET_RECEIPTS.format(receipts=receipts(reset.receipts))
            if reset.receipts
            else "",
            budgets=texts.CATEGORIES_RESET_BUDGETS.format(names=_names(reset.budgets))
            if reset.budgets
            else "",
        )
    return texts.CATEGORIES_USAGE


async def categories_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    # The raw text, not context.args: names may hold several spaces-separated words.
    parts = (message.text or "").split(maxsplit=1)
    text = parts[1] if len(parts) == 2 else ""

    def run(session: Session) -> str:
        user = register(session, message)
        try:
            with session.begin_nested():
                return run_command(session, user_id=user.id, text=text)
        except CategoryError as exc:
            return error_text(exc)

    reply = await context.services.in_session(run)
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("categories", categories_command)
]
