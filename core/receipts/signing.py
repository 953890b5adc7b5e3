"""HMAC-SHA256 signatures of processor callbacks: over ``timestamp.body``, with a time window."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

TIMESTAMP_HEADER = "X-ReceiptSnap-Timestamp"
SIGNATURE_HEADER = "X-ReceiptSnap-Signature"
_SCHEME = "v1="
# What ``sign`` writes: seconds since the epoch, digits only. A longer number is no time at all
# (and one past a float's range cannot even be compared with the clock).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


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
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("malformed timestamp")
    ts = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - ts) > max_age_seconds:
        raise SignatureError("timestamp outside the allowed window")
    expected = sign(key, body, timestamp=ts)[SIGNATURE_HEADER]
    try:
        given = signature.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate: no signature of ours
        raise SignatureError("bad signature") from exc
    if not hmac.compare_digest(expected.encode(), given):
        raise SignatureError("bad signature")
