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


def _marked(size: tuple[int, int], fmt: str = "JPEG", **options: object) -> bytes:
    """A white image with a black block in its top-left quarter: where it ends up shows the
    orientation."""
    img = Image.new("RGB", size, "white")
    img.paste((0, 0, 0), (0, 0, size[0] // 4, size[1] // 4))
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _dark(img: Image.Image, x: float, y: float) -> bool:
    """Whether the pixel at (x, y), as fractions of the width and height, is dark."""
    pixel = img.convert("L").getpixel((int(x * img.width), int(y * img.height)))
    assert isinstance(pixel, int)
    return pixel < 128


class TestDecodeAtReducedScale:
    def test_a_large_jpeg_decodes_to_at_most_the_readers_side(self) -> None:
        data = _marked((4961, 7016), quality=60)
        img = load_document(data, max_pixels=MAX_PIXELS, max_pages=1, max_side=2000).images[0]
        assert isinstance(img, Image.Image)
        assert max(img.size) == 2000
        assert img.size == (1414, 2000)  # the aspect ratio kept
        assert _dark(img, 0.1, 0.1)
        assert not _dark(img, 0.9, 0.9)

    def test_the_jpeg_decoder_itself_reduces(self) -> None:
        # draft() before load(): what Pillow decodes is the reduced image, not the full one.
        with Image.open(io.BytesIO(_marked((4000, 6000)))) as img:
            img.draft("RGB", (1333, 2000))
            img.load()
            assert img.size == (2000, 3000)

    def test_exif_rotation_is_kept(self) -> None:
        exif = Image.Exif()
        exif[0x0112] = 6  # stored turned: shown rotated 90 degrees clockwise
        data = _marked((6000, 4000), exif=exif.tobytes())
        img = load_document(data, max_pixels=MAX_PIXELS, max_pages=1, max_side=2000).images[0]
        assert isinstance(img, Image.Image)
        assert img.size == (1333, 2000)  # upright: taller than wide
        # The stored top-left block is, turned clockwise, at the top right.
        assert _dark(img, 0.9, 0.1)
        assert not _dark(img, 0.1, 0.1)
        full = load_document(data, max_pixels=MAX_PIXELS, max_pages=1).images[0]
        assert isinstance(full, Image.Image)
        assert full.size == (4000, 6000)
        assert _dark(full, 0.9, 0.1)

    def test_a_png_is_only_shrunk(self) -> None:
        data = _marked((3000, 1500), "PNG")
        img = load_document(data, max_pixels=MAX_PIXELS, max_pages=1, max_side=2000).images[0]
        assert isinstance(img, Image.Image)
        assert img.size == (2000, 1000)
        assert _dark(img, 0.1, 0.1)

    def test_small_images_and_no_side_are_unaffected(self) -> None:
        small = _marked((800, 1200))
        img = load_document(small, max_pixels=MAX_PIXELS, max_pages=1, max_side=2000).images[0]
        assert isinstance(img, Image.Image)
        assert img.size == (800, 1200)
        png = _marked((3000, 1500), "PNG")
        full = load_document(png, max_pixels=MAX_PIXELS, max_pages=1).images[0]
        assert isinstance(full, Image.Image)
        assert full.size == (3000, 1500)
