"""The rates table (``fx_rates``): what the refresher loads, what ``DatabaseRates`` reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.db.models import FxRate
from core.fx.rates import EuroRate


class FxRateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def on_or_before(self, currency: str, day: date) -> EuroRate | None:
        """The last rate of ``currency`` published on or before ``day`` (the primary key's
        order: one index probe)."""
        row = self.session.execute(
            select(FxRate.day, FxRate.per_euro)
            .where(FxRate.currency == currency, FxRate.day <= day)
            .order_by(FxRate.day.desc())
            .limit(1)
        ).first()
        return None if row is None else EuroRate(currency, row[0], row[1])

    def newest_day(self) -> date | None:
        return self.session.scalar(select(func.max(FxRate.day)))

    def load(self, rates: Iterable[EuroRate]) -> int:
        """Add the rates not in the table yet and correct those that changed (ECB rarely
        revises one); returns how many rows were written. Loading a file twice writes nothing."""
        incoming = {(r.currency, r.day): r.per_euro for r in rates}
        if not incoming:
            return 0
        days = [day for _, day in incoming]
        existing = {
            (row.currency, row.day): row
            for row in self.session.scalars(
                select(FxRate).where(FxRate.day.between(min(days), max(days)))
            )
        }
        now = datetime.now(UTC)
        new: list[dict[str, object]] = []
        changed = 0
        for (currency, day), per_euro in incoming.items():
            row = existing.get((currency, day))
            if row is None:
                new.append(
                    {"currency": currency, "day": day, "per_euro": per_euro, "loaded_at": now}
                )
            elif row.per_euro != per_euro:
                row.per_euro, row.loaded_at = per_euro, now
                changed += 1
        if new:  # the whole history is some 200,000 rows: one executemany, no ORM objects
            self.session.execute(insert(FxRate), new)
        self.session.flush()
        return len(new) + changed


class DatabaseRates:
    """The rates the refresher loaded into the database (on AWS: ECB's, refreshed daily). Each
    lookup is remembered for the life of the object (one batch of receipts, one session)."""

    name = "database"

    def __init__(self, session: Session) -> None:
        self._repo = FxRateRepository(session)
        self._seen: dict[tuple[str, date], EuroRate | None] = {}

    def euro_rate(self, currency: str, day: date) -> EuroRate | None:
        key = (currency, day)
        if key not in self._seen:
            self._seen[key] = self._repo.on_or_before(currency, day)
        return self._seen[key]
