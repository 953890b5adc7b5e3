"""Every query of the summaries and the CSV exports, and the conditions that pick the receipts
of a range of days (a month, a quarter, a year: any ``Span``).

Which days a receipt belongs to: its printed purchase date; a receipt without one counts on the
day it was sent, in the user's time zone (over every user: in its owner's time zone).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.db.models import LineItemRow, Receipt, User
from core.summaries.labels import NO_CURRENCY, UNCATEGORISED, UNKNOWN_MERCHANT
from core.summaries.months import Month, Period, Span


@dataclass(frozen=True, slots=True)
class Listed:
    """One receipt as a list of them shows it (``SummaryRepository.newest``)."""

    short_id: str  # what /receipt takes
    merchant: str | None
    currency: str | None
    total: Decimal | None
    day: date  # printed, else the day it was sent


_OWNER_ZONE = func.coalesce(User.timezone, "UTC")


def sent_in(span: Span, tz: ZoneInfo) -> ColumnElement[bool]:
    """Sent during ``span`` (its first to its last day) as the calendar reads in ``tz``."""
    start = datetime.combine(span.first, time.min, tz).astimezone(UTC)
    end = datetime.combine(span.last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return and_(Receipt.created_at >= start, Receipt.created_at < end)


def done_in(
    span: Span,
    *,
    user_id: int | None,
    sent: ColumnElement[bool],
    ledger_id: int | None = None,
) -> ColumnElement[bool]:
    """Done receipts (of one user: their own, not a group ledger's; of one ledger; or of every
    user) in ``span``: by purchase date, else sent in it (``sent``)."""
    mine: list[ColumnElement[bool]] = []
    if user_id is not None:
        mine = [Receipt.user_id == user_id, Receipt.ledger_id.is_(None)]
    if ledger_id is not None:
        mine = [Receipt.ledger_id == ledger_id]
    return and_(
        *mine,
        Receipt.status == ReceiptStatus.DONE.value,
        or_(
            Receipt.purchase_date.between(span.first, span.last),
            and_(Receipt.purchase_date.is_(None), sent),
        ),
    )


def in_period(user_id: int, span: Span, tz: ZoneInfo) -> ColumnElement[bool]:
    """Done receipts of the user in ``span``: by purchase date, else by the day sent (in tz)."""
    return done_in(span, user_id=user_id, sent=sent_in(span, tz))


def in_ledger_period(ledger_id: int, span: Span, tz: ZoneInfo) -> ColumnElement[bool]:
    """Done receipts of a group ledger in ``span`` (undated ones by the ledger's time zone)."""
    return done_in(span, user_id=None, sent=sent_in(span, tz), ledger_id=ledger_id)


def in_month(user_id: int, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """``in_period`` of one month (what is kept per month: budgets)."""
    return in_period(user_id, month, tz)


def in_period_everyone(span: Span, zones: dict[str, list[str]]) -> ColumnElement[bool]:
    """Done receipts of every user in ``span``; one without a printed date by the day it was
    sent in its owner's time zone (``zones``: zone -> the names stored for it; one condition
    per zone in use)."""
    sent = [
        and_(
            Receipt.user_id.in_(select(User.id).where(_OWNER_ZONE.in_(names))),
            sent_in(span, ZoneInfo(key)),
        )
        for key, names in sorted(zones.items())
    ]
    return done_in(span, user_id=None, sent=or_(*sent) if sent else false())


def exported(user_id: int, period: Period | None, tz: ZoneInfo) -> ColumnElement[bool]:
    """The receipts an export holds: the user's done receipts of ``period``, or all of them."""
    if period is None:
        return and_(
            Receipt.user_id == user_id,
            Receipt.ledger_id.is_(None),
            Receipt.status == ReceiptStatus.DONE.value,
        )
    return in_period(user_id, period, tz)


def cents(value: object) -> Decimal:
    """SQLite returns sums as floats: back to cents, exactly as stored."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return Decimal(str(value)).quantize(Decimal("0.01"))


_CURRENCY = func.coalesce(Receipt.currency, NO_CURRENCY)


class SummaryRepository:
    """Reads over the receipts picked by a condition (``where``, one of the functions above)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def owner_zone_names(self) -> list[str]:
        """The time zone names (unset: "UTC") of users who have done receipts without a
        printed date."""
        return [
            str(name)
            for name in self.session.scalars(
                select(_OWNER_ZONE)
                .where(
                    User.id.in_(
                        select(Receipt.user_id).where(
                            Receipt.status == ReceiptStatus.DONE.value,
                            Receipt.purchase_date.is_(None),
                        )
                    )
                )
                .distinct()
            )
        ]

    def counts(self, *, where: ColumnElement[bool]) -> tuple[int, int, int]:
        """Receipts, those without a printed date, and users who have one."""
        count, undated, users = self.session.execute(
            select(
                func.count(),
                func.count().filter(Receipt.purchase_date.is_(None)),
                func.count(Receipt.user_id.distinct()),
            ).where(where)
        ).one()
        return count, undated, users

    def per_currency(self, *, where: ColumnElement[bool]) -> list[tuple[str, Decimal | None, int]]:
        """(currency, total or None when no receipt has an amount, number of receipts)."""
        rows = self.session.execute(
            select(_CURRENCY, func.sum(Receipt.total), func.count())
            .where(where)
            .group_by(_CURRENCY)
        ).all()
        return [(str(c), None if s is None else cents(s), n) for c, s, n in rows]

    def home_total(self, *, where: ColumnElement[bool], home: str) -> Decimal | None:
        """The sum of the home amounts in ``home`` (None when no receipt has one)."""
        total = self.session.scalar(
            select(func.sum(Receipt.home_total)).where(where, Receipt.home_currency == home)
        )
        return None if total is None else cents(total)

    def not_converted(
        self, *, where: ColumnElement[bool], home: str
    ) -> list[tuple[str, Decimal, int]]:
        """(currency, total, receipts) of the receipts with an amount but none in ``home``: no
        rate (a currency ECB does not publish, a day outside its data) or no currency."""
        rows = self.session.execute(
            select(_CURRENCY, func.sum(Receipt.total), func.count())
            .where(
                where,
                Receipt.total.is_not(None),
                or_(
                    Receipt.home_currency.is_(None),
                    Receipt.home_currency != home,
                    Receipt.home_total.is_(None),
                ),
            )
            .group_by(_CURRENCY)
            .order_by(_CURRENCY)
        ).all()
        return [(str(c), cents(s), int(n)) for c, s, n in rows]

    def by_category(self, *, where: ColumnElement[bool]) -> list[tuple[str, str, Decimal]]:
        """(currency, category, total), the largest total first; categories without an amount
        left out."""
        category = func.coalesce(Receipt.category, UNCATEGORISED)
        rows = self.session.execute(
            select(_CURRENCY, category, func.sum(Receipt.total))
            .where(where)
            .group_by(_CURRENCY, category)
            .order_by(func.sum(Receipt.total).desc())
        )
        return [(str(cur), str(cat), cents(total)) for cur, cat, total in rows if total is not None]

    def top_merchants(
        self, *, where: ColumnElement[bool], top: int
    ) -> list[tuple[str, str, Decimal, int]]:
        """(currency, merchant, total, receipts): the ``top`` merchants of each currency, by
        currency then rank. Ranked within each currency (a cut over all currencies would compare
        their amounts and leave a currency of small numbers without merchants)."""
        merchant = func.coalesce(Receipt.merchant_name, UNKNOWN_MERCHANT)
        spent = func.sum(Receipt.total)
        per_merchant = (
            select(
                _CURRENCY.label("currency"),
                merchant.label("merchant"),
                spent.label("total"),
                func.count().label("receipts"),
                func.row_number()
                .over(partition_by=_CURRENCY, order_by=(spent.desc(), merchant))
                .label("rank"),
            )
            .where(where)
            .group_by(_CURRENCY, merchant)
            .having(spent.is_not(None))
            .subquery()
        )
        m = per_merchant.c
        ranked = (
            select(m.currency, m.merchant, m.total, m.receipts)
            .where(m.rank <= top)
            .order_by(m.currency, m.rank)
        )
        return [
            (str(cur), str(name), cents(total), int(n))
            for cur, name, total, n in self.session.execute(ranked)
        ]

    def per_printed_day(self, *, where: ColumnElement[bool]) -> list[tuple[str, date, Decimal]]:
        """(currency, purchase date, total) of the receipts with a printed date and an amount."""
        rows = self.session.execute(
            select(_CURRENCY, Receipt.purchase_date, func.sum(Receipt.total))
            .where(where, Receipt.purchase_date.is_not(None))
            .group_by(_CURRENCY, Receipt.purchase_date)
        )
        return [
            (str(cur), day, cents(total))
            for cur, day, total in rows
            if total is not None and day is not None
        ]

    def undated(
        self, *, where: ColumnElement[bool]
    ) -> list[tuple[str, datetime, Decimal, str | None]]:
        """(currency, sent at, total, owner's time zone) of each receipt without a printed date
        that has an amount (few: their local day is computed by the caller, portably)."""
        rows = self.session.execute(
            select(_CURRENCY, Receipt.created_at, Receipt.total, User.timezone)
            .join(User, User.id == Receipt.user_id)
            .where(where, Receipt.purchase_date.is_(None))
        )
        return [
            (str(cur), sent, cents(total), owner_zone)
            for cur, sent, total, owner_zone in rows
            if total is not None
        ]

    def biggest_per_currency(
        self, *, where: ColumnElement[bool]
    ) -> list[tuple[str, str | None, Decimal, date | None]]:
        """(currency, merchant, total, printed date) of the largest receipt of each currency
        (a tie: the one sent first)."""
        ranked = (
            select(
                _CURRENCY.label("currency"),
                Receipt.merchant_name.label("merchant"),
                Receipt.total.label("total"),
                Receipt.purchase_date.label("day"),
                func.row_number()
                .over(
                    partition_by=_CURRENCY,
                    order_by=(Receipt.total.desc(), Receipt.created_at, Receipt.id),
                )
                .label("rank"),
            )
            .where(where, Receipt.total.is_not(None))
            .subquery()
        )
        r = ranked.c
        rows = self.session.execute(
            select(r.currency, r.merchant, r.total, r.day).where(r.rank == 1)
        )
        return [(str(cur), name, cents(total), day) for cur, name, total, day in rows]

    def newest(self, *, where: ColumnElement[bool], limit: int, tz: ZoneInfo) -> list[Listed]:
        """The latest ``limit`` receipts of ``where``: by printed date (undated ones by the day
        sent: in ``tz`` as shown, ordered by the database's day, which may differ near
        midnight), then the time sent."""
        when = func.coalesce(Receipt.purchase_date, func.date(Receipt.created_at))
        rows = self.session.scalars(
            select(Receipt)
            .where(where)
            .order_by(when.desc(), Receipt.created_at.desc(), Receipt.id.desc())
            .limit(limit)
        )
        return [
            Listed(
                short_id=r.short_id,
                merchant=r.merchant_name,
                currency=r.currency,
                total=r.total,
                day=r.purchase_date or r.created_at.astimezone(tz).date(),
            )
            for r in rows
        ]

    def stream_receipts(self, *, where: ColumnElement[bool], batch: int) -> Iterator[Receipt]:
        """The receipts, by purchase date then time sent, fetched ``batch`` rows at a time."""
        stmt = (
            select(Receipt)
            .where(where)
            .order_by(Receipt.purchase_date, Receipt.created_at)
            .execution_options(yield_per=batch)
        )
        yield from self.session.scalars(stmt)

    def stream_items(self, *, where: ColumnElement[bool], batch: int) -> Iterator[LineItemRow]:
        """The line items of the receipts, by receipt then position, ``batch`` rows at a time."""
        stmt = (
            select(LineItemRow)
            .join(Receipt, Receipt.id == LineItemRow.receipt_id)
            .where(where)
            .order_by(LineItemRow.receipt_id, LineItemRow.position)
            .execution_options(yield_per=batch)
        )
        yield from self.session.scalars(stmt)

    def original_files(
        self, *, where: ColumnElement[bool], limit: int
    ) -> list[tuple[uuid.UUID, date | None, datetime, str, str]]:
        """(id, printed date, sent at, bucket, key) of at most ``limit`` receipts, oldest
        first."""
        rows = self.session.execute(
            select(
                Receipt.id,
                Receipt.purchase_date,
                Receipt.created_at,
                Receipt.raw_bucket,
                Receipt.raw_key,
            )
            .where(where)
            .order_by(Receipt.purchase_date, Receipt.created_at)
            .limit(limit)
        )
        return [(rid, day, sent, bucket, key) for rid, day, sent, bucket, key in rows]
