"""TextractOcr against botocore's Stubber fed real Textract responses (tests/fixtures/textract)."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import ANY, Stubber
from PIL import Image

from core.aws.clients import AwsClients
from core.aws.errors import translate_botocore
from core.contracts import ErrorCode
from core.errors import (
    EngineMisconfigured,
    OcrUnavailable,
    PermanentProcessingError,
    TransientProcessingError,
)
from core.reading import files
from core.reading.engines import build_extractor, build_ocr
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import Document, FileFacts, OcrResult, StoredObject
from core.reading.ocr.textract import (
    BYTES_MAX,
    MAX_SIDE,
    SEND_MAX_BYTES,
    SYNC_MAX_BYTES,
    TextractOcr,
    to_jpeg,
)
from core.reading.validation import validate
from core.settings import ProcessorSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "textract"
RECEIPT_ID = "0b7e6a4e-3d1c-4a43-9c55-1f2b8e9d0a11"
BUCKET, KEY = "raw-bucket", "users/1/receipt.jpg"
RECEIPT_SIZE = (805, 1917)  # textractor_receipt.jpg
TODAY = date(2026, 11, 1)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def settings(**overrides: Any) -> ProcessorSettings:
    return ProcessorSettings(_env_file=None, aws_local_credentials=True, **overrides)


@pytest.fixture
def client() -> Any:
    return AwsClients(settings()).client("textract")


class Sleeps:
    """A fake clock: ``sleep`` records the delay and moves time on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def engine(client: Any, *, mode: str = "analyze", sleeps: Sleeps | None = None) -> TextractOcr:
    sleeps = sleeps or Sleeps()
    return TextractOcr(
        client=client,
        mode=mode,  # type: ignore[arg-type]
        region="us-east-1",
        poll_initial_seconds=1.0,
        poll_max_seconds=4.0,
        job_timeout_seconds=30.0,
        sleep=sleeps.sleep,
        clock=sleeps.clock,
    )


def stored_jpeg(size: tuple[int, int] = RECEIPT_SIZE, nbytes: int = 169_200) -> Document:
    return Document(
        content_type=files.JPEG,
        images=[],
        source=StoredObject(bucket=BUCKET, key=KEY, size=nbytes),
        page_count=1,
        pixel_size=size,
        request_id=RECEIPT_ID,
    )


def s3_document() -> dict[str, Any]:
    return {"Document": {"S3Object": {"Bucket": BUCKET, "Name": KEY}}}


def image(size: tuple[int, int], fmt: str = "PNG", noise: bool = False) -> tuple[Any, bytes]:
    if noise:
        img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        img = Image.new("RGB", size, "white")
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return img, buf.getvalue()


def sent_bytes(client: Any, operation: str) -> list[bytes]:
    """Collects the document bytes the client is asked to send."""
    seen: list[bytes] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(params["Document"]["Bytes"])

    client.meta.events.register(f"provide-client-params.textract.{operation}", record)
    return seen


