"""SQS: processing jobs sent, received, deleted; queue depth and redrive."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from core.aws.clients import AwsClients
from core.contracts import ProcessingJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]
    md5_of_body: str


def _messages(response: dict[str, Any]) -> list[QueueMessage]:
    return [
        QueueMessage(
            message_id=m["MessageId"],
            receipt_handle=m["ReceiptHandle"],
            body=m["Body"],
            attributes=m.get("Attributes", {}),
            message_attributes=m.get("MessageAttributes", {}),
            md5_of_body=m.get("MD5OfBody", ""),
        )
        for m in response.get("Messages", [])
    ]


class JobQueue:
    """One SQS queue, addressed by name (the URL is looked up once)."""

    def __init__(self, clients: AwsClients, *, queue_name: str) -> None:
        self._sqs = clients.client("sqs")
        self.name = queue_name
        self._url: str | None = None
        self._arn: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._sqs.get_queue_url(QueueName=self.name)["QueueUrl"]
        return self._url

    @property
    def arn(self) -> str:
        if self._arn is None:
            attrs = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
            self._arn = attrs["Attributes"]["QueueArn"]
        return self._arn

    def send_job(self, job: ProcessingJob) -> str:
        attrs = {}
        if job.trace_id:
            attrs["trace_id"] = {"DataType": "String", "StringValue": job.trace_id}
        r = self._sqs.send_message(
            QueueUrl=self.url, MessageBody=job.model_dump_json(), MessageAttributes=attrs
        )
        message_id: str = r["MessageId"]
        return message_id

    def receive(self, *, max_messages: int = 10, wait_seconds: int = 5) -> list[QueueMessage]:
        r = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return _messages(r)

    def delete(self, receipt_handles: list[str]) -> None:
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            r = self._sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
            for failure in r.get("Failed", []):
                logger.warning(
                    "sqs.delete_failed id=%s code=%s", failure["Id"], failure.get("Code")
                )

    def depth(self) -> dict[str, int]:
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(attrs["ApproximateNumberOfMessages"]),
            "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        }

    def oldest_age_seconds(self, *, now: float | None = None) -> int | None:
        """Age of the oldest of up to 10 visible messages, peeked with a zero visibility timeout
        (for the DLQ: peeking a work queue would count as a receive towards its redrive)."""
        r = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["SentTimestamp"],
        )
        sent = [int(m["Attributes"]["SentTimestamp"]) for m in r.get("Messages", [])]
        if not sent:
            return None
        now = time.time() if now is None else now
        return max(0, int(now - min(sent) / 1000))

    def peek(self, *, max_messages: int = 10) -> list[QueueMessage]:
        """Up to 10 visible messages, left visible (a zero visibility timeout; for the DLQ:
        on a work queue it would count as a receive towards its redrive)."""
        r = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max_messages,
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        )
        return _messages(r)

    def move_to(self, target: JobQueue, *, limit: int) -> int:
        """Move up to ``limit`` messages to ``target`` (receive, send, then delete): a DLQ
        redrive. At-least-once: a message may be sent twice, never lost."""
        moved = 0
        while moved < limit:
            batch = self.receive(max_messages=min(10, limit - moved), wait_seconds=0)
            if not batch:
                break
            for m in batch:
                target._sqs.send_message(
                    QueueUrl=target.url,
                    MessageBody=m.body,
                    MessageAttributes=m.message_attributes or {},
                )
            self.delete([m.receipt_handle for m in batch])
            moved += len(batch)
        return moved

    def created_timestamp(self) -> str:
        """When the queue was made: a change means it was made again, empty (an emulator
        restarted), and every job it held is gone."""
        r = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["CreatedTimestamp"])
        return str(r["Attributes"]["CreatedTimestamp"])

    def ping(self) -> None:
        _ = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
