"""Admin summary: /summary's numbers for every user or one, per currency, from core.summaries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

from core.db.models import User
from core.summaries.months import Month
from core.summaries.service import summarize
from tests.fakes import stored_receipt
from tests.integration.admin.conftest import Auth, container


def seed(client: httpx.AsyncClient) -> tuple[User, User]:
    with container(client).session_factory.begin() as s:
        kl = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Asia/Kuala_Lumpur")
        ny = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="America/New_York")
        s.add_all([kl, ny])
        s.flush()

        def add(user: User, total: str, currency: str | None, **kw: object) -> None:
            s.add(
                stored_receipt(
                    user_id=user.id,
                    total=Decimal(total),
                    currency=currency,
                    **{"created_at": datetime(2026, 10, 15, 12, tzinfo=UTC), **kw},
                )
            )

        oct_3, sep_9 = date(2026, 10, 3), date(2026, 9, 9)
        add(kl, "100.00", "MYR", purchase_date=oct_3, merchant_name="Kedai", category="groceries")
        add(kl, "20.00", "EUR", purchase_date=oct_3, merchant_name="Cafe", category="dining")
        add(kl, "80.00", "EUR", purchase_date=sep_9, merchant_name="Cafe", category="dining")
        add(kl, "999.00", "EUR", purchase_date=oct_3, merchant_name="Cafe", status="failed")
        add(ny, "30.00", "EUR", purchase_date=oct_3, merchant_name="Cafe", category="dining")
        add(ny, "12.50", "USD", purchase_date=date(2026, 10, 31), merchant_name="Deli")
        # No printed date: sent 2026-11-01 02:00 UTC, which is October 31 in New York.
        add(ny, "7.50", "USD", created_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
        add(ny, "1.00", None, purchase_date=oct_3, merchant_name="Kiosk")
        s.flush()
        s.expunge_all()
    return kl, ny


async def test_every_users_month_per_currency(client: httpx.AsyncClient, auth: Auth) -> None:
    seed(client)

    response = await client.get("/admin/v1/summary?month=2026-10", headers=auth("viewer"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["month"], body["user_id"], body["timezone"]) == ("2026-10", None, None)
    assert (body["receipts"], body["undated"], body["users"]) == (6, 1, 2)
    assert body["totals"] == [
        {"currency": "MYR", "total": "100.00", "previous_total": None, "change_percent": None},
        {"currency": "EUR", "total": "50.00", "previous_total": "80.00", "change_percent": -37.5},
        {"currency": "USD", "total": "20.00", "previous_total": None, "change_percent": None},
        {"currency": None, "total": "1.00", "previous_total": None, "change_percent": None},
    ]
    assert {"currency": "EUR", "category": "dining", "total": "50.00"} in body["by_category"]
    assert {"currency": "USD", "category": "uncategorised", "total": "20.00"} in body["by_category"]
    assert [m for m in body["top_merchants"] if m["currency"] == "EUR"] == [
        {"currency": "EUR", "merchant": "Cafe", "total": "50.00", "receipts": 2}
    ]
    assert {"day": "2026-10-31", "currency": "USD", "total": "20.00"} in body["daily"]
    assert body["biggest"] == [  # one per currency, in the order of the totals
        {"merchant": "Kedai", "currency": "MYR", "total": "100.00"},
        {"merchant": "Cafe", "currency": "EUR", "total": "30.00"},
        {"merchant": "Deli", "currency": "USD", "total": "12.50"},
        {"merchant": "Kiosk", "currency": None, "total": "1.00"},
    ]


async def test_one_user_gets_the_numbers_of_their_own_summary(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    _, ny = seed(client)
    with container(client).session_factory() as s:
        own = summarize(s, user_id=ny.id, period=Month(2026, 10), timezone=ny.timezone, top=5)

    response = await client.get(
        f"/admin/v1/summary?month=2026-10&user_id={ny.id}", headers=auth("viewer")
    )

    body = response.json()
    assert (body["user_id"], body["timezone"], body["users"]) == (ny.id, "America/New_York", 1)
    assert (body["receipts"], body["undated"]) == (own.count, own.undated) == (4, 1)
    assert {(t["currency"] or "???"): Decimal(t["total"]) for t in body["totals"]} == own.totals
    assert own.totals == {"EUR": Decimal("30.00"), "USD": Decimal("20.00"), "???": Decimal("1.00")}


async def test_defaults_errors_and_roles(client: httpx.AsyncClient, auth: Auth) -> None:
    kl, _ = seed(client)

    current = await client.get("/admin/v1/summary", headers=auth("viewer"))
    theirs = await client.get(f"/admin/v1/summary?user_id={kl.id}", headers=auth("viewer"))
    missing = await client.get("/admin/v1/summary?user_id=987654321", headers=auth("viewer"))
    bad_month = await client.get("/admin/v1/summary?month=2026-13", headers=auth("viewer"))
    anonymous = await client.get("/admin/v1/summary?month=2026-10")

    now = datetime.now(UTC)
    assert current.status_code == 200 and current.json()["month"] == f"{now:%Y-%m}"
    assert theirs.status_code == 200 and theirs.json()["timezone"] == "Asia/Kuala_Lumpur"
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "user not found"}
    assert bad_month.status_code == 422 and bad_month.json()["error"] == "invalid_request"
    assert anonymous.status_code == 401
