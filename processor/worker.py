"""The local stand-in for Lambda's SQS event source mapping.

Long-polls the queue, hands batches of real SQS records to the same handler the Lambda runs,
deletes the records that succeeded and leaves the failed ones to reappear after the visibility
timeout; the queue's redrive policy moves a record to the DLQ after maxReceiveCount receives.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.aws.sqs import JobQueue, QueueMessage
from processor.handler import Handler

logger = logging.getLogger(__name__)


@dataclass
class FakeLambdaContext:
    function_name: str = "receiptsnap-processor-local"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:receiptsnap-processor"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: int = 60
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def sqs_event(messages: list[QueueMessage], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda receives for these messages (same shape, same field names)."""
    return {
        "Records": [
            {
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": m.attributes,
                "messageAttributes": {
                    name: {
                        "stringValue": v.get("StringValue"),
                        "binaryValue": v.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": v.get("DataType", "String"),
                    }
                    for name, v in m.message_attributes.items()
                },
                "md5OfBody": m.md5_of_body or hashlib.md5(m.body.encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class LocalWorker:
    def __init__(
        self,
        *,
        queue: JobQueue,
        handler: Handler,
        region: str,
        batch_size: int = 10,
        wait_seconds: int = 5,
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.queue = queue
        self.warm_up = warm_up
        self.handler = handler
        self.region = region
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.stop_event = threading.Event()
        self.processed = 0
        self.failed = 0

    def poll_once(self) -> int:
        """Receive one batch and run it; returns the number of records received."""
        messages = self.queue.receive(max_messages=self.batch_size, wait_seconds=self.wait_seconds)
        if not messages:
            return 0
        event = sqs_event(messages, queue_arn=self.queue.arn, region=self.region)
        try:
            response = self.handler(event, FakeLambdaContext())
        except Exception:  # the whole invocation failed: every record comes back later
            logger.exception("worker.invocation_failed records=%d", len(messages))
            self.failed += len(messages)
            return len(messages)
        failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        done = [m.receipt_handle for m in messages if m.message_id not in failed_ids]
        if done:
            self.queue.delete(done)
        self.processed += len(done)
        self.failed += len(failed_ids)
        if failed_ids:
            logger.warning(
                "worker.records_failed count=%d (redelivered after the visibility timeout)",
                len(failed_ids),
            )
        return len(messages)

    def run(self) -> None:
        logger.info("worker.started queue=%s", self.queue.name)
        if self.warm_up is not None:  # load the OCR models before the first receipt arrives
            started = time.perf_counter()
            try:
                self.warm_up()
                logger.info("worker.warmed_up seconds=%.2f", time.perf_counter() - started)
            except Exception:
                logger.exception("worker.warm_up_failed")  # the first receipt will try again
        failures = 0
        while not self.stop_event.is_set():
            try:
                self.poll_once()
                failures = 0
            except Exception:  # SQS unreachable, say: wait longer each time, up to 30 s
                failures += 1
                logger.exception("worker.poll_failed failures=%d", failures)
                self.stop_event.wait(min(30.0, 2.0 ** (failures - 1)))
        logger.info("worker.stopped processed=%d failed=%d", self.processed, self.failed)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="receiptsnap-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
