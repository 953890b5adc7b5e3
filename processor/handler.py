"""The Lambda entry point: an SQS batch with partial batch failures (ReportBatchItemFailures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from core.contracts import ProcessingJob
from processor.bootstrap import build_pipeline
from processor.pipeline import Pipeline

logger = Logger(service="receiptsnap-processor")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_handler(pipeline: Pipeline) -> Handler:
    """A Lambda-shaped handler bound to ``pipeline`` (the local worker and tests use this)."""
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: SQSRecord) -> None:
        job = ProcessingJob.model_validate_json(record.body)
        pipeline.process(job)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )
        return response

    return handler


_handler: Handler | None = None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:  # built once per cold start, reused by warm invocations
        _handler = make_handler(build_pipeline())
    return _handler(event, context)
