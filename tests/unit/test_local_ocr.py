"""The local OCR's own geometry helpers (no model is loaded here)."""

from __future__ import annotations

import math

import numpy as np

from core.ocr.local import _level, _PaddedShape


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
