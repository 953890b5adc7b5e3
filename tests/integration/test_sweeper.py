"""Stuck receipts: an upload that never arrived fails; a job that never came back is requeued,
then failed after max_requeues; fresh receipts are left alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.container import Container
from api.sweeper import sweep_once
from core.contracts import ErrorCode, ProcessingJob, ReceiptStatus
from core.db.models import Receipt, User
from core.settings import ApiSettings
from tests.fakes import stored_receipt

NOW = datetime.now(UTC)


def add(
    factory: sessionmaker[Session], *, status: ReceiptStatus, age: timedelta, requeues: int = 0
) -> uuid.UUID:
    with factory.begin() as s:
        user = User(telegram_user_id=uuid.uuid4().int % 10**9)
        s.add(user)
        s.flush()
        r = stored_receipt(
            user_id=user.id,
            status=status.value,
            size_bytes=10,
            created_at=NOW - age,
            queued_at=None if status == ReceiptStatus.AWAITING_UPLOAD else NOW - age,
            requeue_count=requeues,
        )
        s.add(r)
        s.flush()
        return r.id


async def test_sweep_fails_lost_uploads_and_requeues_stuck_jobs(
    api_settings: ApiSettings, clean_db: None
) -> None:
    container = Container.build(api_settings)
    f = container.session_factory
    lost_upload = add(f, status=ReceiptStatus.AWAITING_UPLOAD, age=timedelta(hours=2))
    fresh_upload = add(f, status=ReceiptStatus.AWAITING_UPLOAD, age=timedelta(minutes=1))
    stuck = add(f, status=ReceiptStatus.QUEUED, age=timedelta(hours=1))
    hopeless = add(
        f, status=ReceiptStatus.QUEUED, age=timedelta(hours=1), requeues=api_settings.max_requeues
    )
    fresh_job = add(f, status=ReceiptStatus.QUEUED, age=timedelta(minutes=1))
    done = add(f, status=ReceiptStatus.DONE, age=timedelta(days=3))

    outcome = await sweep_once(container)

    assert sorted(outcome.failed) == sorted([lost_upload, hopeless])
    assert [j.receipt_id for j in outcome.requeued] == [stuck]
    with f() as s:
        states = {
            rid: s.get(Receipt, rid)
            for rid in (lost_upload, fresh_upload, stuck, hopeless, fresh_job, done)
        }
        assert states[lost_upload].error_code == ErrorCode.UPLOAD_INCOMPLETE  # type: ignore[union-attr]
        assert states[hopeless].error_code == ErrorCode.TIMEOUT  # type: ignore[union-attr]
        assert states[stuck].status == "queued"  # type: ignore[union-attr]
        assert states[stuck].requeue_count == 1  # type: ignore[union-attr]
        assert states[fresh_upload].status == "awaiting_upload"  # type: ignore[union-attr]
        assert states[fresh_job].requeue_count == 0  # type: ignore[union-attr]
        assert states[done].status == "done"  # type: ignore[union-attr]
    # The requeued job really is on the queue.
    (message,) = container.queue.receive(wait_seconds=1)
    assert ProcessingJob.model_validate_json(message.body).receipt_id == stuck

    # A second sweep right away finds nothing new to do.
    again = await sweep_once(container)
    assert again.failed == [] and again.requeued == []
    await container.aclose()


async def test_a_queue_made_anew_gets_the_jobs_of_waiting_receipts_at_once(
    api_settings: ApiSettings, clean_db: None
) -> None:
    """GIVEN a receipt queued a minute ago (far from the processing timeout) WHEN the queue is
    deleted and made again, empty (the emulator restarted and was provisioned again) THEN the
    next sweep sends its job again, and a sweep after that sends nothing more."""
    import time

    container = Container.build(api_settings)
    waiting = add(container.session_factory, status=ReceiptStatus.QUEUED, age=timedelta(minutes=1))
    await sweep_once(container)  # the queue as it is now
    assert container.queue.receive(wait_seconds=0) == []

    sqs = container.aws.client("sqs")
    sqs.delete_queue(QueueUrl=container.queue.url)
    time.sleep(1.1)  # CreatedTimestamp has a resolution of a second
    sqs.create_queue(QueueName=container.queue.name)
    await sweep_once(container)

    (message,) = container.queue.receive(wait_seconds=0)
    assert ProcessingJob.model_validate_json(message.body).receipt_id == waiting
    container.queue.delete([message.receipt_handle])
    await sweep_once(container)
    assert container.queue.receive(wait_seconds=0) == []
