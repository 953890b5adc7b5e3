"""Record the text-line crops that LocalOcr hands its recogniser (issue 17, faster recognition):
the input of every recogniser experiment in bench/rec_*.py, so that each variant reads exactly the
same lines.

    python bench/rec_crops.py --out /tmp/fastrec/crops_A.pkl [--half A] [--sroie 12] [--wild 8]

The receipts: the first ``--sroie`` SROIE scans and the first ``--wild`` WildReceipt photos of
``--half`` (bench/extraction.py's ``half_of``), decoded as the processor decodes them and read
by LocalOcr with its defaults. Per line: the crop (BGR uint8, as rapidocr cut and straightened
it), our recogniser's text and score, and where the line's box sits on the page (its centre's
height as a fraction of the page: the merchant is near the top).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import DATA, half_of
from core.reading.documents import load_document
from core.reading.ocr.local import LocalOcr


class _Spy:
    """Wraps a rapidocr step object (``text_det`` or ``text_rec``): keeps its last input/output."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, arg: Any) -> Any:
        # Input and output as they are now: rapidocr filters both lists in place afterwards
        # (lines under its score threshold).
        out = self.inner(arg)
        if hasattr(arg, "img"):  # the recogniser: (crops, texts, scores)
            self.calls.append((list(arg.img), (list(out.txts), list(out.scores))))
        else:  # the detector: (page, boxes)
            self.calls.append((arg, None if out.boxes is None else np.array(out.boxes)))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def images(half: str, n_sroie: int, n_wild: int) -> list[tuple[str, Path]]:
    sroie = [p for p in sorted((DATA / "sroie" / "img").glob("*.jpg")) if half_of(p.stem) == half]
    wild = [
        p for p in sorted((DATA / "wildreceipt" / "img").glob("*.jpeg")) if half_of(p.stem) == half
    ]
    return [("sroie", p) for p in sroie[:n_sroie]] + [("wild", p) for p in wild[:n_wild]]


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--half", default="A", choices=["A", "B"])
    p.add_argument("--sroie", type=int, default=12)
    p.add_argument("--wild", type=int, default=8)
    args = p.parse_args()
    ocr = LocalOcr(threads=1)
    ocr.warm_up()
    engine = ocr._engine
    det, rec = _Spy(engine.text_det), _Spy(engine.text_rec)
    engine.text_det, engine.text_rec = det, rec
    lines: list[dict[str, Any]] = []
    todo = images(args.half, args.sroie, args.wild)
    for n, (kind, path) in enumerate(todo, 1):
        doc = load_document(path.read_bytes(), max_pixels=40_000_000, max_pages=5, max_side=2000)
        det.calls.clear()
        rec.calls.clear()
        ocr.read(doc)
        # A page read twice (it lay sideways): the last reading is the one kept. A reading
        # whose detection found nothing ran no recogniser: such a receipt is left out.
        if not rec.calls or len(det.calls) != len(rec.calls):
            print(f"\n  {path.stem}: left out (a detection found no text)", file=sys.stderr)
            continue
        (det_in, boxes), (rec_in, (txts, scores)) = det.calls[-1], rec.calls[-1]
        height = det_in.shape[0]
        assert len(rec_in) == len(txts) == len(boxes), (len(rec_in), len(txts), len(boxes))
        for i, crop in enumerate(rec_in):
            lines.append(
                {
                    "receipt": f"{kind}/{path.stem}",
                    "crop": np.ascontiguousarray(crop),
                    "text": txts[i],
                    "score": float(scores[i]),
                    "y": float(boxes[i, :, 1].mean() / height),
                    "row": i,
                }
            )
        print(f"\r  {n}/{len(todo)}", end="", file=sys.stderr, flush=True)
    print("\r", end="", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as f:
        pickle.dump(lines, f)
    print(f"{len(todo)} receipts, {len(lines)} lines -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