class TestAnalyzeExpense:
    def test_receipt_photo_is_read_from_its_s3_object_and_mapped(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            s3_document(),
        )

        ocr = engine(client).read(stored_jpeg())

        assert ocr.engine == "textract-expense" and ocr.pages == 1
        assert ocr.page_sizes == [RECEIPT_SIZE]
        assert len(ocr.lines) == 39
        first = ocr.lines[0]
        assert first.text == "MEGA BIGBOK" and 0.7 < first.confidence < 0.8
        assert 200 < first.box[0] < 210 and first.box[2] < RECEIPT_SIZE[0]  # pixels of the page
        assert ocr.fields is not None
        total = ocr.fields.of_type("TOTAL")[0]
        assert (total.value, total.label, total.currency) == ("$1810.46", "TOTAL", "USD")
        assert total.confidence == pytest.approx(0.999, abs=1e-3)
        assert [f.value for f in ocr.fields.of_type("VENDOR_NAME")] == [
            "MEGA MARKET PLUS",
            "MEGA BIGBOK",
        ]
        assert len(ocr.fields.line_items) == 4
        item = ocr.fields.line_items[0]
        assert item.get("ITEM") is not None and item.get("ITEM").value == "LG FLATSCREEN 65"  # type: ignore[union-attr]

    def test_rules_extractor_maps_textract_fields_into_the_extraction(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response("analyze_expense", fixture("textractor_receipt_jpg.analyze_expense.json"))
        ocr = engine(client).read(stored_jpeg())

        ex = RulesExtractor(today=lambda: TODAY).extract(ocr)

        assert ex.merchant.name == "MEGA MARKET PLUS"  # the higher-confidence vendor name
        assert ex.merchant.phone == "800-532-2918"
        assert ex.purchase_date == date(2019, 12, 7)  # USD: month first
        assert (ex.subtotal, ex.tax, ex.total) == (
            Decimal("1699.96"),
            Decimal("110.50"),
            Decimal("1810.46"),
        )
        assert ex.currency == "USD"
        assert [i.description for i in ex.line_items] == [
            "LG FLATSCREEN 65",
            "SONY VIAO I7 6938",
            "6FT HDMI CABLE BB",
            "APPLE TV V4",
        ]
        assert sum(i.amount or 0 for i in ex.line_items) == ex.subtotal
        assert ex.confidence["total"] > 0.95

    def test_response_without_blocks_gets_its_lines_from_the_fields(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response("analyze_expense", fixture("trp_expense_sample2.analyze_expense.json"))

        ocr = engine(client).read(stored_jpeg())
        ex = RulesExtractor(today=lambda: TODAY).extract(ocr)

        texts = [line.text for line in ocr.lines]
        assert "SUBTOTAL 38.48" in texts and "E 77053 GRAPE TOMATO 5.99 E" in texts
        assert len(texts) == len(set(texts))
        assert ex.total == Decimal("38.48") and ex.tax == Decimal("0.00")
        assert [str(i.amount) for i in ex.line_items] == ["22.10", "5.99", "10.39"]

    def test_invoice_quantities_and_cent_less_prices(self, client: Any, stub: Stubber) -> None:
        stub.add_response(
            "analyze_expense", fixture("trp_default_invoice_1_png.analyze_expense.json")
        )

        ex = RulesExtractor(today=lambda: TODAY).extract(engine(client).read(stored_jpeg()))

        assert ex.total == Decimal("6231.09") and ex.purchase_date == date(2021, 1, 1)
        product_2 = next(i for i in ex.line_items if i.description == "Product 2")
        assert (product_2.quantity, product_2.unit_price, product_2.amount) == (
            Decimal(2),
            Decimal("106.04"),
            Decimal("212.08"),
        )
        assert next(i for i in ex.line_items if i.description == "Product 1").amount == Decimal(
            "1000.00"
        )

    def test_field_without_text_or_geometry_is_harmless(self, client: Any, stub: Stubber) -> None:
        stub.add_response(
            "analyze_expense", fixture("trp_missing_geoms_edgecase.analyze_expense.json")
        )

        ocr = engine(client).read(stored_jpeg())

        assert ocr.lines == []
        assert ocr.fields is not None and ocr.fields.of_type("CITY") == []

    def test_one_page_pdf_goes_to_the_synchronous_api_as_its_s3_object(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            s3_document(),
        )
        pdf = Document(
            content_type=files.PDF,
            images=[],
            data=b"%PDF-1.4 ...",
            source=StoredObject(bucket=BUCKET, key=KEY, size=12),
            page_count=1,
        )

        assert engine(client).read(pdf).pages == 1


class TestConversion:
    @pytest.mark.parametrize(
        ("facts", "as_is"),
        [
            (FileFacts(files.JPEG, 2_000_000, (3000, 4000)), True),
            (FileFacts(files.PNG, SYNC_MAX_BYTES, (MAX_SIDE, 800)), True),
            (FileFacts(files.JPEG, SYNC_MAX_BYTES + 1, (3000, 4000)), False),
            (FileFacts(files.JPEG, 2_000_000, (MAX_SIDE + 1, 800)), False),
            (FileFacts(files.JPEG, 2_000_000, None), False),  # header not read: decode first
            (FileFacts(files.HEIC, 2_000_000, (3000, 4000)), False),
            (FileFacts(files.WEBP, 500_000, (1000, 1000)), False),
            (FileFacts(files.PDF, 15_000_000), True),  # multi-page jobs take up to 500 MB
        ],
    )
    def test_what_textract_takes_as_it_is(self, client: Any, facts: FileFacts, as_is: bool) -> None:
        assert engine(client).takes_as_is(facts) is as_is

    @pytest.mark.parametrize("fmt", ["WEBP", "HEIF"])
    def test_webp_and_heic_are_sent_as_jpeg_bytes(
        self, client: Any, stub: Stubber, fmt: str
    ) -> None:
        if fmt == "HEIF":
            from pillow_heif import register_heif_opener

            register_heif_opener()
        img, data = image((400, 700), fmt=fmt)
        content_type = files.HEIC if fmt == "HEIF" else files.WEBP
        stub.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            {"Document": {"Bytes": ANY}},
        )
        sent = sent_bytes(client, "AnalyzeExpense")
        doc = Document(
            content_type=content_type,
            images=[img],
            data=data,
            source=StoredObject(bucket=BUCKET, key=KEY, size=len(data)),
            pixel_size=img.size,
        )

        ocr = engine(client).read(doc)

        assert sent[0].startswith(b"\xff\xd8\xff")
        assert ocr.page_sizes == [(400, 700)]

    def test_image_over_10000_px_is_scaled_down_before_sending(
        self, client: Any, stub: Stubber
    ) -> None:
        img, data = image((MAX_SIDE + 2000, 300))
        stub.add_response("analyze_expense", fixture("textractor_receipt_jpg.analyze_expense.json"))
        sent = sent_bytes(client, "AnalyzeExpense")
        doc = Document(
            content_type=files.PNG,
            images=[img],
            data=data,
            source=StoredObject(bucket=BUCKET, key=KEY, size=len(data)),
            pixel_size=img.size,
        )

        engine(client).read(doc)

        with Image.open(io.BytesIO(sent[0])) as out:
            assert max(out.size) <= MAX_SIDE and out.format == "JPEG"

    def test_24_megapixel_heic_photo_is_sent_as_jpeg_bytes_under_the_5_mb_limit(
        self, client: Any, stub: Stubber
    ) -> None:
        # GIVEN a decoded 6000x4000 HEIC photo of noise (the worst case: it hardly compresses;
        # as JPEG at quality 90 it is tens of MB, far over the Bytes field's 5 MB)
        img = Image.frombytes("RGB", (6000, 4000), os.urandom(6000 * 4000 * 3))
        stub.add_response(
            "analyze_expense",
            fixture("textractor_receipt_jpg.analyze_expense.json"),
            {"Document": {"Bytes": ANY}},
        )
        sent = sent_bytes(client, "AnalyzeExpense")
        doc = Document(
            content_type=files.HEIC,
            images=[img],
            source=StoredObject(bucket=BUCKET, key="users/1/r.heic", size=9_000_000),
            pixel_size=img.size,
        )

        # WHEN Textract reads it
        ocr = engine(client).read(doc)

        # THEN one JPEG went as bytes, under the limit with margin, and the call succeeded
        stub.assert_no_pending_responses()
        assert len(sent) == 1
        assert len(sent[0]) <= SEND_MAX_BYTES < BYTES_MAX
        with Image.open(io.BytesIO(sent[0])) as out:
            assert out.format == "JPEG"
            assert out.size[0] / out.size[1] == pytest.approx(1.5, rel=0.01)
            assert ocr.page_sizes == [out.size]
        assert ocr.lines

    def test_jpeg_is_shrunk_until_it_fits_the_byte_limit(self) -> None:
        img, _ = image((600, 600), noise=True)

        jpeg, size = to_jpeg(img, max_bytes=120_000)

        assert len(jpeg) <= 120_000
        assert size[0] < 600  # noise does not compress: it had to be scaled down

    def test_pdf_without_s3_location_is_read_page_by_page(self, client: Any, stub: Stubber) -> None:
        pages = [Image.new("RGB", (300, 400), "white") for _ in range(2)]
        response = fixture("trp_expense_sample2.analyze_expense.json")
        stub.add_response("analyze_expense", response, {"Document": {"Bytes": ANY}})
        stub.add_response("analyze_expense", response, {"Document": {"Bytes": ANY}})
        doc = Document(content_type=files.PDF, images=list(pages), page_count=2)

        ocr = engine(client).read(doc)

        assert ocr.pages == 2
        assert {line.page for line in ocr.lines} == {0, 1}


class TestAsynchronousJobs:
    def multipage_pdf(self) -> Document:
        return Document(
            content_type=files.PDF,
            images=[],
            source=StoredObject(bucket=BUCKET, key="users/1/r.pdf", size=300_000),
            page_count=2,
            request_id=RECEIPT_ID,
        )

    def job_location(self) -> dict[str, Any]:
        return {"S3Object": {"Bucket": BUCKET, "Name": "users/1/r.pdf"}}

    def test_multipage_pdf_runs_one_idempotent_job_polled_with_backoff(
        self, client: Any, stub: Stubber
    ) -> None:
        result = fixture("trp_multipage.analyze_expense.json")
        first, second = result["ExpenseDocuments"]
        stub.add_response(
            "start_expense_analysis",
            {"JobId": "job-1"},
            {"DocumentLocation": self.job_location(), "ClientRequestToken": RECEIPT_ID},
        )
        for _ in range(3):
            stub.add_response(
                "get_expense_analysis", {"JobStatus": "IN_PROGRESS"}, {"JobId": "job-1"}
            )
        stub.add_response(
            "get_expense_analysis",
            {**result, "ExpenseDocuments": [first], "NextToken": "page-2"},
            {"JobId": "job-1"},
        )
        stub.add_response(
            "get_expense_analysis",
            {**result, "ExpenseDocuments": [second]},
            {"JobId": "job-1", "NextToken": "page-2"},
        )
        sleeps = Sleeps()

        ocr = engine(client, sleeps=sleeps).read(self.multipage_pdf())

        assert sleeps.delays == [1.0, 2.0, 4.0]  # doubled, capped at poll_max_seconds
        assert ocr.pages == 2
        assert ocr.fields is not None
        assert [(f.value, f.page) for f in ocr.fields.of_type("TOTAL")] == [("$5,715.00", 1)]
        assert {line.page for line in ocr.lines} == {0, 1}
        ex = RulesExtractor(today=lambda: TODAY).extract(ocr)
        assert ex.total == Decimal("5715.00") and ex.purchase_date == date(2020, 3, 12)

    def test_job_still_running_at_the_deadline_is_transient(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response("start_expense_analysis", {"JobId": "job-2"})
        for _ in range(9):  # polls at 0, 1, 3, 7, 11, 15, 19, 23 and 27 s; 31 s is too late
            stub.add_response("get_expense_analysis", {"JobStatus": "IN_PROGRESS"})
        sleeps = Sleeps()

        with pytest.raises(OcrUnavailable):
            engine(client, sleeps=sleeps).read(self.multipage_pdf())
        assert sum(sleeps.delays) <= 30.0

    def test_failed_job_is_a_permanent_unreadable_document(
        self, client: Any, stub: Stubber
    ) -> None:
        stub.add_response("start_expense_analysis", {"JobId": "job-3"})
        stub.add_response(
            "get_expense_analysis",
            {"JobStatus": "FAILED", "StatusMessage": "UNSUPPORTED_DOCUMENT"},
        )

        with pytest.raises(PermanentProcessingError) as caught:
            engine(client).read(self.multipage_pdf())
        assert caught.value.code == ErrorCode.UNREADABLE

    def test_economy_mode_uses_the_text_detection_job(self, client: Any, stub: Stubber) -> None:
        stub.add_response(
            "start_document_text_detection",
            {"JobId": "job-4"},
            {"DocumentLocation": self.job_location(), "ClientRequestToken": RECEIPT_ID},
        )
        stub.add_response(
            "get_document_text_detection",
            fixture("textractor_multipage_pdf.get_document_text_detection.json"),
            {"JobId": "job-4"},
        )

        ocr = engine(client, mode="economy").read(self.multipage_pdf())

        assert ocr.engine == "textract-text" and ocr.pages == 2 and ocr.fields is None
        assert {line.page for line in ocr.lines} == {0, 1}


class TestEconomy:
    def test_detect_document_text_gives_lines_only(self, client: Any, stub: Stubber) -> None:
        stub.add_response(
            "detect_document_text",
            fixture("derived_textractor_receipt_jpg.detect_document_text.json"),
            s3_document(),
        )

        ocr = engine(client, mode="economy").read(stored_jpeg())

        assert ocr.engine == "textract-text" and ocr.fields is None
        assert len(ocr.lines) == 39
        assert RulesExtractor(today=lambda: TODAY).extract(ocr).total == Decimal("1810.46")

    def test_a_page_that_is_no_receipt_is_refused(self, client: Any, stub: Stubber) -> None:
        stub.add_response(
            "detect_document_text",
            fixture("textractor_single_page_1_png.detect_document_text.json"),
        )
        ocr = engine(client, mode="economy").read(stored_jpeg())
        extraction = RulesExtractor(today=lambda: TODAY).extract(ocr)

        assert extraction.total is None and not extraction.line_items
        assert "Textractor Test" in ocr.text


class TestErrors:
    @pytest.mark.parametrize(
        "code",
        [
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "InternalServerError",
            "SomethingNewException",
        ],
    )
    def test_throttling_and_service_errors_are_transient(
        self, client: Any, stub: Stubber, code: str
    ) -> None:
        stub.add_client_error("analyze_expense", service_error_code=code, http_status_code=400)

        with pytest.raises(TransientProcessingError):
            engine(client).read(stored_jpeg())

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("UnsupportedDocumentException", ErrorCode.UNSUPPORTED_TYPE),
            ("BadDocumentException", ErrorCode.UNREADABLE),
            ("DocumentTooLargeException", ErrorCode.TOO_LARGE),
            ("InvalidParameterException", ErrorCode.UNREADABLE),
        ],
    )
    def test_unreadable_documents_fail_permanently_with_a_reason(
        self, client: Any, stub: Stubber, code: str, reason: ErrorCode
    ) -> None:
        stub.add_client_error("analyze_expense", service_error_code=code, http_status_code=400)

        with pytest.raises(PermanentProcessingError) as caught:
            engine(client).read(stored_jpeg())
        assert caught.value.code == reason and not caught.value.retryable
        assert caught.value.message.endswith(".")

    @pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidS3ObjectException"])
    def test_access_and_region_problems_fail_once_with_one_clear_log_line(
        self, client: Any, stub: Stubber, error_log: list[str], code: str
    ) -> None:
        stub.add_client_error("analyze_expense", service_error_code=code, http_status_code=400)

        with pytest.raises(EngineMisconfigured) as caught:
            engine(client).read(stored_jpeg())

        assert caught.value.code == ErrorCode.CONFIGURATION and caught.value.retryable
        assert len(error_log) == 1
        line = error_log[0]
        assert f"code={code}" in line and "region=us-east-1" in line and "hint=" in line

    def test_no_credentials_is_misconfiguration(self) -> None:
        error = translate_botocore(
            NoCredentialsError(), service="textract", operation="AnalyzeExpense", region="eu-west-1"
        )
        assert isinstance(error, EngineMisconfigured)

    @pytest.mark.parametrize(
        ("region", "expected"),
        [("xx-nowhere-1", EngineMisconfigured), ("us-east-1", TransientProcessingError)],
    )
    def test_unreachable_endpoint_is_a_wrong_region_only_where_textract_is_not_offered(
        self, region: str, expected: type[Exception]
    ) -> None:
        exc = EndpointConnectionError(endpoint_url=f"https://textract.{region}.amazonaws.com")
        error = translate_botocore(
            exc, service="textract", operation="AnalyzeExpense", region=region
        )
        assert isinstance(error, expected)


class TestWiring:
    def test_settings_choose_textract_and_its_mode(self) -> None:
        s = settings(ocr_engine="textract", textract_mode="economy", aws_max_attempts=7)
        ocr = build_ocr(s)
        assert isinstance(ocr, TextractOcr) and ocr.name == "textract-text"
        retries = ocr._client.meta.config.retries
        assert retries["mode"] == "standard" and retries["total_max_attempts"] == 7

    def test_textract_with_rules_and_local_defaults(self) -> None:
        s = settings(ocr_engine="textract")
        assert build_extractor(s).name == "rules"
        assert build_ocr(settings()).name == "rapidocr"

    def test_validation_still_refuses_a_page_that_is_no_receipt(self) -> None:
        empty = RulesExtractor(today=lambda: TODAY).extract(OcrResult(lines=[], engine="t"))
        with pytest.raises(PermanentProcessingError) as caught:
            validate(empty, today=TODAY)
        assert caught.value.code == ErrorCode.NOT_A_RECEIPT
