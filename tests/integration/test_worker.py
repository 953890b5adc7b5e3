"""The local worker behaves like Lambda's SQS event source mapping: partial batch failures are
redelivered after the visibility timeout and land in the DLQ after maxReceiveCount receives."""

from __future__ import annotations

import json
import time
import uuid

from core.aws.clients import AwsClients
from core.aws.local import provision_local_resources
from core.aws.sqs import JobQueue
from core.contracts import ProcessingJob
from core.errors import TransientProcessingError
from core.settings import ProcessorSettings
from processor.handler import make_handler
from processor.worker import LocalWorker


class FlakyPipeline:
    """Processes every job except the ``bad`` ones, which always fail transiently."""

    def __init__(self, bad: set[uuid.UUID]) -> None:
        self.bad = bad
        self.seen: list[uuid.UUID] = []

    def process(self, job: ProcessingJob) -> None:
        self.seen.append(job.receipt_id)
        if job.receipt_id in self.bad:
            raise TransientProcessingError("try again")


def job() -> ProcessingJob:
    return ProcessingJob(
        receipt_id=uuid.uuid4(), bucket="b", key="k", content_type="image/jpeg", size=1
    )


def test_failed_record_is_redelivered_then_dead_lettered(
    processor_settings: ProcessorSettings, aws_names: dict[str, str]
) -> None:
    names = {
        **aws_names,
        "queue_name": aws_names["queue_name"] + "-w",
        "dlq_name": aws_names["dlq_name"] + "-w",
    }
    clients = AwsClients(processor_settings)
    provision_local_resources(
        clients, **names, visibility_timeout=1, max_receive_count=2, secrets={}
    )
    queue = JobQueue(clients, queue_name=names["queue_name"])
    dlq = JobQueue(clients, queue_name=names["dlq_name"])
    good, bad = job(), job()
    queue.send_job(good)
    queue.send_job(bad)
    pipeline = FlakyPipeline({bad.receipt_id})
    worker = LocalWorker(
        queue=queue, handler=make_handler(pipeline), region="us-east-1", wait_seconds=1
    )  # type: ignore[arg-type]

    deadline = time.monotonic() + 30
    dead = []
    while time.monotonic() < deadline and not dead:
        worker.poll_once()
        dead = dlq.receive(wait_seconds=0)

    assert pipeline.seen.count(good.receipt_id) == 1, (
        "a processed record is deleted, not redelivered"
    )
    assert pipeline.seen.count(bad.receipt_id) == 2, (
        "a failed record is retried until maxReceiveCount"
    )
    assert [json.loads(m.body)["receipt_id"] for m in dead] == [str(bad.receipt_id)]
    assert queue.depth() == {"visible": 0, "in_flight": 0}


def test_event_has_the_lambda_sqs_shape(processor_settings: ProcessorSettings) -> None:
    events = []

    def handler(event: dict, context: object) -> dict:
        events.append((event, context))
        return {"batchItemFailures": []}

    clients = AwsClients(processor_settings)
    queue = JobQueue(clients, queue_name=processor_settings.queue_name)
    j = job()
    queue.send_job(j)
    worker = LocalWorker(queue=queue, handler=handler, region="us-east-1", wait_seconds=1)
    assert worker.poll_once() == 1

    ((event, context),) = events
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":" + processor_settings.queue_name)
    assert ProcessingJob.model_validate_json(record["body"]) == j
    assert int(record["attributes"]["ApproximateReceiveCount"]) == 1
    assert context.get_remaining_time_in_millis() > 0


def test_warm_up_runs_before_polling_and_its_failure_does_not_stop_the_worker(
    processor_settings: ProcessorSettings,
) -> None:
    calls: list[str] = []
    clients = AwsClients(processor_settings)
    queue = JobQueue(clients, queue_name=processor_settings.queue_name)
    queue.send_job(job())

    def warm_up() -> None:
        calls.append("warm_up")
        raise RuntimeError("models not found")

    def handler(event: dict, context: object) -> dict:
        calls.append("handler")
        worker.stop()
        return {"batchItemFailures": []}

    worker = LocalWorker(
        queue=queue, handler=handler, region="us-east-1", wait_seconds=1, warm_up=warm_up
    )
    thread = worker.start_thread()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert calls == ["warm_up", "handler"]
