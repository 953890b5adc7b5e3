"""Fakes that implement the ports (not mocks that assert calls), and a receipt row factory."""

from __future__ import annotations

import uuid
from typing import Any

from core.contracts import ProcessingResult
from core.db.models import Receipt
from core.reading.ocr.base import Document, OcrLine, OcrResult


def converse_reply(
    tool_name: str,
    tool_input: dict[str, Any] | str | None,
    *,
    stop: str = "tool_use",
    tokens: tuple[int, int] = (1200, 180),
    text: str | None = None,
) -> dict[str, Any]:
    """A Bedrock Converse response as the service returns it (for botocore's Stubber)."""
    content: list[dict[str, Any]] = []
    if text is not None:
        content.append({"text": text})
    if tool_input is not None:
        content.append(
            {"toolUse": {"toolUseId": "tooluse_abc123", "name": tool_name, "input": tool_input}}
        )
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 900},
    }


def stored_receipt(*, user_id: int, **fields: Any) -> Receipt:
    """A receipt row as after an upload: done, a JPEG under users/{user_id}/ in the "raw" bucket.
    Any other column, or any of these, comes from fields."""
    defaults: dict[str, Any] = {
        "status": "done",
        "content_type": "image/jpeg",
        "raw_bucket": "raw",
        "raw_key": f"users/{user_id}/{uuid.uuid4()}.jpg",
    }
    return Receipt(user_id=user_id, **(defaults | fields))


class FakeOcr:
    """Returns the given lines for any document; counts how often it was asked."""

    name = "fake-ocr"

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.calls = 0

    def read(self, document: Document) -> OcrResult:
        self.calls += 1
        return OcrResult(
            lines=[
                OcrLine(text, box=(0, i * 20, 300, i * 20 + 18))
                for i, text in enumerate(self.lines)
            ],
            engine=self.name,
            pages=len(document.images),
        )


class RecordingSink:
    """A callback target that records results, and can fail a number of times first."""

    def __init__(self, *, fail_times: int = 0) -> None:
        self.results: list[ProcessingResult] = []
        self.fail_times = fail_times

    def send(self, result: ProcessingResult) -> None:
        from core.errors import TransientProcessingError

        if self.fail_times > 0:
            self.fail_times -= 1
            raise TransientProcessingError("API unavailable")
        self.results.append(result)


RECEIPT_LINES = [
    "CORNER CAFE SDN BHD",
    "12 JALAN MAJU, KUALA LUMPUR",
    "TAX INVOICE",
    "DATE: 03/10/2026 12:41",
    "LATTE 2 X 7.50 15.00",
    "CROISSANT 6.00",
    "SUBTOTAL 21.00",
    "SST 6% 1.26",
    "TOTAL RM 22.26",
    "CASH 50.00",
    "CHANGE 27.74",
]
