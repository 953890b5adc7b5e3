"""/summary [period] and /export [period|all]: a month, a quarter or a year
(``core.summaries.months``)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler

from bot import keyboards
from bot.charts import summary_chart
from bot.context import BotContext
from bot.exports import SPOOL_BYTES, Refused, ZipExports, build_zip
from bot.formats import capitalised, day_text, file_part, money, period_text
from bot.handlers.budgets import status_lines
from bot.handlers.ledgers import (
    export_in_group,
    export_ledgers_privately,
    in_group,
    summary_in_group,
)
from bot.i18n import texts
from bot.render import message_parts
from bot.summary_text import chart_caption, summary_text
from core.budgets.service import budget_status
from core.fx.service import home_currency_of
from core.ledgers.repository import shares_of
from core.money import minor_units
from core.summaries.export import ExportFile, export_files, export_items_csv, export_receipts_csv
from core.summaries.months import BadMonth, Month, Period, parse_period
from core.summaries.repository import done_in, sent_in
from core.summaries.service import PeriodSummary, summarize
from core.users.repository import UserRepository

MAX_ZIP_FILES = 500


def _round(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)))


def _today(tz: str | None) -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo(tz or "UTC"))


async def summary(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None
    arg = " ".join(context.args or [])
    if in_group(message):  # the group's shared ledger; nothing personal is posted there
        await summary_in_group(message, context, arg)
        return

    def run(session: Session) -> tuple[PeriodSummary, str]:
        user = UserRepository(session).get_by_telegram_id(tg_user.id)
        tz = user.timezone if user else None
        period = parse_period(arg, today=_today(tz).date())
        if user is None:
            return PeriodSummary(period=period, timezone=tz or "UTC"), ""
        context.services.receipts.catch_up(session, user=user)  # home amounts behind, if any
        lines = ""
        if isinstance(period, Month):  # budgets are monthly
            statuses = budget_status(session, user=user, month=period)
            lines = status_lines(statuses, period) if statuses else ""
        home = home_currency_of(user)
        result = summarize(session, user_id=user.id, period=period, timezone=tz, home=home)
        shares = shares_of(
            session,
            user_id=user.id,
            where=done_in(period, user_id=None, sent=sent_in(period, ZoneInfo(tz or "UTC"))),
        )
        if shares:
            amounts = ", ".join(money(_round(v, c), c) for c, (v, _) in sorted(shares.items()))
            lines = "\n\n".join(
                x for x in (texts.SUMMARY_SHARES.format(amounts=escape(amounts)), lines) if x
            )
        return result, lines

    try:
        result, budget_lines = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return
    assert result is not None
    # A budget for each of 30 categories and a summary in several currencies can pass
    # Telegram's 4,096 characters together: then they come as two messages (or more).
    parts = message_parts(summary_text(result), budget_lines)
    # The Mini App on this month, under the last part (a private chat only: keyboards.open_app).
    month = {"month": result.period.iso} if isinstance(result.period, Month) else {}
    app = keyboards.open_app(context.app_url, message.chat_id, **month)
    for i, part in enumerate(parts):
        markup = InlineKeyboardMarkup([[app]]) if app and i == len(parts) - 1 else None
        await message.reply_text(part, parse_mode=ParseMode.HTML, reply_markup=markup)
    currency = result.main_currency
    if result.count and currency is not None:
        png = summary_chart(result, currency)
        await message.reply_photo(
            InputFile(png, filename=f"summary-{result.period.iso}.png"),
            caption=chart_caption(result, currency),
        )


# "/export groups": in a private chat, the ledgers' CSV of the groups one is or was in.
LEDGER_WORDS = ("group", "groups", "ledger", "ledgers", "kumpulan")


async def export(update: Update, context: BotContext) -> None:
    message, tg_user = update.effective_message, update.effective_user
    assert message is not None and tg_user is not None
    words = [w.lower() for w in context.args or []]
    if in_group(message):  # the ledger's CSV (no originals: they are each sender's files)
        await export_in_group(message, context, " ".join(words))
        return
    if words and words[0] in LEDGER_WORDS:  # /export groups [period|all]: their ledgers' CSV
        await export_ledgers_privately(message, context, " ".join(words[1:]))
        return
    with_files = any(w in ("zip", "files", "originals") for w in words)
    arg = " ".join(w for w in words if w not in ("zip", "files", "originals"))
    if not with_files:
        await _export(message, context, tg_user.id, arg, with_files=False)
        return
    gate = context.zip_exports
    refused = gate.acquire(tg_user.id)
    if refused is not None:
        await message.reply_text(_refusal(refused, gate))
        return
    built = False
    try:
        built = await _export(message, context, tg_user.id, arg, with_files=True)
    finally:
        gate.release(tg_user.id, counted=built)


def _refusal(refused: Refused, gate: ZipExports) -> str:
    if refused.reason == "running":
        return texts.EXPORT_ZIP_RUNNING
    if refused.reason == "too_soon":
        return texts.EXPORT_ZIP_TOO_SOON.format(
            interval=max(1, round(gate.interval_seconds / 60)),
            wait=max(1, math.ceil(refused.wait_seconds / 60)),
        )
    return texts.EXPORT_ZIP_BUSY


async def _export(
    message: Message, context: BotContext, telegram_user_id: int, arg: str, *, with_files: bool
) -> bool:
    """The CSV files, then (``with_files``) the ZIP of the originals; True when a ZIP was built."""

    def run(session: Session) -> tuple[str, str, IO[bytes], IO[bytes], list[ExportFile]] | None:
        user = UserRepository(session).get_by_telegram_id(telegram_user_id)
        if user is None:
            return None
        tz = user.timezone
        period: Period | None = None if arg == "all" else parse_period(arg, today=_today(tz).date())
        context.services.receipts.catch_up(session, user=user)  # home amounts behind, if any
        what = texts.EXPORT_ALL if period is None else period_text(period)
        name = "all" if period is None else file_part(period)
        receipts = _spool(export_receipts_csv(session, user_id=user.id, period=period, timezone=tz))
        items = _spool(export_items_csv(session, user_id=user.id, period=period, timezone=tz))
        originals = (
            export_files(session, user_id=user.id, period=period, timezone=tz, limit=MAX_ZIP_FILES)
            if with_files
            else []
        )
        return what, name, receipts, items, originals

    try:
        result = await context.services.in_session(run)
    except BadMonth:
        await message.reply_text(texts.SUMMARY_BAD_MONTH)
        return False
    if result is None:
        await message.reply_text(texts.EXPORT_EMPTY.format(what=texts.EXPORT_NO_ONE))
        return False
    what, suffix, receipts, items, originals = result
    try:
        if receipts.readline() and not receipts.readline():  # the header line only
            await message.reply_text(texts.EXPORT_EMPTY.format(what=what))
            return False
        receipts.seek(0)
        # The rows were streamed from the database into a spooled file; the Bot API upload
        # itself needs the bytes (PTB builds the multipart body in memory; bots may send 50 MB).
        await message.reply_document(
            InputFile(receipts.read(), filename=f"receipts-{suffix}.csv"),
            caption=texts.EXPORT_CAPTION.format(what=capitalised(what)),
        )
        await message.reply_document(InputFile(items.read(), filename=f"line-items-{suffix}.csv"))
    finally:
        receipts.close()
        items.close()
    if not originals:
        return False
    await _send_originals(message, context, originals, what=what, suffix=suffix)
    return True


async def _send_originals(
    message: Message, context: BotContext, files: list[ExportFile], *, what: str, suffix: str
) -> None:
    """The receipts' original files in one ZIP, built file by file on the export threads, cut
    before it passes ``EXPORT_ZIP_MAX_BYTES``."""
    store = context.services.receipts.store
    max_bytes = context.services.settings.export_zip_max_bytes
    limit = _size(max_bytes)
    archive = await context.zip_exports.run(lambda: build_zip(store, files, max_bytes=max_bytes))
    with archive.file:
        if archive.count == 0:
            if archive.left_out is not None:
                await message.reply_text(
                    texts.EXPORT_ZIP_TOO_BIG.format(limit=limit, month=f"{files[0].day:%Y-%m}")
                )
            return
        await message.reply_document(
            InputFile(archive.file.read(), filename=f"receipts-{suffix}.zip"),
            caption=texts.EXPORT_ZIP_CAPTION.format(what=capitalised(what), count=archive.count),
        )
    if archive.left_out is not None:
        await message.reply_text(
            texts.EXPORT_ZIP_CUT.format(
                limit=limit,
                count=archive.count,
                day=day_text(archive.last_day) if archive.last_day else "",
                month=f"{archive.left_out:%Y-%m}",
            )
        )
    elif len(files) >= MAX_ZIP_FILES:
        await message.reply_text(texts.EXPORT_ZIP_PARTIAL.format(count=MAX_ZIP_FILES))


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n >= 2**20 else f"{max(1, n // 1024)} KB"


def _spool(chunks: Iterable[str]) -> IO[bytes]:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by caller
    for chunk in chunks:
        out.write(chunk.encode("utf-8"))
    out.seek(0)
    return out


HANDLERS: list[BaseHandler[Update, BotContext, None]] = [
    CommandHandler("summary", summary),
    CommandHandler("export", export),
]
