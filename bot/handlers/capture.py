"""Photos and documents: upload through a presigned URL, submit, then show live status."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import keyboards
from bot.albums import update_album
from bot.context import BotContext
from bot.formats import day_text
from bot.handlers.ledgers import enter_ledger, in_group
from bot.i18n import texts
from bot.render import rate_limit, receipt_card
from bot.users import register
from bot.waiting import queue_watch
from core.contracts import ProcessingJob, ReceiptStatus
from core.db.models import SPLIT_EQUAL
from core.errors import RateLimited
from core.ledgers.repository import LedgerRepository
from core.observability.logs import bind, trace_id
from core.reading import files
from core.receipts.repository import AlbumRepository, ReceiptRepository
from core.receipts.service import PresignedUpload
from core.receipts.views import ReceiptView

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncomingFile:
    file_id: str
    size: int | None
    content_type: str
    file_name: str | None


async def on_photo(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.photo
    photo = message.photo[-1]  # the largest size Telegram made
    await _capture(
        message,
        context,
        IncomingFile(photo.file_id, photo.file_size, files.JPEG, None),
    )


async def on_document(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    ctype = files.normalise_content_type(doc.mime_type)
    if ctype not in files.ACCEPTED_TYPES:
        ctype = files.guess_from_name(doc.file_name)
    if ctype is None:
        kind = doc.mime_type or (doc.file_name or "unknown").rsplit(".", 1)[-1]
        await message.reply_text(texts.UNSUPPORTED_TYPE.format(kind=kind))
        return
    await _capture(message, context, IncomingFile(doc.file_id, doc.file_size, ctype, doc.file_name))


async def _capture(message: Message, context: BotContext, incoming: IncomingFile) -> None:
    """One file, idempotently: the receipt is reserved first (rate limit counted, keyed by the
    chat message), so an update replayed from the inbox after a crash resumes it."""
    services = context.services
    limit = services.settings.bot_file_limit_bytes
    if incoming.size is not None and incoming.size > limit:
        await message.reply_text(
            texts.TOO_LARGE.format(size_mb=incoming.size / 1_048_576, max_mb=limit // 1_048_576)
        )
        return
    if incoming.size == 0:  # as Telegram reports it; the bytes are checked too, below
        await message.reply_text(texts.EMPTY_FILE)
        return
    album = message.media_group_id

    group = in_group(message)
    caption = _caption(message.caption, context.bot.username) if group else message.caption

    def reserve(session: Session) -> tuple[ReceiptView, bool, bool]:
        user = register(session, message)
        # In a group: the group's ledger, the sender a member of it, paid by them, split
        # equally among its members of now.
        ledger = enter_ledger(session, message, user)[0] if group else None
        reservation = services.receipts.reserve(
            session,
            user=user,
            content_type=incoming.content_type,
            now=datetime.now(UTC),
            file_name=incoming.file_name,
            size=incoming.size or None,
            telegram_chat_id=message.chat_id,
            telegram_message_id=message.message_id,
            caption=caption,
            media_group_id=album,
            ledger_id=ledger.id if ledger is not None else None,
        )
        if reservation.new and ledger is not None:
            ledgers = LedgerRepository(session)
            row = ReceiptRepository(session).get(reservation.receipt.id)
            assert row is not None
            members = [u.id for u in ledgers.members(ledger.id)]
            ledgers.set_shares(row, split=SPLIT_EQUAL, members=members)
        first = (
            reservation.new
            and album is not None
            and AlbumRepository(session).claim(chat_id=message.chat_id, media_group_id=album)
        )
        return reservation.receipt, reservation.new, first

    try:
        receipt, new, first_of_album = await services.in_session(reserve)
    except RateLimited as exc:
        await message.reply_text(texts.RATE_LIMITED.format(limit=rate_limit(exc)))
        return
    bind(receipt_id=str(receipt.id))  # this update's task: its later lines name the receipt
    if receipt.status != ReceiptStatus.AWAITING_UPLOAD:
        # Handled before (a replayed update): the receipt is on its way; its card follows.
        logger.info("capture.replayed status=%s", receipt.status.value)
        return
    if not new:
        logger.info("capture.resumed")
    status = _Status(message, context, album=album, message_id=receipt.status_message_id)
    await status.start()
    if first_of_album:
        await status.open_album()
    try:
        data = await _download(context, incoming.file_id)
    except TelegramError as exc:
        logger.warning("capture.download_failed error=%r", exc)
        await _drop(context, receipt)
        await status.problem(texts.UPLOAD_FAILED)
        return
    if not data:  # no receipt is made of nothing
        await _drop(context, receipt)
        await status.problem(texts.EMPTY_FILE)
        return

    def prepare(session: Session) -> PresignedUpload | ReceiptView:
        return services.receipts.prepare_upload(
            session,
            receipt_id=receipt.id,
            user_id=receipt.user_id,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            status_message_id=status.message_id,
        )

    prepared = await services.in_session(prepare)
    if isinstance(prepared, ReceiptView):
        if prepared.id == receipt.id:  # refused (empty or too large): the card says why
            await status.problem(receipt_card(prepared))
            await _notified(context, prepared)
            return
        when = day_text(prepared.created_at.date())
        if not prepared.status.is_final:  # its card is still to come: say so, and where
            await status.still_reading(prepared, when=when)
            return
        await status.problem(
            texts.SAME_FILE.format(when=when) + "\n\n" + receipt_card(prepared),
            reply_markup=keyboards.card(
                prepared, key=context.callback_key, app_url=context.app_url
            ),
        )
        return
    try:
        await _upload(services.http, prepared, data)
    except httpx.HTTPError as exc:
        logger.warning("capture.upload_failed error=%r", exc)
        await _drop(context, receipt)
        await status.problem(texts.UPLOAD_FAILED)
        return

    def submit(session: Session) -> tuple[ReceiptView, ProcessingJob | None]:
        return services.receipts.submit(
            session,
            receipt_id=receipt.id,
            user_id=receipt.user_id,
            status_message_id=status.message_id,
            trace_id=trace_id(),
        )

    submitted, job = await services.in_session(submit)
    if job is not None:
        await asyncio.to_thread(services.queue.send_job, job)
        logger.info("capture.queued trace_id=%s", job.trace_id)
        if status.message_id is not None:  # its place in the queue, refreshed while it waits
            await queue_watch(context.bot_data).start(
                context,
                receipt_id=receipt.id,
                chat_id=message.chat_id,
                message_id=status.message_id,
            )
        else:
            await status.progress(texts.QUEUED)
    elif submitted.error_message:
        await status.problem(receipt_card(submitted))
        await _notified(context, submitted)


_COMMAND = re.compile(r"^/receipt(?:@\w+)?\b\s*", re.IGNORECASE)


def _caption(caption: str | None, bot_username: str | None) -> str | None:
    """A group photo's caption without what addressed it to the bot (/receipt, @the_bot)."""
    if not caption:
        return caption
    text = _COMMAND.sub("", caption.strip())
    if bot_username:
        text = re.sub(rf"@{re.escape(bot_username)}\b", "", text, flags=re.IGNORECASE)
    return " ".join(text.split()) or None


