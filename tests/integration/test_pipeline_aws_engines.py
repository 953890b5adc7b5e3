"""The processor's pipeline with the production engines: Textract and Bedrock behind botocore's
Stubber (real Textract responses, Bedrock replies as the Converse API returns them), S3 and SQS on
the moto server, the Lambda handler called with the SQS event the local worker builds."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.aws.sqs import JobQueue
from core.contracts import ErrorCode, ProcessingJob, ProcessingResult, ReceiptStatus, thumbnail_key
from core.reading.documents import PROBE_BYTES
from core.reading.engines import build_extractor, build_ocr
from core.reading.extraction.bedrock import TOOL_NAME
from core.settings import ProcessorSettings
from processor.handler import make_handler
from processor.pipeline import Pipeline, ocr_cache_key, processed_key
from processor.worker import sqs_event
from tests import fakes
from tests.fakes import RECEIPT_LINES, FakeOcr, RecordingSink
from tests.helpers import stubbed
from tests.samples import jpeg_claiming, png_bomb

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "textract"
RECEIPT_JPG = FIXTURES / "textractor_receipt.jpg"
MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

MEGA_MARKET = {
    "is_receipt": True,
    "merchant_name": "MEGA MARKET PLUS",
    "merchant_address": "CHICAGO, IL",
    "merchant_phone": "800-532-2918",
    "purchase_date": "2019-12-07",
    "purchase_time": "12:22",
    "currency": "USD",
    "subtotal": "1699.96",
    "tax": "110.50",
    "total": "1810.46",
    "line_items": [
        {"description": "LG FLATSCREEN 65", "amount": "899.99"},
        {"description": "SONY VIAO I7 6938", "amount": "689.99"},
        {"description": "6FT HDMI CABLE BB", "amount": "19.99"},
        {"description": "APPLE TV V4", "amount": "89.99"},
    ],
    "category": "shopping",
    "payment_method": "visa",
}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def converse_reply(tool_input: dict[str, Any], tokens: tuple[int, int]) -> dict[str, Any]:
    return fakes.converse_reply(TOOL_NAME, tool_input, tokens=tokens)


@dataclass
class Rig:
    settings: ProcessorSettings
    store: S3Store
    textract: Stubber
    bedrock: Stubber
    sink: RecordingSink
    pipeline: Pipeline

    def upload(self, data: bytes, content_type: str, suffix: str = "") -> ProcessingJob:
        receipt_id = uuid.uuid4()
        key = f"users/1/{receipt_id}{suffix}"
        self.store.put(
            bucket=self.settings.raw_bucket, key=key, body=data, content_type=content_type
        )
        return ProcessingJob(
            receipt_id=receipt_id,
            bucket=self.settings.raw_bucket,
            key=key,
            content_type=content_type,
            size=len(data),
        )

    def s3_document(self, job: ProcessingJob) -> dict[str, Any]:
        return {"Document": {"S3Object": {"Bucket": job.bucket, "Name": job.key}}}

    def stored(self, key: str) -> bool:
        return self.store.exists(bucket=self.settings.processed_bucket, key=key)


def make_rig(processor_settings: ProcessorSettings, **overrides: Any) -> Iterator[Rig]:
    settings = processor_settings.model_copy(
        update={"ocr_engine": "textract", "extractor": "bedrock", **overrides}
    )
    clients = AwsClients(settings)  # one factory: S3 goes to moto, the AI engines are stubbed
    sink = RecordingSink()
    pipeline = Pipeline(
        settings=settings,
        store=S3Store(clients),
        ocr=build_ocr(settings, clients=clients),
        extractor=build_extractor(settings, clients=clients),
        callback=sink,
        today=lambda: date(2026, 11, 1),
    )
    with (
        stubbed(clients.client("textract")) as textract,
        stubbed(clients.client("bedrock-runtime")) as bedrock,
    ):
        yield Rig(settings, S3Store(clients), textract, bedrock, sink, pipeline)


@pytest.fixture
def rig(processor_settings: ProcessorSettings) -> Iterator[Rig]:
    yield from make_rig(processor_settings)


def spy_raw_reads(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The ``first`` argument of every read of the raw bucket (None: the whole object)."""
    reads: list[int | None] = []
    real_get = rig.pipeline.store.get

    def get(*, bucket: str, key: str, **kwargs: Any) -> bytes:
        if bucket == rig.settings.raw_bucket:
            reads.append(kwargs.get("first"))
        return real_get(bucket=bucket, key=key, **kwargs)

    monkeypatch.setattr(rig.pipeline.store, "get", get)
    return reads


