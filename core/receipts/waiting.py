"""A queued receipt's place in the queue and the wait, estimated from recent processing.

The place is the number of receipts queued before it and still waiting (one COUNT on the
(status, queued_at) index). The wait: each receipt ahead takes ``interval`` seconds of the
processor, then this one its own reading. ``interval`` is the smaller of two upper bounds: the
median seconds one reading took (``processing_attempts.timings.total``: with one reader busy, a
receipt leaves the queue at least that often) and the spacing of the latest results (with
several readers, or a backlog, results arrive closer together than one reading takes; after
an idle spell the spacing is long and the first bound holds). No history: no estimate.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.receipts.repository import ReceiptRepository

HISTORY = 20  # the latest results the estimate looks at
HISTORY_TTL_SECONDS = 5.0  # read again at most this often, for every waiting receipt at once


@dataclass(frozen=True, slots=True)
class QueuePlace:
    ahead: int  # receipts queued before this one and still waiting
    wait_seconds: float | None  # until its card, about; None without history


def estimate_wait(ahead: int, recent: Sequence[tuple[datetime, float]]) -> float | None:
    """Seconds until a receipt with ``ahead`` others before it is read, from ``recent`` (when
    each result arrived, the seconds its reading took)."""
    if not recent:
        return None
    reading = statistics.median(seconds for _, seconds in recent)
    interval = reading
    if len(recent) >= 2:
        arrivals = [at for at, _ in recent]
        span = (max(arrivals) - min(arrivals)).total_seconds()
        interval = min(interval, span / (len(recent) - 1))
    return ahead * interval + reading


class WaitEstimator:
    """Places and waits for the receipts of one process; the history is shared by all of them
    and read at most every ``ttl`` seconds."""

    def __init__(
        self,
        *,
        ttl: float = HISTORY_TTL_SECONDS,
        history: int = HISTORY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.history = history
        self.clock = clock
        self._lock = threading.Lock()  # sessions run on worker threads
        self._recent: list[tuple[datetime, float]] = []
        self._read_at: float | None = None

    def place(self, session: Session, receipt_id: uuid.UUID) -> QueuePlace | None:
        """The receipt's place, or None once it has left the queue (or is gone)."""
        repo = ReceiptRepository(session)
        state = repo.queue_state(receipt_id)
        if state is None or state[0] != ReceiptStatus.QUEUED.value or state[1] is None:
            return None
        ahead = repo.count_queued_before(state[1])
        return QueuePlace(ahead=ahead, wait_seconds=estimate_wait(ahead, self._history(repo)))

    def _history(self, repo: ReceiptRepository) -> list[tuple[datetime, float]]:
        now = self.clock()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl:
                return self._recent
        recent = repo.recent_processing(limit=self.history)
        with self._lock:
            self._recent, self._read_at = recent, now
        return recent
