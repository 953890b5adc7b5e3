"""HMAC-SHA256 signatures of processor callbacks: over ``timestamp.body``, with a time window."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-ReceiptSnap-Timestamp"
SIGNATURE_HEADER = "X-ReceiptSnap-Signature"
_SCHEME = "v1="


class SignatureError(Exception):
    pass


def sign(key: bytes, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(key, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: _SCHEME + mac}


def verify(
    key: bytes,
    body: bytes,
    *,
    timestamp: str | None,
    signature: str | None,
    max_age_seconds: int = 300,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless the signature is right and the timestamp fresh."""
    if not timestamp or not signature:
        raise SignatureError("missing signature headers")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("malformed timestamp") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > max_age_seconds:
        raise SignatureError("timestamp outside the allowed window")
    expected = sign(key, body, timestamp=ts)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureError("bad signature")
