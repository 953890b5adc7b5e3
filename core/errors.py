"""Domain errors. Permanent ones end a receipt as failed; transient ones are retried."""

from __future__ import annotations

from core.contracts import ErrorCode


class ReceiptSnapError(Exception):
    """Base of our errors; ``status_code`` is what the API answers."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(ReceiptSnapError):
    status_code = 404
    code = "not_found"


class Conflict(ReceiptSnapError):
    status_code = 409
    code = "conflict"


class RateLimited(ReceiptSnapError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvalidUpload(ReceiptSnapError):
    status_code = 422
    code = "invalid_upload"


class PermanentProcessingError(Exception):
    """The file can never be processed: the receipt ends ``failed`` with this reason."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TransientProcessingError(Exception):
    """Worth another try: the SQS record fails and is redelivered (then the DLQ)."""


class OcrUnavailable(TransientProcessingError):
    pass
