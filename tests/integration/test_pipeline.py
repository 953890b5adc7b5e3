"""The processor pipeline against moto's S3, with a fake OCR engine and the real rules extractor."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image

from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.contracts import ErrorCode, ProcessingJob, ProcessingResult, ReceiptStatus
from core.errors import TransientProcessingError
from core.reading.extraction.rules.extractor import RulesExtractor
from core.settings import ProcessorSettings
from processor.pipeline import Pipeline, processed_key
from tests.fakes import RECEIPT_LINES, FakeOcr, RecordingSink


def jpeg_bytes(size: tuple[int, int] = (300, 500), fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, format=fmt)
    return buf.getvalue()


def text_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text layer holds ``lines`` (Helvetica, one per row)."""
    ops = ["BT", "/F1 10 Tf", "12 TL", "20 800 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


@pytest.fixture
def store(processor_settings: ProcessorSettings) -> S3Store:
    return S3Store(AwsClients(processor_settings))


def make_pipeline(
    settings: ProcessorSettings, store: S3Store, ocr: FakeOcr, sink: RecordingSink
) -> Pipeline:
    return Pipeline(
        settings=settings,
        store=store,
        ocr=ocr,
        extractor=RulesExtractor(),
        callback=sink,
        today=lambda: date(2026, 11, 1),
    )


def upload(store: S3Store, settings: ProcessorSettings, data: bytes, ctype: str) -> ProcessingJob:
    receipt_id = uuid.uuid4()
    key = f"users/1/{receipt_id}"
    store.put(bucket=settings.raw_bucket, key=key, body=data, content_type=ctype)
    return ProcessingJob(
        receipt_id=receipt_id,
        bucket=settings.raw_bucket,
        key=key,
        content_type=ctype,
        size=len(data),
    )


class TestPipeline:
    def test_processes_image_and_writes_processed_json(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
        job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")

        result = make_pipeline(processor_settings, store, ocr, sink).process(job)

        assert result.status == ReceiptStatus.DONE
        assert result.extraction is not None
        assert result.extraction.total == Decimal("22.26")
        assert result.extraction.purchase_date == date(2026, 10, 3)
        assert result.engines.ocr == "fake-ocr" and result.engines.extractor == "rules"
        stored = store.get(
            bucket=processor_settings.processed_bucket, key=processed_key(job.receipt_id)
        )
        assert ProcessingResult.model_validate_json(stored) == result
        assert sink.results == [result]

    def test_repeat_delivery_only_repeats_the_callback(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
        job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
        pipeline = make_pipeline(processor_settings, store, ocr, sink)

        first = pipeline.process(job)
        second = pipeline.process(job)

        assert ocr.calls == 1
        assert second == first
        assert len(sink.results) == 2

    def test_failed_callback_is_transient_and_work_is_not_redone(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink(fail_times=1)
        job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
        pipeline = make_pipeline(processor_settings, store, ocr, sink)

        with pytest.raises(TransientProcessingError):
            pipeline.process(job)
        pipeline.process(job)

        assert ocr.calls == 1
        assert len(sink.results) == 1

    @pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
    def test_accepts_png_and_webp(
        self, processor_settings: ProcessorSettings, store: S3Store, fmt: str
    ) -> None:
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
        job = upload(store, processor_settings, jpeg_bytes(fmt=fmt), f"image/{fmt.lower()}")
        result = make_pipeline(processor_settings, store, ocr, sink).process(job)
        assert result.status == ReceiptStatus.DONE
        assert ocr.calls == 1

    def test_accepts_heic(self, processor_settings: ProcessorSettings, store: S3Store) -> None:
        from pillow_heif import from_pillow

        buf = io.BytesIO()
        from_pillow(Image.new("RGB", (64, 96), "white")).save(buf, quality=50)
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
        job = upload(store, processor_settings, buf.getvalue(), "image/heic")
        result = make_pipeline(processor_settings, store, ocr, sink).process(job)
        assert result.status == ReceiptStatus.DONE
        assert ocr.calls == 1

    def test_pdf_text_layer_is_used_without_ocr(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        ocr, sink = FakeOcr(["nothing"]), RecordingSink()
        job = upload(store, processor_settings, text_pdf(RECEIPT_LINES), "application/pdf")

        result = make_pipeline(processor_settings, store, ocr, sink).process(job)

        assert ocr.calls == 0
        assert result.engines.ocr == "pdf-text-layer"
        assert result.extraction is not None
        assert result.extraction.total == Decimal("22.26")

    def test_pdf_over_page_limit_fails_permanently(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        from PIL import Image as PILImage

        buf = io.BytesIO()
        pages = [
            PILImage.new("RGB", (100, 100), "white")
            for _ in range(processor_settings.max_pdf_pages + 1)
        ]
        pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:])
        job = upload(store, processor_settings, buf.getvalue(), "application/pdf")
        result = make_pipeline(processor_settings, store, FakeOcr([]), RecordingSink()).process(job)
        assert result.status == ReceiptStatus.FAILED
        assert result.error is not None and result.error.code == ErrorCode.TOO_MANY_PAGES

    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"GIF89a" + b"\0" * 100, ErrorCode.UNSUPPORTED_TYPE),
            (b"\xff\xd8\xff\xe0" + b"garbage" * 10, ErrorCode.UNREADABLE),
        ],
    )
    def test_bad_files_fail_permanently_with_a_reason(
        self, processor_settings: ProcessorSettings, store: S3Store, data: bytes, code: ErrorCode
    ) -> None:
        sink = RecordingSink()
        job = upload(store, processor_settings, data, "image/jpeg")
        result = make_pipeline(processor_settings, store, FakeOcr(RECEIPT_LINES), sink).process(job)
        assert result.status == ReceiptStatus.FAILED
        assert result.error is not None and result.error.code == code and not result.error.retryable
        assert sink.results == [result]

    def test_blank_page_is_unreadable_and_text_without_amounts_is_not_a_receipt(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        blank = make_pipeline(processor_settings, store, FakeOcr([]), RecordingSink())
        r1 = blank.process(upload(store, processor_settings, jpeg_bytes(), "image/jpeg"))
        assert r1.error is not None and r1.error.code == ErrorCode.UNREADABLE

        prose = make_pipeline(
            processor_settings,
            store,
            FakeOcr(["Dear friend,", "see you at the lake", "love, Ana"]),
            RecordingSink(),
        )
        r2 = prose.process(upload(store, processor_settings, jpeg_bytes(), "image/jpeg"))
        assert r2.error is not None and r2.error.code == ErrorCode.NOT_A_RECEIPT

    def test_missing_object_fails_permanently(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        job = ProcessingJob(
            receipt_id=uuid.uuid4(),
            bucket=processor_settings.raw_bucket,
            key="users/1/gone.jpg",
            content_type="image/jpeg",
            size=10,
        )
        result = make_pipeline(processor_settings, store, FakeOcr([]), RecordingSink()).process(job)
        assert result.error is not None and result.error.code == ErrorCode.FILE_MISSING

    def test_decompression_bomb_is_refused(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        settings = processor_settings.model_copy(update={"max_image_pixels": 10_000})
        job = upload(store, settings, jpeg_bytes((200, 200)), "image/jpeg")
        result = make_pipeline(settings, store, FakeOcr(RECEIPT_LINES), RecordingSink()).process(
            job
        )
        assert result.error is not None and result.error.code == ErrorCode.TOO_LARGE


def test_a_retry_attempt_reprocesses_despite_a_stored_result(
    processor_settings: ProcessorSettings, store: S3Store
) -> None:
    ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
    job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
    pipeline = make_pipeline(processor_settings, store, ocr, sink)

    first = pipeline.process(job)
    retried = pipeline.process(job.model_copy(update={"attempt": 2}))
    late_duplicate = pipeline.process(job)

    assert ocr.calls == 2
    assert (first.attempt, retried.attempt) == (1, 2)
    assert late_duplicate.attempt == 2  # the stored result is the newest attempt's


def test_users_default_currency_fills_a_receipt_that_prints_none(
    processor_settings: ProcessorSettings, store: S3Store
) -> None:
    plain = ["CORNER SHOP", "DATE 03/10/2026", "TOTAL 12.50"]
    job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
    job = job.model_copy(update={"default_currency": "EUR"})
    result = make_pipeline(processor_settings, store, FakeOcr(plain), RecordingSink()).process(job)
    assert result.extraction is not None
    assert result.extraction.currency == "EUR"
    assert result.extraction.confidence["currency"] < 0.5

    printed = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
    printed = printed.model_copy(update={"default_currency": "EUR"})
    result = make_pipeline(
        processor_settings, store, FakeOcr(RECEIPT_LINES), RecordingSink()
    ).process(printed)
    assert result.extraction is not None
    assert result.extraction.currency == "MYR"  # what the receipt prints wins
