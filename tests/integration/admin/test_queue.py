"""Admin queue: depths and DLQ age; redrive moves messages back (by count, then all)."""

from __future__ import annotations

import uuid

import httpx

from core.contracts import ProcessingJob
from tests.integration.admin.conftest import Auth, container


def job() -> ProcessingJob:
    return ProcessingJob(
        receipt_id=uuid.uuid4(), bucket="raw", key="k.jpg", content_type="image/jpeg", size=1
    )


async def test_depths_and_redrive_by_count_then_all(client: httpx.AsyncClient, auth: Auth) -> None:
    c = container(client)
    for _ in range(3):
        c.dlq.send_job(job())

    before = (await client.get("/admin/v1/queue", headers=auth("viewer"))).json()
    refused = await client.post("/admin/v1/queue/redrive", json={}, headers=auth("viewer"))
    one = await client.post("/admin/v1/queue/redrive", json={"count": 1}, headers=auth())
    rest = await client.post("/admin/v1/queue/redrive", json={}, headers=auth())
    after = (await client.get("/admin/v1/queue", headers=auth("viewer"))).json()

    assert before["dlq"]["visible"] == 3 and before["queue"]["visible"] == 0
    assert before["dlq"]["oldest_age_seconds"] is not None
    assert refused.status_code == 403
    assert (one.json()["moved"], rest.json()["moved"]) == (1, 2)
    assert after["dlq"]["visible"] == 0 and after["queue"]["visible"] == 3
    audit = (await client.get("/admin/v1/audit", headers=auth("viewer"))).json()
    assert [e["action"] for e in audit["data"]] == ["queue.redrive", "queue.redrive"]
