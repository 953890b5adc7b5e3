"""Turn a receipt file into pages for OCR, with every input bounded.

Images: JPEG, PNG, WebP and HEIC (pillow-heif), orientation from EXIF applied, pixel count capped
(decompression bombs): the size is read from the header (``header_size``) and refused before
anything is decoded. Given the longest side the reader uses (``max_side``), a larger image is
shrunk to it, and a JPEG is decoded at a reduced scale to begin with (``Image.draft``: the decoder
skips the detail, 1/2, 1/4 or 1/8, never below ``max_side``), which makes a 35-megapixel photo
cost about what a scan does. PDFs: the text layer is used when present, and then nothing is
rendered; otherwise the pages are rendered with pypdfium2 within one pixel budget for the whole
document (pages scaled down together to fit), so a PDF never costs more memory than the largest
photo.
``probe`` reads only a file's first bytes, for engines that take the stored file as it is.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import struct
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


def _too_large(width: int | None, height: int | None, max_pixels: int) -> PermanentProcessingError:
    size = f" ({width} x {height} pixels)" if width is not None and height is not None else ""
    return PermanentProcessingError(
        ErrorCode.TOO_LARGE,
        f"This image is too large to read{size}; the limit is {max_pixels // 1_000_000} "
        "megapixels. Send a smaller photo or a screenshot of it.",
    )


def _refuse_too_many_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise _too_large(width, height, max_pixels)


def header_size(head: bytes) -> tuple[int, int] | None:
    """Width and height as a JPEG, PNG or WebP header states them, read from the bytes alone
    (nothing decoded, no limit of Pillow's in the way); None for other types or a header that
    does not fit in ``head``."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(head) >= 24 and head[12:16] == b"IHDR":
            width, height = struct.unpack(">II", head[16:24])
            return int(width), int(height)
        return None
    if head.startswith(b"\xff\xd8"):
        return _jpeg_frame_size(head)
    if len(head) >= 30 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        chunk = head[12:16]
        if chunk == b"VP8X":  # 24-bit width - 1 and height - 1
            return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(
                head[27:30], "little"
            )
        if chunk == b"VP8L" and head[20] == 0x2F:  # 14-bit width - 1 and height - 1
            bits = int.from_bytes(head[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":  # 14-bit sizes, 2-bit scales
            width, height = struct.unpack("<HH", head[26:30])
            return width & 0x3FFF, height & 0x3FFF
    return None


# Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}


def _jpeg_frame_size(head: bytes) -> tuple[int, int] | None:
    """The size in a JPEG's first start-of-frame segment (segments walked from the start)."""
    i = 2
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before
            return None
        (length,) = struct.unpack(">H", head[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            if i + 9 > len(head):
                return None
            height, width = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None


def probe(head: bytes, *, size: int, max_pixels: int) -> FileFacts:
    """Type and (for JPEG and PNG) pixel size from a file's first bytes, without decoding it.

    The pixel cap is enforced here too. ``pixel_size`` is None when the header does not fit in
    ``head`` or the format is one whose header is not read (the caller then downloads the file).
    """
    content_type = _sniff(head)
    pixel_size: tuple[int, int] | None = None
    if content_type in (files.JPEG, files.PNG):
        pixel_size = header_size(head)
        if pixel_size is None:
            try:
                with Image.open(io.BytesIO(head)) as img:  # reads the header only
                    pixel_size = (int(img.width), int(img.height))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise _too_large(None, None, max_pixels) from exc
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
    max_side: int | None = None,
) -> Document:
    """Decode ``data`` (type sniffed from its bytes) into a ``Document``.

    With ``render=False`` a PDF's pages are counted and its text layer read, but not rendered
    (for an engine that reads the stored PDF itself). The original bytes are kept in ``data``.
    ``max_side``: an image is decoded to at most this many pixels on its longest side (for an
    engine that would shrink it anyway); None keeps the full resolution. ``pixel_size`` is
    then the size decoded.
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
        img = _load_image(data, max_pixels=max_pixels, max_side=max_side)
        doc = Document(content_type=content_type, images=[img], pixel_size=img.size, page_count=1)
    return dataclasses.replace(doc, data=data, source=source, request_id=request_id)


def _load_image(data: bytes, *, max_pixels: int, max_side: int | None = None) -> Image.Image:
    stated = header_size(data[:PROBE_BYTES])
    if stated is not None:  # refused before Pillow opens it (its own limit raises, not warns)
        _refuse_too_many_pixels(*stated, max_pixels)
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            _refuse_too_many_pixels(img.width, img.height, max_pixels)
            if max_side is not None and img.format == "JPEG":
                # Before load(): the decoder then produces the reduced image directly. The
                # request keeps the aspect ratio, so the result is at least max_side long.
                img.draft("RGB", _scaled(img.size, max_side))
            img.load()
    except PermanentProcessingError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # A header our reader does not know (HEIC) or states otherwise than Pillow reads it.
        raise _too_large(None, None, max_pixels) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise PermanentProcessingError(
            ErrorCode.UNREADABLE,
            "The image could not be decoded; it may be damaged. Send it again.",
        ) from exc
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    if max_side is not None and max(img.size) > max_side:
        img = img.resize(_scaled(img.size, max_side))
    return img


def _scaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` shrunk (aspect ratio kept) so that its longest side is ``max_side``; as is when
    it already fits."""
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _load_pdf(
    data: bytes, *, max_pixels: int, max_pages: int, min_chars: int, render: bool = True
) -> Document:
    """The text layer of every page; the pages rendered only when OCR must read them (no text
    layer worth the name, and ``render``), all of them within ``max_pixels`` together."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            message = "The PDF is protected by a password; send a copy without one."
        else:
            message = "The PDF could not be opened; it may be damaged."
        raise PermanentProcessingError(ErrorCode.UNREADABLE, message) from exc
    try:
        pages = len(pdf)
        if pages == 0:
            raise PermanentProcessingError(ErrorCode.UNREADABLE, "The PDF has no pages.")
        if pages > max_pages:  # before any page is loaded: a 500-page PDF costs nothing
            raise PermanentProcessingError(
                ErrorCode.TOO_MANY_PAGES,
                f"The PDF has {pages} pages; receipts of up to {max_pages} pages are accepted.",
            )
        text_lines: list[OcrLine] = []
        sizes: list[tuple[float, float]] = []
        for index in range(pages):
            page = pdf[index]
            try:
                sizes.append(page.get_size())
                text_lines.extend(_text_layer(page, index))
            finally:
                page.close()
        if sum(len(line.text) for line in text_lines) >= min_chars:
            # The text layer is what is read: no page is rendered.
            return Document(
                content_type=files.PDF, images=[], text_lines=text_lines, page_count=pages
            )
        images: list[object] = []
        if render:
            scale = render_scale(sizes, max_pixels=max_pixels)
            for index in range(pages):
                page = pdf[index]
                try:
                    images.append(_rgb(page.render(scale=scale).to_pil()))
                finally:
                    page.close()
        return Document(content_type=files.PDF, images=images, page_count=pages)
    finally:
        pdf.close()


def render_scale(sizes: list[tuple[float, float]], *, max_pixels: int) -> float:
    """One scale for every page: ``PDF_RENDER_DPI``, or less so that all pages rendered together
    hold at most ``max_pixels`` (the per-image cap is the per-document budget: with Pillow's
    4 bytes a pixel, 40 megapixels are 160 MB of pages, which leaves the OCR engine most of a
    1 GB Lambda). A page shape that cannot fit (a strip thousands of times longer than wide)
    is refused."""
    scale = PDF_RENDER_DPI / 72
    for _ in range(4):
        rendered = sum(
            max(1, math.ceil(w * scale)) * max(1, math.ceil(h * scale)) for w, h in sizes
        )
        if rendered <= max_pixels:
            return scale
        scale *= 0.999 * (max_pixels / rendered) ** 0.5  # ceil() rounds up: a little below
    raise PermanentProcessingError(
        ErrorCode.TOO_LARGE,
        f"The PDF's pages are too large to read within {max_pixels // 1_000_000} megapixels. "
        "Export it with a normal page size.",
    )


THUMBNAIL_SIDE = 320  # px, the long side: twice the list's 160 px, for sharp phone screens


def thumbnail_jpeg(image: object, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of a page (a ``Document`` image; the first, for the Mini App's list): a few
    kilobytes where the file is megabytes, and drawn by every browser whatever the file was
    (HEIC, a PDF)."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"a page is a PIL image, not {type(image).__name__}")
    small = image.convert("RGB")  # a copy, whatever its mode: thumbnail() shrinks in place
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()


def _rgb(img: Image.Image) -> Image.Image:
    return img if img.mode in ("RGB", "L") else img.convert("RGB")


def _text_layer(page: pdfium.PdfPage, index: int) -> list[OcrLine]:
    """The page's text layer, one OcrLine per printed line, in reading order (no boxes)."""
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    lines = (ln.strip() for ln in text.replace("\r", "\n").split("\n"))
    return [OcrLine(text=line, page=index) for line in lines if line]
