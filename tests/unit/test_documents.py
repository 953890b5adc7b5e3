"""Reading a file's pixel size from its header, and the pixel budget of a rendered PDF."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.contracts import ErrorCode
from core.errors import PermanentProcessingError
from core.reading.documents import (
    PDF_RENDER_DPI,
    PROBE_BYTES,
    header_size,
    load_document,
    probe,
    render_scale,
)
from tests.samples import jpeg_claiming, png_bomb

MAX_PIXELS = 40_000_000
ORIENTED = Image.Exif()
ORIENTED[0x0112] = 1  # orientation: upright


def encoded(fmt: str, *, mode: str = "RGB", **options: object) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (1234, 567), "white").save(buf, format=fmt, **options)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        encoded("JPEG"),
        encoded("JPEG", progressive=True, exif=ORIENTED.tobytes()),
        encoded("PNG"),
        encoded("WEBP"),  # VP8
        encoded("WEBP", lossless=True),  # VP8L
        encoded("WEBP", exif=ORIENTED.tobytes()),  # VP8X (extended: it carries EXIF)
    ],
    ids=["jpeg", "jpeg-progressive-exif", "png", "webp-lossy", "webp-lossless", "webp-extended"],
)
def test_header_size_reads_what_pillow_reads(data: bytes) -> None:
    assert header_size(data[:PROBE_BYTES]) == (1234, 567) == Image.open(io.BytesIO(data)).size


def test_header_size_of_unknown_or_cut_headers_is_none() -> None:
    assert header_size(b"%PDF-1.7\n") is None
    assert header_size(encoded("PNG")[:20]) is None
    assert header_size(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None


@pytest.mark.parametrize(
    ("bomb", "size"),
    [(png_bomb(30_000, 30_000), "30000 x 30000"), (jpeg_claiming(65_000, 65_000), "65000 x 65000")],
    ids=["png", "jpeg"],
)
def test_bombs_are_refused_from_the_header_by_probe_and_by_load(bomb: bytes, size: str) -> None:
    for read in (
        lambda: probe(bomb[:PROBE_BYTES], size=len(bomb), max_pixels=MAX_PIXELS),
        lambda: load_document(bomb, max_pixels=MAX_PIXELS, max_pages=5),
    ):
        with pytest.raises(PermanentProcessingError) as caught:
            read()
        assert caught.value.code == ErrorCode.TOO_LARGE and not caught.value.retryable
        assert "too large to read" in caught.value.message and size in caught.value.message


def test_over_the_cap_but_under_pillows_limit_is_too_large_not_unreadable() -> None:
    """100 megapixels: Pillow only warns (it raised as "unreadable" before)."""
    with pytest.raises(PermanentProcessingError) as caught:
        load_document(jpeg_claiming(10_000, 10_000), max_pixels=MAX_PIXELS, max_pages=5)
    assert caught.value.code == ErrorCode.TOO_LARGE


class TestRenderScale:
    def test_ordinary_pages_render_at_200_dpi(self) -> None:
        a4 = (595.0, 842.0)
        assert render_scale([a4] * 5, max_pixels=MAX_PIXELS) == PDF_RENDER_DPI / 72

    def test_huge_pages_share_one_budget(self) -> None:
        pages = [(14_400.0, 14_400.0)] * 5
        scale = render_scale(pages, max_pixels=MAX_PIXELS)
        side = int(-(-14_400 * scale // 1))  # ceil, as pypdfium2 sizes the bitmap
        assert 0.99 * MAX_PIXELS < 5 * side * side <= MAX_PIXELS

    def test_a_page_shape_that_cannot_fit_is_refused(self) -> None:
        with pytest.raises(PermanentProcessingError) as caught:
            render_scale([(1e9, 1.0)], max_pixels=MAX_PIXELS)
        assert caught.value.code == ErrorCode.TOO_LARGE
