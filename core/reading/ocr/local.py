"""Local OCR with RapidOCR 3 (PP-OCR models bundled in the wheel: no download) on OpenVINO.

Measured choices (docs/ocr.md, ``bench/extraction.py --ocr``):
- OpenVINO runs the same ONNX models at half ONNX Runtime's CPU time here (0.45 s vs 1.15 s a
  SROIE receipt on one thread, same accuracy), provided input shapes repeat (``_PaddedShape``);
- no angle classifier: receipts are upright, and it costs time and accuracy; a page lying
  sideways (most text boxes tall) is turned a quarter and read again (issue 17: 45 / 100 / 0
  before, 100 / 100 / 95 after on 20 SROIE scans turned 90 degrees);
- detection on at most ``det_side`` px on the long side (the default scales the *short* side up
  to 736 px, which makes tall scans slow);
- an image under ``min_side`` px on its long side (a thumbnail-sized photo, 250-450 px in
  WildReceipt) enlarged to it first: its text, 5-7 px high, is under what the detector finds
  (issue 17: WildReceipt totals 89.7 / 88.9 -> 93.1 / 88.9 on the two halves, item prices
  F1 88.7 / 89.3 -> 89.8 / 94.7; enlarging every image under 1600 px lost, see docs/ocr.md);
- boxes rotated so that the text lines are level (a tilted photo otherwise mixes up the rows
  the extractor rebuilds; cheaper than rotating the image, and the recogniser already reads
  each line straightened). Autocontrast and upscaling small images were measured and lost;
- recognition one text line at a time, each at its own width (at least ``rec_min_width`` px):
  batches pad every line to the widest one, and the default minimum (320 px) pads short
  prices and quantities.
- the recogniser's last layer cut to Latin characters first, the whole layer only for the lines
  it is unsure of (``latin_first``, core/reading/ocr/heads.py: 0.85-0.9 of recognition's time,
  the same fields on both halves of the bench's data; a Chinese line reads as before);
- rapidocr's own (float) recogniser; ``rec_model`` reads another file, e.g. the int8 one that
  scripts/quantise_recogniser.py writes (0.8x the time a line, a few fields lost on both halves
  of the bench's data: docs/ocr.md, "Speed"; not the default).
Only the default models are usable offline: never set ``lang_type``/``ocr_version``/
``model_type`` (rapidocr would fetch those from the network).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.reading.ocr import heads
from core.reading.ocr.base import Document, OcrLine, OcrResult

logger = logging.getLogger(__name__)


class LocalOcr:
    """``OcrEngine`` backed by rapidocr; the models load on first use (or ``warm_up()``)."""

    name = "rapidocr"

    def __init__(
        self,
        *,
        threads: int = 1,
        max_side: int = 2000,
        det_side: int = 960,
        rec_batch: int = 1,
        rec_min_width: int = 160,
        level: bool = True,
        width_step: int = 32,
        det_step: int = 128,
        rec_model: str | None = None,
        min_side: int = 640,
        latin_first: bool = True,
    ) -> None:
        self._threads = threads
        self._max_side = max_side
        self._det_side = det_side
        self._rec_batch = rec_batch
        self._rec_min_width = rec_min_width
        self._level = level
        self._width_step = width_step
        self._det_step = det_step
        self._rec_model = rec_model
        self._min_side = min_side
        self._latin_first = latin_first
        self.latin_heads: heads.LatinFirst | None = None  # once loaded, when in use
        # Names the configuration, e.g. for caches of OCR output.
        self.tag = (
            f"{self.name}3-ov-det{det_side}-max{max_side}-rb{rec_batch}-rw{rec_min_width}"
            + ("-level" if level else "")
            + f"-ws{width_step}-ds{det_step}"
            + "-turn"  # sideways pages turned upright (issue 17)
            + (f"-min{min_side}" if min_side else "")
            + (f"-latin1st{heads.LOGIT_FLOOR:g}" if latin_first else "")
            + (f"-rec-{Path(rec_model).stem}" if rec_model else "")
        )
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get_engine(self) -> Any:
        """The engine, loaded on first use; the caller holds ``self._lock``."""
        if self._engine is None:
            self._engine = self._load()  # set only once ready: a failed load is tried again
        return self._engine

    def _load(self) -> Any:
        from rapidocr import EngineType, RapidOCR

        engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.max_side_len": self._max_side,
                "Det.engine_type": EngineType.OPENVINO,
                "Det.limit_type": "max",
                "Det.limit_side_len": self._det_side,
                "Rec.engine_type": EngineType.OPENVINO,
                "Rec.rec_batch_num": self._rec_batch,
                "Rec.rec_img_shape": [3, 48, self._rec_min_width],
                "EngineConfig.openvino.inference_num_threads": self._threads,
                # A recogniser file of our own (its character list in the model, as rapidocr's).
                **({"Rec.model_path": self._rec_model} if self._rec_model else {}),
            }
        )
        # rapidocr loads each model on first use: a line of text loads both.
        engine(_sample_line())
        det = getattr(engine, "text_det", None)
        if det is not None:
            bound(det.session, threads=self._threads)
        if det is not None and self._det_step > 1:
            det.session = _PaddedShape(det.session, step=self._det_step, dims=2, crop=True)
        rec = getattr(engine, "text_rec", None)
        if rec is not None and self._latin_first:
            try:
                self.latin_heads = heads.install(rec, threads=self._threads)
            except Exception as exc:  # a recogniser of another shape, or not compiled: whole
                logger.warning("ocr.latin_first_unavailable error=%s", exc, exc_info=True)
                self.tag = self.tag.replace(f"-latin1st{heads.LOGIT_FLOOR:g}", "")  # read whole
        if rec is not None and self.latin_heads is None:  # the whole recogniser, as loaded
            bound(rec.session, threads=self._threads)
        if rec is not None and self._width_step > 1:
            rec.session = _PaddedShape(rec.session, step=self._width_step, dims=1, crop=False)
        return engine

    @property
    def max_side(self) -> int:
        """The longest side read: larger images are shrunk to it (``ReadsAtMostSide``)."""
        return self._max_side

    def warm_up(self) -> None:
        """Load the models now (the first receipt otherwise pays for it)."""
        with self._lock:
            self._get_engine()

    def read(self, document: Document, *, steps: dict[str, float] | None = None) -> OcrResult:
        """The document's text lines. ``steps``, when given, is filled with the seconds each
        step took (``resize``: to ``max_side`` and to the engine's array; ``det``, ``rec``: the
        models; ``ocr_other``: the engine's own pre- and post-processing), summed over pages; a
        page read twice (it lay sideways) counts twice."""
        lines: list[OcrLine] = []
        sizes: list[tuple[int, int]] = []
        timing = steps if steps is not None else {}
        for page, image in enumerate(document.images):
            t0 = time.perf_counter()
            img = _fit(image, self._max_side, self._min_side)
            timing["resize"] = timing.get("resize", 0.0) + time.perf_counter() - t0
            out = self._run(img, timing)
            if out.txts is not None and _sideways(np.asarray(out.boxes, dtype=float)):
                # A page photographed sideways: the lines come out tall. rapidocr turns tall
                # crops a quarter counter-clockwise before reading them, so when it read them
                # well the text runs top to bottom and a quarter turn counter-clockwise makes
                # the page upright; read badly (upside down), the other way.
                turn = (
                    Image.Transpose.ROTATE_90
                    if float(np.mean(out.scores)) >= _READ_WELL
                    else Image.Transpose.ROTATE_270
                )
                img = img.transpose(turn)
                out = self._run(img, timing)
            sizes.append(img.size)
            if out.txts is None:
                continue
            boxes = np.asarray(out.boxes, dtype=float)
            if self._level:
                boxes = _level(boxes, centre=(img.width / 2, img.height / 2))
            for box, text, score in zip(boxes, out.txts, out.scores, strict=True):
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

    def _run(self, img: Any, timing: dict[str, float]) -> Any:
        """The engine's output for one page (a PIL image), its steps' seconds added up."""
        t0 = time.perf_counter()
        # RapidOCR takes numpy arrays in OpenCV's channel order (BGR).
        pixels = np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])
        t1 = time.perf_counter()
        # One page at a time: rapidocr runs each model through a single OpenVINO infer
        # request and hands back a view of its output buffer, so two threads reading at
        # once swap each other's text.
        with self._lock:
            out = self._get_engine()(pixels)
        t2 = time.perf_counter()
        det, _, rec = (float(e or 0.0) for e in (getattr(out, "elapse_list", None) or (0, 0, 0)))
        for key, seconds in (
            ("resize", t1 - t0),
            ("det", det),
            ("rec", rec),
            ("ocr_other", max(0.0, t2 - t1 - det - rec)),
        ):
            timing[key] = timing.get(key, 0.0) + seconds
        return out


class _PaddedShape:
    """Pads a model's input (N, C, H, W) with zeros, as rapidocr pads, to a multiple of ``step``
    px in the last ``dims`` dimensions, and crops a same-sized output back (the detector's map).

    OpenVINO compiles a kernel per input shape and keeps it: exact sizes mean a new shape for
    nearly every text line and page (memory grew past 1.6 GB in 40 receipts); rounded sizes mean
    a few dozen shapes, reused, which is also what makes it faster than ONNX Runtime here.
    """

    def __init__(self, session: Any, *, step: int, dims: int, crop: bool) -> None:
        self._session = session
        self._step = step
        self._dims = dims
        self._crop = crop

    def __call__(self, batch: Any) -> Any:
        sizes = batch.shape[-self._dims :]
        padded = [-(-size // self._step) * self._step for size in sizes]
        if list(sizes) == padded:
            return self._session(batch)
        pad = [(0, 0)] * (batch.ndim - self._dims) + [
            (0, p - size) for size, p in zip(sizes, padded, strict=True)
        ]
        out = self._session(np.pad(batch, pad))
        if self._crop:
            out = out[(..., *(slice(0, size) for size in sizes))]
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def bound(session: Any, *, threads: int) -> None:
    """Compile a rapidocr OpenVINO session's model again with ``heads.cpu_config`` (rapidocr
    passes no shape cache setting); the request it made goes. Another kind of session, or
    OpenVINO refusing the setting, leaves rapidocr's own."""
    import openvino as ov

    if not isinstance(getattr(session, "model", None), ov.Model):
        return
    try:
        compiled = ov.Core().compile_model(session.model, "CPU", heads.cpu_config(threads))
    except Exception as exc:
        logger.warning("ocr.shape_cache_unbounded error=%s", exc, exc_info=True)
        return
    session.session = compiled.create_infer_request()


def inference_precision() -> str:
    """What OpenVINO computes in on this CPU unless told: bf16 where the CPU has it (AVX-512 BF16,
    AMX), else f32. The two read a few lines differently (a letter of a merchant), so the benches
    print it beside their figures."""
    import openvino as ov

    core = ov.Core()
    precision = core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    return f"{precision} on {core.get_property('CPU', 'FULL_DEVICE_NAME')}"


def _sample_line() -> Any:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 64), "white")
    ImageDraw.Draw(image).text((10, 16), "TOTAL 12.50", fill="black", font_size=28)
    return np.asarray(image)[:, :, ::-1].copy()


