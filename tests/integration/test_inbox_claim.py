"""The inbox's claim: one INSERT ... ON CONFLICT DO NOTHING, a redelivery told apart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from core.db.models import TelegramUpdate
from core.updates.repository import TelegramUpdateRepository


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
