"""fetch -> OCR -> extract -> validate -> processed JSON -> callback; idempotent per receipt.

An OCR engine that reads files where they are stored (Textract) gets JPEG/PNG photos without the
processor downloading them for it: only their first bytes are read, to check type and pixel size
(the photo is fetched afterwards only for its thumbnail: ``_keep_thumbnail``). PDFs are
downloaded to count pages and read the text layer, but not rendered for such an engine.
A paid OCR result is kept until the receipt's result is written, so a retry (say, after the
model was throttled) does not pay for the same pages twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable

from pydantic import TypeAdapter, ValidationError

from core.aws.clients import AwsError
from core.aws.s3 import ObjectNotFound, S3Store
from core.contracts import (
    CostUnits,
    Engines,
    ErrorCode,
    ProcessingError,
    ProcessingJob,
    ProcessingProgress,
    ProcessingResult,
    ProgressStage,
    ProgressVerdict,
    ReceiptExtraction,
    ReceiptStatus,
    Timings,
    thumbnail_key,
)
from core.errors import PermanentProcessingError, TransientProcessingError
from core.reading import files
from core.reading.documents import (
    PROBE_BYTES,
    THUMBNAIL_SIDE,
    load_document,
    probe,
    thumbnail_jpeg,
)
from core.reading.extraction.base import Extractor, TokenUsage, run_extractor
from core.reading.ocr.base import (
    Document,
    FileFacts,
    OcrEngine,
    OcrResult,
    ReadsAtMostSide,
    ReadsStoredObjects,
    StoredObject,
)
from core.reading.validation import check_readable, validate
from core.settings import ProcessorSettings

logger = logging.getLogger(__name__)

TEXT_LAYER_ENGINE = "pdf-text-layer"
_OCR_RESULT = TypeAdapter(OcrResult)


class ResultSink(Protocol):
    def send(self, result: ProcessingResult) -> None: ...


@runtime_checkable
class ProgressSink(Protocol):
    def progress(self, progress: ProcessingProgress) -> ProgressVerdict | None: ...


class _Stopped(Exception):
    """The API said not to read this job: finished, gone or superseded."""

    def __init__(self, verdict: ProgressVerdict) -> None:
        super().__init__(verdict.value)
        self.verdict = verdict


# A photo read in place is fetched for its thumbnail when a JPEG (decoded at 1/8 of its scale)
# or at most this large (other images are decoded whole).
THUMBNAIL_FETCH_BYTES = 2 * 1024 * 1024


def processed_key(receipt_id: object) -> str:
    return f"processed/{receipt_id}.json"


def ocr_cache_key(receipt_id: object, engine: str) -> str:
    return f"ocr-cache/{receipt_id}.{engine}.json"


class Pipeline:
    def __init__(
        self,
        *,
        settings: ProcessorSettings,
        store: S3Store,
        ocr: OcrEngine,
        extractor: Extractor,
        callback: ResultSink,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.settings = settings
        self.store = store
        self.ocr = ocr
        self.extractor = extractor
        self.callback = callback
        self.today = today

    def process(self, job: ProcessingJob) -> ProcessingResult | None:
        """Process one job. Transient errors propagate (the SQS record is retried). None: the
        API said before the OCR that the job is not to be read (its receipt is finished, gone
        or superseded): done, nothing sent. A job another run is reading
        raises TransientProcessingError before the OCR (SQS delivers it again later)."""
        key = processed_key(job.receipt_id)
        bucket = self.settings.processed_bucket
        stored = self._stored_result(bucket, key)
        if stored is not None and stored.attempt >= job.attempt:
            # At-least-once delivery: the work is done, only the callback may be missing.
            result = stored
            logger.info("job.repeat receipt_id=%s status=%s", job.receipt_id, result.status)
        else:
            try:
                result = self._run(job, claim=uuid.uuid4().hex)
            except _Stopped as stop:
                logger.info("job.stopped receipt_id=%s verdict=%s", job.receipt_id, stop.verdict)
                return None
            self.store.put(
                bucket=bucket,
                key=key,
                body=result.model_dump_json(indent=2).encode(),
                content_type="application/json",
            )
            self._drop_cached_ocr(job)
        self.callback.send(result)
        return result

    def _run(self, job: ProcessingJob, *, claim: str) -> ProcessingResult:
        started = time.perf_counter()
        engines = Engines()
        pages = 0
        usage = TokenUsage()
        stage_times: dict[str, float] = {}
        read: Document | None = None  # the file, once the API said it is still to be read
        try:
            t0 = time.perf_counter()
            document = self._document(job)
            pages = document.pages
            stage_times["fetch"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            verdict = self._progress(job, "reading", claim=claim)
            if verdict == ProgressVerdict.TAKEN:  # back to SQS: by its next delivery the other
                # run has finished (the repeat is cheap) or died (its claim has expired)
                raise TransientProcessingError("another run is reading this receipt")
            if verdict == ProgressVerdict.STALE:
                raise _Stopped(verdict)
            read = document
            ocr = self._read(job, document)
            pages = ocr.pages
            engines = Engines(ocr=ocr.engine)
            stage_times["ocr"] = time.perf_counter() - t0
            check_readable(ocr)

            t0 = time.perf_counter()
            self._progress(job, "understanding")
            run = run_extractor(self.extractor, ocr, categories=job.categories)
            usage = run.usage
            engines = Engines(
                ocr=ocr.engine, extractor=run.engine, model=run.model, fallback=run.fallback
            )
            extraction = validate(
                _with_default_currency(run.extraction, job.default_currency), today=self.today()
            )
            stage_times["extraction"] = time.perf_counter() - t0
        except PermanentProcessingError as exc:
            logger.info("job.failed receipt_id=%s code=%s", job.receipt_id, exc.code)
            thumbnail = read is not None and self._keep_thumbnail(job, read)
            return ProcessingResult(
                receipt_id=job.receipt_id,
                attempt=job.attempt,
                status=ReceiptStatus.FAILED,
                error=ProcessingError(code=exc.code, message=exc.message, retryable=exc.retryable),
                engines=engines,
                timings=Timings(**stage_times, total=time.perf_counter() - started),
                cost=_cost(pages, usage),
                thumbnail=thumbnail,
            )
        logger.info(
            "job.done receipt_id=%s ocr=%s extractor=%s pages=%d input_tokens=%d "
            "output_tokens=%d seconds=%.3f",
            job.receipt_id,
            engines.ocr,
            engines.extractor,
            pages,
            usage.input_tokens,
            usage.output_tokens,
            time.perf_counter() - started,
        )
        # After the reading, off the path to the user's result; never for a receipt the API
        # said not to read (a deleted one's photo is not copied anew).
        thumbnail = self._keep_thumbnail(job, document)
        return ProcessingResult(
            receipt_id=job.receipt_id,
            attempt=job.attempt,
            status=ReceiptStatus.DONE,
            extraction=extraction,
            engines=engines,
            timings=Timings(**stage_times, total=time.perf_counter() - started),
            cost=_cost(pages, usage),
            thumbnail=thumbnail,
        )

    def _keep_thumbnail(self, job: ProcessingJob, document: Document) -> bool:
        """A small JPEG of the first page beside the result (the Mini App's list draws it, not
        the file). A photo the OCR reads where it lies (Textract) is fetched and decoded small
        for it (a JPEG at 1/8 of its scale); a PDF read where it lies has none. False when there
        is none or it could not be stored: the list then shows the file itself, or an icon."""
        try:
            page = document.images[0] if document.images else self._small_page(job, document)
            if page is None:
                return False
            self.store.put(
                bucket=self.settings.processed_bucket,
                key=thumbnail_key(job.receipt_id),
                body=thumbnail_jpeg(page),
                content_type="image/jpeg",
            )
        except Exception as exc:  # a convenience: the receipt is read all the same
            logger.warning(
                "thumbnail.failed receipt_id=%s error=%s", job.receipt_id, exc, exc_info=True
            )
            return False
        return True

    def _small_page(self, job: ProcessingJob, document: Document) -> object | None:
        """The stored photo decoded at about the thumbnail's size: a JPEG at a reduced scale
        (cheap whatever its size), another image only when small (a PNG is decoded whole);
        None for a PDF or a large PNG/WebP (the list then draws the file itself)."""
        size = document.source.size if document.source is not None else None
        small = size is not None and size <= THUMBNAIL_FETCH_BYTES
        if document.content_type == files.PDF or not (document.content_type == files.JPEG or small):
            return None
        decoded = load_document(
            self._fetch(job),
            max_pixels=self.settings.max_image_pixels,
            max_pages=1,
            max_side=THUMBNAIL_SIDE,
        )
        return decoded.images[0] if decoded.images else None

    def _progress(
        self, job: ProcessingJob, stage: ProgressStage, *, claim: str | None = None
    ) -> ProgressVerdict | None:
        """Tell the API; its verdict, or None when it could not be asked (best effort: the
        run goes on)."""
        if not isinstance(self.callback, ProgressSink):
            return None
        return self.callback.progress(
            ProcessingProgress(
                receipt_id=job.receipt_id,
                attempt=job.attempt,
                stage=stage,
                claim=claim,
                claim_seconds=self.settings.claim_seconds if claim else None,
            )
        )

    def _stored_result(self, bucket: str, key: str) -> ProcessingResult | None:
        try:
            return ProcessingResult.model_validate_json(self.store.get(bucket=bucket, key=key))
        except ObjectNotFound:
            return None

    # ---- the file ---------------------------------------------------------------------------

    def _document(self, job: ProcessingJob) -> Document:
        """The file as the OCR engine needs it: undecoded when it reads the stored object."""
        in_place = self.ocr if isinstance(self.ocr, ReadsStoredObjects) else None
        facts = self._probe(job) if in_place is not None else None
        as_is = in_place is not None and facts is not None and in_place.takes_as_is(facts)
        if facts is not None and as_is and facts.content_type != files.PDF:
            return Document(
                content_type=facts.content_type,
                images=[],
                source=StoredObject(bucket=job.bucket, key=job.key, size=facts.size),
                page_count=1,
                pixel_size=facts.pixel_size,
                request_id=str(job.receipt_id),
            )
        data = self._fetch(job)
        return load_document(
            data,
            max_pixels=self.settings.max_image_pixels,
            max_pages=self.settings.max_pdf_pages,
            min_text_layer_chars=self.settings.min_text_layer_chars,
            render=not as_is,  # a PDF the engine reads in place is not rendered
            source=StoredObject(bucket=job.bucket, key=job.key, size=len(data)),
            request_id=str(job.receipt_id),
            # An engine that shrinks images anyway gets them decoded small (a JPEG at a
            # reduced scale): a 35-megapixel photo then costs about what a scan does.
            max_side=self.ocr.max_side if isinstance(self.ocr, ReadsAtMostSide) else None,
        )

    def _probe(self, job: ProcessingJob) -> FileFacts:
        try:
            info = self.store.head(bucket=job.bucket, key=job.key)
            if info.size > self.settings.max_file_bytes:
                raise PermanentProcessingError(
                    ErrorCode.TOO_LARGE,
                    f"The file is {info.size / 1_048_576:.1f} MB; the limit is "
                    f"{self.settings.max_file_bytes / 1_048_576:.0f} MB.",
                )
            head = self.store.get(bucket=job.bucket, key=job.key, first=PROBE_BYTES)
        except ObjectNotFound as exc:
            raise _file_missing() from exc
        return probe(head, size=info.size, max_pixels=self.settings.max_image_pixels)

    def _fetch(self, job: ProcessingJob) -> bytes:
        try:
            return self.store.get(
                bucket=job.bucket, key=job.key, max_bytes=self.settings.max_file_bytes
            )
        except ObjectNotFound as exc:
            raise _file_missing() from exc
        except ValueError as exc:
            raise PermanentProcessingError(ErrorCode.TOO_LARGE, str(exc)) from exc

    # ---- OCR --------------------------------------------------------------------------------

    def _read(self, job: ProcessingJob, document: Document) -> OcrResult:
        if document.text_lines is not None:
            return OcrResult(
                lines=document.text_lines, engine=TEXT_LAYER_ENGINE, pages=document.pages
            )
        if not _is_metered(self.ocr):
            return self.ocr.read(document)
        cached = self._cached_ocr(job)
        if cached is not None:
            logger.info("ocr.cache_hit receipt_id=%s engine=%s", job.receipt_id, cached.engine)
            return cached
        ocr = self.ocr.read(document)
        self._keep_ocr(job, ocr)
        return ocr

    def _cached_ocr(self, job: ProcessingJob) -> OcrResult | None:
        key = ocr_cache_key(job.receipt_id, self.ocr.name)
        try:
            data = self.store.get(bucket=self.settings.processed_bucket, key=key)
            return _OCR_RESULT.validate_json(data)
        except ObjectNotFound:
            return None
        except (*AwsError, ValidationError) as exc:
            logger.warning("ocr.cache_unreadable receipt_id=%s error=%s", job.receipt_id, exc)
            return None

    def _keep_ocr(self, job: ProcessingJob, ocr: OcrResult) -> None:
        try:
            self.store.put(
                bucket=self.settings.processed_bucket,
                key=ocr_cache_key(job.receipt_id, ocr.engine),
                body=_OCR_RESULT.dump_json(ocr),
                content_type="application/json",
            )
        except AwsError as exc:  # only an optimisation: a retry would read the file again
            logger.warning("ocr.cache_write_failed receipt_id=%s error=%s", job.receipt_id, exc)

    def _drop_cached_ocr(self, job: ProcessingJob) -> None:
        if not _is_metered(self.ocr):
            return
        try:
            self.store.delete(
                bucket=self.settings.processed_bucket,
                key=ocr_cache_key(job.receipt_id, self.ocr.name),
            )
        except AwsError as exc:
            logger.warning("ocr.cache_delete_failed receipt_id=%s error=%s", job.receipt_id, exc)


def _is_metered(engine: OcrEngine) -> bool:
    """Engines billed per page (Textract) say so with ``metered = True``."""
    return getattr(engine, "metered", False) is True


def _file_missing() -> PermanentProcessingError:
    return PermanentProcessingError(
        ErrorCode.FILE_MISSING, "The uploaded file is gone; send the receipt again."
    )


def _cost(pages: int, usage: TokenUsage) -> CostUnits:
    return CostUnits(
        pages=pages, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
    )


DEFAULT_CURRENCY_CONFIDENCE = 0.3


def _with_default_currency(
    extraction: ReceiptExtraction, currency: str | None
) -> ReceiptExtraction:
    """The user's default currency for a receipt that prints none (with a low confidence, so
    the user is asked to check it)."""
    if extraction.currency is not None or currency is None:
        return extraction
    confidence = {**extraction.confidence, "currency": DEFAULT_CURRENCY_CONFIDENCE}
    return extraction.model_copy(update={"currency": currency, "confidence": confidence})
