"""Client summary and export: the same numbers as the bot's /summary (core.summaries) and the
CSV its /export sends, for the caller's receipts only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx

from core.summaries.export import export_receipts_csv
from core.summaries.months import Month
from core.summaries.service import summarize
from tests.integration.client.conftest import container, make_receipt, make_user, tma


def seed(client: httpx.AsyncClient) -> int:
    c = container(client)
    user = make_user(c.session_factory, 8001)
    other = make_user(c.session_factory, 8002)
    for day, total, currency, category in [
        (3, "12.50", "MYR", "food"),
        (4, "7.50", "MYR", "food"),
        (9, "20.00", "EUR", "travel"),
    ]:
        make_receipt(
            c.session_factory,
            user_id=user,
            bucket=c.settings.raw_bucket,
            purchase_date=date(2026, 10, day),
            total=Decimal(total),
            currency=currency,
            category=category,
        )
    make_receipt(  # someone else's: never in the caller's numbers
        c.session_factory, user_id=other, bucket=c.settings.raw_bucket,
        purchase_date=date(2026, 10, 5), total=Decimal("999.00"),
    )  # fmt: skip
    return user


async def test_the_summary_is_the_bots(client: httpx.AsyncClient) -> None:
    user = seed(client)
    r = await client.get("/api/v1/summary", params={"month": "2026-10"}, headers=tma(8001))
    assert r.status_code == 200, r.text
    body = r.json()
    with container(client).session_factory() as s:
        expected = summarize(s, user_id=user, period=Month(2026, 10), timezone=None)
    assert body["receipts"] == expected.count == 3
    totals = {t["currency"]: Decimal(t["total"]) for t in body["totals"]}
    assert totals == expected.totals == {"MYR": Decimal("20.00"), "EUR": Decimal("20.00")}
    assert {(c["currency"], c["category"]) for c in body["by_category"]} == {
        ("MYR", "food"),
        ("EUR", "travel"),
    }


async def test_the_export_is_the_bots_csv(client: httpx.AsyncClient) -> None:
    user = seed(client)
    r = await client.get(
        "/api/v1/export", params={"month": "2026-10", "format": "csv"}, headers=tma(8001)
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="receipts-2026-10.csv"' in r.headers["content-disposition"]
    with container(client).session_factory() as s:
        expected = "".join(
            export_receipts_csv(s, user_id=user, period=Month(2026, 10), timezone=None)
        )
    assert r.text == expected
    assert len(r.text.strip().splitlines()) == 1 + 3 and "999.00" not in r.text
