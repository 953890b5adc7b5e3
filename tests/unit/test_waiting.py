"""The place in the queue and the wait shown on a waiting receipt's status message (issue 18)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import waiting
from bot.waiting import REFRESH_SECONDS, QueueWatch, queue_text, wait_text
from core.receipts.waiting import QueuePlace, estimate_wait

T0 = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)


def history(*pairs: tuple[float, float]) -> list[tuple[datetime, float]]:
    """(seconds after T0 the result arrived, seconds its reading took), newest first."""
    return sorted(
        ((T0 + timedelta(seconds=at), took) for at, took in pairs), key=lambda p: p[0], reverse=True
    )


def test_no_history_no_estimate() -> None:
    assert estimate_wait(12, []) is None


def test_one_reader_busy_each_receipt_ahead_takes_a_reading() -> None:
    # Results 4 s apart, each reading 4 s: a receipt with 3 ahead waits 3 readings, then its own.
    recent = history((0, 4), (4, 4), (8, 4), (12, 4))
    assert estimate_wait(3, recent) == pytest.approx(16)
    assert estimate_wait(0, recent) == pytest.approx(4)


def test_several_readers_results_arrive_closer_than_one_reading() -> None:
    recent = history(*((at, 10.0) for at in range(0, 20, 2)))  # 10 s readings, every 2 s
    assert estimate_wait(12, recent) == pytest.approx(12 * 2 + 10)


def test_the_order_of_the_history_does_not_matter() -> None:
    recent = history(*((at, 10.0) for at in range(0, 20, 2)))
    assert estimate_wait(12, list(reversed(recent))) == estimate_wait(12, recent)


def test_after_an_idle_spell_a_reading_bounds_the_interval() -> None:
    recent = history((0, 3), (3600, 3), (7200, 3))  # an hour between results
    assert estimate_wait(12, recent) == pytest.approx(12 * 3 + 3)


@pytest.mark.parametrize(
    ("place", "text"),
    [
        (QueuePlace(ahead=12, wait_seconds=38.2), "⏳ In the queue — 12 ahead, about 40 s"),
        (QueuePlace(ahead=0, wait_seconds=1.5), "⏳ In the queue — next, about 5 s"),
        (QueuePlace(ahead=3, wait_seconds=None), "⏳ In the queue — 3 ahead"),
        (QueuePlace(ahead=300, wait_seconds=610), "⏳ In the queue — 300 ahead, about 11 min"),
        (
            QueuePlace(ahead=3000, wait_seconds=9000),
            "⏳ In the queue — 3000 ahead, over an hour",
        ),
    ],
)
def test_the_status_says_the_place_and_about_how_long(place: QueuePlace, text: str) -> None:
    assert queue_text(place) == text


def test_waits_are_rounded_up() -> None:
    assert [wait_text(s) for s in (0, 5, 5.1, 59, 60, 61, 3599, 3600)] == [
        "about 5 s",
        "about 5 s",
        "about 10 s",
        "about 60 s",
        "about 1 min",
        "about 2 min",
        "about 60 min",
        "over an hour",
    ]


def test_a_chat_with_many_waiting_messages_refreshes_each_less_often() -> None:
    async def run() -> None:
        watch = QueueWatch()
        never = asyncio.Event()
        for chat, count in ((8650, 25), (8651, 1), (-1008650, 4)):
            for _ in range(count):
                task = asyncio.create_task(never.wait())
                watch.tasks[uuid.uuid4()] = (chat, task)
        assert watch.interval(8650) == 25.0  # one edit a second in the chat
        assert watch.interval(8651) == REFRESH_SECONDS
        assert watch.interval(-1008650) == 12.0  # 20 a minute in a group
        assert watch.interval(8652) == REFRESH_SECONDS
        await watch.close()
        assert watch.tasks == {}

    asyncio.run(run())


class ScriptedPlaces:
    """Places to answer, one per round; None once the receipt has left the queue."""

    def __init__(self, *places: QueuePlace | None) -> None:
        self.places = list(places)

    def place(self, session: object, receipt_id: uuid.UUID) -> QueuePlace | None:
        return self.places.pop(0) if self.places else None


class RecordingBot:
    def __init__(self) -> None:
        self.edits: list[str] = []

    async def edit_message_text(self, text: str, *, chat_id: int, message_id: int) -> None:
        self.edits.append(text)


class Services:
    async def in_session(self, fn: Any) -> Any:
        return fn(None)


class Context:
    def __init__(self) -> None:
        self.bot = RecordingBot()
        self.bot_data: dict[Any, Any] = {}
        self.services = Services()


def test_the_message_is_edited_when_its_text_changes_until_the_receipt_leaves_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(waiting, "REFRESH_SECONDS", 0.01)
    monkeypatch.setattr(waiting, "PRIVATE_CHAT_GAP_SECONDS", 0.01)
    places = ScriptedPlaces(
        QueuePlace(ahead=2, wait_seconds=12),
        QueuePlace(ahead=2, wait_seconds=12),  # the same: not edited again
        QueuePlace(ahead=1, wait_seconds=8),
        None,  # read now: the watch ends
    )

    async def run() -> Context:
        context = Context()
        watch = QueueWatch(estimator=places)  # type: ignore[arg-type]
        rid = uuid.uuid4()
        await watch.start(context, receipt_id=rid, chat_id=8660, message_id=1)  # type: ignore[arg-type]
        assert context.bot.edits == ["⏳ In the queue — 2 ahead, about 15 s"]  # before it returns
        _, task = watch.tasks[rid]
        await asyncio.wait_for(task, timeout=5)
        assert watch.tasks == {}
        return context

    context = asyncio.run(run())
    assert context.bot.edits == [
        "⏳ In the queue — 2 ahead, about 15 s",
        "⏳ In the queue — 1 ahead, about 10 s",
    ]


def test_a_receipt_already_read_starts_no_watch() -> None:
    async def run() -> None:
        context = Context()
        watch = QueueWatch(estimator=ScriptedPlaces(None))  # type: ignore[arg-type]
        await watch.start(context, receipt_id=uuid.uuid4(), chat_id=8660, message_id=1)  # type: ignore[arg-type]
        assert context.bot.edits == [] and watch.tasks == {}

    asyncio.run(run())


def test_stopping_cancels_the_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "REFRESH_SECONDS", 0.01)
    monkeypatch.setattr(waiting, "PRIVATE_CHAT_GAP_SECONDS", 0.01)

    async def run() -> None:
        context = Context()
        forever = ScriptedPlaces(*[QueuePlace(ahead=3, wait_seconds=None)] * 1000)
        watch = QueueWatch(estimator=forever)  # type: ignore[arg-type]
        rid = uuid.uuid4()
        await watch.start(context, receipt_id=rid, chat_id=8660, message_id=1)  # type: ignore[arg-type]
        _, task = watch.tasks[rid]
        await asyncio.sleep(0.05)
        watch.stop(rid)
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled() and watch.tasks == {}
        assert context.bot.edits == ["⏳ In the queue — 3 ahead"]

    asyncio.run(run())
