"""The OCR port: images or documents in, text lines with positions out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line (or text box) of OCR output.

    ``box`` is (left, top, right, bottom) in pixels of its page; ``page`` counts from 0.
    """

    text: str
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    confidence: float = 1.0
    page: int = 0


@dataclass(frozen=True, slots=True)
class OcrResult:
    lines: list[OcrLine]
    engine: str
    pages: int = 1
    page_sizes: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True, slots=True)
class Document:
    """A receipt file ready for OCR: its pages as images, or its text layer when it has one."""

    content_type: str
    images: list[object]  # PIL.Image.Image; kept untyped so the port does not import Pillow
    text_lines: list[OcrLine] | None = None


class OcrEngine(Protocol):
    name: str

    def read(self, document: Document) -> OcrResult: ...
