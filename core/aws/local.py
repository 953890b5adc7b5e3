"""Provisioning of the embedded default (and of a fresh test account): buckets, queues, secrets."""

from __future__ import annotations

import json
import logging

from botocore.exceptions import ClientError

from core.aws.clients import AwsClients

logger = logging.getLogger(__name__)


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
    """Create the buckets, the secrets, the queue with its DLQ and redrive policy (idempotent)."""
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
    # The secrets before the queue: the job queue is the last thing made, so whoever sees it
    # (`aws-local provision --watch`, the API, the worker) finds everything else there too.
    sm = clients.client("secretsmanager")
    for name, value in secrets.items():
        try:
            sm.create_secret(Name=name, SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            sm.put_secret_value(SecretId=name, SecretString=value)
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