class TestProductionEngines:
    def test_sqs_batch_through_textract_and_bedrock_end_to_end(
        self, rig: Rig, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """GIVEN a receipt photo in S3 and its job on the queue
        WHEN the Lambda handler gets the SQS batch
        THEN Textract reads the S3 object (no bytes sent), Bedrock structures it, the result
        carries pages and tokens, and the processed JSON and callback agree."""
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
        rig.textract.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            rig.s3_document(job),
        )
        rig.bedrock.add_response("converse", converse_reply(MEGA_MARKET, (1650, 240)))
        queue = JobQueue(AwsClients(rig.settings), queue_name=rig.settings.queue_name)
        queue.send_job(job)
        messages = queue.receive(max_messages=1, wait_seconds=1)
        raw_reads = spy_raw_reads(rig, monkeypatch)

        response = make_handler(rig.pipeline)(
            sqs_event(messages, queue_arn=queue.arn, region="us-east-1"), None
        )

        assert response == {"batchItemFailures": []}
        # Textract reads the photo where it lies: the worker reads its header, then the photo
        # once more only for its thumbnail (a JPEG decoded at 1/8 of its scale).
        assert raw_reads == [PROBE_BYTES, None]
        thumbnail = rig.store.get(
            bucket=rig.settings.processed_bucket, key=thumbnail_key(job.receipt_id)
        )
        assert max(Image.open(io.BytesIO(thumbnail)).size) == 320
        [result] = rig.sink.results
        assert result.status == ReceiptStatus.DONE and result.extraction is not None
        ex = result.extraction
        assert (ex.merchant.name, ex.purchase_date, ex.currency, ex.total) == (
            "MEGA MARKET PLUS",
            date(2019, 12, 7),
            "USD",
            Decimal("1810.46"),
        )
        assert ex.category == "shopping" and len(ex.line_items) == 4
        assert (result.engines.ocr, result.engines.extractor, result.engines.model) == (
            "textract-expense",
            "bedrock",
            MODEL,
        )
        assert (result.cost.pages, result.cost.input_tokens, result.cost.output_tokens) == (
            1,
            1650,
            240,
        )
        stored = rig.store.get(
            bucket=rig.settings.processed_bucket, key=processed_key(job.receipt_id)
        )
        assert ProcessingResult.model_validate_json(stored) == result
        assert not rig.stored(ocr_cache_key(job.receipt_id, "textract-expense"))

    def test_throttled_past_retries_the_rules_finish_the_receipt(self, rig: Rig) -> None:
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
        rig.textract.add_response(
            "analyze_expense", fixture("textractor_receipt_jpg.analyze_expense.json")
        )
        rig.bedrock.add_client_error(
            "converse",
            service_error_code="ThrottlingException",
            service_message="Too many requests, please wait before trying again.",
            http_status_code=429,
        )

        result = rig.pipeline.process(job)

        assert result.status == ReceiptStatus.DONE and result.extraction is not None
        assert result.engines.extractor == "rules" and result.engines.model == MODEL
        assert result.engines.fallback == "model unavailable: throttled (ThrottlingException)"
        assert result.extraction.total == Decimal("1810.46")  # Textract's own fields, mapped
        assert result.cost.pages == 1 and rig.sink.results == [result]
        assert not rig.stored(ocr_cache_key(job.receipt_id, "textract-expense"))

    @pytest.mark.parametrize(
        ("code", "message", "reason"),
        [
            (
                "ResourceNotFoundException",
                "This model version has reached the end of its life. Please refer to the AWS "
                "documentation for more details.",
                "model_not_found",
            ),
            (
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.",
                "access_denied",
            ),
        ],
    )
    def test_a_model_gone_or_not_granted_never_fails_the_receipt(
        self, rig: Rig, code: str, message: str, reason: str
    ) -> None:
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
        rig.textract.add_response(
            "analyze_expense", fixture("textractor_receipt_jpg.analyze_expense.json")
        )
        rig.bedrock.add_client_error(
            "converse", service_error_code=code, service_message=message, http_status_code=400
        )

        result = rig.pipeline.process(job)

        assert result.status == ReceiptStatus.DONE and result.extraction is not None
        assert result.engines.extractor == "rules"
        assert result.engines.fallback == f"model unavailable: {reason} ({code})"
        assert result.extraction.total == Decimal("1810.46")
        assert result.cost.pages == 1  # Textract was paid for, once
        assert rig.sink.results == [result]

    @pytest.mark.parametrize(
        "answer",
        [
            pytest.param(
                {
                    **MEGA_MARKET,
                    "line_items": [{"description": "LG FLATSCREEN 65", "amount": "9" * 18}],
                },
                id="18-digit-item-amount",
            ),
            pytest.param({**MEGA_MARKET, "tax": "abc"}, id="tax-abc"),
            pytest.param({**MEGA_MARKET, "merchant_name": "M" * 10_000}, id="long-merchant"),
            pytest.param(
                {
                    **MEGA_MARKET,
                    "merchant_name": {"name": [{"deeper": [1, {"still": None}]}]},
                    "line_items": [[["x"]], {"description": ["y"], "amount": {"v": 1}}],
                },
                id="nested-garbage",
            ),
        ],
    )
    def test_an_invalid_model_answer_never_fails_the_record(
        self, rig: Rig, answer: dict[str, Any]
    ) -> None:
        """GIVEN a model that answers with something the contract cannot hold, twice
        WHEN the Lambda handler gets the record
        THEN the rules read the receipt, the result is done with the reason in
        engines.fallback, and the record is not retried (no batch item failure)."""
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
        rig.textract.add_response(
            "analyze_expense", fixture("textractor_receipt_jpg.analyze_expense.json")
        )
        rig.bedrock.add_response("converse", converse_reply(answer, (1650, 240)))
        rig.bedrock.add_response("converse", converse_reply(answer, (1800, 240)))
        queue = JobQueue(AwsClients(rig.settings), queue_name=rig.settings.queue_name)
        queue.send_job(job)
        messages = queue.receive(max_messages=1, wait_seconds=1)

        response = make_handler(rig.pipeline)(
            sqs_event(messages, queue_arn=queue.arn, region="us-east-1"), None
        )

        assert response == {"batchItemFailures": []}
        [result] = rig.sink.results
        assert result.status == ReceiptStatus.DONE and result.extraction is not None
        assert result.engines.extractor == "rules" and result.engines.model == MODEL
        assert result.engines.fallback is not None
        assert result.engines.fallback.startswith("model answer rejected twice")
        assert result.extraction.total == Decimal("1810.46")  # Textract's own fields, mapped
        assert result.cost.input_tokens == 3450  # both answers were paid for

    def test_unsupported_document_fails_with_a_reason(self, rig: Rig) -> None:
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
        rig.textract.add_client_error(
            "analyze_expense", service_error_code="UnsupportedDocumentException"
        )

        result = rig.pipeline.process(job)

        assert result.error is not None and result.error.code == ErrorCode.UNSUPPORTED_TYPE
        assert not result.error.retryable

    @pytest.mark.parametrize(
        ("bomb", "ctype"),
        [(png_bomb(30_000, 30_000), "image/png"), (jpeg_claiming(65_000, 65_000), "image/jpeg")],
        ids=["png", "jpeg"],
    )
    def test_decompression_bomb_is_refused_from_its_first_bytes(
        self, rig: Rig, monkeypatch: pytest.MonkeyPatch, bomb: bytes, ctype: str
    ) -> None:
        job = rig.upload(bomb, ctype)
        raw_reads = spy_raw_reads(rig, monkeypatch)

        result = rig.pipeline.process(job)  # no Textract call is queued: none may be made

        assert raw_reads == [PROBE_BYTES]
        assert result.error is not None and result.error.code == ErrorCode.TOO_LARGE
        assert "too large to read" in result.error.message and not result.error.retryable

    def test_heic_photo_is_downloaded_and_sent_as_jpeg_bytes(self, rig: Rig) -> None:
        from pillow_heif import from_pillow

        buf = io.BytesIO()
        from_pillow(Image.open(RECEIPT_JPG).convert("RGB")).save(buf, quality=60)
        job = rig.upload(buf.getvalue(), "image/heic", ".heic")
        rig.textract.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            {"Document": {"Bytes": ANY}},
        )
        rig.bedrock.add_response("converse", converse_reply(MEGA_MARKET, (1650, 240)))

        result = rig.pipeline.process(job)

        assert result.status == ReceiptStatus.DONE
        assert result.extraction is not None and result.extraction.total == Decimal("1810.46")


