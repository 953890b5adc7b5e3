"""The Lambda entry point: an SQS batch with partial batch failures (ReportBatchItemFailures).

Records run one after another within one function timeout. A record is started only while at
least the per-record budget (``RECORD_BUDGET_SECONDS``, see processor/budget.py) is left; the
records not started are reported as batch item failures, so SQS redelivers only them and the
finished ones are not run again after a timeout. A record that fails is logged with its
cause before it is reported (a transient error as a warning, anything else with its traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from core.contracts import ProcessingJob, ProcessingResult
from core.errors import TransientProcessingError
from core.observability.logs import configure_logging, log_context
from core.settings import LoggingSettings
from processor.bootstrap import build_pipeline
from processor.metrics import SERVICE, metrics, record_result
from processor.pipeline import Pipeline

# Standard logging, as everywhere: configure_logging makes it JSON with the receipt and request
# ids (a second, Powertools Logger would write another format beside it).
logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class RecordNotStarted(Exception):
    """Too little of the function's time was left to start this record; SQS redelivers it."""


def make_handler(pipeline: Pipeline, *, record_budget_seconds: float | None = None) -> Handler:
    """A Lambda-shaped handler bound to ``pipeline`` (the local worker and tests use this); with
    a budget, a record starts only while the context has that much time left."""
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    budget_ms = int(record_budget_seconds * 1000) if record_budget_seconds else None

    # Powertools passes the Lambda context to a record handler with a ``lambda_context`` argument.
    def record_handler(record: SQSRecord, lambda_context: Any = None) -> None:
        if budget_ms is not None and lambda_context is not None:
            remaining_ms = int(lambda_context.get_remaining_time_in_millis())
            if remaining_ms < budget_ms:
                logger.warning(
                    "record.not_started message_id=%s remaining_ms=%d budget_ms=%d",
                    record.message_id,
                    remaining_ms,
                    budget_ms,
                )
                raise RecordNotStarted(f"{remaining_ms} ms left, a record may take {budget_ms}")
        try:
            job = ProcessingJob.model_validate_json(record.body)
        except ValidationError as exc:  # never valid: the DLQ keeps it for a person to read
            logger.error("record.bad_job message_id=%s error=%s", record.message_id, exc)
            raise
        # Every line of this receipt's processing carries its ids (the trace id is the API's).
        with log_context(receipt_id=str(job.receipt_id), trace_id=job.trace_id):
            try:
                result = pipeline.process(job)
            except Exception as exc:  # the record is retried (then the DLQ): say why, always
                metrics.add_metric(name="RecordsRetried", unit=MetricUnit.Count, value=1)
                if isinstance(exc, TransientProcessingError):  # expected: no traceback
                    logger.warning("record.retry message_id=%s error=%r", record.message_id, exc)
                else:  # a fault of ours, or of a library on this file
                    logger.exception("record.failed message_id=%s error=%r", record.message_id, exc)
                raise
            if isinstance(result, ProcessingResult):  # (a test's stand-in may return None)
                record_result(result, prices=pipeline.settings.prices)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_id = getattr(context, "aws_request_id", None)
        try:
            with log_context(request_id=request_id):
                response: dict[str, Any] = dict(
                    process_partial_response(
                        event=event,
                        record_handler=record_handler,
                        processor=processor,
                        context=context,
                    )
                )
        finally:
            if metrics.metric_set:  # one EMF document per invocation (the worker's too)
                metrics.flush_metrics()
        return response

    return handler


_handler: Handler | None = None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:  # built once per cold start, reused by warm invocations
        # The runtime leaves the root logger at WARNING: INFO lines (job.done) would be lost.
        configure_logging(LoggingSettings(), service=SERVICE)
        pipeline = build_pipeline()
        _handler = make_handler(
            pipeline, record_budget_seconds=pipeline.settings.record_budget_seconds
        )
    return _handler(event, context)
