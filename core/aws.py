"""AWS adapters: the only module that imports boto3.

Clients come from one factory configured by settings (endpoint, region, retry mode), so the same
code talks to AWS (through the instance or Lambda role, no keys) and to the moto server on loopback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from core.contracts import ProcessingJob

if TYPE_CHECKING:
    from core.settings import BaseAppSettings

logger = logging.getLogger(__name__)

AwsError = (BotoCoreError, ClientError)


class AwsClients:
    """Makes and caches boto3 clients for one settings object (thread-safe)."""

    def __init__(self, settings: BaseAppSettings) -> None:
        self._settings = settings
        credentials: dict[str, str] = {}
        if settings.aws_local_credentials:
            credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        self._session = boto3.session.Session(region_name=settings.aws_region, **credentials)
        self._clients: dict[tuple[str, float, int | None], Any] = {}
        self._lock = threading.Lock()

    def client(
        self, service: str, *, read_timeout: float = 30, max_attempts: int | None = None
    ) -> Any:
        """A client of ``service``; someone waiting on the answer (a chat user) asks for a
        shorter ``read_timeout`` and fewer ``max_attempts`` than the settings' retries."""
        key = (service, read_timeout, max_attempts)
        with self._lock:
            if key not in self._clients:
                s = self._settings
                config = Config(
                    region_name=s.aws_region,
                    signature_version="s3v4" if service == "s3" else None,
                    retries={
                        "mode": s.aws_retry_mode,
                        "total_max_attempts": max_attempts or s.aws_max_attempts,
                    },
                    connect_timeout=5,
                    read_timeout=read_timeout,
                    s3={"addressing_style": "path"} if s.aws_endpoint_url else None,
                )
                self._clients[key] = self._session.client(
                    service, endpoint_url=s.aws_endpoint_url, config=config
                )
            return self._clients[key]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    content_type: str | None
    etag: str | None


class ObjectNotFound(Exception):
    pass


class S3Store:
    def __init__(self, clients: AwsClients) -> None:
        self._s3 = clients.client("s3")

    def presign_put(self, *, bucket: str, key: str, content_type: str, expires_in: int) -> str:
        """A URL that lets its holder PUT exactly this key with this content type, briefly."""
        url: str = self._s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return url

    def presign_get(self, *, bucket: str, key: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def head(self, *, bucket: str, key: str) -> ObjectInfo:
        try:
            r = self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        return ObjectInfo(
            size=r["ContentLength"], content_type=r.get("ContentType"), etag=r.get("ETag")
        )

    def get(
        self, *, bucket: str, key: str, max_bytes: int | None = None, first: int | None = None
    ) -> bytes:
        """The object's bytes (or its ``first`` bytes); refuses objects over ``max_bytes``."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if first is not None:
            kwargs["Range"] = f"bytes=0-{first - 1}"
        try:
            r = self._s3.get_object(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ObjectNotFound(key) from exc
            raise
        if max_bytes is not None and r["ContentLength"] > max_bytes:
            r["Body"].close()
            raise ValueError(f"object is {r['ContentLength']} bytes, over {max_bytes}")
        body: bytes = r["Body"].read()
        return body

    def put(self, *, bucket: str, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def exists(self, *, bucket: str, key: str) -> bool:
        try:
            self.head(bucket=bucket, key=key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, *, bucket: str, key: str) -> None:
        self._s3.delete_object(Bucket=bucket, Key=key)

    def list_keys(self, *, bucket: str, prefix: str, limit: int = 100_000) -> list[str]:
        keys: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
            if len(keys) >= limit:
                break
        return keys[:limit]

    def delete_many(self, *, bucket: str, keys: list[str]) -> None:
        """Delete keys (missing ones included: S3 deletes are idempotent), 1000 per request."""
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            r = self._s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
            )
            for error in r.get("Errors", []):
                logger.warning("s3.delete_failed key=%s code=%s", error["Key"], error.get("Code"))


@dataclass(frozen=True, slots=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]
    md5_of_body: str


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
        return [
            QueueMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                attributes=m.get("Attributes", {}),
                message_attributes=m.get("MessageAttributes", {}),
                md5_of_body=m.get("MD5OfBody", ""),
            )
            for m in r.get("Messages", [])
        ]

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

    def ping(self) -> None:
        _ = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])


class SecretsReader:
    """Secrets Manager reads with a small time-based cache.

    ``fresh=True`` skips the cache (a rotated password, say), except for a value read in the
    last ``min_refresh_seconds``: a database that is down must not turn every connection attempt
    into a Secrets Manager call.
    """

    def __init__(
        self, clients: AwsClients, *, ttl_seconds: int = 300, min_refresh_seconds: float = 5.0
    ) -> None:
        self._sm = clients.client("secretsmanager")
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, secret_id: str, *, fresh: bool = False) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(secret_id)
            if hit is not None and now - hit[0] < (self._min_refresh if fresh else self._ttl):
                return hit[1]
        value: str = self._sm.get_secret_value(SecretId=secret_id)["SecretString"]
        with self._lock:
            self._cache[secret_id] = (now, value)
        return value

    def get_json(self, secret_id: str, *, fresh: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.get(secret_id, fresh=fresh))
        return data


# ---- provisioning of the embedded default (and of a fresh test account) -------------------------


def provision_local_resources(
    clients: AwsClients,
    *,
    raw_bucket: str,
    processed_bucket: str,
    queue_name: str,
    dlq_name: str,
    visibility_timeout: int,
    max_receive_count: int,
    secrets: dict[str, str],
) -> None:
    """Create the buckets, the queue with its DLQ and redrive policy, the secrets (idempotent)."""
    s3 = clients.client("s3")
    for bucket in (raw_bucket, processed_bucket):
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                raise
    sqs = clients.client("sqs")
    dlq_url = sqs.create_queue(
        QueueName=dlq_name, Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
    )
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"VisibilityTimeout": str(visibility_timeout), "RedrivePolicy": redrive},
    )
    sm = clients.client("secretsmanager")
    for name, value in secrets.items():
        try:
            sm.create_secret(Name=name, SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            sm.put_secret_value(SecretId=name, SecretString=value)
