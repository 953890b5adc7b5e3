"""A record that fails says why in the log before it goes back to SQS."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.contracts import ProcessingJob
from core.errors import OcrUnavailable
from processor.handler import make_handler
from processor.pipeline import Pipeline
from tests.helpers import logged
from tests.unit.test_handler_budget import failures, jobs, sqs_event


@dataclass
class RaisingPipeline:
    error: Exception

    def process(self, job: ProcessingJob) -> None:
        raise self.error


def test_an_unexpected_error_is_logged_with_its_cause_and_the_record_retried() -> None:
    handler = make_handler(RaisingPipeline(MemoryError("pdfium ran out")))  # type: ignore[arg-type]
    with logged("processor.handler", logging.ERROR) as lines:
        response = handler(sqs_event(jobs(1)), None)
    assert failures(response) == ["m0"]
    assert any("record.failed" in line and "pdfium ran out" in line for line in lines)


def test_a_transient_error_is_logged_as_a_warning() -> None:
    pipeline: Pipeline = RaisingPipeline(OcrUnavailable("Textract throttled"))  # type: ignore[assignment]
    with logged("processor.handler", logging.WARNING) as lines:
        response = make_handler(pipeline)(sqs_event(jobs(1)), None)
    assert failures(response) == ["m0"]
    assert any("record.retry" in line and "Textract throttled" in line for line in lines)


def test_a_job_that_is_not_one_is_logged() -> None:
    event = sqs_event(jobs(1))
    event["Records"][0]["body"] = '{"receipt_id": "nope"}'
    with logged("processor.handler", logging.ERROR) as lines:
        response = make_handler(RaisingPipeline(AssertionError()))(event, None)  # type: ignore[arg-type]
    assert failures(response) == ["m0"]
    assert any("record.bad_job" in line for line in lines)
