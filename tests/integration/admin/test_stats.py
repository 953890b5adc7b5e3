"""Admin stats: per-day counts, success rate, failures by reason, latency, engines, cost, users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from core.db.models import ProcessingAttempt, Receipt, User
from tests.fakes import stored_receipt
from tests.integration.admin.conftest import Auth, container


async def test_stats_over_a_window(client: httpx.AsyncClient, auth: Auth) -> None:
    now = datetime.now(UTC)
    with container(client).session_factory.begin() as s:
        users = [User(telegram_user_id=uuid.uuid4().int % 10**9) for _ in range(3)]
        s.add_all(users)
        s.flush()

        def receipt(user: User, status: str, code: str | None = None, age_days: int = 1) -> Receipt:
            r = stored_receipt(
                user_id=user.id,
                status=status,
                error_code=code,
                created_at=now - timedelta(days=age_days),
                queued_at=now - timedelta(days=age_days),
                completed_at=now - timedelta(days=age_days) + timedelta(seconds=4),
            )
            s.add(r)
            s.flush()
            return r

        done = [receipt(users[0], "done"), receipt(users[1], "done"), receipt(users[1], "done")]
        receipt(users[1], "failed", "unreadable")
        receipt(users[2], "done", age_days=90)  # outside the 30-day window
        for n, r in enumerate(done):
            s.add(
                ProcessingAttempt(
                    receipt_id=r.id,
                    status="done",
                    applied=True,
                    ocr_engine="textract-expense" if n == 0 else "rapidocr",
                    extractor="rules",
                    timings={"total": 1.0 + n},
                    pages=1,
                )
            )

    viewer = await client.get("/admin/v1/stats?days=30", headers=auth("viewer"))
    bad = await client.get("/admin/v1/stats?days=0", headers=auth("viewer"))
    anonymous = await client.get("/admin/v1/stats")

    assert viewer.status_code == 200, viewer.text
    body = viewer.json()
    assert (body["done"], body["failed"]) == (3, 1)
    assert body["success_rate"] == 0.75
    assert body["failures_by_reason"] == {"unreadable": 1}
    assert body["active_users"] == 2
    assert body["processing_seconds_p50"] == 2.0
    assert body["end_to_end_seconds_p50"] == 4.0
    assert body["engines"] == {"rapidocr + rules": 2, "textract-expense + rules": 1}
    # One AnalyzeExpense page at the settings' price, two free local readings.
    page = container(client).settings.prices.textract_analyze_expense_per_page
    assert Decimal(body["cost_total_usd"]) == page
    assert sum(d["done"] for d in body["receipts_per_day"]) == 3
    assert bad.status_code == 422 and set(bad.json()) == {"error", "detail"}
    assert anonymous.status_code == 401
