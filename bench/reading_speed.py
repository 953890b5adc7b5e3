"""Where the time of reading a receipt goes, the path when issue 17 was filed (the baseline)
against the new one, on the same images in the same run, one core, models loaded.

    python bench/reading_speed.py [--limit 8] [--sroie DIR] [--kinds sample,2x,3x] [--keep DIR]
                                  [--ocr KEY=VALUE,...]

The images: the first ``--limit`` SROIE scans as they are ("sample") and their copies made now in
a temporary folder (bench/copies.py: 2x and 3x upscales as JPEG, ...), plus one receipt at about
1.5 and about 35 megapixels. Each image is read by both configurations in turn (the order
alternates, so that other load on the machine falls on both alike):
  baseline  the path when issue 17 was filed: the whole JPEG decoded, then shrunk to the reader's
            side (2000 px), read by LocalOcr with ``BASELINE_OCR`` (bench/extraction.py)
  new       the JPEG decoded at a reduced scale (``Image.draft``) and shrunk to the same side,
            read by LocalOcr as it is now, with the ``--ocr`` options if any (when that differs
            from the baseline's, a second engine is loaded: the peak memory counts both)
Per configuration and kind, the median seconds of each step (decode; resize: to the side and to
the engine's array; det, rec: the models; ocr_other: the engine's own pre- and post-processing;
extract: rules and validation) and of the whole; then the goals' ratios: the median per receipt
new / baseline over all images; the 35-megapixel receipt / the same at 1.5 megapixels (goal
<= 1.3); the peak resident memory of the process (both configurations, models loaded; goal 1 GB).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import contextlib
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.copies import make_copy
from bench.extraction import BASELINE_OCR, option_value
from core.errors import PermanentProcessingError
from core.reading.documents import load_document
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.local import LocalOcr, inference_precision
from core.reading.validation import validate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
STEPS = ("decode", "resize", "det", "rec", "ocr_other", "extract")
CONFIGS = ("baseline", "new")
MAX_PIXELS = 40_000_000


def read_once(
    ocr: LocalOcr, extractor: RulesExtractor, path: Path, *, config: str
) -> dict[str, float]:
    """The seconds of each step (and ``total``) for one image under ``config``."""
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    data = path.read_bytes()
    side = ocr.max_side if config == "new" else None
    doc = load_document(data, max_pixels=MAX_PIXELS, max_pages=5, max_side=side)
    t1 = time.perf_counter()
    result = ocr.read(doc, steps=steps)
    t2 = time.perf_counter()
    ex = extractor.extract(result)
    with contextlib.suppress(PermanentProcessingError):  # refused as not a receipt: still read
        validate(ex, today=date.today())
    t3 = time.perf_counter()
    steps["decode"] = t1 - t0
    steps["extract"] = t3 - t2
    steps["total"] = t3 - t0
    return steps


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sroie", type=Path, default=DATA / "sroie")
    p.add_argument("--limit", type=int, default=8)
    p.add_argument("--kinds", default="sample,2x,3x", help="sample and bench/copies.py kinds")
    p.add_argument("--keep", type=Path, default=None, help="make the copies here (kept)")
    p.add_argument(
        "--ocr",
        default="",
        help="LocalOcr options of the new configuration only, e.g. rec_min_width=96",
    )
    args = p.parse_args()

    sources = sorted((args.sroie / "img").glob("*.jpg"))[: args.limit]
    if not sources:
        print(f"no images in {args.sroie / 'img'}", file=sys.stderr)
        return 2
    kinds = [k for k in args.kinds.split(",") if k]
    with tempfile.TemporaryDirectory(prefix="receiptsnap-speed-") as tmp:
        folder = args.keep or Path(tmp)
        images: list[tuple[str, Path]] = []
        for kind in kinds:
            for src in sources:
                images.append((kind, src if kind == "sample" else make_copy(src, kind, folder)))
        # The size pair: one receipt of the sample, at ~1.5 and ~35 megapixels.
        pair = [(kind, make_copy(sources[0], kind, folder)) for kind in ("1.5mp", "35mp")]
        print(f"{len(images) + 2} images ready in {folder}", file=sys.stderr)

        base_ocr = LocalOcr(threads=1, **BASELINE_OCR)
        options = {
            k: option_value(v) for k, v in (kv.split("=") for kv in args.ocr.split(",") if kv)
        }
        new_ocr = LocalOcr(threads=1, **options)
        if new_ocr.tag == base_ocr.tag:  # the same configuration: one engine
            new_ocr = base_ocr
        extractor = RulesExtractor()
        t0 = time.perf_counter()
        base_ocr.warm_up()
        new_ocr.warm_up()
        print(f"OCR models loaded in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
        print(f"OCR inference precision: {inference_precision()}")
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        everything = images + pair * 3  # the pair thrice: one image, timings are noisy
        for n, (kind, path) in enumerate(everything):
            order = CONFIGS if n % 2 == 0 else CONFIGS[::-1]
            for config in order:
                ocr = new_ocr if config == "new" else base_ocr
                runs.setdefault((kind, config), []).append(
                    read_once(ocr, extractor, path, config=config)
                )
            print(f"\r  {n + 1}/{len(everything)}", end="", file=sys.stderr, flush=True)
        print("\r", end="", file=sys.stderr)

    def median(kind: str, config: str, step: str) -> float:
        return statistics.median(r.get(step, 0.0) for r in runs[(kind, config)])

    print(f"median seconds per receipt ({len(sources)} receipts a kind; one core)")
    print(f"{'kind':<7}{'config':<10}" + "".join(f"{s:>10}" for s in (*STEPS, "total")))
    for kind in [*kinds, "1.5mp", "35mp"]:
        for config in CONFIGS:
            print(
                f"{kind:<7}{config:<10}"
                + "".join(f"{median(kind, config, s):>10.3f}" for s in (*STEPS, "total"))
            )
    totals = {c: [r["total"] for k in kinds for r in runs[(k, c)]] for c in CONFIGS}
    base, new = (statistics.median(totals[c]) for c in CONFIGS)
    print(f"\nmedian per receipt over {', '.join(kinds)}: baseline {base:.3f} s, new {new:.3f} s")
    print(f"  new / baseline = {new / base:.2f} (goal <= 0.5)")
    for config in CONFIGS:
        ratio = median("35mp", config, "total") / median("1.5mp", config, "total")
        print(f"  {config}: 35 MP / 1.5 MP of the same receipt = {ratio:.2f} (goal <= 1.3)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak resident memory {peak:.0f} MB (both configurations, models loaded; goal 1024)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
