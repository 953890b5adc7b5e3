"""CSV exports of a user's receipts and line items, streamed from the database, and the list of
the original files that go with them.

Text read off a receipt is untrusted: a merchant printed as ``=HYPERLINK(...)`` would be a
formula once the CSV is opened in a spreadsheet. Every text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote (OWASP, "CSV
Injection"); the amount columns are written as numbers, a negative one included. Rows end with
CRLF (RFC 4180), so that a cell holding a carriage return is quoted: with LF alone the csv
module writes a bare CR unquoted, and a spreadsheet starts a new row (an unquoted cell) there."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_
from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.db.models import Ledger, Receipt
from core.ledgers.repository import LedgerRepository, display_name
from core.ledgers.shares import ledger_amount, split_amount
from core.summaries.months import Period
from core.summaries.repository import SummaryRepository, cents, exported, in_ledger_period

# The amounts as printed (currency ... total), then the total in the home currency with the ECB
# rate used (home units per unit of ``currency``) and the day it was published; the home columns
# are empty where there is no rate (core/fx), the rate 1 and its date empty where the receipt is
# in the home currency.
RECEIPT_COLUMNS = [
    "receipt_id", "date", "date_source", "merchant", "category", "currency", "subtotal", "tax",
    "tip", "total", "home_currency", "home_total", "fx_rate", "fx_rate_date", "payment_method",
    "status", "confirmed", "sent_at",
]  # fmt: skip
ITEM_COLUMNS = ["receipt_id", "position", "description", "quantity", "unit_price", "amount"]
LINE_END = "\r\n"


def export_receipts_csv(
    session: Session, *, user_id: int, period: Period | None, timezone: str | None,
    batch: int = 2000,
) -> Iterator[str]:  # fmt: skip
    """CSV lines (UTF-8 text, ISO dates, decimals as printed), streamed from the database."""
    tz = ZoneInfo(timezone or "UTC")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=LINE_END)

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    writer.writerow(RECEIPT_COLUMNS)
    yield flush()
    receipts = SummaryRepository(session).stream_receipts(
        where=exported(user_id, period, tz), batch=batch
    )
    for n, r in enumerate(receipts, 1):
        sent = r.created_at.astimezone(tz)
        writer.writerow(_receipt_cells(r, sent))
        if n % 500 == 0:
            yield flush()
    yield flush()


# A group ledger's export: the same columns, then the amount in the ledger's currency that its
# shares are of, who paid, the split, and each member's share ("ana 0.63; ben 0.63"; rounded
# to the minor unit summing exactly to the amount, ``split_amount``: /balance rounds the exact
# sums once).
LEDGER_COLUMNS = [
    *RECEIPT_COLUMNS,
    "ledger_currency",
    "ledger_amount",
    "paid_by",
    "split",
    "shares",
]


def export_ledger_csv(
    session: Session,
    *,
    ledger: Ledger,
    period: Period | None,
    batch: int = 2000,
    sent_until: datetime | None = None,
) -> Iterator[str]:
    """A group ledger's receipts as CSV lines, with payer and shares; ``sent_until``: only those
    sent by then (for a member who has left: what they saw while in the group)."""
    tz = ZoneInfo(ledger.timezone or "UTC")
    where = (
        and_(Receipt.ledger_id == ledger.id, Receipt.status == ReceiptStatus.DONE.value)
        if period is None
        else in_ledger_period(ledger.id, period, tz)
    )
    if sent_until is not None:
        where = and_(where, Receipt.created_at <= sent_until)
    repo = LedgerRepository(session)
    # Names without the @ of a username: a cell starting with @ would be guarded as a formula.
    names = {u.id: display_name(u).lstrip("@") for u in repo.members(ledger.id, current=False)}
    shares = repo.shares_by_receipt(where=where)
    currency = ledger.currency
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=LINE_END)
    writer.writerow(LEDGER_COLUMNS)
    receipts = SummaryRepository(session).stream_receipts(where=where, batch=batch)
    for n, r in enumerate(receipts, 1):
        sent = r.created_at.astimezone(tz)
        amount = ledger_amount(
            currency,
            total=r.total,
            total_currency=r.currency,
            home_total=r.home_total,
            home_currency=r.home_currency,
        )
        parts = dict(shares.get(r.id, []))
        amounts = split_amount(amount, parts, currency) if amount is not None and currency else {}
        shown = "; ".join(
            f"{names.get(uid, f'#{uid}')} " + (format(amounts[uid], "f") if uid in amounts else "")
            for uid in parts
        )
        payer = r.paid_by_user_id or r.user_id
        writer.writerow(
            [
                *_receipt_cells(r, sent),
                _text(currency),
                _s(amount),
                _text(names.get(payer, f"#{payer}")),
                _text(r.split),
                _text(shown.strip()),
            ]
        )
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_items_csv(
    session: Session, *, user_id: int, period: Period | None, timezone: str | None,
    batch: int = 5000,
) -> Iterator[str]:  # fmt: skip
    tz = ZoneInfo(timezone or "UTC")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=LINE_END)
    writer.writerow(ITEM_COLUMNS)
    items = SummaryRepository(session).stream_items(
        where=exported(user_id, period, tz), batch=batch
    )
    for n, item in enumerate(items, 1):
        writer.writerow(
            [
                item.receipt_id,
                item.position,
                _text(item.description),
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


def _receipt_cells(r: Receipt, sent: datetime) -> list[object]:
    """A receipt's columns of the receipts CSV (the person's and a ledger's)."""
    return [
        r.id,
        (r.purchase_date or sent.date()).isoformat(),
        "receipt" if r.purchase_date else "sent",
        _text(r.merchant_name),
        _text(r.category),
        _text(r.currency),
        _s(r.subtotal),
        _s(r.tax),
        _s(r.tip),
        _s(r.total),
        _text(r.home_currency if r.home_total is not None else None),
        _s(r.home_total),
        "" if r.fx_rate is None or r.home_total is None else _rate(r.fx_rate),
        r.fx_rate_date.isoformat() if r.fx_rate_date and r.home_total is not None else "",
        _text(r.payment_method),
        _text(r.status),
        "yes" if r.confirmed_at else "no",
        sent.isoformat(timespec="seconds"),
    ]


# What a spreadsheet may read as the start of a formula (OWASP, "CSV Injection"), and their
# full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which spreadsheets in CJK locales may take
# as the same signs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _text(value: str | None) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    if not value:
        return ""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _s(value: Decimal | None) -> str:
    return "" if value is None else format(cents(value), "f")


def _rate(value: Decimal) -> str:
    """A rate as stored (12 decimals at most), without trailing zeros: 4.7611, 1."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class ExportFile:
    receipt_id: str
    day: date
    bucket: str
    key: str


def export_files(
    session: Session, *, user_id: int, period: Period | None, timezone: str | None, limit: int
) -> list[ExportFile]:
    """The original files of the exported receipts (at most ``limit``), oldest first."""
    tz = ZoneInfo(timezone or "UTC")
    rows = SummaryRepository(session).original_files(
        where=exported(user_id, period, tz), limit=limit
    )
    return [
        ExportFile(str(rid), day or sent.astimezone(tz).date(), bucket, key)
        for rid, day, sent, bucket, key in rows
    ]
