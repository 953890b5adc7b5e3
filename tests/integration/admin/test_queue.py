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


async def test_dead_letters_say_why_they_are_there(client: httpx.AsyncClient, auth: Auth) -> None:
    """GIVEN a message that is not a job and a job of a receipt that no longer exists in the DLQ
    WHEN a viewer peeks THEN each says why, and both are still there."""
    c = container(client)
    sqs = c.aws.client("sqs")
    sqs.send_message(QueueUrl=c.dlq.url, MessageBody='{"receipt_id": "nope"}')
    c.dlq.send_job(job())

    response = await client.get("/admin/v1/queue/dlq", headers=auth("viewer"))

    assert response.status_code == 200
    letters = {bool(d["receipt_id"]): d for d in response.json()["data"]}
    assert letters[False]["problem"].startswith("not a valid job (receipt_id:")
    assert letters[True]["problem"] == "a job for a receipt that no longer exists"
    assert all(d["sent_at"] for d in letters.values())
    assert c.dlq.depth()["visible"] == 2, "peeking leaves them in place"
