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


class Unauthorized(ReceiptSnapError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ReceiptSnapError):
    status_code = 403
    code = "forbidden"


class RateLimited(ReceiptSnapError):
    status_code = 429
    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: int,
        limit: int | None = None,
        window_seconds: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.limit = limit  # receipts in ``window_seconds``: the limit, for the user's language
        self.window_seconds = window_seconds


class TooLarge(ReceiptSnapError):
    status_code = 413
    code = "too_large"


class Unavailable(ReceiptSnapError):
    status_code = 503
    code = "unavailable"


class InvalidUpload(ReceiptSnapError):
    status_code = 422
    code = "invalid_upload"


class PermanentProcessingError(Exception):
    """The file can never be processed: the receipt ends ``failed`` with this reason."""

    retryable = False

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EngineMisconfigured(PermanentProcessingError):
    """An engine refuses us for a reason only an operator can fix (access denied, model not
    enabled, wrong region). Retrying would only repeat the refusal, so the receipt fails at once
    (``retryable``: the user may send it again once it is fixed)."""

    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(
            ErrorCode.CONFIGURATION,
            "Receipts cannot be read right now because of a problem on our side; the team has "
            "been alerted. Please send this receipt again later.",
        )
        self.detail = message


class TransientProcessingError(Exception):
    """Worth another try: the SQS record fails and is redelivered (then the DLQ)."""


class OcrUnavailable(TransientProcessingError):
    pass


class ExtractorUnavailable(TransientProcessingError):
    pass
