"""Score the category a receipt gets by itself, on the labelled receipts of shared/data.

    python bench/categories.py [--input lines|images] [--threshold 0.7] [--misses] [--cache]
                               [--sroie DIR] [--wild DIR] [--labels CSV]

bench/data/categories.csv labels every SROIE and WildReceipt receipt of shared/data once, by
hand, from its ground truth (merchant name and items), not with the classifier. Each receipt is
read as the product reads it: the rules extractor (which classifies with
core/categories/classify.py) on the data set's own OCR lines ("lines"), or on our OCR of the image
("images"), with the default category list; its category is compared with the label.

The receipts are split in two halves by a stable hash: SHA-256 of "<data set>/<receipt id>",
first byte even: TUNED, odd: HELD-OUT. (bench/extraction.py keeps its held-out receipts in
another folder, outside shared/data, passed with --sroie/--wild; those have no category labels,
so this bench splits shared/data itself.) The classifier's words were only adjusted looking at the
tuned half; --misses lists the tuned half's misses only, never the held-out half's.

For each half: right (the label), wrong (another category), none (left uncategorised); and how
often a category is right above and below the card's doubt threshold (the ❓).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import DATA, Case, ocr_image, sroie_cases, wild_cases
from core.reading.extraction.rules.extractor import RulesExtractor

LABELS = Path(__file__).resolve().parent / "data" / "categories.csv"
TUNED, HELD_OUT = "tuned", "held-out"


def half(dataset: str, receipt: str) -> str:
    """The half a receipt is in: a stable hash of its data set and id, never of its content."""
    first = hashlib.sha256(f"{dataset}/{receipt}".encode()).digest()[0]
    return TUNED if first % 2 == 0 else HELD_OUT


@dataclass(frozen=True, slots=True)
class Label:
    dataset: str
    receipt: str
    category: str
    reason: str


def read_labels(path: Path) -> dict[tuple[str, str], Label]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            Label(r["dataset"], r["receipt"], r["category"], r["reason"]) for r in csv.DictReader(f)
        ]
    return {(r.dataset, r.receipt): r for r in rows}


@dataclass
class Tally:
    n: int = 0
    right: int = 0
    wrong: int = 0
    none: int = 0
    sure: list[bool] = field(default_factory=list)  # right or not, at or above the threshold
    unsure: list[bool] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(
        self, got: str | None, conf: float, label: Label, *, threshold: float, why: str
    ) -> None:
        self.n += 1
        ok = got == label.category
        if got is None:
            self.none += 1
        elif ok:
            self.right += 1
        else:
            self.wrong += 1
        if got is not None:
            (self.sure if conf >= threshold else self.unsure).append(ok)
        if not ok:
            self.misses.append(
                f"{label.dataset} {label.receipt}: want {label.category} ({label.reason}); "
                f"got {got} {conf:.2f} ({why})"
            )


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "   n/a"


def cases(args: argparse.Namespace) -> Iterator[tuple[str, Case]]:
    for name, root, loader in (
        ("sroie", args.sroie, sroie_cases),
        ("wildreceipt", args.wild, wild_cases),
    ):
        if root.is_dir():
            for case in loader(root):
                yield name, case
        else:
            print(f"skipping {name}: {root} not found", file=sys.stderr)


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--input", choices=["lines", "images"], default="lines")
    p.add_argument("--sroie", type=Path, default=DATA / "sroie")
    p.add_argument("--wild", type=Path, default=DATA / "wildreceipt")
    p.add_argument("--labels", type=Path, default=LABELS)
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--cache", action="store_true", help="keep OCR output (images only)")
    p.add_argument("--misses", action="store_true", help="list the TUNED half's misses")
    args = p.parse_args()

    labels = read_labels(args.labels)
    ocr = None
    if args.input == "images":
        from core.reading.ocr.local import LocalOcr

        ocr = LocalOcr(threads=1)
        ocr.warm_up()
    extractor = RulesExtractor()
    tallies: dict[tuple[str, str], Tally] = {}
    unlabelled = 0
    for dataset, case in cases(args):
        label = labels.get((dataset, case.id))
        if label is None:
            unlabelled += 1
            continue
        lines = ocr_image(ocr, case.image, cache=args.cache) if ocr is not None else case.lines
        ex = extractor.extract(lines)
        conf = ex.confidence.get("category", 0.0)
        which = half(dataset, case.id)
        for key in ((dataset, which), ("all", which)):
            tallies.setdefault(key, Tally()).add(
                ex.category,
                conf,
                label,
                threshold=args.threshold,
                why=ex.merchant.name or "no merchant",
            )

    print(f"categories from {args.input}; labels {args.labels.name}; threshold {args.threshold}")
    print("TUNED: the classifier's words were adjusted looking at these receipts.")
    print("HELD-OUT: never looked at while tuning (split by SHA-256 of '<data set>/<id>').\n")
    print(
        f"{'half':<10}{'data set':<13}{'n':>4}  {'right':<17}{'wrong':<17}{'none':<17}"
        f"{'right if sure':<17}{'right if ❓':<17}"
    )
    for which in (TUNED, HELD_OUT):
        for dataset in ("sroie", "wildreceipt", "all"):
            t = tallies.get((dataset, which))
            if t is None:
                continue
            print(
                f"{which:<10}{dataset:<13}{t.n:>4}  {pct(t.right, t.n):<17}{pct(t.wrong, t.n):<17}"
                f"{pct(t.none, t.n):<17}{pct(sum(t.sure), len(t.sure)):<17}"
                f"{pct(sum(t.unsure), len(t.unsure)):<17}"
            )
    if unlabelled:
        print(f"\n{unlabelled} receipt(s) without a label were skipped")
    if args.misses:
        for dataset in ("sroie", "wildreceipt"):
            for miss in tallies.get((dataset, TUNED), Tally()).misses:
                print(f"miss {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
