"""Summaries of a month, a quarter or a year (``core.summaries.months.Period``): totals per
currency (never added across currencies), categories, merchants, days, the change against the
period before; with the ledger's home currency, also the sum of the receipts' amounts in it
(converted at ECB rates when they were stored, ``core.fx``) and what has none. The queries are in
``core.summaries.repository``.

Which period a receipt belongs to: its printed purchase date; a receipt without one counts on the
day it was sent, in the user's time zone (and the summary says how many did). The same summary
over every user (the admin API) counts each such receipt in its owner's time zone, so its numbers
are the sums of the users' own summaries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from core.summaries.months import Period
from core.summaries.repository import (
    SummaryRepository,
    in_ledger_period,
    in_period,
    in_period_everyone,
)

EVERY_USERS_OWN_ZONE = "each user's own"


@dataclass(frozen=True, slots=True)
class BiggestPurchase:
    """The largest receipt of one currency in a period."""

    merchant: str | None
    currency: str  # NO_CURRENCY for receipts without one
    total: Decimal
    day: date | None  # its printed date


def largest_first(totals: dict[str, Decimal]) -> list[str]:
    """The currencies of ``totals``, the one of the largest total first (as the totals are
    listed; their amounts are only ordered, never added)."""
    return sorted(totals, key=lambda c: (-totals[c], c))


@dataclass
class PeriodSummary:
    """A month's, a quarter's or a year's receipts; ``previous_totals``: the period before's."""

    period: Period
    timezone: str  # EVERY_USERS_OWN_ZONE in a summary over every user
    count: int = 0
    undated: int = 0
    users: int = 0  # users with a receipt in the period
    totals: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # receipts per currency
    previous_totals: dict[str, Decimal] = field(default_factory=dict)
    by_category: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)
    top_merchants: dict[str, list[tuple[str, Decimal, int]]] = field(default_factory=dict)
    daily: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    # The largest receipt of each currency (amounts of different currencies are not compared),
    # currencies as in ``largest_first(totals)``.
    biggest: list[BiggestPurchase] = field(default_factory=list)
    # Every amount in the ledger's home currency (core/fx): the sum of the receipts' home
    # amounts (None: no receipt has one), the period before's, and the totals per currency of
    # the receipts left out of it (no ECB rate, or no currency).
    home_currency: str | None = None
    home_total: Decimal | None = None
    previous_home_total: Decimal | None = None
    not_converted: dict[str, Decimal] = field(default_factory=dict)
    not_converted_count: int = 0

    @property
    def main_currency(self) -> str | None:
        """The chart's currency: the one of the most receipts in the period; a tie, the larger
        total, then the code (the largest total alone would pick JPY 5,000 over EUR 300)."""
        return min(
            self.totals, key=lambda c: (-self.counts.get(c, 0), -self.totals[c], c), default=None
        )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _owner_zones(repo: SummaryRepository) -> dict[str, list[str]]:
    """The time zones of users who have done receipts without a printed date: zone -> the names
    stored for it (an unknown name counts as UTC)."""
    zones: dict[str, list[str]] = defaultdict(list)
    for name in repo.owner_zone_names():
        zones[_zone(name).key].append(name)
    return dict(zones)


def _per_currency(
    repo: SummaryRepository, where: ColumnElement[bool]
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Totals (currencies with an amount) and numbers of receipts, per currency."""
    rows = repo.per_currency(where=where)
    return {c: s for c, s, _ in rows if s is not None}, {c: n for c, _, n in rows}


def _totals(repo: SummaryRepository, where: ColumnElement[bool]) -> dict[str, Decimal]:
    return _per_currency(repo, where)[0]


def summarize(
    session: Session,
    *,
    user_id: int | None,
    period: Period,
    timezone: str | None,
    top: int = 5,
    home: str | None = None,
    ledger_id: int | None = None,
) -> PeriodSummary:
    """One user's period (``timezone``: theirs), or every user's (``user_id`` None: each receipt
    without a printed date in its owner's time zone; ``timezone`` is not used). With ``home``
    (the ledger's home currency) also the period's total in it (``home_amounts``). With
    ``ledger_id``, a group ledger's period instead (``timezone``: the ledger's)."""
    repo = SummaryRepository(session)
    tz: ZoneInfo | None = None  # every user: each receipt in its owner's zone
    if ledger_id is not None:
        tz_name = timezone or "UTC"
        ledger_tz = tz = _zone(tz_name)

        def period_where(p: Period) -> ColumnElement[bool]:
            return in_ledger_period(ledger_id, p, ledger_tz)
    elif user_id is None:
        zones = _owner_zones(repo)
        tz_name = EVERY_USERS_OWN_ZONE

        def period_where(p: Period) -> ColumnElement[bool]:
            return in_period_everyone(p, zones)
    else:
        tz_name = timezone or "UTC"
        user_tz = tz = ZoneInfo(tz_name)

        def period_where(p: Period) -> ColumnElement[bool]:
            return in_period(user_id, p, user_tz)

    where = period_where(period)
    out = PeriodSummary(period=period, timezone=tz_name, home_currency=home)
    out.count, out.undated, out.users = repo.counts(where=where)
    if home is not None:
        out.previous_home_total = repo.home_total(where=period_where(period.previous), home=home)
    if not out.count:
        out.previous_totals = _totals(repo, period_where(period.previous))
        return out
    out.totals, out.counts = _per_currency(repo, where)
    out.previous_totals = _totals(repo, period_where(period.previous))
    if home is not None:
        home_amounts(
            out, repo.home_total(where=where, home=home), repo.not_converted(where=where, home=home)
        )

    for cur, cat, total in repo.by_category(where=where):
        out.by_category.setdefault(cur, []).append((cat, total))

    for cur, name, total, n in repo.top_merchants(where=where, top=top):
        out.top_merchants.setdefault(cur, []).append((name, total, n))

    daily: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for cur, day, total in repo.per_printed_day(where=where):
        daily[cur][day] += total
    if out.undated:  # few: their local day is computed here, portably
        for cur, sent, total, owner_zone in repo.undated(where=where):
            zone = tz or _zone(owner_zone)
            daily[cur][sent.astimezone(zone).date()] += total
    out.daily = {c: dict(days) for c, days in daily.items()}

    biggest = biggest_per_currency(session, where)
    out.biggest = [biggest[c] for c in largest_first(out.totals) if c in biggest]
    return out


def home_amounts(
    out: PeriodSummary, total: Decimal | None, left_out: list[tuple[str, Decimal, int]]
) -> None:
    """The home total of ``out`` and what is left out of it."""
    out.home_total = total
    out.not_converted = {c: t for c, t, _ in left_out}
    out.not_converted_count = sum(n for _, _, n in left_out)


def biggest_per_currency(
    session: Session, where: ColumnElement[bool]
) -> dict[str, BiggestPurchase]:
    """The largest receipt of each currency among ``where`` (a tie: the one sent first)."""
    return {
        cur: BiggestPurchase(merchant=name, currency=cur, total=total, day=day)
        for cur, name, total, day in SummaryRepository(session).biggest_per_currency(where=where)
    }
