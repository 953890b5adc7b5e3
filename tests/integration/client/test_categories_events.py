"""Client categories and budgets (the bot's services), and the status long poll."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx

from core.db.models import Receipt
from tests.integration.client.conftest import container, make_receipt, make_user, tma


async def test_categories_add_rename_remove(client: httpx.AsyncClient) -> None:
    make_user(container(client).session_factory, 9101)
    h = tma(9101)
    listed = (await client.get("/api/v1/categories", headers=h)).json()["data"]
    assert "dining" in listed
    r = await client.post("/api/v1/categories", json={"name": "Pets"}, headers=h)
    assert r.status_code == 201 and r.json()["name"] == "pets"
    dup = await client.post("/api/v1/categories", json={"name": "pets"}, headers=h)
    assert dup.status_code == 422 and dup.json()["error"] == "duplicate"
    r = await client.patch("/api/v1/categories/pets", json={"name": "animals"}, headers=h)
    assert r.status_code == 200 and r.json()["name"] == "animals"
    r = await client.delete("/api/v1/categories/animals", headers=h)
    assert r.status_code == 200
    listed = (await client.get("/api/v1/categories", headers=h)).json()["data"]
    assert "animals" not in listed and "pets" not in listed


async def test_budgets_set_read_remove(client: httpx.AsyncClient) -> None:
    make_user(container(client).session_factory, 9102, default_currency="MYR")
    h = tma(9102)
    r = await client.put("/api/v1/budgets/dining", json={"amount": "RM 150,00"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["currency"] == "MYR" and Decimal(r.json()["amount"]) == Decimal("150.00")
    listed = (await client.get("/api/v1/budgets", headers=h)).json()
    assert [b["category"] for b in listed["data"]] == ["dining"]
    bad = await client.put("/api/v1/budgets/dining", json={"amount": "lots"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_correction"
    unknown = await client.put("/api/v1/budgets/nonesuch", json={"amount": "5"}, headers=h)
    assert unknown.status_code == 404
    assert (await client.delete("/api/v1/budgets/dining", headers=h)).status_code == 204
    assert (await client.delete("/api/v1/budgets/dining", headers=h)).status_code == 404


async def test_the_long_poll_answers_when_the_status_moves(client: httpx.AsyncClient) -> None:
    c = container(client)
    user = make_user(c.session_factory, 9103)
    rid = make_receipt(
        c.session_factory, user_id=user, bucket=c.settings.raw_bucket, status="queued"
    )
    h = tma(9103)
    now = await client.get(f"/api/v1/receipts/{rid}/events", headers=h)
    assert now.json()["status"] == "queued" and now.json()["changed"] is True

    async def finish() -> None:
        await asyncio.sleep(1.5)
        with c.session_factory.begin() as s:
            s.get(Receipt, rid).status = "done"  # type: ignore[union-attr]

    started = asyncio.get_running_loop().time()
    waited, _ = await asyncio.gather(
        client.get(
            f"/api/v1/receipts/{rid}/events", params={"after": "queued", "wait": 20}, headers=h
        ),
        finish(),
    )
    elapsed = asyncio.get_running_loop().time() - started
    assert waited.json()["status"] == "done" and waited.json()["changed"] is True
    assert 1.4 < elapsed < 10

    idle = await client.get(
        f"/api/v1/receipts/{rid}/events", params={"after": "done", "wait": 1}, headers=h
    )
    assert idle.json() == {**idle.json(), "status": "done", "changed": False}
    other = make_user(c.session_factory, 9104)
    assert other
    gone = await client.get(f"/api/v1/receipts/{rid}/events", headers=tma(9104))
    assert gone.status_code == 404
