"""Client receipts: owner only (404 for another's), keyset pages by month, detail with a
presigned link, corrections as the bot makes them, delete, retry (counted toward the limits)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select

from core.contracts import ProcessingJob, thumbnail_key
from core.db.models import Receipt, ReceiptRetry
from tests.integration.client.conftest import container, make_receipt, make_user, tma

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def setup_user(client: httpx.AsyncClient, telegram_user_id: int = 6001) -> int:
    return make_user(container(client).session_factory, telegram_user_id)


def receipt(client: httpx.AsyncClient, user_id: int, **kw: object) -> uuid.UUID:
    c = container(client)
    return make_receipt(c.session_factory, user_id=user_id, bucket=c.settings.raw_bucket, **kw)


class TestOwnership:
    async def test_another_users_receipt_is_404_for_every_verb(
        self, client: httpx.AsyncClient
    ) -> None:
        owner = setup_user(client, 6001)
        setup_user(client, 6002)
        rid = receipt(client, owner, status="failed")
        other = tma(6002)
        calls = [
            client.get(f"/api/v1/receipts/{rid}", headers=other),
            client.patch(f"/api/v1/receipts/{rid}", json={"merchant": "X"}, headers=other),
            client.delete(f"/api/v1/receipts/{rid}", headers=other),
            client.post(f"/api/v1/receipts/{rid}/retry", headers=other),
            client.post(f"/api/v1/receipts/{rid}/submit", headers=other),
        ]
        for call in calls:
            r = await call
            assert r.status_code == 404, r.text
            assert r.json()["error"] == "not_found"
        listing = await client.get("/api/v1/receipts", headers=other)
        assert listing.json()["data"] == []
        with container(client).session_factory() as s:
            assert s.get(Receipt, rid) is not None


class TestList:
    async def test_pages_cover_the_month_once_newest_first(self, client: httpx.AsyncClient) -> None:
        user = setup_user(client)
        october = [
            receipt(client, user, created_at=T0 + timedelta(days=i), purchase_date=None)
            for i in range(5)
        ]
        # Printed in October though sent in November; sent in October but printed in September.
        late = receipt(
            client, user, created_at=T0 + timedelta(days=40), purchase_date=date(2026, 10, 30)
        )
        receipt(client, user, created_at=T0, purchase_date=date(2026, 9, 30))
        seen: list[str] = []
        cursor = None
        while True:
            params = {"month": "2026-10", "limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await client.get("/api/v1/receipts", params=params, headers=tma(6001))
            assert r.status_code == 200, r.text
            seen += [x["id"] for x in r.json()["data"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == [str(late)] + [str(i) for i in reversed(october)]

    async def test_search_finds_shop_category_or_note_and_takes_wildcards_literally(
        self, client: httpx.AsyncClient
    ) -> None:
        user = setup_user(client)
        shop = receipt(client, user, merchant_name="Mamak Corner", category="dining")
        note = receipt(client, user, merchant_name="Tesco", caption="team LUNCH 100%")
        receipt(client, user, merchant_name="Shell", category="fuel")

        async def found(q: str) -> set[str]:
            r = await client.get("/api/v1/receipts", params={"q": q}, headers=tma(6001))
            assert r.status_code == 200, r.text
            return {item["id"] for item in r.json()["data"]}

        assert await found("mamak") == {str(shop)}
        assert await found("DINING") == {str(shop)}
        assert await found("lunch") == {str(note)}
        assert await found("100%") == {str(note)}
        assert await found("%") == {str(note)}  # a literal percent sign, not "anything"
        assert await found("_") == set()

    async def test_list_items_carry_a_presigned_thumbnail_once_uploaded(
        self, client: httpx.AsyncClient
    ) -> None:
        user = setup_user(client)
        done = receipt(client, user)
        waiting = receipt(client, user, status="awaiting_upload", merchant_name=None)
        pdf = receipt(client, user, content_type="application/pdf")
        r = await client.get("/api/v1/receipts", headers=tma(6001))
        items = {item["id"]: item for item in r.json()["data"]}
        assert "X-Amz-Signature=" in items[str(done)]["image_url"]
        assert items[str(done)]["content_type"] == "image/jpeg"
        assert items[str(waiting)]["image_url"] is None
        # a browser draws no PDF in an <img>: the list sends none (its detail links the file)
        assert items[str(pdf)]["image_url"] is None
        detail = await client.get(f"/api/v1/receipts/{pdf}", headers=tma(6001))
        assert "X-Amz-Signature=" in detail.json()["image_url"]

    async def test_the_list_draws_the_processors_thumbnail_and_the_detail_the_file(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        user = setup_user(client)
        pdf = receipt(client, user, content_type="application/pdf")
        with c.session_factory.begin() as session:
            session.get(Receipt, pdf).thumbnail_key = thumbnail_key(pdf)  # type: ignore[union-attr]
        r = await client.get("/api/v1/receipts", headers=tma(6001))
        (item,) = r.json()["data"]
        assert f"/{c.settings.processed_bucket}/thumbnails/{pdf}.jpg?" in item["image_url"]
        detail = (await client.get(f"/api/v1/receipts/{pdf}", headers=tma(6001))).json()
        assert f"/{c.settings.raw_bucket}/users/" in detail["image_url"]  # the file itself

    async def test_a_forged_cursor_is_422(self, client: httpx.AsyncClient) -> None:
        setup_user(client)
        r = await client.get("/api/v1/receipts", params={"cursor": "bm9wZQ"}, headers=tma(6001))
        assert r.status_code == 422 and r.json()["error"] == "invalid_cursor"


class TestDetail:
    async def test_fields_items_confidence_and_a_presigned_link(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        user = setup_user(client)
        rid = receipt(client, user, confidence={"total": 0.4, "merchant": 0.95}, caption="lunch")
        r = await client.get(f"/api/v1/receipts/{rid}", headers=tma(6001))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["merchant"] == "Kedai Kopi" and Decimal(body["total"]) == Decimal("12.50")
        assert body["confidence"] == {"total": 0.4, "merchant": 0.95}
        assert body["note"] == "lunch" and body["line_items"] == []
        assert body["image_url"].startswith(c.settings.aws_endpoint_url)
        assert "X-Amz-Expires=300" in body["image_url"]


class TestCorrect:
    async def test_fields_are_parsed_as_the_bot_parses_them(
        self, client: httpx.AsyncClient
    ) -> None:
        user = setup_user(client)
        rid = receipt(client, user, confidence={"total": 0.4})
        r = await client.patch(
            f"/api/v1/receipts/{rid}",
            json={"merchant": " Mamak Corner ", "total": "RM 23,40", "currency": "euro",
                  "date": "03/10/2026", "category": "Food", "note": "team lunch"},
            headers=tma(6001),
        )  # fmt: skip
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["merchant"] == "Mamak Corner"
        assert Decimal(body["total"]) == Decimal("23.40") and body["currency"] == "EUR"
        assert body["purchase_date"] == "2026-10-03" and body["category"] == "food"
        assert body["note"] == "team lunch"
        assert body["confidence"]["total"] == 1.0  # a typed field is certain

    async def test_an_invalid_value_is_422_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        user = setup_user(client)
        rid = receipt(client, user)
        r = await client.patch(
            f"/api/v1/receipts/{rid}",
            json={"merchant": "New name", "total": "lots"},
            headers=tma(6001),
        )
        assert r.status_code == 422
        assert r.json()["error"] == "invalid_correction" and "total" in r.json()["detail"]
        with container(client).session_factory() as s:
            assert s.get(Receipt, rid).merchant_name == "Kedai Kopi"  # type: ignore[union-attr]

    async def test_a_receipt_not_read_yet_cannot_be_corrected(
        self, client: httpx.AsyncClient
    ) -> None:
        user = setup_user(client)
        rid = receipt(client, user, status="queued")
        r = await client.patch(f"/api/v1/receipts/{rid}", json={"total": "5"}, headers=tma(6001))
        assert r.status_code == 409 and r.json()["error"] == "not_done"


class TestDeleteAndRetry:
    async def test_delete_removes_the_rows_and_the_file(self, client: httpx.AsyncClient) -> None:
        c = container(client)
        user = setup_user(client)
        rid = receipt(client, user)
        with c.session_factory() as s:
            key = s.get(Receipt, rid).raw_key  # type: ignore[union-attr]
        c.store.put(bucket=c.settings.raw_bucket, key=key, body=b"x", content_type="image/jpeg")
        r = await client.delete(f"/api/v1/receipts/{rid}", headers=tma(6001))
        assert r.status_code == 200, r.text
        assert r.json() == {"id": str(rid), "objects_pending": False}
        assert not c.store.exists(bucket=c.settings.raw_bucket, key=key)
        assert (await client.get(f"/api/v1/receipts/{rid}", headers=tma(6001))).status_code == 404

    async def test_retry_queues_a_failed_receipt_and_counts_it(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        user = setup_user(client)
        rid = receipt(client, user, status="failed", error_code="unreadable")
        with c.session_factory() as s:
            key = s.get(Receipt, rid).raw_key  # type: ignore[union-attr]
        c.store.put(bucket=c.settings.raw_bucket, key=key, body=b"x", content_type="image/jpeg")
        r = await client.post(f"/api/v1/receipts/{rid}/retry", headers=tma(6001))
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "queued"
        jobs = [
            ProcessingJob.model_validate_json(m.body)
            for m in c.queue.receive(max_messages=10, wait_seconds=0)
        ]
        assert [j.receipt_id for j in jobs] == [rid] and jobs[0].attempt == 2
        with c.session_factory() as s:
            assert len(s.scalars(select(ReceiptRetry)).all()) == 1
        again = await client.post(f"/api/v1/receipts/{rid}/retry", headers=tma(6001))
        assert again.status_code == 409 and again.json()["error"] == "not_failed"

    async def test_retry_past_the_receipt_limit_is_429(self, client: httpx.AsyncClient) -> None:
        c = container(client)
        c.receipts.settings = c.receipts.settings.model_copy(
            update={"receipt_rate_limits": [(600, 1)]}
        )
        user = setup_user(client)
        receipt(client, user, created_at=datetime.now(UTC))  # the one receipt allowed
        rid = receipt(client, user, status="failed", created_at=T0)
        with c.session_factory() as s:
            key = s.get(Receipt, rid).raw_key  # type: ignore[union-attr]
        c.store.put(bucket=c.settings.raw_bucket, key=key, body=b"x", content_type="image/jpeg")
        r = await client.post(f"/api/v1/receipts/{rid}/retry", headers=tma(6001))
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
