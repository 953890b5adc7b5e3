"""The processor pipeline against moto's S3, with a fake OCR engine and the real rules extractor."""

from __future__ import annotations

import io
import random
import time
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pypdfium2 as pdfium
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.aws.sqs import QueueMessage
from core.contracts import (
    ErrorCode,
    ProcessingJob,
    ProcessingProgress,
    ProcessingResult,
    ProgressVerdict,
    ReceiptStatus,
    thumbnail_key,
)
from core.errors import TransientProcessingError
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import Document, FileFacts, OcrResult
from core.settings import ProcessorSettings
from processor.handler import make_handler
from processor.pipeline import Pipeline, processed_key
from processor.worker import sqs_event as worker_event
from tests.fakes import RECEIPT_LINES, FakeOcr, RecordingSink
from tests.samples import jpeg_bytes, jpeg_claiming, pdf, png_bomb, text_pdf


class SizesOcr(FakeOcr):
    """A fake OCR engine that also keeps the pixel size of every page it was given."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.sizes: list[tuple[int, int]] = []

    def read(self, document: Document) -> OcrResult:
        self.sizes.extend(image.size for image in document.images)  # type: ignore[attr-defined]
        return super().read(document)


class SideOcr(SizesOcr):
    """A fake engine that, as LocalOcr, shrinks pages to ``max_side`` (``ReadsAtMostSide``)."""

    max_side = 1000


def truncated_jpeg() -> bytes:
    """A photo cut off part way (an upload that stopped): the header is whole, the scan is not."""
    buf = io.BytesIO()
    Image.effect_noise((400, 400), 64).convert("RGB").save(buf, format="JPEG")
    data = buf.getvalue()
    return data[: len(data) // 2]


def sqs_event(jobs: list[ProcessingJob]) -> dict[str, Any]:
    messages = [
        QueueMessage(
            f"m{n}", f"h{n}", job.model_dump_json(), {"ApproximateReceiveCount": "1"}, {}, ""
        )
        for n, job in enumerate(jobs)
    ]
    return worker_event(
        messages, queue_arn="arn:aws:sqs:us-east-1:000000000000:jobs", region="us-east-1"
    )


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

    def test_a_small_jpeg_of_the_first_page_is_kept_beside_the_result(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        data = jpeg_bytes((1500, 2000))
        job = upload(store, processor_settings, data, "image/jpeg")

        result = make_pipeline(processor_settings, store, FakeOcr(RECEIPT_LINES), RecordingSink())
        done = result.process(job)

        assert done is not None and done.thumbnail
        body = store.get(
            bucket=processor_settings.processed_bucket, key=thumbnail_key(job.receipt_id)
        )
        small = Image.open(io.BytesIO(body))
        assert (small.format, small.size) == ("JPEG", (240, 320))  # the long side 320 px
        assert len(body) < len(data) / 10

    def test_a_photo_read_where_it_lies_is_fetched_for_its_thumbnail_a_pdf_is_not(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        class InPlaceOcr(FakeOcr):  # as Textract reads a stored file: nothing is decoded
            def takes_as_is(self, facts: FileFacts) -> bool:
                return True

            def read(self, document: Document) -> OcrResult:
                assert not document.images  # the OCR itself still gets no pixels
                return super().read(document)

        photo = upload(store, processor_settings, jpeg_bytes((1200, 1600)), "image/jpeg")
        done = make_pipeline(
            processor_settings, store, InPlaceOcr(RECEIPT_LINES), RecordingSink()
        ).process(photo)
        assert done is not None and done.status == ReceiptStatus.DONE and done.thumbnail
        body = store.get(
            bucket=processor_settings.processed_bucket, key=thumbnail_key(photo.receipt_id)
        )
        assert Image.open(io.BytesIO(body)).size == (240, 320)

        scan = upload(store, processor_settings, text_pdf(RECEIPT_LINES), "application/pdf")
        done = make_pipeline(
            processor_settings, store, InPlaceOcr(RECEIPT_LINES), RecordingSink()
        ).process(scan)
        assert done is not None and not done.thumbnail  # a PDF read in place is not rendered

    def test_a_thumbnail_that_cannot_be_stored_leaves_the_receipt_read(
        self, processor_settings: ProcessorSettings
    ) -> None:
        class NoThumbnails(S3Store):
            def put(self, *, bucket: str, key: str, body: bytes, content_type: str) -> None:
                if key.startswith("thumbnails/"):
                    raise ClientError({"Error": {"Code": "AccessDenied"}}, "PutObject")
                super().put(bucket=bucket, key=key, body=body, content_type=content_type)

        refusing = NoThumbnails(AwsClients(processor_settings))
        job = upload(refusing, processor_settings, jpeg_bytes(), "image/jpeg")
        done = make_pipeline(
            processor_settings, refusing, FakeOcr(RECEIPT_LINES), RecordingSink()
        ).process(job)
        assert done is not None and done.status == ReceiptStatus.DONE and not done.thumbnail

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

    def test_an_engine_that_shrinks_anyway_gets_a_large_jpeg_decoded_small(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        data = jpeg_bytes((3000, 4000))
        small, full = SideOcr(RECEIPT_LINES), SizesOcr(RECEIPT_LINES)
        for ocr in (small, full):
            job = upload(store, processor_settings, data, "image/jpeg")
            result = make_pipeline(processor_settings, store, ocr, RecordingSink()).process(job)
            assert result.status == ReceiptStatus.DONE
        assert small.sizes == [(750, 1000)]
        assert full.sizes == [(3000, 4000)]  # other engines (Textract) get every pixel

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
        ("data", "ctype", "code"),
        [
            (b"GIF89a" + b"\0" * 100, "image/jpeg", ErrorCode.UNSUPPORTED_TYPE),
            (b"\xff\xd8\xff\xe0" + b"garbage" * 10, "image/jpeg", ErrorCode.UNREADABLE),
            (truncated_jpeg(), "image/jpeg", ErrorCode.UNREADABLE),
            (b"MZ\x90\x00" + bytes(range(256)) * 4, "image/jpeg", ErrorCode.UNSUPPORTED_TYPE),
            (
                b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4,
                "image/jpeg",
                ErrorCode.UNSUPPORTED_TYPE,
            ),
            (random.Random(5).randbytes(4096), "application/pdf", ErrorCode.UNSUPPORTED_TYPE),
            (
                b"%PDF-1.7\n" + random.Random(6).randbytes(4096),
                "application/pdf",
                ErrorCode.UNREADABLE,
            ),
            (pdf([RECEIPT_LINES], encrypt=True), "application/pdf", ErrorCode.UNREADABLE),
            (pdf([["page"]] * 500), "application/pdf", ErrorCode.TOO_MANY_PAGES),
        ],
        ids=[
            "gif",
            "jpeg-garbage",
            "jpeg-truncated",
            "windows-exe-as-jpg",
            "elf-as-jpg",
            "random-bytes-as-pdf",
            "pdf-garbage",
            "pdf-encrypted",
            "pdf-500-pages",
        ],
    )
    def test_bad_files_fail_permanently_with_a_reason(
        self,
        processor_settings: ProcessorSettings,
        store: S3Store,
        data: bytes,
        ctype: str,
        code: ErrorCode,
    ) -> None:
        sink = RecordingSink()
        job = upload(store, processor_settings, data, ctype)
        started = time.perf_counter()
        result = make_pipeline(processor_settings, store, FakeOcr(RECEIPT_LINES), sink).process(job)
        assert time.perf_counter() - started < 5  # refused early: 500 pages are not read
        assert result.status == ReceiptStatus.FAILED
        assert result.error is not None and result.error.code == code and not result.error.retryable
        assert result.error.message.endswith(".")  # a sentence for the user
        assert sink.results == [result]

    def test_encrypted_pdf_is_said_to_need_its_password_removed(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        job = upload(
            store, processor_settings, pdf([RECEIPT_LINES], encrypt=True), "application/pdf"
        )
        result = make_pipeline(processor_settings, store, FakeOcr([]), RecordingSink()).process(job)
        assert result.error is not None and "password" in result.error.message

    @pytest.mark.parametrize(
        "bomb",
        [png_bomb(30_000, 30_000), jpeg_claiming(65_000, 65_000)],
        ids=["png-30000x30000-110kB", "jpeg-header-65000x65000"],
    )
    def test_decompression_bomb_ends_at_once_as_too_large_to_read(
        self, processor_settings: ProcessorSettings, store: S3Store, bomb: bytes
    ) -> None:
        """GIVEN a tiny file whose header claims far more pixels than Pillow's own limit
        WHEN its SQS record is handled
        THEN the record succeeds with a permanent failure (no retry, no hour in the queue)."""
        ocr, sink = FakeOcr(RECEIPT_LINES), RecordingSink()
        job = upload(store, processor_settings, bomb, "image/png")
        handler = make_handler(make_pipeline(processor_settings, store, ocr, sink))

        response = handler(sqs_event([job]), None)

        assert response == {"batchItemFailures": []}
        [result] = sink.results
        assert result.status == ReceiptStatus.FAILED and ocr.calls == 0
        assert result.error is not None and result.error.code == ErrorCode.TOO_LARGE
        assert not result.error.retryable and "too large to read" in result.error.message

    def test_pdf_text_layer_is_read_without_rendering_any_page(
        self, processor_settings: ProcessorSettings, store: S3Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Five 200 x 200-inch pages (a 2 KB file): their text layer is read, nothing rendered."""

        def no_rendering(*args: object, **kwargs: object) -> object:
            raise AssertionError("a page was rendered")

        monkeypatch.setattr(pdfium.PdfPage, "render", no_rendering)
        huge = pdf([RECEIPT_LINES] + [["more"]] * 4, size=(200 * 72, 200 * 72))
        ocr = FakeOcr([])
        job = upload(store, processor_settings, huge, "application/pdf")

        result = make_pipeline(processor_settings, store, ocr, RecordingSink()).process(job)

        assert result.status == ReceiptStatus.DONE and ocr.calls == 0
        assert result.engines.ocr == "pdf-text-layer" and result.cost.pages == 5

    def test_scanned_pdf_pages_are_rendered_within_one_budget_for_the_document(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        """Five 200 x 200-inch pages without text: 8,000 megapixels at 200 dpi, 40 MP per page
        before; now all five pages together hold at most ``max_image_pixels``."""
        ocr = SizesOcr(RECEIPT_LINES)
        huge = pdf([[]] * 5, size=(200 * 72, 200 * 72))
        job = upload(store, processor_settings, huge, "application/pdf")

        result = make_pipeline(processor_settings, store, ocr, RecordingSink()).process(job)

        assert result.status == ReceiptStatus.DONE and len(ocr.sizes) == 5
        assert sum(w * h for w, h in ocr.sizes) <= processor_settings.max_image_pixels
        assert len(set(ocr.sizes)) == 1  # the pages scaled alike

    def test_scanned_pdf_of_ordinary_pages_is_rendered_at_200_dpi(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        ocr = SizesOcr(RECEIPT_LINES)
        job = upload(store, processor_settings, pdf([[]] * 2, size=(216, 720)), "application/pdf")
        make_pipeline(processor_settings, store, ocr, RecordingSink()).process(job)
        assert ocr.sizes == [(600, 2000)] * 2  # 3 x 10 inches

    def test_blank_page_is_unreadable_and_text_without_amounts_is_not_a_receipt(
        self, processor_settings: ProcessorSettings, store: S3Store
    ) -> None:
        blank = make_pipeline(processor_settings, store, FakeOcr([]), RecordingSink())
        r1 = blank.process(upload(store, processor_settings, jpeg_bytes(), "image/jpeg"))
        assert r1.error is not None and r1.error.code == ErrorCode.UNREADABLE
        assert r1.thumbnail  # a failed receipt in the list shows what was sent, to try again

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


class TestClaims:
    """A job the API says not to read (another run has it, or it is finished or superseded)
    stops before the OCR: nothing read, stored or sent."""

    @pytest.mark.parametrize("verdict", [ProgressVerdict.TAKEN, ProgressVerdict.STALE])
    def test_stops_before_the_ocr(
        self, processor_settings: ProcessorSettings, store: S3Store, verdict: ProgressVerdict
    ) -> None:
        """STALE: done (the record is deleted); TAKEN: the record goes back to SQS, read on a
        later delivery once the other run finished or its claim expired."""

        class Refusing(RecordingSink):
            def __init__(self) -> None:
                super().__init__()
                self.notes: list[ProcessingProgress] = []

            def progress(self, progress: ProcessingProgress) -> ProgressVerdict:
                self.notes.append(progress)
                return verdict

        job = upload(store, processor_settings, jpeg_bytes(), "image/jpeg")
        ocr, sink = FakeOcr(RECEIPT_LINES), Refusing()
        pipeline = make_pipeline(processor_settings, store, ocr, sink)
        if verdict == ProgressVerdict.TAKEN:
            with pytest.raises(TransientProcessingError, match="another run"):
                pipeline.process(job)
        else:
            assert pipeline.process(job) is None
        assert ocr.calls == 0 and sink.results == []
        assert [(n.stage, bool(n.claim)) for n in sink.notes] == [("reading", True)]
        assert sink.notes[0].claim_seconds == processor_settings.claim_seconds
        assert not store.exists(
            bucket=processor_settings.processed_bucket, key=f"processed/{job.receipt_id}.json"
        )
        # nor a thumbnail: a receipt deleted meanwhile leaves no copy of its photo behind
        assert not store.exists(
            bucket=processor_settings.processed_bucket, key=thumbnail_key(job.receipt_id)
        )