class TestEngineCombinations:
    def test_textract_with_rules_uses_textracts_own_fields(
        self, processor_settings: ProcessorSettings
    ) -> None:
        for rig in make_rig(processor_settings, extractor="rules"):
            job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
            rig.textract.add_response(
                "analyze_expense",
                fixture("textractor_receipt_jpg.analyze_expense.json"),
                rig.s3_document(job),
            )

            result = rig.pipeline.process(job)

            assert result.engines.extractor == "rules" and result.engines.model is None
            assert result.extraction is not None
            assert result.extraction.merchant.name == "MEGA MARKET PLUS"
            assert result.extraction.total == Decimal("1810.46")
            assert (result.cost.pages, result.cost.input_tokens) == (1, 0)

    def test_economy_mode_with_bedrock(self, processor_settings: ProcessorSettings) -> None:
        for rig in make_rig(processor_settings, textract_mode="economy"):
            job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")
            rig.textract.add_response(
                "detect_document_text",
                fixture("derived_textractor_receipt_jpg.detect_document_text.json"),
                rig.s3_document(job),
            )
            rig.bedrock.add_response("converse", converse_reply(MEGA_MARKET, (1400, 240)))

            result = rig.pipeline.process(job)

            assert result.engines.ocr == "textract-text" and result.engines.extractor == "bedrock"
            assert result.extraction is not None
            assert result.extraction.total == Decimal("1810.46")
            assert (result.cost.pages, result.cost.input_tokens) == (1, 1400)

    def test_local_ocr_with_bedrock(self, rig: Rig, processor_settings: ProcessorSettings) -> None:
        corner_cafe = {
            "is_receipt": True,
            "merchant_name": "CORNER CAFE SDN BHD",
            "purchase_date": "2026-10-03",
            "currency": "MYR",
            "subtotal": "21.00",
            "tax": "1.26",
            "total": "22.26",
            "category": "dining",
        }
        rig.bedrock.add_response("converse", converse_reply(corner_cafe, (700, 120)))
        pipeline = Pipeline(
            settings=rig.settings,
            store=rig.store,
            ocr=FakeOcr(RECEIPT_LINES),  # stands in for the local engine (no Textract call)
            extractor=rig.pipeline.extractor,
            callback=rig.sink,
            today=lambda: date(2026, 11, 1),
        )
        job = rig.upload(RECEIPT_JPG.read_bytes(), "image/jpeg", ".jpg")

        result = pipeline.process(job)

        assert result.engines.ocr == "fake-ocr" and result.engines.extractor == "bedrock"
        assert result.extraction is not None and result.extraction.category == "dining"
        assert result.cost.output_tokens == 120

    def test_multipage_scanned_pdf_runs_an_idempotent_job_without_rendering(
        self, processor_settings: ProcessorSettings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_rendering(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the PDF was rendered")

        monkeypatch.setattr(pdfium.PdfPage, "render", no_rendering)
        settings = {"extractor": "rules", "textract_poll_initial_seconds": 0.01}
        for rig in make_rig(processor_settings, **settings):
            buf = io.BytesIO()
            pages = [Image.new("RGB", (200, 280), "white") for _ in range(2)]
            pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:])
            job = rig.upload(buf.getvalue(), "application/pdf", ".pdf")
            rig.textract.add_response(
                "start_expense_analysis",
                {"JobId": "job-9"},
                {
                    "DocumentLocation": {"S3Object": {"Bucket": job.bucket, "Name": job.key}},
                    "ClientRequestToken": str(job.receipt_id),
                },
            )
            rig.textract.add_response("get_expense_analysis", {"JobStatus": "IN_PROGRESS"})
            rig.textract.add_response(
                "get_expense_analysis", fixture("trp_multipage.analyze_expense.json")
            )

            result = rig.pipeline.process(job)

            assert result.status == ReceiptStatus.DONE and result.cost.pages == 2
            assert result.extraction is not None
            assert result.extraction.total == Decimal("5715.00")
