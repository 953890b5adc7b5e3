"""Monthly answers: totals per currency (never added across currencies), categories, merchants,
days, the change against the month before; and CSV exports streamed from the database.

Which month a receipt belongs to: its printed purchase date; a receipt without one counts on the
day it was sent, in the user's time zone (and the summary says how many did). The same summary
over every user (the admin API) counts each such receipt in its owner's time zone, so its numbers
are the sums of the users' own summaries.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.db.models import LineItemRow, Receipt, User

NO_CURRENCY = "???"
UNCATEGORISED = "uncategorised"  # the category shown for receipts without one
UNKNOWN_MERCHANT = "Unknown merchant"  # the merchant shown for receipts without one
MONTHS = {
    name.lower(): n
    for n in range(1, 13)
    for name in (calendar.month_name[n], calendar.month_abbr[n])
}


class BadMonth(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str | None, *, today: date) -> Month:
    """``2026-10``, ``10``, ``october``, ``oct``, ``last month``, ``this month`` or nothing."""
    value = (text or "").strip().lower()
    current = Month(today.year, today.month)
    if value in ("", "this month", "now"):
        return current
    if value in ("last month", "previous month", "last"):
        return current.previous
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(m[1]), int(m[2])
    elif value.isdigit() and 1 <= int(value) <= 12:
        year, month = today.year, int(value)
    elif value in MONTHS:
        year, month = today.year, MONTHS[value]
    else:
        raise BadMonth(value)
    if not 1 <= month <= 12:
        raise BadMonth(value)
    chosen = Month(year, month)
    if not re.fullmatch(r"\d{4}-\d{1,2}", value) and chosen.first > today:
        chosen = Month(year - 1, month)  # "december" in November: the last December
    return chosen


EVERY_USERS_OWN_ZONE = "each user's own"


@dataclass(frozen=True, slots=True)
class BiggestPurchase:
    """The largest receipt of one currency in a month."""

    merchant: str | None
    currency: str  # NO_CURRENCY for receipts without one
    total: Decimal
    day: date | None  # its printed date


def largest_first(totals: dict[str, Decimal]) -> list[str]:
    """The currencies of ``totals``, the one of the largest total first (as the totals are
    listed; their amounts are only ordered, never added)."""
    return sorted(totals, key=lambda c: (-totals[c], c))


@dataclass
class MonthSummary:
    month: Month
    timezone: str  # EVERY_USERS_OWN_ZONE in a summary over every user
    count: int = 0
    undated: int = 0
    users: int = 0  # users with a receipt in the month
    totals: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # receipts per currency
    previous_totals: dict[str, Decimal] = field(default_factory=dict)
    by_category: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)
    top_merchants: dict[str, list[tuple[str, Decimal, int]]] = field(default_factory=dict)
    daily: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    # The largest receipt of each currency (amounts of different currencies are not compared),
    # currencies as in ``largest_first(totals)``.
    biggest: list[BiggestPurchase] = field(default_factory=list)

    @property
    def main_currency(self) -> str | None:
        """The chart's currency: the one of the most receipts this month; a tie, the larger
        total, then the code (the largest total alone would pick JPY 5,000 over EUR 300)."""
        return min(
            self.totals, key=lambda c: (-self.counts.get(c, 0), -self.totals[c], c), default=None
        )


def _sent_in(month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """Sent during ``month`` as the calendar reads in ``tz``."""
    start = datetime.combine(month.first, time.min, tz).astimezone(UTC)
    end = datetime.combine(month.last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return and_(Receipt.created_at >= start, Receipt.created_at < end)


def _done_in(
    month: Month, *, user_id: int | None, sent: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Done receipts (of one user, or of every user) in ``month``: by purchase date, else
    sent in it (``sent``)."""
    mine = [Receipt.user_id == user_id] if user_id is not None else []
    return and_(
        *mine,
        Receipt.status == ReceiptStatus.DONE.value,
        or_(
            Receipt.purchase_date.between(month.first, month.last),
            and_(Receipt.purchase_date.is_(None), sent),
        ),
    )


