"""`receiptsnap extract`: OCR + extraction on local files, no services."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.contracts import ReceiptExtraction
from core.errors import PermanentProcessingError
from core.reading.documents import load_document
from core.reading.engines import build_extractor, build_ocr
from core.reading.ocr.base import OcrLine, OcrResult
from core.settings import ProcessorSettings

RECEIPT_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".pdf"}
TEXT_SUFFIXES = {".txt", ".csv"}
PROGRESS_THRESHOLD = 3


def expand(paths: list[str], *, text: bool) -> Iterator[str]:
    """Files as given; directories expand to the receipt (or text) files in them, sorted."""
    suffixes = TEXT_SUFFIXES if text else RECEIPT_SUFFIXES
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix.lower() in suffixes:
                    yield str(child)
        else:
            yield raw


def parse_text_lines(content: str) -> OcrResult:
    """Plain lines, or SROIE box lines ``x1,y1,x2,y2,x3,y3,x4,y4,text``."""
    lines: list[OcrLine] = []
    for raw in content.splitlines():
        raw = raw.strip().lstrip("\ufeff")
        if not raw:
            continue
        parts = raw.split(",", 8)
        if len(parts) == 9 and all(p.strip().lstrip("-").isdigit() for p in parts[:8]):
            xs = [float(parts[i]) for i in (0, 2, 4, 6)]
            ys = [float(parts[i]) for i in (1, 3, 5, 7)]
            lines.append(OcrLine(parts[8], box=(min(xs), min(ys), max(xs), max(ys))))
        else:
            lines.append(OcrLine(raw))
    return OcrResult(lines=lines, engine="text")


def to_json(file: str, extraction: ReceiptExtraction) -> dict[str, Any]:
    data = extraction.model_dump(mode="json")
    return {
        "file": file,
        "merchant": extraction.merchant.name,
        "date": data["purchase_date"],
        "time": data["purchase_time"],
        "total": data["total"],
        "currency": extraction.currency,
        "subtotal": data["subtotal"],
        "tax": data["tax"],
        "tip": data["tip"],
        "line_items": data["line_items"],
        "payment_method": extraction.payment_method,
        "confidence": data["confidence"],
    }


def run(
    paths: list[str], *, text: bool = False, settings: ProcessorSettings | None = None
) -> list[dict[str, Any]]:
    settings = settings or ProcessorSettings()
    extractor = build_extractor(settings)
    ocr_engine = None if text else build_ocr(settings)
    files = list(expand(paths, text=text))
    iterator: Any = files
    if len(files) > PROGRESS_THRESHOLD:
        from tqdm import tqdm

        iterator = tqdm(files, unit="receipt", file=sys.stderr, disable=None)
    out: list[dict[str, Any]] = []
    for file in iterator:
        try:
            if text:
                ocr = parse_text_lines(Path(file).read_text(encoding="utf-8", errors="replace"))
            else:
                document = load_document(
                    Path(file).read_bytes(),
                    max_pixels=settings.max_image_pixels,
                    max_pages=settings.max_pdf_pages,
                    min_text_layer_chars=settings.min_text_layer_chars,
                )
                if document.text_lines is not None:
                    ocr = OcrResult(lines=document.text_lines, engine="pdf-text-layer")
                else:
                    assert ocr_engine is not None
                    ocr = ocr_engine.read(document)
            out.append(to_json(file, extractor.extract(ocr)))
        except PermanentProcessingError as exc:
            out.append({"file": file, "error": exc.message, "code": exc.code.value})
        except OSError as exc:
            out.append({"file": file, "error": f"cannot read file: {exc.strerror or exc}"})
    return out


def print_results(results: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for r in results:
        if "error" in r:
            print(f"{r['file']}: ERROR {r['error']}")
            continue
        money = f"{r['currency'] or ''} {r['total'] or '?'}".strip()
        items = len(r["line_items"])
        print(f"{r['file']}: {r['merchant'] or '?'} | {r['date'] or '?'} | {money} | {items} items")
