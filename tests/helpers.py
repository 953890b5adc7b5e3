"""Helpers the test modules share: log capture, botocore's Stubber, versioned buckets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.stub import Stubber

from core.aws.clients import AwsClients
from core.settings import BaseAppSettings


@contextmanager
def logged(name: str, level: int) -> Iterator[list[str]]:
    """Messages of logger ``name`` at ``level`` and above, while inside. A handler on the logger
    itself, not pytest's caplog: it works with ``-p no:logging`` too."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep(level=level)
    log = logging.getLogger(name)
    log.addHandler(handler)
    try:
        yield records
    finally:
        log.removeHandler(handler)


@contextmanager
def stubbed(client: Any) -> Iterator[Stubber]:
    """botocore's Stubber on ``client`` (one from ``core.aws.clients.AwsClients``), active while
    inside; on leaving, every response queued on it must have been used."""
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def enable_versioning(settings: BaseAppSettings, *buckets: str) -> None:
    """Turn on S3 Versioning for ``buckets`` (as the stack's buckets have it on AWS)."""
    client = AwsClients(settings).client("s3")
    for bucket in buckets:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
