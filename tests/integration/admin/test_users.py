"""Admin users: search, detail, block / unblock, delete with rows and S3 objects; the audit."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import AdminAuditEntry, LineItemRow, ProcessingAttempt, Receipt, User
from tests.fakes import stored_receipt
from tests.helpers import enable_versioning
from tests.integration.admin.conftest import Auth, container


def add_user(
    factory: sessionmaker[Session], *, telegram_id: int, name: str, receipts: int = 0
) -> tuple[int, list[uuid.UUID]]:
    with factory.begin() as session:
        user = User(
            telegram_user_id=telegram_id,
            telegram_chat_id=telegram_id,
            first_name=name,
            username=name.lower(),
        )
        session.add(user)
        session.flush()
        ids = []
        for n in range(receipts):
            receipt = stored_receipt(user_id=user.id, status="done" if n % 2 == 0 else "failed")
            session.add(receipt)
            session.flush()
            session.add(LineItemRow(receipt_id=receipt.id, position=0, description="Tea"))
            session.add(ProcessingAttempt(receipt_id=receipt.id, status=receipt.status))
            ids.append(receipt.id)
        return user.id, ids


class TestListAndDetail:
    async def test_search_by_telegram_id_and_name_with_pagination(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        factory = container(client).session_factory
        add_user(factory, telegram_id=111, name="Alice")
        add_user(factory, telegram_id=222, name="Bob")
        add_user(factory, telegram_id=333, name="Alicia")

        by_id = await client.get("/admin/v1/users", params={"q": "222"}, headers=auth("viewer"))
        by_name = await client.get("/admin/v1/users", params={"q": "ali"}, headers=auth("viewer"))
        page = await client.get(
            "/admin/v1/users", params={"limit": 2, "offset": 2}, headers=auth("viewer")
        )

        assert [u["first_name"] for u in by_id.json()["data"]] == ["Bob"]
        assert sorted(u["first_name"] for u in by_name.json()["data"]) == ["Alice", "Alicia"]
        assert by_name.json()["count"] == 2
        assert page.json()["count"] == 3 and len(page.json()["data"]) == 1

    async def test_detail_counts_receipts_by_status(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        user_id, _ = add_user(
            container(client).session_factory, telegram_id=5, name="Cy", receipts=3
        )

        body = (await client.get(f"/admin/v1/users/{user_id}", headers=auth("viewer"))).json()

        assert body["receipts_total"] == 3
        assert body["receipts_by_status"] == {"done": 2, "failed": 1}

    async def test_a_nul_character_in_the_search_is_a_bad_request(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        # PostgreSQL text cannot hold NUL: the query must be refused as the input's fault.
        r = await client.get("/admin/v1/users", params={"q": "a\x00b"}, headers=auth("viewer"))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_request"

    async def test_unknown_user_is_404(self, client: httpx.AsyncClient, auth: Auth) -> None:
        response = await client.get("/admin/v1/users/999999", headers=auth("viewer"))
        assert response.status_code == 404
        assert response.json() == {"error": "not_found", "detail": "user not found"}


class TestBlock:
    async def test_block_and_unblock_are_recorded_in_the_audit(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        user_id, _ = add_user(container(client).session_factory, telegram_id=7, name="Di")

        blocked = await client.post(f"/admin/v1/users/{user_id}/block", headers=auth())
        unblocked = await client.post(f"/admin/v1/users/{user_id}/unblock", headers=auth())
        audit = await client.get("/admin/v1/audit", headers=auth("viewer"))

        assert blocked.status_code == 200 and blocked.json()["blocked_at"] is not None
        assert unblocked.json()["blocked_at"] is None
        entries = audit.json()["data"]
        assert [e["action"] for e in entries] == ["user.unblock", "user.block"]
        assert entries[0]["subject"] == "alice"
        assert entries[0]["target_id"] == str(user_id)
        assert entries[0]["client_ip"] == "203.0.113.7"


class TestDelete:
    async def test_delete_removes_rows_and_s3_objects(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        c = container(client)
        s = c.settings
        user_id, receipt_ids = add_user(c.session_factory, telegram_id=9, name="Ed", receipts=2)
        other_id, others = add_user(c.session_factory, telegram_id=10, name="Flo", receipts=1)
        with c.session_factory.begin() as session:
            for receipt in session.scalars(select(Receipt)):
                receipt.raw_bucket = s.raw_bucket
        store = c.store
        with c.session_factory() as session:
            rows = session.scalars(select(Receipt)).all()
        for receipt in rows:
            store.put(
                bucket=s.raw_bucket, key=receipt.raw_key, body=b"x", content_type="image/jpeg"
            )
            store.put(
                bucket=s.processed_bucket,
                key=f"processed/{receipt.id}.json",
                body=b"{}",
                content_type="application/json",
            )
        orphan = f"users/{user_id}/{uuid.uuid4()}.png"  # an upload that never became a receipt
        store.put(bucket=s.raw_bucket, key=orphan, body=b"x", content_type="image/png")

        response = await client.delete(f"/admin/v1/users/{user_id}", headers=auth())

        assert response.status_code == 200
        assert response.json()["receipts_deleted"] == 2
        assert response.json()["objects_pending"] is False
        with c.session_factory() as session:
            assert session.get(User, user_id) is None
            assert session.get(User, other_id) is not None
            left = set(session.scalars(select(Receipt.id)))
            assert left == set(others)
            assert session.scalar(select(func.count()).select_from(LineItemRow)) == 1
            assert session.scalar(select(func.count()).select_from(ProcessingAttempt)) == 1
            audit = session.scalars(select(AdminAuditEntry)).one()
            assert (audit.action, audit.target_id) == ("user.delete", str(user_id))
        assert store.list_keys(bucket=s.raw_bucket, prefix=f"users/{user_id}/") == []
        for rid in receipt_ids:
            assert not store.exists(bucket=s.processed_bucket, key=f"processed/{rid}.json")
        assert store.exists(bucket=s.processed_bucket, key=f"processed/{others[0]}.json")
        assert len(store.list_keys(bucket=s.raw_bucket, prefix=f"users/{other_id}/")) == 1

    async def test_erases_every_version_of_every_receipt_of_the_user(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        # GIVEN versioned buckets and a user whose two receipts have history
        c = container(client)
        s, store = c.settings, c.store
        enable_versioning(s, s.raw_bucket, s.processed_bucket)
        user_id, receipt_ids = add_user(c.session_factory, telegram_id=13, name="Hal", receipts=2)
        _, others = add_user(c.session_factory, telegram_id=14, name="Ivy", receipts=1)
        with c.session_factory.begin() as session:
            for receipt in session.scalars(select(Receipt)):
                receipt.raw_bucket = s.raw_bucket
        with c.session_factory() as session:
            raw_keys = {r.id: r.raw_key for r in session.scalars(select(Receipt))}
        js = "application/json"
        for rid, key in raw_keys.items():
            store.put(bucket=s.raw_bucket, key=key, body=b"x", content_type="image/jpeg")
            store.delete(bucket=s.raw_bucket, key=key)  # deleted before: a delete marker
            for body in (b"{}", b"{ }"):  # written, then overwritten
                store.put(
                    bucket=s.processed_bucket,
                    key=f"processed/{rid}.json",
                    body=body,
                    content_type=js,
                )
            store.put(
                bucket=s.processed_bucket,
                key=f"ocr-cache/{rid}.local.json",
                body=b"{}",
                content_type=js,
            )

        response = await client.delete(f"/admin/v1/users/{user_id}", headers=auth())

        # THEN 2 receipts x (raw version + marker, 2 processed, 1 OCR cache) = 10, others stay
        assert response.json()["objects_deleted"] == 10
        assert response.json()["objects_pending"] is False
        assert store.versions(bucket=s.raw_bucket, prefix=f"users/{user_id}/") == []
        for rid in receipt_ids:
            assert store.versions(bucket=s.processed_bucket, prefix=f"processed/{rid}") == []
            assert store.versions(bucket=s.processed_bucket, prefix=f"ocr-cache/{rid}") == []
        other = others[0]
        assert len(store.versions(bucket=s.raw_bucket, prefix=raw_keys[other])) == 2
        assert len(store.versions(bucket=s.processed_bucket, prefix=f"processed/{other}")) == 2
        assert len(store.versions(bucket=s.processed_bucket, prefix=f"ocr-cache/{other}")) == 1


class TestViewerChangesNothing:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", "/block"), ("POST", "/unblock"), ("DELETE", "")],
    )
    async def test_viewer_writes_are_403_and_leave_no_trace(
        self, client: httpx.AsyncClient, auth: Auth, method: str, path: str
    ) -> None:
        c = container(client)
        user_id, _ = add_user(c.session_factory, telegram_id=12, name="Gus", receipts=1)

        response = await client.request(
            method, f"/admin/v1/users/{user_id}{path}", headers=auth("viewer")
        )

        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
        with c.session_factory() as session:
            user = session.get(User, user_id)
            assert user is not None and user.blocked_at is None
            assert session.scalar(select(func.count()).select_from(Receipt)) == 1
            assert session.scalar(select(func.count()).select_from(AdminAuditEntry)) == 0
