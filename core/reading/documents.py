"""Turn a receipt file into pages for OCR, with every input bounded.

Images: JPEG, PNG, WebP and HEIC (pillow-heif), orientation from EXIF applied, pixel count capped
(decompression bombs). PDFs: pages rendered with pypdfium2, and the text layer used when present.
``probe`` reads only a file's first bytes, for engines that take the stored file as it is.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import warnings

import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from core.contracts import ErrorCode
from core.errors import PermanentProcessingError
from core.reading import files
from core.reading.ocr.base import Document, FileFacts, OcrLine, StoredObject

logger = logging.getLogger(__name__)

_heif_registered = False
PDF_RENDER_DPI = 200
PROBE_BYTES = 64 * 1024  # enough for the header of a JPEG with a large EXIF block, or a PNG


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def _sniff(head: bytes) -> str:
    content_type = files.sniff(head[: files.SNIFF_BYTES])
    if content_type is None:
        raise PermanentProcessingError(
            ErrorCode.UNSUPPORTED_TYPE, "This file is not a JPEG, PNG, WebP, HEIC image or a PDF."
        )
    return content_type


def _refuse_too_many_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise PermanentProcessingError(
            ErrorCode.TOO_LARGE,
            f"The image is {width}x{height} pixels; the limit is "
            f"{max_pixels // 1_000_000} megapixels. Send a smaller photo.",
        )


def probe(head: bytes, *, size: int, max_pixels: int) -> FileFacts:
    """Type and (for JPEG and PNG) pixel size from a file's first bytes, without decoding it.

    The pixel cap is enforced here too. ``pixel_size`` is None when the header does not fit in
    ``head`` or the format is one whose header is not read (the caller then downloads the file).
    """
    content_type = _sniff(head)
    pixel_size: tuple[int, int] | None = None
    if content_type in (files.JPEG, files.PNG):
        try:
            with Image.open(io.BytesIO(head)) as img:  # reads the header only
                pixel_size = (int(img.width), int(img.height))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            pixel_size = None
    if pixel_size is not None:
        _refuse_too_many_pixels(*pixel_size, max_pixels)
    return FileFacts(content_type=content_type, size=size, pixel_size=pixel_size)


def load_document(
    data: bytes,
    *,
    max_pixels: int,
    max_pages: int,
    min_text_layer_chars: int = 20,
    render: bool = True,
    source: StoredObject | None = None,
    request_id: str | None = None,
) -> Document:
    """Decode ``data`` (type sniffed from its bytes) into a ``Document``.

    With ``render=False`` a PDF's pages are counted and its text layer read, but not rendered
    (for an engine that reads the stored PDF itself). The original bytes are kept in ``data``.
    """
    content_type = _sniff(data)
    if content_type == files.PDF:
        doc = _load_pdf(
            data,
            max_pixels=max_pixels,
            max_pages=max_pages,
            min_chars=min_text_layer_chars,
            render=render,
        )
    else:
        img = _load_image(data, max_pixels=max_pixels)
        doc = Document(content_type=content_type, images=[img], pixel_size=img.size, page_count=1)
    return dataclasses.replace(doc, data=data, source=source, request_id=request_id)


def _load_image(data: bytes, *, max_pixels: int) -> Image.Image:
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            _refuse_too_many_pixels(img.width, img.height, max_pixels)
            img.load()
    except PermanentProcessingError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise PermanentProcessingError(
            ErrorCode.UNREADABLE,
            "The image could not be decoded; it may be damaged. Send it again.",
        ) from exc
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    return img


def _load_pdf(
    data: bytes, *, max_pixels: int, max_pages: int, min_chars: int, render: bool = True
) -> Document:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PermanentProcessingError(
            ErrorCode.UNREADABLE, "The PDF could not be opened; it may be damaged or encrypted."
        ) from exc
    try:
        pages = len(pdf)
        if pages == 0:
            raise PermanentProcessingError(ErrorCode.UNREADABLE, "The PDF has no pages.")
        if pages > max_pages:
            raise PermanentProcessingError(
                ErrorCode.TOO_MANY_PAGES,
                f"The PDF has {pages} pages; receipts of up to {max_pages} pages are accepted.",
            )
        text_lines: list[OcrLine] = []
        images: list[object] = []
        for index in range(pages):
            page = pdf[index]
            width, height = page.get_size()
            scale = PDF_RENDER_DPI / 72
            if width * height * scale * scale > max_pixels:
                scale = (max_pixels / (width * height)) ** 0.5
            text_lines.extend(_text_layer(page, index))
            if render:
                images.append(page.render(scale=scale).to_pil().convert("RGB"))
        text_chars = sum(len(line.text) for line in text_lines)
        return Document(
            content_type=files.PDF,
            images=images,
            text_lines=text_lines if text_chars >= min_chars else None,
            page_count=pages,
        )
    finally:
        pdf.close()


def _text_layer(page: pdfium.PdfPage, index: int) -> list[OcrLine]:
    """The page's text layer, one OcrLine per printed line, in reading order (no boxes)."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    lines = (ln.strip() for ln in text.replace("\r", "\n").split("\n"))
    return [OcrLine(text=line, page=index) for line in lines if line]
