"""Callback data of inline buttons: ``action:receipt-hex:signature`` (at most 64 bytes).

The signature (HMAC of the action and receipt id, keyed by a secret derived from the bot token)
stops crafted callback data; ownership is still checked on every press, whatever the data says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

SIG_BYTES = 9  # 12 base64url characters


class BadCallbackData(Exception):
    pass


def derive_key(bot_token: str) -> bytes:
    return hmac.new(bot_token.encode(), b"receiptsnap/callback-data", hashlib.sha256).digest()


def _sig(key: bytes, body: str) -> str:
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()[:SIG_BYTES]
    return base64.urlsafe_b64encode(mac).decode()


def pack(action: str, receipt_id: uuid.UUID, *, key: bytes) -> str:
    body = f"{action}:{receipt_id.hex}"
    data = f"{body}:{_sig(key, body)}"
    assert len(data.encode()) <= 64, "Telegram limits callback data to 64 bytes"
    return data


def unpack(data: str, *, key: bytes) -> tuple[str, uuid.UUID]:
    """The action and receipt of data ``pack`` made with ``key``; ``BadCallbackData`` for
    anything else, whatever the text (it comes from the update, so from anyone)."""
    try:
        action, hexid, sig = data.split(":")
        receipt_id = uuid.UUID(hex=hexid)
        # Bytes: compare_digest refuses non-ASCII str; encode refuses lone surrogates
        # (UnicodeEncodeError is a ValueError).
        expected = _sig(key, f"{action}:{hexid}").encode()
        given = sig.encode()
    except ValueError as exc:
        raise BadCallbackData("malformed callback data") from exc
    if not hmac.compare_digest(given, expected):
        raise BadCallbackData("bad signature")
    return action, receipt_id
