"""The inbox's claim: one INSERT ... ON CONFLICT DO NOTHING, a redelivery told apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.inbox import BATCH, take_updates
from core.db.models import TelegramUpdate
from core.updates.repository import MAX_TAKES, TelegramUpdateRepository


def test_claim_stores_once_and_tells_a_redelivery(session_factory: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with session_factory() as session:
        repo = TelegramUpdateRepository(session)
        assert repo.claim(41, payload={"update_id": 41}, now=now) is True
        assert repo.claim(41, payload={"update_id": 41, "again": True}, now=now) is False
        assert repo.claim(42, payload={"update_id": 42}, now=now) is True
        session.commit()
    with session_factory() as session:
        row = session.get(TelegramUpdate, 41)
        assert row is not None
        assert row.payload == {"update_id": 41}  # the first one stays
        assert row.handled_at is None and row.attempts == 0
        assert session.get(TelegramUpdate, 42) is not None


def test_take_hands_out_each_update_once_until_its_taker_is_presumed_dead(
    session_factory: sessionmaker[Session],
) -> None:
    """The bot process's takings (``fresh``): a new update once; again only after
    ``stale_before`` passed its taking; given up (marked handled, payload dropped) after
    ``MAX_TAKES``; a handled one never. The API's replays (not ``fresh``) take only stale ones."""
    t0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    later = t0 + timedelta(minutes=10)
    with session_factory() as session, session.begin():
        repo = TelegramUpdateRepository(session)
        for update_id in (51, 52, 53):
            repo.claim(update_id, payload={"update_id": update_id}, now=t0)
        repo.mark_handled(53, now=t0)

    def take(now: datetime, *, stale_before: datetime, fresh: bool = True) -> list[int]:
        with session_factory() as session, session.begin():
            payloads = TelegramUpdateRepository(session).take(
                now=now, stale_before=stale_before, fresh=fresh, limit=10
            )
        return [p["update_id"] for p in payloads]

    assert take(t0, stale_before=t0 - timedelta(minutes=5), fresh=False) == []  # not stale yet
    assert take(t0, stale_before=t0 - timedelta(minutes=5)) == [51, 52]
    assert take(t0, stale_before=t0 - timedelta(minutes=5)) == []  # taken: not again
    with session_factory() as session, session.begin():
        TelegramUpdateRepository(session).mark_handled(52, now=t0)
    assert take(later, stale_before=later - timedelta(minutes=5)) == [51]  # its taker died
    restart = later + timedelta(seconds=1)
    assert take(restart, stale_before=restart) == [51]  # a restart takes it at once: 3rd taking
    assert take(restart + timedelta(seconds=1), stale_before=restart + timedelta(seconds=1)) == []
    with session_factory() as session:
        row = session.get(TelegramUpdate, 51)
        assert row is not None
        assert row.attempts == MAX_TAKES and row.handled_at is not None and row.payload is None


class _Services:
    """What ``take_updates`` uses of BotServices: a unit of work."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    async def in_session(self, fn: Any) -> Any:
        with self.session_factory() as session, session.begin():
            return fn(session)


async def test_the_bot_process_takes_no_more_than_it_has_room_for(
    session_factory: sessionmaker[Session],
) -> None:
    """The bot process holds at most ``BATCH`` updates taken and not handled: a backlog stays in
    the inbox (untaken, so it is never taken twice for having waited too long in memory)."""
    now = datetime.now(UTC)
    with session_factory() as session, session.begin():
        repo = TelegramUpdateRepository(session)
        for update_id in range(1000, 1010):
            repo.claim(update_id, payload={"update_id": update_id}, now=now)
    application = SimpleNamespace(
        bot=None,
        update_queue=asyncio.Queue(),
        update_processor=SimpleNamespace(pending=set(range(BATCH - 3))),
    )
    services = _Services(session_factory)

    taken = await take_updates(
        application, services, replay_after=timedelta(minutes=5), at_start=False
    )
    assert taken == 3 and application.update_queue.qsize() == 3
    assert len(application.update_processor.pending) == BATCH
    assert (
        await take_updates(application, services, replay_after=timedelta(minutes=5), at_start=False)
        == 0
    )  # full: the other 7 wait in the inbox, untaken
    with session_factory() as session:
        untaken = [
            session.get(TelegramUpdate, i).taken_at is None  # type: ignore[union-attr]
            for i in range(1000, 1010)
        ]
    assert untaken.count(True) == 7


def test_only_the_bookkeeping_marks_skip_waiting_for_the_disk(
    session_factory: sessionmaker[Session],
) -> None:
    """The claim (the webhook's promise to Telegram) commits durably; taking and marking an
    update handled commit without waiting for the WAL flush (lost in a database crash, they
    only replay the update), and only their own transaction."""
    from sqlalchemy import text

    def setting(session: Session) -> str:
        return str(session.execute(text("SHOW synchronous_commit")).scalar_one())

    now = datetime.now(UTC)
    with session_factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            print("SQLite has no synchronous_commit; checked on PostgreSQL (CI's database)")
            return
        repo = TelegramUpdateRepository(session)
        with session.begin():
            repo.claim(61, payload={"update_id": 61}, now=now)
            assert setting(session) == "on"
        with session.begin():
            assert repo.take(now=now, stale_before=now, fresh=True, limit=10)  # 61 among them
            assert setting(session) == "off"
        with session.begin():
            assert setting(session) == "on"  # SET LOCAL: that transaction only
            repo.mark_handled(61, now=now)
            assert setting(session) == "off"
        with session.begin():
            assert setting(session) == "on"
            long_ago = datetime(2000, 1, 1, tzinfo=UTC)
            assert repo.take(now=now, stale_before=long_ago, fresh=False, limit=10) == []
            assert setting(session) == "on"  # nothing taken, nothing to mark
