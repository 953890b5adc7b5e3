"""The signed POST of a processing result to the API."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from core.contracts import ProcessingResult
from core.errors import TransientProcessingError
from core.signing import sign

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

    def send(self, result: ProcessingResult) -> None:
        body = result.model_dump_json().encode()
        headers = {"Content-Type": "application/json", **sign(self._key(), body)}
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientProcessingError(f"callback failed: {exc!r}") from exc
        if response.status_code >= 300:
            raise TransientProcessingError(
                f"callback answered {response.status_code}: {response.text[:200]}"
            )

    def close(self) -> None:
        self._client.close()
