"""Amazon Textract as the OCR engine.

Two modes (settings ``textract_mode``):
- ``analyze``: AnalyzeExpense. Raw lines plus Textract's own receipt fields (vendor, date, total,
  subtotal, tax, line items) with confidences.
- ``economy``: DetectDocumentText, about a sixth of the price. Raw lines only; the extractor
  (Bedrock, or rules) does the structuring.

What is sent (limits from the Textract Developer Guide; see docs/aws-engines.md for the pages):
- JPEG/PNG within the synchronous S3-object limits (10 MB, 10,000 px a side): the S3 object,
  not its bytes.
- one-page PDFs: the S3 object to the synchronous API; multi-page PDFs: an asynchronous job
  (StartExpenseAnalysis / StartDocumentTextDetection) with ``ClientRequestToken`` = receipt id, so
  a redelivered SQS record resumes the same job instead of paying for a second one; the result is
  polled with exponential backoff up to a deadline.
- anything else (HEIC, WebP, over the limits, no S3 location): the decoded image re-encoded as a
  JPEG under ``SEND_MAX_BYTES`` (4 MiB: the ``Bytes`` field takes 5 MB at most, and only JPEG or
  PNG), sent as bytes. Quality goes down first (90, then 75), then the pixel count, aimed at the
  limit from the size of the last attempt, so a 24-megapixel photo takes two or three encodes.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from core.aws.errors import (
    ACCESS_CODES,
    SERVER_CODES,
    THROTTLING_CODES,
    error_code,
    error_message,
    misconfigured,
    translate_botocore,
)
from core.contracts import ErrorCode
from core.errors import OcrUnavailable, PermanentProcessingError
from core.reading import files
from core.reading.ocr.base import (
    Document,
    FileFacts,
    OcrField,
    OcrLine,
    OcrLineItem,
    OcrResult,
    ReceiptFields,
    StoredObject,
)

logger = logging.getLogger(__name__)

SERVICE = "textract"
SYNC_MAX_BYTES = 10 * 1024 * 1024  # a synchronous call's document given as an S3 object
BYTES_MAX = 5 * 1024 * 1024  # a document given in the request's Bytes field (JPEG or PNG only)
SEND_MAX_BYTES = 4 * 1024 * 1024  # what we put in Bytes: a fifth under the limit
ASYNC_PDF_MAX_BYTES = 500 * 1024 * 1024
MAX_SIDE = 10_000
AS_IS_IMAGES = (files.JPEG, files.PNG)
# Boxes come normalised (0..1); pages of unknown pixel size are laid out on this grid.
NOMINAL_PAGE = (1000, 1000)
JPEG_QUALITY = 90
JPEG_MIN_QUALITY = 75  # below this, JPEG artefacts cost more legibility than fewer pixels

Mode = Literal["analyze", "economy"]
ENGINE_NAMES: dict[str, str] = {"analyze": "textract-expense", "economy": "textract-text"}

_PERMANENT: dict[str, tuple[ErrorCode, str]] = {
    "UnsupportedDocumentException": (
        ErrorCode.UNSUPPORTED_TYPE,
        "This file's format cannot be read. Send a JPEG or PNG photo, or a PDF.",
    ),
    "BadDocumentException": (
        ErrorCode.UNREADABLE,
        "The file could not be read; it may be damaged or password-protected. "
        "Send a photo of the receipt instead.",
    ),
    "DocumentTooLargeException": (
        ErrorCode.TOO_LARGE,
        "The file is too large to read. Send a smaller photo or a PDF of fewer pages.",
    ),
    "InvalidParameterException": (
        ErrorCode.UNREADABLE,
        "The file could not be read. Photograph the whole receipt flat, in good light, "
        "and send it again.",
    ),
    "IdempotentParameterMismatchException": (
        ErrorCode.INTERNAL,
        "This receipt's file changed while it was being read. Send it again.",
    ),
    "InvalidJobIdException": (
        ErrorCode.INTERNAL,
        "Reading this receipt took too long. Send it again.",
    ),
}
_HINTS = {
    "InvalidS3ObjectException": (
        "Textract cannot read the raw bucket's object: run Textract in the bucket's region "
        "(AWS_REGION) and let the processor role read the object (s3:GetObject, kms:Decrypt)"
    ),
    "InvalidKMSKeyException": "the processor role cannot use the bucket's KMS key",
}


class TextractOcr:
    """``OcrEngine`` backed by Amazon Textract (a boto3 ``textract`` client from ``AwsClients``)."""

    metered = True  # billed per page: the processor keeps its result across retries

    def __init__(
        self,
        *,
        client: Any,
        mode: Mode = "analyze",
        region: str | None = None,
        poll_initial_seconds: float = 1.0,
        poll_max_seconds: float = 8.0,
        job_timeout_seconds: float = 90.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.mode: Mode = mode
        self.name = ENGINE_NAMES[mode]
        self._region = region
        self._poll_initial = poll_initial_seconds
        self._poll_max = poll_max_seconds
        self._job_timeout = job_timeout_seconds
        self._sleep = sleep
        self._clock = clock

    # ---- the port -------------------------------------------------------------------------

    def takes_as_is(self, facts: FileFacts) -> bool:
        """PDFs are read in place (sync for one page, a job for more); JPEG/PNG when within
        Textract's limits; HEIC, WebP and oversized images must be converted first."""
        if facts.content_type == files.PDF:
            return facts.size <= ASYNC_PDF_MAX_BYTES
        if facts.content_type not in AS_IS_IMAGES or facts.size > SYNC_MAX_BYTES:
            return False
        return facts.pixel_size is not None and max(facts.pixel_size) <= MAX_SIDE

    def read(self, document: Document) -> OcrResult:
        operation = "AnalyzeExpense" if self.mode == "analyze" else "DetectDocumentText"
        try:
            responses = self._responses(document)
        except ClientError as exc:
            raise self._translate(exc) from exc
        except BotoCoreError as exc:
            raise translate_botocore(
                exc, service=SERVICE, operation=operation, region=self._region
            ) from exc
        result = _parse(responses, engine=self.name)
        logger.info(
            "textract.read mode=%s pages=%d lines=%d fields=%d items=%d",
            self.mode,
            result.pages,
            len(result.lines),
            len(result.fields.summary) if result.fields else 0,
            len(result.fields.line_items) if result.fields else 0,
        )
        return result

    # ---- what to send ---------------------------------------------------------------------

    def _responses(self, document: Document) -> list[_Page]:
        """The Textract responses for ``document``, each with the pixel size of its pages."""
        source = document.source
        if document.content_type == files.PDF:
            return self._read_pdf(document, source)
        facts = FileFacts(document.content_type, source.size if source else 0, document.pixel_size)
        if source is not None and self.takes_as_is(facts):
            return [_Page(self._sync(_s3(source)), document.pixel_size)]
        data = document.data
        if (
            data is not None
            and len(data) <= SEND_MAX_BYTES
            and self.takes_as_is(FileFacts(document.content_type, len(data), document.pixel_size))
        ):
            return [_Page(self._sync({"Bytes": data}), document.pixel_size)]
        if not document.images:
            raise PermanentProcessingError(ErrorCode.UNREADABLE, "The image could not be decoded.")
        jpeg, size = to_jpeg(document.images[0])
        logger.info(
            "textract.converted from=%s bytes=%d width=%d height=%d",
            document.content_type,
            len(jpeg),
            *size,
        )
        return [_Page(self._sync({"Bytes": jpeg}), size)]

    def _read_pdf(self, document: Document, source: StoredObject | None) -> list[_Page]:
        if source is not None:
            if document.pages > 1 or source.size > SYNC_MAX_BYTES:
                return [_Page(self._run_job(source, token=document.request_id), None)]
            return [_Page(self._sync(_s3(source)), None)]
        data = document.data
        # Bytes are documented as JPEG or PNG only: rendered pages are preferred to PDF bytes.
        if (
            data is not None
            and not document.images
            and document.pages == 1
            and len(data) <= SEND_MAX_BYTES
        ):
            return [_Page(self._sync({"Bytes": data}), None)]
        # No S3 location (a local run): the rendered pages one by one.
        pages = []
        for number, image in enumerate(document.images, start=1):
            jpeg, size = to_jpeg(image)
            pages.append(_Page(self._sync({"Bytes": jpeg}), size, page_offset=number - 1))
        return pages

    # ---- calls ----------------------------------------------------------------------------

    def _sync(self, document: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "analyze":
            response: dict[str, Any] = self._client.analyze_expense(Document=document)
        else:
            response = self._client.detect_document_text(Document=document)
        return response

    def _run_job(self, source: StoredObject, *, token: str | None) -> dict[str, Any]:
        start = (
            self._client.start_expense_analysis
            if self.mode == "analyze"
            else self._client.start_document_text_detection
        )
        get = (
            self._client.get_expense_analysis
            if self.mode == "analyze"
            else self._client.get_document_text_detection
        )
        kwargs: dict[str, Any] = {"DocumentLocation": _s3(source)}
        if token:
            kwargs["ClientRequestToken"] = token
        job_id: str = start(**kwargs)["JobId"]
        logger.info("textract.job_started mode=%s job_id=%s", self.mode, job_id)
        first = self._wait(get, job_id)
        more = self._next_pages(get, job_id, first.get("NextToken"))
        return _merge_job_pages(first, more)

    def _wait(self, get: Callable[..., dict[str, Any]], job_id: str) -> dict[str, Any]:
        deadline = self._clock() + self._job_timeout
        delay = self._poll_initial
        while True:
            response = get(JobId=job_id)
            status = response.get("JobStatus")
            if status in ("SUCCEEDED", "PARTIAL_SUCCESS"):
                if status == "PARTIAL_SUCCESS":
                    logger.warning("textract.job_partial job_id=%s", job_id)
                return response
            if status == "FAILED":
                logger.warning(
                    "textract.job_failed job_id=%s status_message=%s",
                    job_id,
                    response.get("StatusMessage"),
                )
                raise PermanentProcessingError(
                    ErrorCode.UNREADABLE,
                    "The document could not be read. Send a clear photo of the receipt instead.",
                )
            if self._clock() + delay > deadline:
                logger.warning("textract.job_slow job_id=%s", job_id)
                raise OcrUnavailable(f"Textract job {job_id} still running; the retry resumes it")
            self._sleep(delay)
            delay = min(delay * 2, self._poll_max)

    def _next_pages(
        self, get: Callable[..., dict[str, Any]], job_id: str, token: str | None
    ) -> list[dict[str, Any]]:
        pages = []
        while token:
            page = get(JobId=job_id, NextToken=token)
            pages.append(page)
            token = page.get("NextToken")
        return pages

    # ---- errors ---------------------------------------------------------------------------

    def _translate(self, exc: ClientError) -> Exception:
        code = error_code(exc)
        operation = exc.operation_name
        if code in THROTTLING_CODES or code in SERVER_CODES:
            logger.warning("textract.transient operation=%s code=%s", operation, code)
            return OcrUnavailable(f"Textract {operation}: {code}")
        if code in ACCESS_CODES or code in _HINTS:
            hint = _HINTS.get(code, f"the processor role needs textract:{operation}")
            return misconfigured(
                service=SERVICE, operation=operation, code=code, region=self._region, hint=hint
            )
        if code in _PERMANENT:
            logger.info("textract.refused operation=%s code=%s", operation, code)
            reason, message = _PERMANENT[code]
            return PermanentProcessingError(reason, message)
        logger.warning(
            "textract.unexpected operation=%s code=%s message=%s",
            operation,
            code,
            error_message(exc),
        )
        return OcrUnavailable(f"Textract {operation}: {code}")


# ---- conversion --------------------------------------------------------------------------


def to_jpeg(
    image: Any, *, max_side: int = MAX_SIDE, max_bytes: int = SEND_MAX_BYTES
) -> tuple[bytes, tuple[int, int]]:
    """``image`` (PIL) as a JPEG that Textract takes as bytes: sides <= ``max_side``, at most
    ``max_bytes``. Lowers the quality once, then the pixel count (JPEG size grows roughly with
    it, so each step aims at ``max_bytes`` from the last size rather than by a fixed factor)."""
    from PIL import Image

    img = image if image.mode in ("RGB", "L") else image.convert("RGB")
    scale = min(1.0, max_side / max(img.size))
    quality = JPEG_QUALITY
    for _ in range(10):
        size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
        candidate = img if size == img.size else img.resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        candidate.save(buf, format="JPEG", quality=quality, optimize=True)
        if buf.tell() <= max_bytes:
            return buf.getvalue(), size
        if quality > JPEG_MIN_QUALITY:
            quality = JPEG_MIN_QUALITY
            continue
        scale *= min(0.9, max(0.25, 0.95 * math.sqrt(max_bytes / buf.tell())))
    raise PermanentProcessingError(
        ErrorCode.TOO_LARGE, "The image is too large to read. Send a smaller photo."
    )


def _s3(source: StoredObject) -> dict[str, Any]:
    return {"S3Object": {"Bucket": source.bucket, "Name": source.key}}


# ---- responses -> OcrResult ---------------------------------------------------------------


class _Page:
    """One Textract response, the pixel size of its pages when known, and its first page."""

    __slots__ = ("page_offset", "pixel_size", "response")

    def __init__(
        self, response: dict[str, Any], pixel_size: tuple[int, int] | None, page_offset: int = 0
    ) -> None:
        self.response = response
        self.pixel_size = pixel_size
        self.page_offset = page_offset


def _merge_job_pages(first: dict[str, Any], more: list[dict[str, Any]]) -> dict[str, Any]:
    """The paginated results of one asynchronous job as one response."""
    merged = dict(first)
    for key in ("ExpenseDocuments", "Blocks"):
        if key in first:
            merged[key] = [*first[key], *(x for page in more for x in page.get(key, []))]
    return merged


def _parse(pages: list[_Page], *, engine: str) -> OcrResult:
    lines: list[OcrLine] = []
    summary: list[OcrField] = []
    items: list[OcrLineItem] = []
    page_count = 0
    page_sizes: list[tuple[int, int]] = []
    structured = False
    for page in pages:
        r = page.response
        size = page.pixel_size or NOMINAL_PAGE
        count = int(r.get("DocumentMetadata", {}).get("Pages", 1))
        page_count += count
        page_sizes.extend([size] * count)
        docs = r.get("ExpenseDocuments")
        if docs is not None:
            structured = True
            for doc in docs:
                summary.extend(
                    _field(f, page.page_offset, size) for f in doc.get("SummaryFields", [])
                )
                items.extend(_line_items(doc, page.page_offset, size))
        page_lines = _lines(_blocks(r), page.page_offset, size)
        if not page_lines and docs:
            page_lines = _lines_from_fields(docs, page.page_offset, size)
        lines.extend(page_lines)
    # Fields repeat one another (ADDRESS, VENDOR_ADDRESS, ADDRESS_BLOCK): one line each.
    lines = list({(ln.page, ln.text, ln.box): ln for ln in lines}.values())
    lines.sort(key=lambda ln: (ln.page, ln.box[1], ln.box[0]))
    return OcrResult(
        lines=lines,
        engine=engine,
        pages=page_count,
        page_sizes=page_sizes,
        fields=ReceiptFields(summary=summary, line_items=items) if structured else None,
    )


def _blocks(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Blocks may sit at the top level, inside each ExpenseDocument, or nowhere."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    nested = (b for doc in response.get("ExpenseDocuments", []) for b in doc.get("Blocks", []))
    for block in (*response.get("Blocks", []), *nested):
        block_id = block.get("Id")
        if block_id is not None and block_id in seen:
            continue
        if block_id is not None:
            seen.add(block_id)
        out.append(block)
    return out


def _box(
    geometry: dict[str, Any] | None, size: tuple[int, int]
) -> tuple[float, float, float, float]:
    bb = (geometry or {}).get("BoundingBox")
    if not bb:
        return (0.0, 0.0, 0.0, 0.0)
    w, h = size
    left, top = float(bb.get("Left", 0.0)), float(bb.get("Top", 0.0))
    right, bottom = left + float(bb.get("Width", 0.0)), top + float(bb.get("Height", 0.0))
    return (left * w, top * h, right * w, bottom * h)


def _lines(blocks: list[dict[str, Any]], offset: int, size: tuple[int, int]) -> list[OcrLine]:
    return [
        OcrLine(
            text=str(b["Text"]),
            box=_box(b.get("Geometry"), size),
            confidence=_confidence(b.get("Confidence")),
            page=offset + int(b.get("Page", 1)) - 1,
        )
        for b in blocks
        if b.get("BlockType") == "LINE" and str(b.get("Text", "")).strip()
    ]


def _confidence(value: Any) -> float:
    try:
        return min(max(float(value) / 100.0, 0.0), 1.0)
    except (TypeError, ValueError):
        return 0.0


def _field(raw: dict[str, Any], offset: int, size: tuple[int, int]) -> OcrField:
    value = raw.get("ValueDetection") or {}
    label = raw.get("LabelDetection") or {}
    groups = raw.get("GroupProperties") or []
    group_types = groups[0].get("Types") if groups else None
    currency = (raw.get("Currency") or {}).get("Code")
    return OcrField(
        type=str((raw.get("Type") or {}).get("Text", "OTHER")),
        value=str(value.get("Text", "")),
        confidence=_confidence(value.get("Confidence")),
        label=str(label["Text"]) if label.get("Text") else None,
        page=offset + int(raw.get("PageNumber", 1)) - 1,
        currency=str(currency).upper() if currency else None,
        group=str(group_types[0]) if group_types else None,
    )


def _line_items(doc: dict[str, Any], offset: int, size: tuple[int, int]) -> list[OcrLineItem]:
    return [
        OcrLineItem(fields=[_field(f, offset, size) for f in item.get("LineItemExpenseFields", [])])
        for group in doc.get("LineItemGroups", [])
        for item in group.get("LineItems", [])
    ]


def _lines_from_fields(
    docs: list[dict[str, Any]], offset: int, size: tuple[int, int]
) -> list[OcrLine]:
    """Raw lines when a response carries no blocks: labels, values and item rows."""
    lines: list[OcrLine] = []
    for doc in docs:
        for raw in doc.get("SummaryFields", []):
            value = raw.get("ValueDetection") or {}
            label = (raw.get("LabelDetection") or {}).get("Text")
            text = " ".join(t for t in (label, value.get("Text")) if t).replace("\n", " ")
            if text.strip():
                lines.append(_field_line(text, value, raw, offset, size))
        for item in _raw_items(doc):
            row = next(
                (f for f in item if (f.get("Type") or {}).get("Text") == "EXPENSE_ROW"), None
            )
            if row is not None:
                value = row.get("ValueDetection") or {}
                text = str(value.get("Text", "")).replace("\n", " ")
                if text.strip():
                    lines.append(_field_line(text, value, row, offset, size))
    return lines


def _raw_items(doc: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [
        item.get("LineItemExpenseFields", [])
        for group in doc.get("LineItemGroups", [])
        for item in group.get("LineItems", [])
    ]


def _field_line(
    text: str, value: dict[str, Any], raw: dict[str, Any], offset: int, size: tuple[int, int]
) -> OcrLine:
    return OcrLine(
        text=text,
        box=_box(value.get("Geometry"), size),
        confidence=_confidence(value.get("Confidence")),
        page=offset + int(raw.get("PageNumber", 1)) - 1,
    )
