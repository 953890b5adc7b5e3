"""A typed amount that leaves another one impossible: that one is marked doubtful, never kept
in silence (issue 18)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.render import doubtful_fields
from core.db.models import Receipt, User
from core.reading.validation import DOUBTFUL
from core.receipts.service import ReceiptService
from core.receipts.views import ReceiptView
from core.settings import ApiSettings
from tests.fakes import stored_receipt

SURE = {"merchant": 0.9, "date": 0.9, "total": 0.9, "currency": 0.9, "subtotal": 0.9, "tax": 0.9}


def service() -> ReceiptService:
    settings = ApiSettings(database_url="sqlite://", telegram_mode="off")
    return ReceiptService(settings=settings, store=None)  # type: ignore[arg-type]


def add(s: Session, **fields: object) -> tuple[User, Receipt]:
    user = User(telegram_user_id=uuid.uuid4().int % 10**9)
    s.add(user)
    s.flush()
    receipt = stored_receipt(
        user_id=user.id,
        merchant_name="Corner Cafe",
        currency="EUR",
        purchase_date=date(2026, 10, 5),
        confidence=dict(SURE),
        **fields,
    )
    s.add(receipt)
    s.flush()
    return user, receipt


def test_a_total_below_the_tax_makes_the_tax_and_subtotal_doubtful(
    session_factory: sessionmaker[Session],
) -> None:
    receipts = service()
    with session_factory.begin() as s:
        user, receipt = add(
            s,
            subtotal=Decimal("81.00"),
            tax=Decimal("9.00"),
            total=Decimal("90.00"),
            confirmed_at=datetime.now(UTC),
        )
        view = receipts.correct(
            s, receipt_id=receipt.id, user_id=user.id, field="total", raw="8.50"
        )

        assert (view.total, view.subtotal, view.tax) == (
            Decimal("8.50"),
            Decimal("81.00"),  # kept: the user is asked, nothing is dropped
            Decimal("9.00"),
        )
        assert view.confidence["total"] == 1.0
        assert view.confidence["tax"] == view.confidence["subtotal"] == DOUBTFUL
        assert view.confirmed_at is None  # the card no longer "looks right"
        assert doubtful_fields(view) == ["subtotal", "tax"]


def test_fixing_the_tax_then_leaves_the_total_alone(
    session_factory: sessionmaker[Session],
) -> None:
    receipts = service()
    with session_factory.begin() as s:
        user, receipt = add(s, subtotal=Decimal("8.49"), tax=Decimal("0.51"), total=Decimal("9"))
        receipts.correct(s, receipt_id=receipt.id, user_id=user.id, field="total", raw="0.50")
        assert receipt.confidence["tax"] == DOUBTFUL
        view = receipts.correct(s, receipt_id=receipt.id, user_id=user.id, field="tax", raw="0.03")
        assert view.confidence["tax"] == 1.0 and view.confidence["total"] == 1.0
        assert view.tax == Decimal("0.03")


def test_a_typed_tax_above_the_total_puts_the_total_in_doubt(
    session_factory: sessionmaker[Session],
) -> None:
    receipts = service()
    with session_factory.begin() as s:
        user, receipt = add(s, tax=Decimal("0.51"), total=Decimal("9.00"))
        view = receipts.correct(s, receipt_id=receipt.id, user_id=user.id, field="tax", raw="12")
        assert view.confidence["tax"] == 1.0
        assert view.confidence["total"] == DOUBTFUL
        assert doubtful_fields(view) == ["total"]


def test_a_possible_total_changes_no_other_confidence(
    session_factory: sessionmaker[Session],
) -> None:
    receipts = service()
    with session_factory.begin() as s:
        user, receipt = add(
            s, subtotal=Decimal("8.49"), tax=Decimal("0.51"), total=Decimal("90.00")
        )
        view = receipts.correct(
            s, receipt_id=receipt.id, user_id=user.id, field="total", raw="9.00"
        )
        assert dict(view.confidence) == {**SURE, "total": 1.0}
        assert doubtful_fields(ReceiptView.of(receipt)) == []


def test_today_typed_as_a_date_is_the_users_today(session_factory: sessionmaker[Session]) -> None:
    """ "today" is the date in the user's time zone, not UTC's: at any moment UTC+14 or UTC-12
    is on another date than UTC."""
    receipts = service()
    zones = ("Pacific/Kiritimati", "Etc/GMT+12")  # UTC+14, UTC-12
    got, expected = {}, {}
    with session_factory.begin() as s:
        for zone in zones:
            user, receipt = add(s)
            user.timezone = zone
            s.flush()
            expected[zone] = datetime.now(ZoneInfo(zone)).date()
            view = receipts.correct(
                s, receipt_id=receipt.id, user_id=user.id, field="date", raw="today"
            )
            got[zone] = view.purchase_date
    assert got == expected
    assert any(day != datetime.now(UTC).date() for day in got.values())
