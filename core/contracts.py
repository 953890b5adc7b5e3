"""Versioned contracts shared by the API, the bot and the processor.

Money is always ``Decimal`` (serialised as a string), dates are ISO 8601 and currencies ISO 4217.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

CONTRACT_VERSION: Literal[1] = 1


EARLIEST_PURCHASE = date(2000, 1, 1)

# The bound (exclusive, either sign) of one amount read off a receipt: a larger figure is an id
# or a barcode. The rules skip such figures (``rules/amounts.py``) and a model's answer holding
# one is refused (``reading/extraction/bedrock.py``). ``Money`` itself holds 12 integer digits,
# as the database's ``Numeric(14, 2)`` columns do, so sums of such amounts still fit.
MAX_AMOUNT = Decimal("1e10")


def plausible_purchase_date(value: date, *, today: date) -> bool:
    """A receipt's date is plausible from 2000 to tomorrow (the user may be a time zone ahead)."""
    return EARLIEST_PURCHASE <= value <= today + timedelta(days=1)


def _to_decimal(places: str) -> Callable[[Any], Any]:
    """Accept str, int, Decimal or float (via its shortest repr); round half up to ``places``."""
    step = Decimal(places)

    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            return value  # let pydantic reject it
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, int | str):
            try:
                value = Decimal(str(value).strip())
            except InvalidOperation:
                return value  # let pydantic report it
        if isinstance(value, Decimal) and value.is_finite():
            try:
                return value.quantize(step, rounding=ROUND_HALF_UP)
            except InvalidOperation:  # more digits than the decimal context holds
                return value  # let pydantic report it (max_digits)
        return value

    return convert


# Decimal serialised as a plain string ("12.30"), never as a float. At most 14 digits, 2 of them
# decimals: what the database's Numeric(14, 2) stores (Quantity: Numeric(14, 3)).
Money = Annotated[
    Decimal,
    BeforeValidator(_to_decimal("0.01")),
    Field(max_digits=14, decimal_places=2),
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_to_decimal("0.001")),
    Field(max_digits=14, decimal_places=3),
    PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
]


class ReceiptStatus(enum.StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    @property
    def is_final(self) -> bool:
        return self in (ReceiptStatus.DONE, ReceiptStatus.FAILED)


_STATUS_RANK = {
    ReceiptStatus.AWAITING_UPLOAD: 0,
    ReceiptStatus.QUEUED: 1,
    ReceiptStatus.PROCESSING: 2,
    ReceiptStatus.DONE: 3,
    ReceiptStatus.FAILED: 3,
}


class _Contract(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProcessingJob(_Contract):
    """The SQS message body: one receipt file to process."""

    version: Literal[1] = CONTRACT_VERSION
    receipt_id: uuid.UUID
    bucket: str
    key: str
    content_type: str
    size: int = Field(ge=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    requested_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    trace_id: str | None = None
    # 1, then one more each time the user asks to read the receipt again: a stored result of an
    # earlier attempt is not reused, and a late result of an earlier attempt is not applied.
    attempt: int = Field(default=1, ge=1)
    # The user's currency, for a receipt that prints none.
    default_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    # The user's spending categories, for the extractor to choose from (None: the default list).
    categories: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=50
    )


class Merchant(_Contract):
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)


class LineItem(_Contract):
    description: str = Field(max_length=300)
    quantity: Quantity | None = None
    unit_price: Money | None = None
    amount: Money | None = None


ConfidenceField = Literal[
    "merchant", "date", "total", "currency", "subtotal", "tax", "tip", "line_items", "category"
]


class ReceiptExtraction(_Contract):
    """What we read off one receipt."""

    merchant: Merchant = Field(default_factory=Merchant)
    purchase_date: date | None = None
    purchase_time: time | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    subtotal: Money | None = None
    tax: Money | None = None
    tip: Money | None = None
    total: Money | None = None
    line_items: list[LineItem] = Field(default_factory=list, max_length=500)
    category: str | None = Field(default=None, max_length=50)
    payment_method: str | None = Field(default=None, max_length=50)
    confidence: dict[ConfidenceField, float] = Field(default_factory=dict)
    summary: str | None = Field(default=None, max_length=300)
    warnings: list[str] = Field(default_factory=list)

    @field_validator("confidence")
    @classmethod
    def _confidence_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        for key, value in v.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"confidence of {key} must be within 0..1")
        return v


