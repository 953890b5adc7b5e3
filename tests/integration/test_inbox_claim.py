"""The inbox's claim: one INSERT ... ON CONFLICT DO NOTHING, a redelivery told apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

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
