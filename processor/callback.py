"""The signed POST of a processing result to the API."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from core.contracts import ProcessingProgress, ProcessingResult, ProgressVerdict
from core.errors import TransientProcessingError
from core.receipts.signing import sign

logger = logging.getLogger(__name__)


class CallbackClient:
    def __init__(
        self,
        *,
        url: str,
        key: Callable[[], bytes],
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url
        self._key = key
        self._client = httpx.Client(timeout=timeout, transport=transport)

    @property
    def progress_url(self) -> str:
        return self._url.rsplit("/", 1)[0] + "/processing-progress"

    def send(self, result: ProcessingResult) -> None:
        self._post(self._url, result.model_dump_json().encode())

    def progress(self, progress: ProcessingProgress) -> ProgressVerdict | None:
        """The API's verdict (go on, or stop before the OCR). Best effort: when the note is
        lost (None), the user sees one status less and the run goes on."""
        try:
            response = self._post(
                self.progress_url, progress.model_dump_json().encode(), timeout=2.0
            )
        except TransientProcessingError as exc:
            logger.info("progress.not_sent receipt_id=%s error=%s", progress.receipt_id, exc)
            return None
        try:
            return ProgressVerdict(response.json().get("status"))
        except (ValueError, AttributeError):  # an older API answered {"status": "ok"} only
            return None

    def _post(self, url: str, body: bytes, *, timeout: float | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json", **sign(self._key(), body)}
        try:
            response = self._client.post(
                url, content=body, headers=headers, timeout=timeout or self._client.timeout
            )
        except httpx.HTTPError as exc:
            raise TransientProcessingError(f"callback failed: {exc!r}") from exc
        if response.status_code >= 300:
            raise TransientProcessingError(
                f"callback answered {response.status_code}: {response.text[:200]}"
            )
        return response

    def close(self) -> None:
        self._client.close()
