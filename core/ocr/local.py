"""Local OCR with RapidOCR (PaddleOCR models on ONNX Runtime, bundled in the wheel: no download)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from core.ocr.base import Document, OcrLine, OcrResult

logger = logging.getLogger(__name__)


class LocalOcr:
    """``OcrEngine`` backed by rapidocr-onnxruntime; the model loads on first use."""

    name = "rapidocr"

    def __init__(self, *, threads: int = 1, max_side: int = 1600) -> None:
        self._threads = threads
        self._max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get_engine(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR(intra_op_num_threads=self._threads, inter_op_num_threads=1)
            return self._engine

    def read(self, document: Document) -> OcrResult:
        engine = self._get_engine()
        lines: list[OcrLine] = []
        sizes: list[tuple[int, int]] = []
        for page, image in enumerate(document.images):
            img = _fit(image, self._max_side)
            sizes.append(img.size)
            # RapidOCR expects OpenCV's channel order (BGR) for arrays.
            result, _elapsed = engine(np.asarray(img.convert("RGB"))[:, :, ::-1])
            for box, text, score in result or []:
                xs = [float(p[0]) for p in box]
                ys = [float(p[1]) for p in box]
                lines.append(
                    OcrLine(
                        text=str(text),
                        box=(min(xs), min(ys), max(xs), max(ys)),
                        confidence=float(score),
                        page=page,
                    )
                )
        return OcrResult(
            lines=lines, engine=self.name, pages=len(document.images), page_sizes=sizes
        )


def _fit(image: Any, max_side: int) -> Any:
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    return image.resize((round(width * scale), round(height * scale)))
