"""CSV exports of a user's receipts and line items, streamed from the database, and the list of
the original files that go with them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.summaries.months import Month
from core.summaries.repository import SummaryRepository, cents, exported

RECEIPT_COLUMNS = [
    "receipt_id", "date", "date_source", "merchant", "category", "currency", "subtotal", "tax",
    "tip", "total", "payment_method", "status", "confirmed", "sent_at",
]  # fmt: skip
ITEM_COLUMNS = ["receipt_id", "position", "description", "quantity", "unit_price", "amount"]


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
    receipts = SummaryRepository(session).stream_receipts(
        where=exported(user_id, month, tz), batch=batch
    )
    for n, r in enumerate(receipts, 1):
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
    items = SummaryRepository(session).stream_items(where=exported(user_id, month, tz), batch=batch)
    for n, item in enumerate(items, 1):
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
    return "" if value is None else format(cents(value), "f")


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
    rows = SummaryRepository(session).original_files(
        where=exported(user_id, month, tz), limit=limit
    )
    return [
        ExportFile(str(rid), day or sent.astimezone(tz).date(), bucket, key)
        for rid, day, sent, bucket, key in rows
    ]
