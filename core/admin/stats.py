"""System statistics for the admin API: volume, success, failures, latency, engines, cost, users."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.admin.repository import StatsQueries
from core.contracts import CostUnits, Engines, ReceiptStatus
from core.reading.costs import receipt_cost
from core.settings import PriceTable

MAX_ATTEMPTS_SCANNED = 100_000


@dataclass
class Stats:
    since: datetime
    until: datetime
    receipts_per_day: dict[date, dict[str, int]] = field(default_factory=dict)
    done: int = 0
    failed: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    processing_seconds_p50: float | None = None
    processing_seconds_p95: float | None = None
    end_to_end_seconds_p50: float | None = None
    end_to_end_seconds_p95: float | None = None
    engines: dict[str, int] = field(default_factory=dict)
    cost_per_receipt_usd: Decimal | None = None
    cost_total_usd: Decimal = Decimal(0)
    cost_complete: bool = True
    active_users: int = 0

    @property
    def success_rate(self) -> float | None:
        finished = self.done + self.failed
        return self.done / finished if finished else None


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def system_stats(
    session: Session, *, since: datetime, until: datetime, prices: PriceTable
) -> Stats:
    out = Stats(since=since, until=until)
    queries = StatsQueries(session)

    per_day: dict[date, dict[str, int]] = {}
    for d, status, n in queries.per_day_and_status(since=since, until=until):
        per_day.setdefault(d, {})[status] = n
    out.receipts_per_day = dict(sorted(per_day.items()))
    statuses = Counter[str]()
    for counts in per_day.values():
        statuses.update(counts)
    out.done = statuses[ReceiptStatus.DONE.value]
    out.failed = statuses[ReceiptStatus.FAILED.value]
    out.failures_by_reason = queries.failures_by_reason(since=since, until=until)
    out.active_users = queries.active_users(since=since, until=until)

    e2e = [
        (done - queued).total_seconds()
        for queued, done in queries.queued_and_completed(since=since, until=until)
    ]
    out.end_to_end_seconds_p50 = _percentile(e2e, 50)
    out.end_to_end_seconds_p95 = _percentile(e2e, 95)

    attempts = queries.applied_attempts(since=since, until=until, limit=MAX_ATTEMPTS_SCANNED)
    seconds: list[float] = []
    engines = Counter[str]()
    costs = []
    for a in attempts:
        total = (a.timings or {}).get("total")
        if isinstance(total, int | float):
            seconds.append(float(total))
        engines[f"{a.ocr_engine or '-'} + {a.extractor or '-'}"] += 1
        cost = receipt_cost(
            cost=CostUnits(
                pages=a.pages, input_tokens=a.input_tokens, output_tokens=a.output_tokens
            ),
            engines=Engines(ocr=a.ocr_engine, extractor=a.extractor),
            prices=prices,
        )
        costs.append(cost)
    out.processing_seconds_p50 = _percentile(seconds, 50)
    out.processing_seconds_p95 = _percentile(seconds, 95)
    out.engines = dict(engines.most_common())
    if costs:
        out.cost_total_usd = sum((c.total_usd for c in costs), Decimal(0)).quantize(
            Decimal("0.0001")
        )
        out.cost_per_receipt_usd = (out.cost_total_usd / len(costs)).quantize(Decimal("0.00001"))
        out.cost_complete = all(c.priced for c in costs)
    return out