async def _drop(context: BotContext, receipt: ReceiptView) -> None:
    """The file never reached us: no receipt is left waiting for it (the user sends again)."""

    def drop(session: Session) -> None:
        context.services.receipts.drop_reservation(
            session, receipt_id=receipt.id, user_id=receipt.user_id
        )

    await context.services.in_session(drop)


async def _notified(context: BotContext, receipt: ReceiptView) -> None:
    """The user was told how this receipt ended (the outbox has nothing to send)."""

    def mark(session: Session) -> None:
        ReceiptRepository(session).mark_notified(receipt.id, at=datetime.now(UTC))

    await context.services.in_session(mark)


class _Status:
    """Where a receipt's progress shows: its own status message (made once: a resumed receipt
    keeps its message), or its album's one message (problems with one photo of an album are
    answered under that photo)."""

    def __init__(
        self,
        message: Message,
        context: BotContext,
        *,
        album: str | None,
        message_id: int | None = None,
    ) -> None:
        self.message = message
        self.context = context
        self.album = album
        self.message_id = message_id

    async def start(self) -> None:
        if self.album is None and self.message_id is None:
            self.message_id = (await self.message.reply_text(texts.RECEIVED)).message_id

    async def open_album(self) -> None:
        assert self.album is not None
        sent = await self.message.reply_text(texts.ALBUM_RECEIVING)
        chat_id, album = self.message.chat_id, self.album

        def remember(session: Session) -> None:
            AlbumRepository(session).set_message(
                chat_id=chat_id, media_group_id=album, message_id=sent.message_id
            )

        await self.context.services.in_session(remember)

    async def progress(self, text: str) -> None:
        if self.message_id is not None:
            await self.context.bot.edit_message_text(
                text, chat_id=self.message.chat_id, message_id=self.message_id
            )
        elif self.album is not None:
            await update_album(
                self.context, chat_id=self.message.chat_id, media_group_id=self.album
            )

    async def problem(self, text: str, *, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        if self.message_id is not None:
            await self.context.bot.edit_message_text(
                text,
                chat_id=self.message.chat_id,
                message_id=self.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
            )
        else:
            await self.message.reply_text(
                text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
            )

    async def still_reading(self, earlier: ReceiptView, *, when: str) -> None:
        """The same file as ``earlier``, a receipt still being read: a reply to the message its
        card will replace (else to the photo it came from; its card follows there, in its
        album or chat), instead of a card with nothing in it yet. This update's own status
        message goes: nothing of it is left to follow."""
        chat_id = self.message.chat_id
        same_chat = earlier.telegram_chat_id == chat_id
        target = earlier.status_message_id if same_chat else None
        text = texts.SAME_FILE_READING if target is not None else texts.SAME_FILE_READING_ELSEWHERE
        if target is None and same_chat:
            target = earlier.telegram_message_id
        if target is None:
            await self.problem(text.format(when=when))
            return
        await self.context.bot.send_message(
            chat_id,
            text.format(when=when),
            reply_parameters=ReplyParameters(target, allow_sending_without_reply=True),
        )
        if self.message_id is not None:
            try:
                await self.context.bot.delete_message(chat_id, self.message_id)
            except TelegramError as exc:  # left as it was: say the same there
                logger.info("capture.status_not_deleted error=%s", exc)
                await self.problem(text.format(when=when))


async def _download(context: BotContext, file_id: str) -> bytes:
    tg_file = await context.bot.get_file(file_id)
    return bytes(await tg_file.download_as_bytearray())


async def _upload(http: httpx.AsyncClient, upload: PresignedUpload, data: bytes) -> None:
    response = await http.request(upload.method, upload.url, content=data, headers=upload.headers)
    response.raise_for_status()


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    MessageHandler(filters.PHOTO, on_photo),
    MessageHandler(filters.Document.ALL, on_document),
]
