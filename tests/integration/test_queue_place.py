"""A queued receipt's place and the wait, from the database (issue 18): the receipts queued
before it and still waiting, and the latest results' timings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import ProcessingAttempt, Receipt, User
from core.receipts.repository import ReceiptRepository
from core.receipts.waiting import QueuePlace, WaitEstimator
from tests.fakes import stored_receipt

T0 = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)


def add_user(s: Session) -> User:
    user = User(telegram_user_id=uuid.uuid4().int % 10**9)
    s.add(user)
    s.flush()
    return user


def queued(s: Session, user: User, at: datetime, status: str = "queued") -> Receipt:
    receipt = stored_receipt(user_id=user.id, status=status, queued_at=at)
    s.add(receipt)
    s.flush()
    return receipt


def attempt(s: Session, receipt: Receipt, *, at: datetime, seconds: float, **kw: object) -> None:
    fields: dict[str, object] = {"status": "done", "applied": True} | kw
    s.add(
        ProcessingAttempt(
            receipt_id=receipt.id, timings={"total": seconds}, created_at=at, **fields
        )
    )
    s.flush()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_place_counts_every_users_receipts_queued_before_and_still_waiting(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        ana, ben = add_user(s), add_user(s)
        for n in range(3):
            queued(s, ana, T0 + timedelta(seconds=n))
        queued(s, ben, T0 + timedelta(seconds=3))
        queued(s, ben, T0 - timedelta(seconds=5), status="processing")  # being read: not ahead
        queued(s, ben, T0 - timedelta(seconds=6), status="done")
        mine = queued(s, ana, T0 + timedelta(seconds=4))
        queued(s, ben, T0 + timedelta(seconds=5))  # after mine
        reading = queued(s, ana, T0, status="processing")

        estimator = WaitEstimator()
        assert ReceiptRepository(s).count_queued_before(mine.queued_at) == 4  # type: ignore[arg-type]
        assert estimator.place(s, mine.id) == QueuePlace(ahead=4, wait_seconds=None)
        assert estimator.place(s, reading.id) is None  # it has left the queue
        assert estimator.place(s, uuid.uuid4()) is None


def test_the_wait_comes_from_the_latest_results_read_at_most_every_few_seconds(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = add_user(s)
        done = queued(s, user, T0 - timedelta(minutes=10), status="done")
        attempt(s, done, at=T0 - timedelta(days=1), seconds=99.0)  # older than the 3 below
        for n in range(3):  # every 2 s, 6 s each: several readers
            attempt(s, done, at=T0 + timedelta(seconds=2 * n), seconds=6.0)
        attempt(s, done, at=T0 + timedelta(seconds=7), seconds=50.0, applied=False)  # a repeat
        attempt(s, done, at=T0 + timedelta(seconds=8), seconds=50.0, status="failed")
        for n in range(2):
            queued(s, user, T0 + timedelta(seconds=n))
        mine = queued(s, user, T0 + timedelta(seconds=5))

        clock = Clock()
        estimator = WaitEstimator(history=3, ttl=5.0, clock=clock)
        assert ReceiptRepository(s).recent_processing(limit=3) == [
            (T0 + timedelta(seconds=4), 6.0),
            (T0 + timedelta(seconds=2), 6.0),
            (T0, 6.0),
        ]
        place = estimator.place(s, mine.id)
        assert place is not None
        assert place.ahead == 2
        assert place.wait_seconds == pytest.approx(2 * 2.0 + 6.0)

        attempt(s, done, at=T0 + timedelta(seconds=9), seconds=30.0)
        assert estimator.place(s, mine.id) == place  # the history is read once per 5 s
        clock.now = 5.0
        later = estimator.place(s, mine.id)
        assert later is not None and later.wait_seconds != place.wait_seconds