_READ_WELL = 0.8  # mean recognition score of text read the right way up (upside down: lower)


def _sideways(boxes: Any) -> bool:
    """Whether most text boxes (N x 4 corners, clockwise from the top-left) are at least half
    again as tall as wide: lines of a page turned a quarter, not the odd tall digit."""
    if len(boxes) < 5:
        return False
    width = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    height = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
    return float(np.mean(height > 1.5 * width)) > 0.6


def _level(boxes: Any, centre: tuple[float, float] = (0.0, 0.0)) -> Any:
    """Rotate the boxes (N x 4 corners) about ``centre`` so that the text lines' median slope
    becomes level. About the page's centre, they stay (about) on the page: about its top-left
    corner, a photo tilted by a few degrees put lines at negative x or y."""
    dx = boxes[:, 1, 0] - boxes[:, 0, 0]
    dy = boxes[:, 1, 1] - boxes[:, 0, 1]
    wide = dx > 2 * np.abs(dy)
    if wide.sum() < 3:
        return boxes
    angle = float(np.median(np.arctan2(dy[wide], dx[wide])))
    if abs(angle) < 0.005:  # under 0.3 degree: nothing to gain
        return boxes
    cos, sin = np.cos(-angle), np.sin(-angle)
    x, y = boxes[..., 0] - centre[0], boxes[..., 1] - centre[1]
    rotated = boxes.copy()
    rotated[..., 0] = centre[0] + x * cos - y * sin
    rotated[..., 1] = centre[1] + x * sin + y * cos
    return rotated


def _fit(image: Any, max_side: int, min_side: int = 0) -> Any:
    width, height = image.size
    longest = max(width, height)
    if longest < min_side:
        scale = min_side / longest
        return image.resize((round(width * scale), round(height * scale)), Image.Resampling.BICUBIC)
    if longest <= max_side:
        return image
    scale = max_side / longest
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))))
