"""The extraction port: OCR lines in, a ``ReceiptExtraction`` out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from core.contracts import ReceiptExtraction
from core.reading.ocr.base import OcrResult

# Used when the user has not chosen categories of their own.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "groceries",
    "dining",
    "transport",
    "fuel",
    "shopping",
    "health",
    "utilities",
    "entertainment",
    "travel",
    "services",
    "other",
)


def categories_or_default(categories: Sequence[str] | None) -> list[str]:
    """The user's categories (trimmed, deduplicated, order kept), or the default list."""
    chosen: list[str] = []
    for raw in categories or ():
        name = raw.strip()[:50]
        if name and name not in chosen:
            chosen.append(name)
    return chosen or list(DEFAULT_CATEGORIES)


class Extractor(Protocol):
    name: str

    def extract(
        self, ocr: OcrResult, *, categories: Sequence[str] | None = None
    ) -> ReceiptExtraction: ...


@dataclass(frozen=True, slots=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class ExtractionRun:
    """An extraction with what it cost and who produced it.

    ``engine`` is the extractor whose answer is used; ``model`` the model called (its tokens
    are in ``usage`` even when its answer was rejected); ``fallback`` why it was rejected.
    """

    extraction: ReceiptExtraction
    engine: str
    model: str | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    fallback: str | None = None


@runtime_checkable
class MeteredExtractor(Protocol):
    """An extractor that calls a paid model and reports its usage."""

    name: str

    def run(self, ocr: OcrResult, *, categories: Sequence[str] | None = None) -> ExtractionRun: ...


def run_extractor(
    extractor: Extractor, ocr: OcrResult, *, categories: Sequence[str] | None = None
) -> ExtractionRun:
    """Run any extractor; metered ones report their model, tokens and fallback."""
    if isinstance(extractor, MeteredExtractor):
        return extractor.run(ocr, categories=categories)
    return ExtractionRun(
        extraction=extractor.extract(ocr, categories=categories), engine=extractor.name
    )


def receipt_summary(
    merchant: str | None, when: date | None, currency: str | None, total: Decimal | None
) -> str | None:
    """The one-line summary: ``MERCHANT — 2026-10-03 — MYR 22.26``."""
    parts: list[str] = []
    if merchant:
        parts.append(merchant[:120])
    if when:
        parts.append(when.isoformat())
    if total is not None:
        parts.append(f"{currency} {total:.2f}" if currency else f"{total:.2f}")
    return " — ".join(parts)[:300] if parts else None
