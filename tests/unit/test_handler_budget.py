"""The Lambda handler's time budget: records are started only while the function has time left."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from core.contracts import ProcessingJob
from core.settings import ProcessorSettings
from processor.budget import call_seconds, record_worst_case_seconds
from processor.handler import make_handler
from processor.pipeline import Pipeline

BUDGET_SECONDS = 100.0


@dataclass
class ClockContext:
    """A Lambda context whose clock moves on by ``record_seconds`` with every record run."""

    remaining_ms: int
    aws_request_id: str = "req-1"
    function_name: str = "receiptsnap-processor"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:receiptsnap"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class FakePipeline:
    """Stands in for the pipeline: records which jobs ran, each taking ``record_seconds``."""

    context: ClockContext
    record_seconds: float
    done: list[uuid.UUID] = field(default_factory=list)

    def process(self, job: ProcessingJob) -> None:
        self.context.remaining_ms -= int(self.record_seconds * 1000)
        self.done.append(job.receipt_id)


def sqs_event(jobs: list[ProcessingJob]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"h{n}",
                "body": job.model_dump_json(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:receiptsnap-jobs",
                "awsRegion": "us-east-1",
            }
            for n, job in enumerate(jobs)
        ]
    }


def jobs(n: int) -> list[ProcessingJob]:
    return [
        ProcessingJob(
            receipt_id=uuid.uuid4(), bucket="raw", key=f"k{i}", content_type="image/jpeg", size=1
        )
        for i in range(n)
    ]


def failures(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


class TestRecordBudget:
    def test_records_not_started_come_back_as_batch_item_failures(self) -> None:
        # GIVEN 180 s left, a 100 s budget and records that take 50 s each
        context = ClockContext(remaining_ms=180_000)
        pipeline = FakePipeline(context=context, record_seconds=50)
        batch = jobs(5)

        # WHEN the handler gets a batch of five
        response = make_handler(cast(Pipeline, pipeline), record_budget_seconds=BUDGET_SECONDS)(
            sqs_event(batch), context
        )

        # THEN two ran (180 s, then 130 s left); at 80 s the other three were not started
        assert pipeline.done == [batch[0].receipt_id, batch[1].receipt_id]
        assert failures(response) == ["m2", "m3", "m4"]

    def test_a_batch_with_time_to_spare_reports_no_failures(self) -> None:
        context = ClockContext(remaining_ms=900_000)
        pipeline = FakePipeline(context=context, record_seconds=10)

        response = make_handler(cast(Pipeline, pipeline), record_budget_seconds=BUDGET_SECONDS)(
            sqs_event(jobs(5)), context
        )

        assert len(pipeline.done) == 5
        assert failures(response) == []

    def test_no_time_for_even_one_record_returns_the_whole_batch(self) -> None:
        context = ClockContext(remaining_ms=int(BUDGET_SECONDS * 1000) - 1)
        pipeline = FakePipeline(context=context, record_seconds=1)

        response = make_handler(cast(Pipeline, pipeline), record_budget_seconds=BUDGET_SECONDS)(
            sqs_event(jobs(3)), context
        )

        assert pipeline.done == []
        assert failures(response) == ["m0", "m1", "m2"]

    def test_without_a_budget_every_record_is_started(self) -> None:
        # The local worker sets none: its fake context's 60 s mean nothing for the record.
        context = ClockContext(remaining_ms=1_000)
        pipeline = FakePipeline(context=context, record_seconds=5)

        response = make_handler(cast(Pipeline, pipeline))(sqs_event(jobs(3)), context)

        assert len(pipeline.done) == 3
        assert failures(response) == []


class TestWorstCase:
    def test_one_botocore_call_is_attempts_times_timeouts_plus_backoff(self) -> None:
        # 3 attempts x (5 s connect + 30 s read) + backoff before retries 2 and 3 (1 s, 2 s)
        assert call_seconds(attempts=3, read_timeout=30) == 3 * 35 + 1 + 2
        # backoff is capped at 20 s
        assert call_seconds(attempts=7, read_timeout=0) == 7 * 5 + 1 + 2 + 4 + 8 + 16 + 20

    def test_old_defaults_exceed_the_lambda_timeout_the_new_ones_fit(self) -> None:
        old = ProcessorSettings(_env_file=None, ocr_engine="textract", extractor="bedrock")
        new = old.model_copy(
            update={"aws_max_attempts": 3, "textract_max_attempts": 2, "bedrock_max_attempts": 2}
        )

        assert record_worst_case_seconds(old) == pytest.approx(1112)  # vs a 180 s timeout
        assert record_worst_case_seconds(new) == pytest.approx(517)

    def test_local_engines_count_only_storage_and_callbacks(self) -> None:
        local = ProcessorSettings(_env_file=None)

        assert record_worst_case_seconds(local) == pytest.approx(30 + 3 * (2 * 2 + 10))