class ErrorCode(enum.StrEnum):
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_LARGE = "too_large"
    TOO_MANY_PAGES = "too_many_pages"
    UNREADABLE = "unreadable"
    NOT_A_RECEIPT = "not_a_receipt"
    FILE_MISSING = "file_missing"
    UPLOAD_INCOMPLETE = "upload_incomplete"
    TIMEOUT = "timeout"
    # The processor cannot reach an engine it is configured for (access denied, model not
    # enabled, wrong region): an operator must act; the file is kept and can be sent again.
    CONFIGURATION = "configuration"
    INTERNAL = "internal"


class ProcessingError(_Contract):
    code: ErrorCode
    message: str = Field(max_length=500)
    retryable: bool = False


# What the database's columns of a processing attempt hold: finite seconds (a JSON column:
# NaN is no JSON), counts in an INTEGER, engine names in 50 characters.
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
EngineName = Annotated[str, Field(max_length=50)]


class Timings(_Contract):
    """Seconds spent in each stage of the processor."""

    fetch: Seconds = 0.0
    ocr: Seconds = 0.0
    extraction: Seconds = 0.0
    total: Seconds = 0.0


class CostUnits(_Contract):
    pages: Count = 0
    input_tokens: Count = 0
    output_tokens: Count = 0


class Engines(_Contract):
    ocr: EngineName | None = None
    extractor: EngineName | None = None
    # The model called (its tokens are in ``cost``), even when its answer was not used.
    model: str | None = None
    # Why the model's answer was replaced by the rules extractor's, when it was.
    fallback: str | None = Field(default=None, max_length=300)


def thumbnail_key(receipt_id: object) -> str:
    """Where the processor stores a receipt's thumbnail, in the processed bucket."""
    return f"thumbnails/{receipt_id}.jpg"


class ProcessingResult(_Contract):
    """The processor's answer: the callback body and the processed JSON in S3."""

    version: Literal[1] = CONTRACT_VERSION
    receipt_id: uuid.UUID
    attempt: int = Field(default=1, ge=1)
    status: Literal[ReceiptStatus.DONE, ReceiptStatus.FAILED]
    extraction: ReceiptExtraction | None = None
    error: ProcessingError | None = None
    engines: Engines = Field(default_factory=Engines)
    timings: Timings = Field(default_factory=Timings)
    cost: CostUnits = Field(default_factory=CostUnits)
    processed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # A small JPEG of the first page is stored at ``thumbnail_key(receipt_id)`` in the processed
    # bucket (not for a PDF an engine reads where it lies, which is never rendered).
    thumbnail: bool = False

    @field_validator("processed_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        """In UTC, as it is stored (a time without a zone is taken as UTC); one that UTC cannot
        hold (9999-12-31 in a zone behind it) is refused."""
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("processed_at is out of range in UTC") from exc

    @model_validator(mode="after")
    def _payload_matches_status(self) -> ProcessingResult:
        if self.status == ReceiptStatus.DONE and self.extraction is None:
            raise ValueError("a done result carries an extraction")
        if self.status == ReceiptStatus.FAILED and self.error is None:
            raise ValueError("a failed result carries an error")
        return self


ProgressStage = Literal["reading", "understanding"]


class ProcessingProgress(_Contract):
    """A best-effort note from the processor that it reached a stage (the bot shows it)."""

    version: Literal[1] = CONTRACT_VERSION
    receipt_id: uuid.UUID
    attempt: int = Field(default=1, ge=1)
    stage: ProgressStage
    # One processing run's id: at "reading" the run claims the receipt's attempt, so a second
    # delivery of the same job (SQS is at least once) is not read, and paid for, twice.
    claim: str | None = Field(default=None, max_length=64)
    # How long the claim holds: less than the queue's visibility timeout (a redelivery after
    # it means the claimer died or finished) and more than one record's processing.
    claim_seconds: int | None = Field(default=None, ge=1, le=3600)


class ProgressVerdict(enum.StrEnum):
    """The API's answer to a progress note: go on, or stop before the expensive work."""

    OK = "ok"
    STALE = "stale"  # the receipt is gone, finished, or a newer attempt was queued
    TAKEN = "taken"  # another run claimed this attempt and its claim still holds
