"""Budget warnings fire once per level, month and category; other currencies never count."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from core.budgets.service import budget_status, new_warnings, set_budget
from core.db.models import User
from core.summaries.months import Month
from tests.fakes import stored_receipt


def test_warnings_fire_once_per_level(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Europe/Berlin")
        s.add(user)
        s.flush()
        set_budget(s, user_id=user.id, category="groceries", amount=Decimal("100"), currency="EUR")

        def receipt(total: str, currency: str = "EUR", day: date = date(2026, 10, 5)) -> list[int]:
            r = stored_receipt(
                user_id=user.id,
                category="groceries",
                total=Decimal(total),
                currency=currency,
                purchase_date=day,
            )
            s.add(r)
            s.flush()
            return [w.level for w in new_warnings(s, receipt=r)]

        assert receipt("50.00") == []
        assert receipt("500.00", currency="USD") == []  # never across currencies
        assert receipt("35.00") == [80]  # 85%
        assert receipt("1.00") == []  # 86%: already warned
        assert receipt("20.00") == [100]  # 106%
        assert receipt("5.00") == []
        assert receipt("90.00", day=date(2026, 11, 2)) == [80]  # a new month starts afresh
        (status,) = budget_status(s, user=user, month=Month(2026, 10))
        assert (status.spent, status.percent) == (Decimal("111.00"), 111)


def test_jumping_past_100_warns_once_and_never_at_80_afterwards(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        user = User(telegram_user_id=uuid.uuid4().int % 10**9)
        s.add(user)
        s.flush()
        set_budget(s, user_id=user.id, category="dining", amount=Decimal("10"), currency="EUR")
        levels = []
        for total in ("12.00", "1.00"):
            r = stored_receipt(
                user_id=user.id,
                category="dining",
                total=Decimal(total),
                currency="EUR",
                purchase_date=date(2026, 10, 5),
            )
            s.add(r)
            s.flush()
            levels.append([w.level for w in new_warnings(s, receipt=r)])
        assert levels == [[100], []]


def test_status_of_every_budget_in_two_queries(session_factory: sessionmaker[Session]) -> None:
    """/summary shows every budget: their spending comes in one query however many there are,
    each in its own currency and month."""
    with session_factory.begin() as s:
        user = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Europe/Berlin")
        s.add(user)
        s.flush()
        for category in ("dining", "fuel", "groceries", "health", "transport"):
            set_budget(s, user_id=user.id, category=category, amount=Decimal("50"), currency="EUR")
        for category, total, currency, day in (
            ("groceries", "30.00", "EUR", date(2026, 10, 5)),
            ("groceries", "12.50", "EUR", date(2026, 10, 31)),
            ("groceries", "99.00", "USD", date(2026, 10, 5)),  # another currency: not counted
            ("groceries", "70.00", "EUR", date(2026, 11, 1)),  # another month: not counted
            ("dining", "60.00", "EUR", date(2026, 10, 1)),
            ("shopping", "10.00", "EUR", date(2026, 10, 1)),  # no budget
        ):
            s.add(
                stored_receipt(
                    user_id=user.id,
                    category=category,
                    total=Decimal(total),
                    currency=currency,
                    purchase_date=day,
                )
            )
        s.flush()
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(s.connection(), "before_cursor_execute", record)

        statuses = budget_status(s, user=user, month=Month(2026, 10))

        assert [(b.category, b.spent, b.percent) for b in statuses] == [
            ("dining", Decimal("60.00"), 120),
            ("fuel", Decimal("0.00"), 0),
            ("groceries", Decimal("42.50"), 85),
            ("health", Decimal("0.00"), 0),
            ("transport", Decimal("0.00"), 0),
        ]
        assert len(statements) == 2
