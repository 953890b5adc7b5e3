"""The recogniser's Latin head first, its whole head for the lines it is unsure of
(core/reading/ocr/heads.py): unsure and sparse lines go to the whole layer, and with the real
model a Latin receipt reads as before while a Chinese line is read by the whole layer."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from PIL import Image, ImageDraw
from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

from core.reading.ocr import heads
from core.reading.ocr.base import Document
from core.reading.ocr.local import LocalOcr, bound

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "sroie" / "img"


def test_the_cut_layer_keeps_the_blank_latin_characters_and_the_space() -> None:
    characters = ["blank", "A", "é", "中", "€", "。", "（", "ß", " "]
    kept = heads.kept_classes(characters)
    assert [characters[i] for i in kept] == ["blank", "A", "é", "€", "ß", " "]


class _Decoder:
    """Stands for rapidocr's CTCLabelDecode on the whole layer's output."""

    character: ClassVar[list[str]] = ["blank", "A", "B", "中", " "]

    def __call__(self, preds: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        return [("WHOLE", 0.99)] * len(preds), []


def _latin_first() -> heads.LatinFirst:
    lf = heads.LatinFirst.__new__(heads.LatinFirst)  # no model: the layers are stood for
    lf._decoder = _Decoder()
    lf.kept = heads.kept_classes(_Decoder.character)
    lf._latin_decoder = CTCLabelDecode(character=["A", "B"])  # blank, A, B, space
    lf.reread = lf.lines = 0
    lf.whole = lambda features: np.zeros((len(features), 1, 5))  # type: ignore[method-assign]
    return lf


def _line(frames: int, path: list[int], prob: float) -> np.ndarray:
    """Probabilities over (blank, A, B, space) for a line whose best class per frame is
    ``path`` (then blanks), at ``prob``."""
    out = np.full((frames, 4), (1 - prob) / 3)
    for t in range(frames):
        out[t, path[t] if t < len(path) else 0] = prob
    return out


def test_lines_read_surely_stay_and_unsure_or_sparse_ones_go_to_the_whole_layer() -> None:
    lf = _latin_first()
    sure = _line(32, [1, 0, 2, 0, 3, 0, 1, 2], 0.98)  # "AB AB": 5 characters in 32 frames
    unsure = _line(32, [1, 0, 2, 0, 1, 2, 1, 2], 0.6)
    sparse = _line(32, [1], 0.99)  # one character on a line 32 frames (256 px) long
    hidden = sure  # read surely by the cut layer, but a frame's best kept logit is low
    batch = np.stack([sure, unsure, sparse, hidden])
    floors = np.array([20.0, 20.0, 20.0, heads.LOGIT_FLOOR - 1])
    lines, words = lf.decode((batch, floors, np.zeros((4, 32, 120))))
    assert [text for text, _ in lines] == ["AB AB", "WHOLE", "WHOLE", "WHOLE"]
    assert (lf.reread, lf.lines, words) == (3, 4, [])


def test_word_boxes_are_asked_of_the_whole_layer() -> None:
    lf = _latin_first()
    batch = np.stack([_line(16, [1, 0, 2, 0, 1, 2, 1, 2], 0.98)] * 2)
    lines, _ = lf.decode((batch, np.full(2, 20.0), np.zeros((2, 16, 120))), True)
    assert lines == [("WHOLE", 0.99)] * 2 and lf.reread == 2


def _page(*texts: str) -> Document:
    image = Image.new("RGB", (700, 60 * len(texts) + 40), "white")
    draw = ImageDraw.Draw(image)
    for n, text in enumerate(texts):
        draw.text((20, 20 + 60 * n), text, fill="black", font_size=30)
    return Document(content_type="image/png", images=[image])


@pytest.fixture(scope="module")
def readers() -> tuple[LocalOcr, LocalOcr]:
    both = LocalOcr(latin_first=True), LocalOcr(latin_first=False)
    for reader in both:
        reader.warm_up()
    return both


def test_a_latin_page_reads_as_the_whole_layer_reads_it(
    readers: tuple[LocalOcr, LocalOcr],
) -> None:
    latin_first, whole = readers
    page = _page(
        "CORNER SHOP SDN BHD", "Nasi Lemak x2    9.00", "TOTAL RM 12.50", "Café 25/12/2018"
    )
    got = [line.text for line in latin_first.read(page).lines]
    assert got == [line.text for line in whole.read(page).lines]
    assert "TOTAL RM 12.50" in got
    assert latin_first.latin_heads is not None and latin_first.latin_heads.lines >= 4


def test_a_line_printed_in_chinese_is_read_by_the_whole_layer(
    readers: tuple[LocalOcr, LocalOcr],
) -> None:
    scan = DATA / "X51005442383.jpg"  # SROIE (shared/data/README.md): an item line in Chinese
    if not scan.exists():
        pytest.skip(f"SROIE sample not found at {scan} (shared/data is not on this machine)")
    latin_first, whole = readers
    crop = Image.open(scan).convert("RGB").crop((320, 570, 560, 605))  # "干炒海鲜河粉"
    page = Document(content_type="image/jpeg", images=[crop])
    assert latin_first.latin_heads is not None
    before = latin_first.latin_heads.reread
    read = [line.text for line in latin_first.read(page).lines]
    assert read == [line.text for line in whole.read(page).lines]
    assert latin_first.latin_heads.reread > before
    assert any("\u4e00" <= c <= "\u9fff" for text in read for c in text), read


def test_a_line_of_chinese_and_latin_keeps_its_chinese(
    readers: tuple[LocalOcr, LocalOcr],
) -> None:
    """The cut layer alone reads " Fried Noodle 8.00" at 0.99 (its softmax over Latin classes
    hides the Chinese): the frames' low logits send the line to the whole layer."""
    scan = DATA / "X51005442383.jpg"
    if not scan.exists():
        pytest.skip(f"SROIE sample not found at {scan} (shared/data is not on this machine)")
    latin_first, whole = readers
    line = Image.new("RGB", (520, 60), "white")
    line.paste(Image.open(scan).convert("RGB").crop((335, 596, 470, 619)), (20, 18))  # 干炒海鲜河粉
    ImageDraw.Draw(line).text((156, 17), "Fried Noodle 8.00", fill="black", font_size=22)
    page = Document(content_type="image/png", images=[line])
    read = [ln.text for ln in latin_first.read(page).lines]
    assert read == [ln.text for ln in whole.read(page).lines]
    assert any("\u4e00" <= c <= "\u9fff" for text in read for c in text), read
    assert any("Fried Noodle 8.00" in text for text in read), read


