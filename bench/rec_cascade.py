"""A recogniser cascade, prototype (issue 17, faster recognition): a fast model reads every text
line, ours (PP-OCRv6 small) reads again only the lines the fast one is unsure of, and the lines at
the top of the page, where the merchant is. Not the product: core/reading/ocr/local.py is
unchanged; this wraps its engine's recogniser, as LocalOcr wraps the recogniser's session.

    python bench/rec_cascade.py extraction --input images --half each \\
        --ocr fast_model=PATH,fast_dict=PATH,fast_score=0.9,fast_top=4
    python bench/rec_cascade.py speed --limit 6 --ocr fast_model=PATH,fast_dict=PATH,...

The first word names the bench run with ``CascadeOcr`` in place of LocalOcr (bench/extraction.py
or bench/reading_speed.py; the rest of the command line is that bench's). ``CascadeOcr`` takes
LocalOcr's options and these:
  fast_model   a PP-OCR-style CTC recogniser file (ONNX or OpenVINO IR); without it, CascadeOcr
               is LocalOcr exactly (so the speed bench's baseline stays the baseline)
  fast_dict    its character list, one a line (blank and space added as PaddleOCR does)
  fast_latin   1 (default): its output head cut to Latin-script characters (bench/rec_compare.py)
  fast_width   its minimum input width (default 160, as ours)
  fast_score   lines the fast model reads with a score (rapidocr's: mean character probability)
               under this are read again by ours (default 0.9)
  fast_min     ... or whose least character probability is under this (default 0: off)
  fast_top     ... and the first this many lines of each page (default 0), as rapidocr orders
               them (top to bottom)
The fast model runs on OpenVINO, one thread, widths padded to multiples of 32 as ours.
bench/faster_paddle_models.py writes PP-OCRv6 tiny's recogniser and characters from the
faster-paddle wheel, the only PyPI package found that ships it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rec_compare import ctc_decode, normalise, sliced_openvino
from core.reading.ocr import heads
from core.reading.ocr.local import LocalOcr


class FastRecogniser:
    """One text line (a BGR crop) -> (text, score, least character probability)."""

    def __init__(self, model: str, chars_file: str, *, latin: bool, min_width: int) -> None:
        import openvino as ov

        chars = ["blank", *Path(chars_file).read_text(encoding="utf-8").splitlines(), " "]
        if latin:
            net, chars = sliced_openvino(Path(model), chars, heads.latin)
        else:
            net = ov.Core().read_model(model)
        core = ov.Core()
        core.set_property("CPU", {"INFERENCE_NUM_THREADS": "1"})
        self._request = core.compile_model(net, "CPU").create_infer_request()
        self._chars = chars
        self._min_width = min_width

    def __call__(self, crop: Any) -> tuple[str, float, float]:
        self._request.infer([normalise(crop, 48, self._min_width, 32)])
        return ctc_decode(self._request.get_output_tensor().data[0], self._chars)


class Cascade:
    """Stands in for rapidocr's ``text_rec``: the fast model first, ours on the unsure lines."""

    def __init__(
        self, ours: Any, fast: FastRecogniser, *, score: float, least: float, top: int
    ) -> None:
        self.ours = ours
        self.fast = fast
        self.score = score
        self.least = least
        self.top = top
        self.lines = 0
        self.reread = 0

    def __call__(self, args: Any) -> Any:
        from rapidocr.ch_ppocr_rec.typings import TextRecInput, TextRecOutput

        t0 = time.perf_counter()
        crops = [args.img] if not isinstance(args.img, list) else args.img
        read = [self.fast(c) for c in crops]
        again = [
            i
            for i, (_, score, least) in enumerate(read)
            if i < self.top or score < self.score or least < self.least
        ]
        txts = [t for t, _, _ in read]
        scores = [s for _, s, _ in read]
        if again:
            out = self.ours(TextRecInput(img=[crops[i] for i in again]))
            for i, text, score in zip(again, out.txts, out.scores, strict=True):
                txts[i], scores[i] = text, score
        self.lines += len(crops)
        self.reread += len(again)
        return TextRecOutput(
            imgs=crops,
            txts=tuple(txts),
            scores=tuple(scores),
            word_results=tuple([None] * len(crops)),
            elapse=time.perf_counter() - t0,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ours, name)


class CascadeOcr(LocalOcr):
    """LocalOcr whose recogniser is a ``Cascade`` when ``fast_model`` is given."""

    def __init__(
        self,
        *,
        fast_model: str | None = None,
        fast_dict: str | None = None,
        fast_latin: int = 1,
        fast_width: int = 160,
        fast_score: float = 0.9,
        fast_min: float = 0.0,
        fast_top: int = 0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._fast = (fast_model, fast_dict, bool(fast_latin), fast_width)
        self._fast_rule = (fast_score, fast_min, fast_top)
        if fast_model:
            self.tag += (
                f"-cascade-{Path(fast_model).stem}-l{int(bool(fast_latin))}-w{fast_width}"
                f"-s{fast_score}-m{fast_min}-t{fast_top}"
            )

    def _load(self) -> Any:
        engine = super()._load()
        model, chars, latin, width = self._fast
        if model:
            if not chars:
                raise ValueError("fast_model needs fast_dict")
            fast = FastRecogniser(model, chars, latin=latin, min_width=width)
            score, least, top = self._fast_rule
            engine.text_rec = Cascade(engine.text_rec, fast, score=score, least=least, top=top)
            fast(_blank_line())  # its kernels compiled now, as LocalOcr's at warm-up
        return engine

    @property
    def cascade(self) -> Cascade | None:
        rec = getattr(self._engine, "text_rec", None)
        return rec if isinstance(rec, Cascade) else None


def _blank_line() -> Any:
    import numpy as np

    return np.full((48, 160, 3), 255, dtype=np.uint8)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("extraction", "speed"):
        print(__doc__, file=sys.stderr)
        return 2
    which = sys.argv.pop(1)
    if which == "extraction":
        import bench.extraction as bench
    else:
        import bench.reading_speed as bench  # type: ignore[no-redef]
    made: list[CascadeOcr] = []

    def factory(**kw: Any) -> CascadeOcr:
        made.append(CascadeOcr(**kw))
        return made[-1]

    bench.LocalOcr = factory  # type: ignore[attr-defined,assignment]
    code = bench.main()
    for ocr in made:
        if ocr.cascade is not None and ocr.cascade.lines:
            c = ocr.cascade
            print(
                f"cascade: {c.reread} of {c.lines} lines read again by ours "
                f"({100 * c.reread / c.lines:.0f}%)"
            )
    return code


if __name__ == "__main__":
    sys.exit(main())
