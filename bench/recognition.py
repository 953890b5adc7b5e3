"""Where recognition's time goes (issue 17): lines per receipt, the recogniser's input widths after
padding, the time of one line by width, and the fixed cost of one inference. One core, models
loaded; absolute milliseconds are noisy on a shared machine, the shape of the figures is not.

    python bench/recognition.py [--limit 12] [--ocr KEY=VALUE,...] [--repeat 50]

The images: the first ``--limit`` SROIE scans and the first ``--limit`` / 2 WildReceipt photos,
read by LocalOcr (with the ``--ocr`` options if any) as the processor decodes them. Each
recogniser inference is timed where LocalOcr hands it to OpenVINO (after rapidocr's crop, resize
and normalisation; before its CTC decoding). Then one blank line of each width is inferred
``--repeat`` times: the median of a 32 px line is about the fixed cost of an inference.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import DATA, option_value
from core.reading.documents import load_document
from core.reading.ocr.local import LocalOcr


class _Timed:
    """Wraps the recogniser's session: records (padded width, seconds) of each inference."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.calls: list[tuple[int, int, float]] = []  # (lines, padded width, seconds)

    def __call__(self, batch: Any) -> Any:
        t0 = time.perf_counter()
        out = self.session(batch)
        seconds = time.perf_counter() - t0
        step = getattr(self.session, "_step", 1)  # LocalOcr pads to multiples of it
        self.calls.append((batch.shape[0], -(-batch.shape[-1] // step) * step, seconds))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--limit", type=int, default=12)
    p.add_argument("--ocr", default="", help="LocalOcr options, e.g. rec_min_width=96")
    p.add_argument("--repeat", type=int, default=50)
    args = p.parse_args()
    options = {k: option_value(v) for k, v in (kv.split("=") for kv in args.ocr.split(",") if kv)}
    images = sorted((DATA / "sroie" / "img").glob("*.jpg"))[: args.limit]
    images += sorted((DATA / "wildreceipt" / "img").rglob("*.jp*g"))[: args.limit // 2]
    if not images:
        print(f"no images under {DATA}", file=sys.stderr)
        return 2
    ocr = LocalOcr(threads=1, **options)
    ocr.warm_up()
    rec = ocr._engine.text_rec
    timed = _Timed(rec.session)
    rec.session = timed
    per_receipt: list[int] = []
    rec_seconds = 0.0
    for path in images:
        doc = load_document(path.read_bytes(), max_pixels=40_000_000, max_pages=5, max_side=2000)
        before = len(timed.calls)
        steps: dict[str, float] = {}
        ocr.read(doc, steps=steps)
        rec_seconds += steps.get("rec", 0.0)
        per_receipt.append(sum(n for n, _, _ in timed.calls[before:]))
        print(f"\r  {len(per_receipt)}/{len(images)}", end="", file=sys.stderr, flush=True)
    print("\r", end="", file=sys.stderr)
    rec.session = timed.session

    lines = sum(per_receipt)
    inferred = sum(s for _, _, s in timed.calls)
    print(f"{len(images)} receipts, {lines} lines in {len(timed.calls)} inferences")
    print(
        f"lines per receipt: median {statistics.median(per_receipt):.0f}, "
        f"min {min(per_receipt)}, max {max(per_receipt)}"
    )
    print(
        f"recognition {rec_seconds:.2f} s, of which inference {inferred:.2f} s "
        f"({100 * inferred / max(rec_seconds, 1e-9):.0f}%); {1000 * rec_seconds / lines:.1f} ms "
        "a line"
    )
    by_width: dict[int, list[float]] = defaultdict(list)
    for n, width, seconds in timed.calls:
        by_width[width].extend([seconds / n] * n)
    print("padded width   lines  share of lines  share of time  median ms a line")
    for width in sorted(by_width):
        times = by_width[width]
        print(
            f"{width:>12} {len(times):>7} {100 * len(times) / lines:>14.0f}% "
            f"{100 * sum(times) / inferred:>13.0f}% {1000 * statistics.median(times):>17.2f}"
        )
    print(f"one blank line inferred {args.repeat} times (median ms):")
    for width in (32, 64, 96, 128, 160, 320, 640):
        x = np.zeros((1, 3, 48, width), np.float32)
        rec.session(x)  # the shape's kernels compiled outside the timing
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            rec.session(x)
            times.append(time.perf_counter() - t0)
        print(f"  {width:>4} px  {1000 * statistics.median(times):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
