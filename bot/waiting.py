"""The status message of a receipt waiting in the queue: its place and about how long, refreshed
while it waits; a chat action while it is read.

One refresh task per waiting message (``QueueWatch``), stopped when the receipt leaves the queue
(the processor's first progress note or its result; checked on every round too). A message is
edited only when its text changes, at most every ``REFRESH_SECONDS``, and less often when the chat
has many waiting: Telegram takes about one message a second in a chat and 20 a minute in a
group, so the messages of one chat share that (``AIORateLimiter`` spaces what is sent anyway;
this keeps the refreshes from crowding out the cards).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext, BotServices
from bot.i18n import texts
from core.receipts.waiting import QueuePlace, WaitEstimator

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
PRIVATE_CHAT_GAP_SECONDS = 1.0  # one edit a second in a chat, shared by its waiting messages
GROUP_CHAT_GAP_SECONDS = 3.0  # 20 a minute in a group
LONGEST_WATCH_SECONDS = 30 * 60  # the sweeper has requeued or failed it by then
CHAT_ACTION_SECONDS = 4.0  # Telegram shows one for 5 s; not sent again sooner in a chat

WATCH = "queue_watch"


def receipt_lock(bot_data: dict[Any, Any], receipt_id: Any) -> asyncio.Lock:
    """One lock per receipt in this process: the status message is edited by one task at a time
    (the queue's refresh, a progress note, the result), each checking the receipt under it, so
    a late "In the queue" or "Reading…" cannot cover what followed. The webhook is served by one
    instance; across instances the order of the processor's calls makes such a race unlikely,
    not impossible."""
    locks: dict[Any, asyncio.Lock] = bot_data.setdefault("receipt_locks", {})
    return locks.setdefault(receipt_id, asyncio.Lock())


def wait_text(seconds: float) -> str:
    if seconds < 60:
        return texts.QUEUE_SECONDS.format(n=max(5, 5 * math.ceil(seconds / 5)))
    if seconds < 3600:
        return texts.QUEUE_MINUTES.format(n=math.ceil(seconds / 60))
    return texts.QUEUE_LONG


def queue_text(place: QueuePlace) -> str:
    """ "⏳ In the queue — 12 ahead, about 40 s" (no estimate without history)."""
    where = texts.QUEUE_AHEAD.format(ahead=place.ahead) if place.ahead else texts.QUEUE_NEXT
    if place.wait_seconds is None:
        return where
    return texts.QUEUE_WAIT.format(place=where, wait=wait_text(place.wait_seconds))


class QueueWatch:
    """The refresh tasks of this process's waiting messages, by receipt."""

    def __init__(self, estimator: WaitEstimator | None = None) -> None:
        self.estimator = estimator or WaitEstimator()
        self.tasks: dict[uuid.UUID, tuple[int, asyncio.Task[None]]] = {}  # receipt: chat, task
        self.actions: dict[int, float] = {}  # chat: when its last chat action was sent

    async def start(
        self, context: BotContext, *, receipt_id: uuid.UUID, chat_id: int, message_id: int
    ) -> None:
        """Show the receipt's place now (awaited: before the handler returns, as any reply),
        then keep it up to date while it waits."""
        self.stop(receipt_id)
        waiting = _Waiting(context, receipt_id, chat_id, message_id)
        if not await self._round(waiting):
            return
        task = asyncio.create_task(self._watch(waiting), name=f"queue-{receipt_id}")
        self.tasks[receipt_id] = (chat_id, task)
        task.add_done_callback(lambda t: self._forget(receipt_id, t))

    def stop(self, receipt_id: Any) -> None:
        entry = self.tasks.pop(receipt_id, None)
        if entry is not None:
            entry[1].cancel()

    async def close(self) -> None:
        """Stop every refresh (the application stops)."""
        tasks = [task for _, task in self.tasks.values()]
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def interval(self, chat_id: int) -> float:
        """Seconds between two refreshes of one message: ``REFRESH_SECONDS``, or longer when the
        chat has more waiting messages than its share of Telegram's limit allows."""
        waiting = sum(1 for chat, _ in self.tasks.values() if chat == chat_id)
        gap = GROUP_CHAT_GAP_SECONDS if chat_id < 0 else PRIVATE_CHAT_GAP_SECONDS
        return max(REFRESH_SECONDS, waiting * gap)

    async def chat_action(self, bot: Bot, chat_id: int) -> None:
        """ "typing…" in the chat while a receipt is read (once per ``CHAT_ACTION_SECONDS``)."""
        now = asyncio.get_running_loop().time()
        last = self.actions.get(chat_id)
        if last is not None and now - last < CHAT_ACTION_SECONDS:
            return
        self.actions[chat_id] = now
        if len(self.actions) > 1000:  # forget chats long quiet
            self.actions = {c: t for c, t in self.actions.items() if now - t < 60}
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # only a hint: never worth a failure
            logger.info("progress.chat_action_failed error=%s", exc)

    def _forget(self, receipt_id: uuid.UUID, task: asyncio.Task[None]) -> None:
        entry = self.tasks.get(receipt_id)
        if entry is not None and entry[1] is task:
            del self.tasks[receipt_id]

    async def _watch(self, waiting: _Waiting) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LONGEST_WATCH_SECONDS
        while loop.time() < deadline:
            await asyncio.sleep(self.interval(waiting.chat_id))
            if not await self._round(waiting):
                return

    async def _round(self, waiting: _Waiting) -> bool:
        """Show the place if it changed; False once there is nothing more to show."""
        context, receipt_id = waiting.context, waiting.receipt_id
        services: BotServices = context.services
        async with receipt_lock(context.bot_data, receipt_id):
            try:
                place = await services.in_session(lambda s: self.estimator.place(s, receipt_id))
            except Exception:  # the database away: the plain text, for now
                logger.warning("queue.place_failed receipt_id=%s", receipt_id, exc_info=True)
                text = waiting.shown or texts.QUEUED
            else:
                if place is None:  # read, being read, or gone: someone else shows it
                    return False
                text = queue_text(place)
            if text == waiting.shown:
                return True
            try:
                await context.bot.edit_message_text(
                    text, chat_id=waiting.chat_id, message_id=waiting.message_id
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    logger.info("queue.edit_failed receipt_id=%s error=%s", receipt_id, exc)
                    return False  # the message is gone: nothing to refresh
            except Forbidden:
                return False
            except TelegramError as exc:  # 429s past the limiter's retries, network: next round
                logger.info("queue.edit_failed receipt_id=%s error=%s", receipt_id, exc)
                return True
            waiting.shown = text
            return True


@dataclass(slots=True)
class _Waiting:
    """One waiting status message, and the text it shows."""

    context: BotContext
    receipt_id: uuid.UUID
    chat_id: int
    message_id: int
    shown: str | None = None


def queue_watch(bot_data: dict[Any, Any]) -> QueueWatch:
    """This application's watch (made on first use)."""
    watch: QueueWatch | None = bot_data.get(WATCH)
    if watch is None:
        watch = QueueWatch()
        bot_data[WATCH] = watch
    return watch


async def close_queue_watch(bot_data: dict[Any, Any]) -> None:
    watch: QueueWatch | None = bot_data.get(WATCH)
    if watch is not None:
        await watch.close()