def _in_month(user_id: int, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """Done receipts of the user in ``month``: by purchase date, else by the day sent (in tz)."""
    return _done_in(month, user_id=user_id, sent=_sent_in(month, tz))


_OWNER_ZONE = func.coalesce(User.timezone, "UTC")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _owner_zones(session: Session) -> dict[str, list[str]]:
    """The time zones of users who have done receipts without a printed date: zone -> the names
    stored for it (an unknown name counts as UTC)."""
    names = session.scalars(
        select(_OWNER_ZONE)
        .where(
            User.id.in_(
                select(Receipt.user_id).where(
                    Receipt.status == ReceiptStatus.DONE.value, Receipt.purchase_date.is_(None)
                )
            )
        )
        .distinct()
    )
    zones: dict[str, list[str]] = defaultdict(list)
    for name in names:
        zones[_zone(name).key].append(name)
    return dict(zones)


def _in_month_everyone(month: Month, zones: dict[str, list[str]]) -> ColumnElement[bool]:
    """Done receipts of every user in ``month``; one without a printed date by the day it was
    sent in its owner's time zone (one condition per zone in use)."""
    sent = [
        and_(
            Receipt.user_id.in_(select(User.id).where(_OWNER_ZONE.in_(names))),
            _sent_in(month, ZoneInfo(key)),
        )
        for key, names in sorted(zones.items())
    ]
    return _done_in(month, user_id=None, sent=or_(*sent) if sent else false())


def _per_currency(
    session: Session, where: ColumnElement[bool]
) -> tuple[dict[str, Decimal], dict[str, int]]:
    """Totals (currencies with an amount) and numbers of receipts, per currency."""
    currency = func.coalesce(Receipt.currency, NO_CURRENCY)
    rows = session.execute(
        select(currency, func.sum(Receipt.total), func.count()).where(where).group_by(currency)
    ).all()
    return {str(c): _dec(s) for c, s, _ in rows if s is not None}, {str(c): n for c, _, n in rows}


def _totals(session: Session, where: ColumnElement[bool]) -> dict[str, Decimal]:
    return _per_currency(session, where)[0]


def summarize(
    session: Session, *, user_id: int | None, month: Month, timezone: str | None, top: int = 5
) -> MonthSummary:
    """One user's month (``timezone``: theirs), or every user's (``user_id`` None: each receipt
    without a printed date in its owner's time zone; ``timezone`` is not used)."""
    tz: ZoneInfo | None = None  # every user: each receipt in its owner's zone
    if user_id is None:
        zones = _owner_zones(session)
        tz_name = EVERY_USERS_OWN_ZONE

        def in_month(m: Month) -> ColumnElement[bool]:
            return _in_month_everyone(m, zones)
    else:
        tz_name = timezone or "UTC"
        user_tz = tz = ZoneInfo(tz_name)

        def in_month(m: Month) -> ColumnElement[bool]:
            return _in_month(user_id, m, user_tz)

    where = in_month(month)
    currency = func.coalesce(Receipt.currency, NO_CURRENCY)
    out = MonthSummary(month=month, timezone=tz_name)
    out.count, out.undated, out.users = session.execute(
        select(
            func.count(),
            func.count().filter(Receipt.purchase_date.is_(None)),
            func.count(Receipt.user_id.distinct()),
        ).where(where)
    ).one()
    if not out.count:
        out.previous_totals = _totals(session, in_month(month.previous))
        return out
    out.totals, out.counts = _per_currency(session, where)
    out.previous_totals = _totals(session, in_month(month.previous))

    category = func.coalesce(Receipt.category, UNCATEGORISED)
    for cur, cat, total in session.execute(
        select(currency, category, func.sum(Receipt.total))
        .where(where)
        .group_by(currency, category)
        .order_by(func.sum(Receipt.total).desc())
    ):
        if total is not None:
            out.by_category.setdefault(str(cur), []).append((str(cat), _dec(total)))

    # Ranked within each currency (a cut over all currencies would compare their amounts and
    # leave a currency of small numbers without merchants).
    merchant = func.coalesce(Receipt.merchant_name, UNKNOWN_MERCHANT)
    spent = func.sum(Receipt.total)
    per_merchant = (
        select(
            currency.label("currency"),
            merchant.label("merchant"),
            spent.label("total"),
            func.count().label("receipts"),
            func.row_number()
            .over(partition_by=currency, order_by=(spent.desc(), merchant))
            .label("rank"),
        )
        .where(where)
        .group_by(currency, merchant)
        .having(spent.is_not(None))
        .subquery()
    )
    m = per_merchant.c
    ranked = (
        select(m.currency, m.merchant, m.total, m.receipts)
        .where(m.rank <= top)
        .order_by(m.currency, m.rank)
    )
    for cur, name, total, n in session.execute(ranked):
        out.top_merchants.setdefault(str(cur), []).append((str(name), _dec(total), int(n)))

    daily: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for cur, day, total in session.execute(
        select(currency, Receipt.purchase_date, func.sum(Receipt.total))
        .where(where, Receipt.purchase_date.is_not(None))
        .group_by(currency, Receipt.purchase_date)
    ):
        if total is not None and day is not None:
            daily[str(cur)][day] += _dec(total)
    if out.undated:  # few: their local day is computed here, portably
        for cur, sent, total, owner_zone in session.execute(
            select(currency, Receipt.created_at, Receipt.total, User.timezone)
            .join(User, User.id == Receipt.user_id)
            .where(where, Receipt.purchase_date.is_(None))
        ):
            if total is not None:
                zone = tz or _zone(owner_zone)
                daily[str(cur)][sent.astimezone(zone).date()] += _dec(total)
    out.daily = {c: dict(days) for c, days in daily.items()}

    biggest = biggest_per_currency(session, where)
    out.biggest = [biggest[c] for c in largest_first(out.totals) if c in biggest]
    return out


def biggest_per_currency(
    session: Session, where: ColumnElement[bool]
) -> dict[str, BiggestPurchase]:
    """The largest receipt of each currency among ``where`` (a tie: the one sent first)."""
    currency = func.coalesce(Receipt.currency, NO_CURRENCY)
    ranked = (
        select(
            currency.label("currency"),
            Receipt.merchant_name.label("merchant"),
            Receipt.total.label("total"),
            Receipt.purchase_date.label("day"),
            func.row_number()
            .over(
                partition_by=currency,
                order_by=(Receipt.total.desc(), Receipt.created_at, Receipt.id),
            )
            .label("rank"),
        )
        .where(where, Receipt.total.is_not(None))
        .subquery()
    )
    r = ranked.c
    rows = session.execute(select(r.currency, r.merchant, r.total, r.day).where(r.rank == 1))
    return {
        str(cur): BiggestPurchase(merchant=name, currency=str(cur), total=_dec(total), day=day)
        for cur, name, total, day in rows
    }


# ---- CSV export ------------------------------------------------------------------------------

RECEIPT_COLUMNS = [
    "receipt_id", "date", "date_source", "merchant", "category", "currency", "subtotal", "tax",
    "tip", "total", "payment_method", "status", "confirmed", "sent_at",
]  # fmt: skip
ITEM_COLUMNS = ["receipt_id", "position", "description", "quantity", "unit_price", "amount"]


def _export_where(user_id: int, month: Month | None, tz: ZoneInfo) -> ColumnElement[bool]:
    if month is None:
        return and_(Receipt.user_id == user_id, Receipt.status == ReceiptStatus.DONE.value)
    return _in_month(user_id, month, tz)


def export_receipts_csv(
    session: Session, *, user_id: int, month: Month | None, timezone: str | None,
    batch: int = 2000,
) -> Iterator[str]:  # fmt: skip
    """CSV lines (UTF-8 text, ISO dates, decimals as printed), streamed from the database."""
    tz = ZoneInfo(timezone or "UTC")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    writer.writerow(RECEIPT_COLUMNS)
    yield flush()
    stmt = (
        select(Receipt)
        .where(_export_where(user_id, month, tz))
        .order_by(Receipt.purchase_date, Receipt.created_at)
        .execution_options(yield_per=batch)
    )
    for n, r in enumerate(session.scalars(stmt), 1):
        sent = r.created_at.astimezone(tz)
        writer.writerow(
            [
                r.id,
                (r.purchase_date or sent.date()).isoformat(),
                "receipt" if r.purchase_date else "sent",
                r.merchant_name or "",
                r.category or "",
                r.currency or "",
                _s(r.subtotal),
                _s(r.tax),
                _s(r.tip),
                _s(r.total),
                r.payment_method or "",
                r.status,
                "yes" if r.confirmed_at else "no",
                sent.isoformat(timespec="seconds"),
            ]
        )
        if n % 500 == 0:
            yield flush()
    yield flush()


def export_items_csv(
    session: Session, *, user_id: int, month: Month | None, timezone: str | None,
    batch: int = 5000,
) -> Iterator[str]:  # fmt: skip
    tz = ZoneInfo(timezone or "UTC")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    stmt = (
        select(LineItemRow)
        .join(Receipt, Receipt.id == LineItemRow.receipt_id)
        .where(_export_where(user_id, month, tz))
        .order_by(LineItemRow.receipt_id, LineItemRow.position)
        .execution_options(yield_per=batch)
    )
    for n, item in enumerate(session.scalars(stmt), 1):
        writer.writerow(
            [
                item.receipt_id,
                item.position,
                item.description,
                "" if item.quantity is None else format(item.quantity.normalize(), "f"),
                _s(item.unit_price),
                _s(item.amount),
            ]
        )
        if n % 1000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _s(value: Decimal | None) -> str:
    return "" if value is None else format(_dec(value), "f")


def _dec(value: object) -> Decimal:
    """SQLite returns sums as floats: back to cents, exactly as stored."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class ExportFile:
    receipt_id: str
    day: date
    bucket: str
    key: str


def export_files(
    session: Session, *, user_id: int, month: Month | None, timezone: str | None, limit: int
) -> list[ExportFile]:
    """The original files of the exported receipts (at most ``limit``), oldest first."""
    tz = ZoneInfo(timezone or "UTC")
    rows = session.execute(
        select(
            Receipt.id,
            Receipt.purchase_date,
            Receipt.created_at,
            Receipt.raw_bucket,
            Receipt.raw_key,
        )
        .where(_export_where(user_id, month, tz))
        .order_by(Receipt.purchase_date, Receipt.created_at)
        .limit(limit)
    )
    return [
        ExportFile(str(rid), day or sent.astimezone(tz).date(), bucket, key)
        for rid, day, sent, bucket, key in rows
    ]
