"""Admin receipts: filters and cursor pagination, detail with presigned link, reprocess, delete."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.aws.s3 import Erasure, StoredObjects
from core.contracts import ProcessingJob
from core.db.models import AdminAuditEntry, Receipt, User
from tests.helpers import enable_versioning
from tests.integration.admin.conftest import Auth, container

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def seed(factory: sessionmaker[Session], bucket: str, *, n: int = 5) -> list[uuid.UUID]:
    """n receipts, one a day from T0; even ones failed (unreadable), odd ones done at CAFE n."""
    with factory.begin() as session:
        user = User(telegram_user_id=42, telegram_chat_id=42)
        session.add(user)
        session.flush()
        ids = []
        for i in range(n):
            r = Receipt(
                user_id=user.id,
                status="failed" if i % 2 == 0 else "done",
                error_code="unreadable" if i % 2 == 0 else None,
                merchant_name=None if i % 2 == 0 else f"Cafe {i}",
                total=None if i % 2 == 0 else Decimal("9.50"),
                content_type="image/jpeg",
                raw_bucket=bucket,
                raw_key=f"users/{user.id}/{uuid.uuid4()}.jpg",
                created_at=T0 + timedelta(days=i),
            )
            session.add(r)
            session.flush()
            ids.append(r.id)
        return ids


def queued_jobs(client: httpx.AsyncClient) -> list[ProcessingJob]:
    messages = container(client).queue.receive(max_messages=10, wait_seconds=0)
    return [ProcessingJob.model_validate_json(m.body) for m in messages]


class TestList:
    async def test_filters_and_cursor_pages_cover_everything_once(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        ids = seed(c.session_factory, c.settings.raw_bucket)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = (
                await client.get("/admin/v1/receipts", params=params, headers=auth("viewer"))
            ).json()
            seen += [r["id"] for r in body["data"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        failed = await client.get(
            "/admin/v1/receipts",
            params={
                "status": "failed",
                "error_code": "unreadable",
                "created_from": (T0 + timedelta(days=1)).isoformat(),
            },
            headers=auth("viewer"),
        )
        merchant = await client.get(
            "/admin/v1/receipts", params={"merchant": "cafe 3"}, headers=auth("viewer")
        )

        assert seen == [str(i) for i in reversed(ids)]
        assert [r["id"] for r in failed.json()["data"]] == [str(ids[4]), str(ids[2])]
        assert [r["total"] for r in merchant.json()["data"]] == ["9.50"]

    async def test_forged_cursor_is_422(self, client: httpx.AsyncClient, auth: Auth) -> None:
        response = await client.get(
            "/admin/v1/receipts", params={"cursor": "!!!"}, headers=auth("viewer")
        )
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_cursor"


class TestDetail:
    async def test_detail_has_processed_json_and_a_presigned_link(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        rid = seed(c.session_factory, c.settings.raw_bucket, n=2)[1]
        with c.session_factory.begin() as session:
            receipt = session.get(Receipt, rid)
            assert receipt is not None
            receipt.processed_key = f"processed/{rid}.json"
            raw_key = receipt.raw_key
        c.store.put(
            bucket=c.settings.raw_bucket, key=raw_key, body=b"JPEG", content_type="image/jpeg"
        )
        c.store.put(
            bucket=c.settings.processed_bucket,
            key=f"processed/{rid}.json",
            body=json.dumps({"status": "done"}).encode(),
            content_type="application/json",
        )

        body = (await client.get(f"/admin/v1/receipts/{rid}", headers=auth("viewer"))).json()

        assert body["processed"] == {"status": "done"}
        assert body["merchant_name"] == "Cafe 1"
        assert httpx.get(body["original_url"]).content == b"JPEG"


class TestReprocess:
    async def test_failed_receipts_since_a_date_are_queued_after_commit(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        ids = seed(c.session_factory, c.settings.raw_bucket)
        with c.session_factory() as session:
            for r in session.scalars(select(Receipt)):
                c.store.put(
                    bucket=r.raw_bucket, key=r.raw_key, body=b"x", content_type="image/jpeg"
                )

        response = await client.post(
            "/admin/v1/receipts/reprocess",
            json={"status": "failed", "since": (T0 + timedelta(days=1)).isoformat()},
            headers=auth(),
        )

        assert response.status_code == 202
        assert set(response.json()["queued"]) == {str(ids[2]), str(ids[4])}
        jobs = queued_jobs(client)
        assert {j.receipt_id for j in jobs} == {ids[2], ids[4]}
        assert all(j.attempt == 2 for j in jobs)
        with c.session_factory() as session:
            assert session.get(Receipt, ids[0]).status == "failed"  # type: ignore[union-attr]
            assert session.get(Receipt, ids[2]).status == "queued"  # type: ignore[union-attr]
            audit = session.scalars(select(AdminAuditEntry)).one()
            assert audit.action == "receipt.reprocess_many"

    async def test_done_receipt_needs_force_and_missing_file_is_409(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        ids = seed(c.session_factory, c.settings.raw_bucket, n=2)

        done = await client.post(f"/admin/v1/receipts/{ids[1]}/reprocess", headers=auth())
        missing = await client.post(f"/admin/v1/receipts/{ids[0]}/reprocess", headers=auth())

        assert done.status_code == 409 and done.json()["error"] == "not_reprocessable"
        assert missing.status_code == 409 and missing.json()["error"] == "file_missing"
        assert queued_jobs(client) == []


class TestDelete:
    async def test_delete_removes_row_and_file_and_viewer_cannot(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        rid = seed(c.session_factory, c.settings.raw_bucket, n=1)[0]
        with c.session_factory() as session:
            key = session.get(Receipt, rid).raw_key  # type: ignore[union-attr]
        c.store.put(bucket=c.settings.raw_bucket, key=key, body=b"x", content_type="image/jpeg")

        refused = await client.delete(f"/admin/v1/receipts/{rid}", headers=auth("viewer"))
        deleted = await client.delete(f"/admin/v1/receipts/{rid}", headers=auth())
        again = await client.delete(f"/admin/v1/receipts/{rid}", headers=auth())

        assert refused.status_code == 403
        assert deleted.status_code == 200
        assert again.status_code == 404
        assert not c.store.exists(bucket=c.settings.raw_bucket, key=key)

    async def test_erases_every_version_of_file_processed_json_and_ocr_cache(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        # GIVEN versioned buckets (as on AWS) and a receipt whose objects have history
        c = container(client)
        s, store = c.settings, c.store
        enable_versioning(s, s.raw_bucket, s.processed_bucket)
        rid, other = seed(c.session_factory, s.raw_bucket, n=2)
        with c.session_factory() as session:
            key = session.get(Receipt, rid).raw_key  # type: ignore[union-attr]
        json_type = "application/json"
        store.put(bucket=s.raw_bucket, key=key, body=b"x", content_type="image/jpeg")
        for body in (b"{}", b'{"v": 2}', b'{"v": 3}'):  # written, then overwritten twice
            store.put(
                bucket=s.processed_bucket,
                key=f"processed/{rid}.json",
                body=body,
                content_type=json_type,
            )
        thumbnail = f"thumbnails/{rid}.jpg"
        store.put(bucket=s.processed_bucket, key=thumbnail, body=b"x", content_type="image/jpeg")
        cache = f"ocr-cache/{rid}.textract.json"
        store.put(bucket=s.processed_bucket, key=cache, body=b"{}", content_type=json_type)
        store.delete(bucket=s.processed_bucket, key=cache)  # the processor's delete: a marker
        store.put(
            bucket=s.processed_bucket,
            key=f"processed/{other}.json",
            body=b"{}",
            content_type=json_type,
        )

        # WHEN an admin deletes it
        response = await client.delete(f"/admin/v1/receipts/{rid}", headers=auth())

        # THEN every version and marker is gone and the response counts them; others stay
        assert response.status_code == 200
        assert response.json() == {
            "id": str(rid),
            "deleted": True,
            # 1 raw + 3 processed + 1 thumbnail + 1 OCR cache + its delete marker
            "objects_deleted": 7,
            "objects_pending": False,
        }
        assert store.versions(bucket=s.raw_bucket, prefix=key) == []
        assert store.versions(bucket=s.processed_bucket, prefix=f"processed/{rid}") == []
        assert store.versions(bucket=s.processed_bucket, prefix=f"ocr-cache/{rid}") == []
        assert store.versions(bucket=s.processed_bucket, prefix=thumbnail) == []
        assert len(store.versions(bucket=s.processed_bucket, prefix=f"processed/{other}")) == 1

    async def test_objects_s3_refused_are_pending(
        self, client: httpx.AsyncClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        c = container(client)
        rid = seed(c.session_factory, c.settings.raw_bucket, n=1)[0]

        def refused(objects: StoredObjects) -> Erasure:
            return Erasure(removed=1, failed=("raw/users/1/a.jpg v1: AccessDenied",))

        monkeypatch.setattr(c.store, "erase", refused)

        response = await client.delete(f"/admin/v1/receipts/{rid}", headers=auth())

        assert response.status_code == 200
        assert response.json()["objects_deleted"] == 1
        assert response.json()["objects_pending"] is True
        with c.session_factory() as session:
            assert session.get(Receipt, rid) is None  # the rows went first, committed
