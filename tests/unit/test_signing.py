from __future__ import annotations

import pytest

from core.receipts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, sign, verify

KEY = b"k" * 32
BODY = b'{"receipt_id": "x"}'


class TestVerify:
    def test_accepts_fresh_signature(self) -> None:
        h = sign(KEY, BODY, timestamp=1_000)
        verify(KEY, BODY, timestamp=h[TIMESTAMP_HEADER], signature=h[SIGNATURE_HEADER], now=1_010)

    def test_rejects_tampered_body(self) -> None:
        h = sign(KEY, BODY, timestamp=1_000)
        with pytest.raises(SignatureError, match="bad signature"):
            verify(
                KEY,
                BODY + b" ",
                timestamp=h[TIMESTAMP_HEADER],
                signature=h[SIGNATURE_HEADER],
                now=1_000,
            )

    def test_rejects_other_key(self) -> None:
        h = sign(b"other" * 8, BODY, timestamp=1_000)
        with pytest.raises(SignatureError):
            verify(
                KEY, BODY, timestamp=h[TIMESTAMP_HEADER], signature=h[SIGNATURE_HEADER], now=1_000
            )

    def test_rejects_stale_and_future_timestamps(self) -> None:
        h = sign(KEY, BODY, timestamp=1_000)
        for now in (1_000 + 301, 1_000 - 301):
            with pytest.raises(SignatureError, match="window"):
                verify(
                    KEY, BODY, timestamp=h[TIMESTAMP_HEADER], signature=h[SIGNATURE_HEADER], now=now
                )

    def test_rejects_timestamp_swapped_into_old_signature(self) -> None:
        h = sign(KEY, BODY, timestamp=1_000)
        with pytest.raises(SignatureError):
            verify(KEY, BODY, timestamp="1100", signature=h[SIGNATURE_HEADER], now=1_100)

    @pytest.mark.parametrize(("ts", "sig"), [(None, "v1=ab"), ("1000", None), ("abc", "v1=ab")])
    def test_rejects_missing_or_malformed_headers(self, ts: str | None, sig: str | None) -> None:
        with pytest.raises(SignatureError):
            verify(KEY, BODY, timestamp=ts, signature=sig, now=1_000)
