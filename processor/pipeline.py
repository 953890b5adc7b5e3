"""fetch -> OCR -> extract -> validate -> processed JSON -> callback; idempotent per receipt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol

from core.aws import ObjectNotFound, S3Store
from core.contracts import (
    CostUnits,
    Engines,
    ErrorCode,
    ProcessingError,
    ProcessingJob,
    ProcessingResult,
    ReceiptStatus,
    Timings,
)
from core.documents import load_document
from core.errors import PermanentProcessingError
from core.extraction.base import Extractor
from core.ocr.base import OcrEngine, OcrResult
from core.settings import ProcessorSettings
from core.validation import check_readable, validate

logger = logging.getLogger(__name__)

TEXT_LAYER_ENGINE = "pdf-text-layer"


class ResultSink(Protocol):
    def send(self, result: ProcessingResult) -> None: ...


def processed_key(receipt_id: object) -> str:
    return f"processed/{receipt_id}.json"


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

    def process(self, job: ProcessingJob) -> ProcessingResult:
        """Process one job. Transient errors propagate (the SQS record is retried)."""
        key = processed_key(job.receipt_id)
        bucket = self.settings.processed_bucket
        if self.store.exists(bucket=bucket, key=key):
            # At-least-once delivery: the work is done, only the callback may be missing.
            result = ProcessingResult.model_validate_json(self.store.get(bucket=bucket, key=key))
            logger.info("job.repeat receipt_id=%s status=%s", job.receipt_id, result.status)
        else:
            result = self._run(job)
            self.store.put(
                bucket=bucket,
                key=key,
                body=result.model_dump_json(indent=2).encode(),
                content_type="application/json",
            )
        self.callback.send(result)
        return result

    def _run(self, job: ProcessingJob) -> ProcessingResult:
        started = time.perf_counter()
        engines = Engines()
        pages = 0
        stage_times: dict[str, float] = {}
        try:
            t0 = time.perf_counter()
            data = self._fetch(job)
            document = load_document(
                data,
                max_pixels=self.settings.max_image_pixels,
                max_pages=self.settings.max_pdf_pages,
                min_text_layer_chars=self.settings.min_text_layer_chars,
            )
            pages = len(document.images)
            stage_times["fetch"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            if document.text_lines is not None:
                ocr = OcrResult(lines=document.text_lines, engine=TEXT_LAYER_ENGINE, pages=pages)
            else:
                ocr = self.ocr.read(document)
            engines = Engines(ocr=ocr.engine)
            stage_times["ocr"] = time.perf_counter() - t0
            check_readable(ocr)

            t0 = time.perf_counter()
            extraction = self.extractor.extract(ocr)
            engines = Engines(ocr=ocr.engine, extractor=self.extractor.name)
            extraction = validate(extraction, today=self.today())
            stage_times["extraction"] = time.perf_counter() - t0
        except PermanentProcessingError as exc:
            logger.info("job.failed receipt_id=%s code=%s", job.receipt_id, exc.code)
            return ProcessingResult(
                receipt_id=job.receipt_id,
                status=ReceiptStatus.FAILED,
                error=ProcessingError(code=exc.code, message=exc.message, retryable=False),
                engines=engines,
                timings=Timings(**stage_times, total=time.perf_counter() - started),
                cost=CostUnits(pages=pages),
            )
        logger.info(
            "job.done receipt_id=%s ocr=%s extractor=%s seconds=%.3f",
            job.receipt_id,
            engines.ocr,
            engines.extractor,
            time.perf_counter() - started,
        )
        return ProcessingResult(
            receipt_id=job.receipt_id,
            status=ReceiptStatus.DONE,
            extraction=extraction,
            engines=engines,
            timings=Timings(**stage_times, total=time.perf_counter() - started),
            cost=CostUnits(pages=pages),
        )

    def _fetch(self, job: ProcessingJob) -> bytes:
        try:
            return self.store.get(
                bucket=job.bucket, key=job.key, max_bytes=self.settings.max_file_bytes
            )
        except ObjectNotFound as exc:
            raise PermanentProcessingError(
                ErrorCode.FILE_MISSING, "The uploaded file is gone; send the receipt again."
            ) from exc
        except ValueError as exc:
            raise PermanentProcessingError(ErrorCode.TOO_LARGE, str(exc)) from exc