def test_a_recogniser_the_latin_layer_cannot_be_built_on_is_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> heads.LatinFirst:
        raise RuntimeError("no MatMul + Add at its end")

    monkeypatch.setattr(heads, "install", refuse)
    reader = LocalOcr()
    assert "-latin1st" in reader.tag
    reader.warm_up()
    assert reader.latin_heads is None and "-latin1st" not in reader.tag  # caches say so
    read = reader.read(_page("TOTAL RM 12.50")).lines
    assert [line.text for line in read] == ["TOTAL RM 12.50"]


def test_a_session_compiled_again_with_a_bounded_shape_cache_gives_the_same_output() -> None:
    """rapidocr compiles with OpenVINO's default cache of 5,000 shapes; ``bound`` compiles the
    same model with ``RUNTIME_CACHE_SHAPES`` and one thread, and leaves other sessions alone."""
    import openvino as ov
    import openvino.opset13 as ops

    given = ops.parameter([1, -1], np.float32, name="x")
    model = ov.Model([ops.multiply(given, ops.constant(np.float32(2)))], [given], "double")

    class Session:
        def __init__(self) -> None:
            self.model = model
            self.session = ov.Core().compile_model(model, "CPU").create_infer_request()

    session = Session()
    before = session.session
    bound(session, threads=1)

    assert session.session is not before
    for width in (3, 40, 7):  # more shapes than one
        out = session.session.infer([np.ones((1, width), np.float32)])
        assert np.array_equal(next(iter(out.values())), np.full((1, width), 2, np.float32))
    assert heads.cpu_config(1) == {
        "CPU_RUNTIME_CACHE_CAPACITY": str(heads.RUNTIME_CACHE_SHAPES),
        "INFERENCE_NUM_THREADS": "1",
    }

    def stand_in(batch: Any) -> Any:
        return batch

    other = SimpleNamespace(model=None, session=stand_in)
    bound(other, threads=1)
    assert other.session is stand_in
