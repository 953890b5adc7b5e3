"""Several receipts sent at once (a Telegram album): one progress message for all of them, then
each receipt's own summary card."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import Any

from sqlalchemy.orm import Session
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.formats import money
from bot.formats import receipts as count_of
from bot.i18n import texts
from core.contracts import ReceiptStatus
from core.receipts.repository import AlbumRepository
from core.receipts.views import ReceiptView

logger = logging.getLogger(__name__)


def album_line(n: int, receipt: ReceiptView) -> str:
    status = receipt.status
    if status == ReceiptStatus.DONE:
        name = escape(receipt.merchant_name or texts.UNKNOWN_MERCHANT)
        what = f"✅ {name} — {escape(money(receipt.total, receipt.currency))}"
    elif status == ReceiptStatus.FAILED:
        what = texts.RECEIPT_UNREADABLE
    else:
        what = texts.ALBUM_STATES[status.value]
    return f"{n}. {what}"


def album_text(receipts: list[ReceiptView]) -> str:
    done = sum(r.status.is_final for r in receipts)
    head = texts.ALBUM_HEAD.format(receipts=count_of(len(receipts)), done=done)
    return "\n".join([head, *(album_line(n, r) for n, r in enumerate(receipts, 1))])


def _lock(context: BotContext, key: Any) -> asyncio.Lock:
    locks: dict[Any, asyncio.Lock] = context.bot_data.setdefault("album_locks", {})
    return locks.setdefault(key, asyncio.Lock())


async def update_album(context: BotContext, *, chat_id: int, media_group_id: str) -> None:
    """Show the album's receipts as they are now in its one progress message."""

    def load(session: Session) -> tuple[int | None, list[ReceiptView]]:
        repo = AlbumRepository(session)
        album = repo.get(chat_id=chat_id, media_group_id=media_group_id)
        rows = repo.receipts(chat_id=chat_id, media_group_id=media_group_id)
        receipts = [ReceiptView.of(r) for r in rows]
        return (album.message_id if album else None), receipts

    async with _lock(context, (chat_id, media_group_id)):
        message_id, receipts = await context.services.in_session(load)
        if message_id is None or not receipts:
            return
        try:
            await context.bot.edit_message_text(
                album_text(receipts),
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.info("album.edit_failed media_group_id=%s error=%s", media_group_id, exc)
