"""Uploads straight to S3 (the moto server on loopback): a presigned POST whose policy binds
the key, the Content-Type and the size; the file POSTed with httpx; submit checks and queues."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from core.contracts import ProcessingJob
from core.db.models import Receipt
from tests.integration.client.conftest import container, make_user, tma
from tests.samples import jpeg_bytes


async def new_upload(client: httpx.AsyncClient, body: bytes, **kw: object) -> dict:
    r = await client.post(
        "/api/v1/uploads",
        json={"content_type": "image/jpeg", "size": len(body), "file_name": "r.jpg", **kw},
        headers=tma(7001),
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def post_file(upload: dict, body: bytes, *, content_type: str = "image/jpeg") -> httpx.Response:
    fields = {**upload["fields"], "Content-Type": content_type}
    files = {"file": ("r.jpg", body, content_type)}
    return httpx.post(upload["url"], data=fields, files=files, timeout=30)


def policy(upload: dict) -> dict:
    return json.loads(base64.b64decode(upload["fields"]["policy"]))  # type: ignore[no-any-return]


class TestPresignedPost:
    async def test_upload_then_submit_queues_the_receipt(self, client: httpx.AsyncClient) -> None:
        c = container(client)
        make_user(c.session_factory, 7001)
        body = jpeg_bytes()
        created = await new_upload(client, body)
        rid = created["receipt_id"]
        with c.session_factory() as s:
            row = s.get(Receipt, uuid.UUID(rid))
            assert row is not None and row.status == "awaiting_upload" and row.source == "api"
            key = row.raw_key
        assert created["upload"]["fields"]["key"] == key  # the server's key, not the client's
        early = await client.post(f"/api/v1/receipts/{rid}/submit", headers=tma(7001))
        assert early.status_code == 409 and early.json()["error"] == "not_uploaded"

        sent = post_file(created["upload"], body)
        assert sent.status_code in (200, 201, 204), sent.text
        assert c.store.head(bucket=c.settings.raw_bucket, key=key).size == len(body)

        r = await client.post(f"/api/v1/receipts/{rid}/submit", headers=tma(7001))
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "queued"
        jobs = [
            ProcessingJob.model_validate_json(m.body)
            for m in c.queue.receive(max_messages=10, wait_seconds=0)
        ]
        assert [str(j.receipt_id) for j in jobs] == [rid] and jobs[0].key == key
        again = await client.post(f"/api/v1/receipts/{rid}/submit", headers=tma(7001))
        assert again.status_code == 202 and again.json()["status"] == "queued"
        assert c.queue.receive(max_messages=10, wait_seconds=0) == []  # no second job

    async def test_a_file_that_is_not_an_image_fails_at_submit(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        make_user(c.session_factory, 7001)
        body = b"<html>not a receipt</html>" * 10
        created = await new_upload(client, body)
        assert post_file(created["upload"], body).status_code in (200, 201, 204)
        r = await client.post(f"/api/v1/receipts/{created['receipt_id']}/submit", headers=tma(7001))
        assert r.status_code == 202
        assert r.json()["status"] == "failed" and r.json()["error_code"] == "unsupported_type"

    async def test_the_policy_binds_key_content_type_and_size(
        self, client: httpx.AsyncClient
    ) -> None:
        c = container(client)
        make_user(c.session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        conditions = policy(created["upload"])["conditions"]
        assert {"bucket": c.settings.raw_bucket} in conditions
        assert {"key": created["upload"]["fields"]["key"]} in conditions
        assert {"Content-Type": "image/jpeg"} in conditions
        assert ["content-length-range", 1, 1000] in conditions

    @pytest.mark.parametrize(
        ("content_type", "size"), [("text/html", 100), ("image/jpeg", 0), ("image/jpeg", 30 << 20)]
    )
    async def test_a_type_or_size_the_product_refuses_gets_no_upload(
        self, client: httpx.AsyncClient, content_type: str, size: int
    ) -> None:
        make_user(container(client).session_factory, 7001)
        r = await client.post(
            "/api/v1/uploads",
            json={"content_type": content_type, "size": size},
            headers=tma(7001),
        )
        assert r.status_code == 422, r.text
        with container(client).session_factory() as s:
            assert s.scalars(select(Receipt)).all() == []


def policy_allows(upload: dict, form: dict[str, str], size: int) -> bool:
    """S3's reading of a POST policy (AWS "Creating a POST policy"): every condition holds for
    the form sent, exact matches ``{field: value}`` and ``["content-length-range", lo, hi]``,
    and every form field but the file, the policy and the signature fields is named in one."""
    conditions = policy(upload)["conditions"]
    named = set()
    for cond in conditions:
        if isinstance(cond, dict):
            ((field, value),) = cond.items()
            named.add(field.lower())
            if field != "bucket" and form.get(field) != value:
                return False
        elif cond[0] == "content-length-range":
            if not cond[1] <= size <= cond[2]:
                return False
        else:
            named.add(cond[1].lstrip("$").lower())
    unsigned = {"policy", "x-amz-signature", "file"}
    return all(f.lower() in named | unsigned for f in form)


class TestPolicyConditions:
    """moto (5.x) stores whatever a POST to the bucket sends: its ``_bucket_response_post``
    checks neither the signature nor the policy (it takes ``key`` from the form and writes the
    body). So what real S3 would refuse is checked here against the signed policy document."""

    async def test_the_upload_as_given_is_allowed(self, client: httpx.AsyncClient) -> None:
        make_user(container(client).session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        assert policy_allows(created["upload"], created["upload"]["fields"], 1000)

    async def test_a_larger_file_than_declared_is_refused(self, client: httpx.AsyncClient) -> None:
        make_user(container(client).session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        assert not policy_allows(created["upload"], created["upload"]["fields"], 1001)
        assert not policy_allows(created["upload"], created["upload"]["fields"], 0)

    async def test_another_content_type_is_refused(self, client: httpx.AsyncClient) -> None:
        make_user(container(client).session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        form = {**created["upload"]["fields"], "Content-Type": "text/html"}
        assert not policy_allows(created["upload"], form, 1000)

    async def test_another_key_is_refused(self, client: httpx.AsyncClient) -> None:
        make_user(container(client).session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        form = {**created["upload"]["fields"], "key": "users/1/someone-elses.jpg"}
        assert not policy_allows(created["upload"], form, 1000)

    async def test_the_policy_expires_with_the_presign_expiry(
        self, client: httpx.AsyncClient
    ) -> None:
        make_user(container(client).session_factory, 7001)
        created = await new_upload(client, b"x" * 1000)
        expires = datetime.fromisoformat(policy(created["upload"])["expiration"])
        left = (expires - datetime.now(UTC)).total_seconds()
        assert 250 < left <= 300 and created["upload"]["expires_in"] == 300
