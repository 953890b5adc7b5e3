"""The local OCR's own geometry helpers and its engine's life cycle (no model is loaded here:
rapidocr's engine is a fake)."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from core.reading.ocr.base import Document
from core.reading.ocr.local import LocalOcr, _fit, _level, _PaddedShape


def test_detector_input_is_padded_and_its_map_cropped_back() -> None:
    seen: list[tuple[int, ...]] = []

    def session(batch: np.ndarray) -> np.ndarray:
        seen.append(batch.shape)
        return batch[:, :1] * 2  # a map the size of the input, like the detector's

    padded = _PaddedShape(session, step=128, dims=2, crop=True)
    batch = np.ones((1, 3, 300, 200), dtype=np.float32)
    out = padded(batch)
    assert seen == [(1, 3, 384, 256)]
    assert out.shape == (1, 1, 300, 200)
    assert np.all(out == 2)  # the image, not the zero padding


def test_recogniser_input_is_padded_on_the_width_only() -> None:
    seen: list[np.ndarray] = []
    padded = _PaddedShape(lambda b: seen.append(b) or b, step=32, dims=1, crop=False)
    padded(np.ones((1, 3, 48, 170), dtype=np.float32))
    padded(np.ones((1, 3, 48, 192), dtype=np.float32))
    assert [b.shape for b in seen] == [(1, 3, 48, 192), (1, 3, 48, 192)]
    assert np.all(seen[0][..., 170:] == 0)


def test_boxes_of_a_tilted_photo_are_levelled() -> None:
    angle = math.radians(4)
    rows = []
    for i in range(5):  # five lines of text, 200 px wide, tilted by 4 degrees
        x0, y0 = 10.0, 40.0 * i
        corners = [(0, 0), (200, 0), (200, 20), (0, 20)]
        rows.append(
            [
                (
                    x0 + cx * math.cos(angle) - cy * math.sin(angle),
                    y0 + cx * math.sin(angle) + cy * math.cos(angle),
                )
                for cx, cy in corners
            ]
        )
    levelled = _level(np.asarray(rows))
    top_edge_slopes = levelled[:, 1, 1] - levelled[:, 0, 1]
    assert np.allclose(top_edge_slopes, 0, atol=1e-6)
    straight = np.asarray([[(0, 0), (200, 0), (200, 20), (0, 20)]] * 3, dtype=float)
    assert np.array_equal(_level(straight), straight)


def test_levelled_boxes_stay_on_the_page() -> None:
    # A 400 x 600 photo tilted by 5 degrees: twelve lines that, level, span the whole page.
    width, height, angle = 400.0, 600.0, math.radians(5)
    level = np.asarray(
        [[(20, y), (380, y), (380, y + 20), (20, y + 20)] for y in range(20, 560, 45)],
        dtype=float,
    )
    cx, cy = width / 2, height / 2
    tilted = level.copy()
    tilted[..., 0] = (
        cx + (level[..., 0] - cx) * math.cos(angle) - (level[..., 1] - cy) * math.sin(angle)
    )
    tilted[..., 1] = (
        cy + (level[..., 0] - cx) * math.sin(angle) + (level[..., 1] - cy) * math.cos(angle)
    )
    levelled = _level(tilted, centre=(cx, cy))
    assert np.allclose(levelled, level)
    assert levelled[..., 0].min() >= 0 and levelled[..., 1].min() >= 0
    assert levelled[..., 0].max() <= width and levelled[..., 1].max() <= height


def test_a_page_shrunk_to_the_size_limit_keeps_at_least_one_pixel_each_way() -> None:
    # A 5000 x 1 strip scaled to 2000 px wide would be 0.4 px high: Pillow refuses 0.
    assert _fit(Image.new("RGB", (5000, 1)), 2000).size == (2000, 1)
    assert _fit(Image.new("RGB", (3000, 1500)), 2000).size == (2000, 1000)


def test_a_thumbnail_sized_page_is_enlarged_to_the_smallest_side_read() -> None:
    assert _fit(Image.new("RGB", (250, 125)), 2000, 640).size == (640, 320)
    assert _fit(Image.new("RGB", (640, 300)), 2000, 640).size == (640, 300)
    assert _fit(Image.new("RGB", (250, 125)), 2000).size == (250, 125)


class _FakeRapidOcr:
    """Stands for rapidocr.RapidOCR: a detector session that records the shapes it is given."""

    built: ClassVar[list[_FakeRapidOcr]] = []
    failing_warm_ups = 0
    active = 0
    most_active = 0
    guard = threading.Lock()

    def __init__(self, params: dict[str, object]) -> None:
        self.params = params
        self.fails = _FakeRapidOcr.failing_warm_ups > 0
        _FakeRapidOcr.failing_warm_ups -= 1
        self.seen: list[tuple[int, ...]] = []
        self.text_det = SimpleNamespace(session=self._detect)
        _FakeRapidOcr.built.append(self)

    def _detect(self, batch: np.ndarray) -> np.ndarray:
        self.seen.append(batch.shape)
        return batch[:, :1]

    def __call__(self, image: np.ndarray) -> SimpleNamespace:
        if self.fails:
            raise RuntimeError("the model did not load")
        with _FakeRapidOcr.guard:
            _FakeRapidOcr.active += 1
            _FakeRapidOcr.most_active = max(_FakeRapidOcr.most_active, _FakeRapidOcr.active)
        time.sleep(0.02)
        self.text_det.session(np.zeros((1, 3, *image.shape[:2]), dtype=np.float32))
        with _FakeRapidOcr.guard:
            _FakeRapidOcr.active -= 1
        return SimpleNamespace(
            txts=("TOTAL 5.00",), boxes=[[(0, 0), (50, 0), (50, 10), (0, 10)]], scores=(0.9,)
        )


@pytest.fixture
def fake_rapidocr(monkeypatch: pytest.MonkeyPatch) -> type[_FakeRapidOcr]:
    import rapidocr

    monkeypatch.setattr(rapidocr, "RapidOCR", _FakeRapidOcr)
    _FakeRapidOcr.built, _FakeRapidOcr.failing_warm_ups = [], 0
    _FakeRapidOcr.active = _FakeRapidOcr.most_active = 0
    return _FakeRapidOcr


def _page(width: int = 300, height: int = 200) -> Document:
    return Document(content_type="image/png", images=[Image.new("RGB", (width, height), "white")])


def test_a_failed_warm_up_is_tried_again_and_the_engine_then_gets_its_padding(
    fake_rapidocr: type[_FakeRapidOcr],
) -> None:
    fake_rapidocr.failing_warm_ups = 1
    ocr = LocalOcr(det_step=128, min_side=0)  # the page as it is: 300 x 200
    with pytest.raises(RuntimeError):
        ocr.warm_up()
    ocr.warm_up()
    result = ocr.read(_page(300, 200))
    assert [line.text for line in result.lines] == ["TOTAL 5.00"]
    engine = fake_rapidocr.built[-1]
    assert len(fake_rapidocr.built) == 2  # loaded again, not the half-made first engine
    assert engine.seen[-1] == (1, 3, 256, 384)  # the page padded to 128 px steps


def test_a_recogniser_file_of_our_own_is_handed_to_rapidocr_and_named_in_the_tag(
    fake_rapidocr: type[_FakeRapidOcr], tmp_path: Path
) -> None:
    model = tmp_path / "rec_int8.xml"
    own, default = LocalOcr(rec_model=str(model)), LocalOcr()
    own.warm_up()
    default.warm_up()
    assert fake_rapidocr.built[0].params["Rec.model_path"] == str(model)
    assert "Rec.model_path" not in fake_rapidocr.built[1].params  # the wheel's own model
    # OCR caches are keyed by the tag: another model, another tag; the default's is unchanged.
    assert own.tag == f"{default.tag}-rec-rec_int8"
    assert "-rec-" not in default.tag


def test_threads_sharing_one_reader_run_the_models_one_at_a_time(
    fake_rapidocr: type[_FakeRapidOcr],
) -> None:
    ocr = LocalOcr()
    ocr.warm_up()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(ocr.read(_page()).text)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["TOTAL 5.00"] * 4
    assert fake_rapidocr.most_active == 1


class _SidewaysEngine:
    """Stands for rapidocr.RapidOCR on a receipt photographed sideways: given a page wider than
    tall it finds tall lines (read with ``score``), given it upright it finds wide ones."""

    def __init__(self, score: float) -> None:
        self.score = score
        self.pages: list[np.ndarray] = []

    def __call__(self, image: np.ndarray) -> SimpleNamespace:
        self.pages.append(image.copy())
        height, width = image.shape[:2]
        if width > height:  # sideways: tall boxes
            boxes = [[(x, 10), (x + 10, 10), (x + 10, 60), (x, 60)] for x in range(0, 100, 20)]
            return SimpleNamespace(txts=("?",) * 5, boxes=boxes, scores=(self.score,) * 5)
        boxes = [[(10, y), (90, y), (90, y + 10), (10, y + 10)] for y in range(0, 100, 20)]
        return SimpleNamespace(txts=("TOTAL 5.00",) * 5, boxes=boxes, scores=(0.95,) * 5)


@pytest.mark.parametrize(
    ("score", "quarter_turns"),
    [(0.95, 1), (0.3, -1)],
    ids=["read-well-turned-counter-clockwise", "read-badly-turned-clockwise"],
)
def test_a_page_lying_sideways_is_turned_upright_and_read_again(
    score: float, quarter_turns: int
) -> None:
    engine = _SidewaysEngine(score)
    ocr = LocalOcr(min_side=0)  # the page's own size, not enlarged
    ocr._engine = engine  # the models are not loaded: the fake stands for them
    page = Image.new("RGB", (400, 300), "white")
    page.paste((0, 0, 0), (0, 0, 100, 75))  # a mark that shows which way it was turned
    result = ocr.read(Document(content_type="image/jpeg", images=[page]))
    first, second = engine.pages
    assert np.array_equal(second, np.rot90(first, k=quarter_turns))
    assert result.page_sizes == [(300, 400)]
    assert [line.text for line in result.lines] == ["TOTAL 5.00"] * 5


def test_an_upright_page_with_a_few_tall_boxes_is_read_once() -> None:
    class Engine(_SidewaysEngine):
        def __call__(self, image: np.ndarray) -> SimpleNamespace:
            self.pages.append(image)
            wide = [[(10, y), (90, y), (90, y + 10), (10, y + 10)] for y in range(0, 100, 20)]
            tall = [[(0, 0), (8, 0), (8, 30), (0, 30)]] * 2  # "1", "7": digits alone
            return SimpleNamespace(txts=("A",) * 7, boxes=wide + tall, scores=(0.9,) * 7)

    engine = Engine(0.9)
    ocr = LocalOcr()
    ocr._engine = engine
    ocr.read(Document(content_type="image/jpeg", images=[Image.new("RGB", (300, 400))]))
    assert len(engine.pages) == 1
