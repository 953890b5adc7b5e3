"""The OCR port: images or documents in, text lines with positions (and, from engines that
structure receipts, their key fields) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line (or text box) of OCR output.

    ``box`` is (left, top, right, bottom) in pixels of its page; ``page`` counts from 0.
    """

    text: str
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    confidence: float = 1.0
    page: int = 0


@dataclass(frozen=True, slots=True)
class OcrField:
    """One key field read by an engine that structures receipts (Textract AnalyzeExpense).

    ``type`` uses Textract's normalised vocabulary (``VENDOR_NAME``, ``INVOICE_RECEIPT_DATE``,
    ``TOTAL``, ``SUBTOTAL``, ``TAX``, ``ITEM``, ``PRICE``, ``QUANTITY``, ...); ``value`` is the
    text as printed; ``confidence`` is within 0..1; ``group`` is e.g. ``VENDOR`` or ``RECEIVER``.
    """

    type: str
    value: str
    confidence: float = 1.0
    label: str | None = None
    page: int = 0
    currency: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class OcrLineItem:
    """One purchased item as the engine grouped it (``ITEM``, ``PRICE``, ``QUANTITY``, ...)."""

    fields: list[OcrField]

    def get(self, *types: str) -> OcrField | None:
        """The first field of the first of ``types`` present with a non-empty value."""
        for kind in types:
            for f in self.fields:
                if f.type == kind and f.value.strip():
                    return f
        return None


@dataclass(frozen=True, slots=True)
class ReceiptFields:
    """What an engine that structures receipts found besides the raw lines."""

    summary: list[OcrField] = field(default_factory=list)
    line_items: list[OcrLineItem] = field(default_factory=list)

    def of_type(self, *types: str) -> list[OcrField]:
        return [f for f in self.summary if f.type in types and f.value.strip()]


@dataclass(frozen=True, slots=True)
class OcrResult:
    lines: list[OcrLine]
    engine: str
    pages: int = 1
    page_sizes: list[tuple[int, int]] = field(default_factory=list)
    fields: ReceiptFields | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """Where a receipt file is kept (S3), for engines that read it there."""

    bucket: str
    key: str
    size: int


@dataclass(frozen=True, slots=True)
class Document:
    """A receipt file ready for OCR.

    ``images`` holds the decoded pages (PIL images) and ``text_lines`` the PDF text layer when it
    has one. An engine that reads the stored object itself may get a document that was not
    decoded (``images`` empty): it then has ``source``, ``page_count`` and, for images, the pixel
    size. ``data`` keeps the original bytes when they were downloaded; ``request_id`` (the
    receipt id) makes asynchronous engine jobs idempotent across retries.
    """

    content_type: str
    images: list[object]  # PIL.Image.Image; kept untyped so the port does not import Pillow
    text_lines: list[OcrLine] | None = None
    data: bytes | None = None
    source: StoredObject | None = None
    page_count: int | None = None
    pixel_size: tuple[int, int] | None = None
    request_id: str | None = None

    @property
    def pages(self) -> int:
        return self.page_count if self.page_count is not None else len(self.images)


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What is known about a stored file before it is decoded."""

    content_type: str
    size: int
    pixel_size: tuple[int, int] | None = None  # images only, when the header could be read


class OcrEngine(Protocol):
    name: str

    def read(self, document: Document) -> OcrResult: ...


@runtime_checkable
class ReadsAtMostSide(Protocol):
    """An engine that shrinks images to ``max_side`` pixels on the longest side before reading
    them: a larger image may be decoded at that size to begin with (cheaper, same text)."""

    @property
    def max_side(self) -> int: ...


@runtime_checkable
class ReadsStoredObjects(Protocol):
    """An engine that can read a file where it is stored, so the processor need not decode it."""

    def takes_as_is(self, facts: FileFacts) -> bool:
        """True when the stored file can be handed over as it is (no download, no conversion)."""
        ...
