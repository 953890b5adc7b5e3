"""The longest one record can take, from the configured timeouts and retries (issue 13).

The handler starts a record only while the function has at least ``RECORD_BUDGET_SECONDS`` left,
and infra checks (tests/infra/cdk) that this budget covers ``record_worst_case(settings)`` for the
Lambda's own settings and stays under the function timeout. The arithmetic is written out in
docs/deploy.md ("The time budget of one record").

What is counted: every wait that a timeout bounds, at its worst — each botocore call as
``attempts x (connect + read timeout)`` plus the longest backoff between attempts (botocore's
standard mode: ``rand(0, 1) x min(2 ** i, 20)`` s before retry ``i + 1``, throttling base 1 s),
the Textract job deadline, and the callback's httpx timeouts (applied to connect, write and read
separately). S3 and Secrets Manager, answering in milliseconds from inside the region, are a lump
(``STORAGE_ALLOWANCE_SECONDS``), and local engines' CPU time is not bounded by any timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.aws.clients import CONNECT_TIMEOUT_SECONDS
from core.settings import ProcessorSettings

MAX_BACKOFF_SECONDS = 20.0  # botocore.retries.standard.ExponentialBackoff._MAX_BACKOFF
STORAGE_ALLOWANCE_SECONDS = 30.0  # ~10 S3 / Secrets Manager calls of one record
PROGRESS_TIMEOUT_SECONDS = 2.0  # processor.callback.CallbackClient.progress
PROGRESS_NOTES = 2  # "reading", "understanding"
HTTPX_PHASES = 3  # connect, write, read: each gets the whole timeout
BEDROCK_CALLS = 2  # one answer and one repair (core/reading/extraction/bedrock.py)
JOB_EXTRA_CALLS = 2  # the poll in flight at the deadline and one NextToken page


def call_seconds(*, attempts: int, read_timeout: float) -> float:
    """The longest one botocore call takes with ``attempts`` attempts that all time out."""
    backoff = sum(min(2.0**i, MAX_BACKOFF_SECONDS) for i in range(attempts - 1))
    return attempts * (CONNECT_TIMEOUT_SECONDS + read_timeout) + backoff


@dataclass(frozen=True)
class Part:
    name: str
    seconds: float


def record_worst_case(settings: ProcessorSettings) -> list[Part]:
    """The parts of one record's worst case; their sum is the bound."""
    parts = [Part("S3 and Secrets Manager (allowance)", STORAGE_ALLOWANCE_SECONDS)]
    if settings.ocr_engine == "textract":
        call = call_seconds(
            attempts=settings.textract_attempts, read_timeout=settings.textract_read_timeout_seconds
        )
        if settings.max_pdf_pages > 1:  # a multi-page PDF is an asynchronous job
            job = call + settings.textract_job_timeout_seconds + JOB_EXTRA_CALLS * call
            parts.append(Part("Textract job (start, polls to the deadline, 2 more calls)", job))
        else:
            parts.append(Part("Textract synchronous call", call))
    if settings.extractor == "bedrock":
        call = call_seconds(
            attempts=settings.bedrock_attempts, read_timeout=settings.bedrock_read_timeout_seconds
        )
        parts.append(Part(f"Bedrock Converse x {BEDROCK_CALLS}", BEDROCK_CALLS * call))
    parts.append(
        Part(
            "callbacks (2 progress notes, the result)",
            HTTPX_PHASES
            * (PROGRESS_NOTES * PROGRESS_TIMEOUT_SECONDS + settings.callback_timeout_seconds),
        )
    )
    return parts


def record_worst_case_seconds(settings: ProcessorSettings) -> float:
    return sum(part.seconds for part in record_worst_case(settings))
