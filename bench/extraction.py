"""Score the extraction on real receipts: SROIE (scans with ground truth) and WildReceipt (photos).

    python bench/extraction.py [--input images|lines|both] [--limit N] [--sroie DIR] [--wild DIR]
                               [--threshold 0.7] [--cache] [--half A|B|all|each] [--misses]
                               [--copies 2x,3x,q95,rot90,rot270,exif] [--baseline]

For each data set and input it prints, per field, the share of receipts right, and seconds per
receipt (OCR + extraction, one core; median and max too) and the process's peak memory:
  total     the number equals a reading of the ground truth (currency signs ignored; "197.285" is
            197285 or 197.285; on WildReceipt any box labelled Total_value, as issue 17 scores)
  date      the same calendar day (SROIE prints day first; our output is ISO 8601)
  merchant  upper-cased with everything but A-Z and 0-9 removed, equal to the ground truth's
"images" runs our OCR on the image (the real product); "lines" gives the data set's own OCR lines
to the extractor alone. Either way the extraction is then validated as the processor does
(``core.reading.validation.validate``: amounts that cannot be make their fields doubtful; one it
refuses as not a receipt is scored as extracted). Then, per field, accuracy above and below the
confidence threshold.
--sroie/--wild point at other folders of the same layout (e.g. a held-out set).
--half: each data set is split in two halves by a hash of the file name (``half_of``): fit rules
on one, check them on the other. "each" (the default) prints A, B and all; a rule that helps one
half and hurts the other fits receipts, not receipts in general.
Calibration: per field, the share wrong among fields reported with confidence >= 0.9 (the goal is
at most 1%; each such receipt is a calibration bug, listed with --misses).
--cache keeps OCR output under .receiptsnap/cache (to iterate on rules; timings then exclude OCR).
--copies also reads transformed copies of the images (bench/copies.py), made now in a temporary
folder: the same receipts, so the figures should not move (input "2x", "q95", ...).
--baseline reads images as before issue 17: the whole JPEG decoded, then shrunk by the OCR (instead
of decoded at a reduced scale), by LocalOcr with ``BASELINE_OCR``; --ocr options apply on top.
bench/reading_speed.py compares the two paths' times in one run.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from bench.copies import KINDS, make_copy
from core.contracts import ReceiptExtraction
from core.errors import PermanentProcessingError
from core.reading.documents import load_document
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import OcrLine, OcrResult
from core.reading.ocr.local import LocalOcr, inference_precision
from core.reading.validation import validate

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CACHE = REPO / ".receiptsnap" / "cache" / "ocr"
FIELDS = ("total", "date", "merchant")
HALVES = ("A", "B")
CONFIDENT = 0.9  # a field reported at or above this should be wrong at most 1% of the time
# LocalOcr as it was when issue 17 was filed, whatever its defaults become: the speed goal's
# baseline (bench/reading_speed.py; --baseline here).
BASELINE_OCR: dict[str, Any] = {
    "rec_model": None,
    "rec_min_width": 160,
    "det_side": 960,
    "min_side": 0,
    "latin_first": False,
}
MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}


@dataclass
class Case:
    id: str
    image: Path
    lines: OcrResult
    totals: set[Decimal]  # every reading of every amount labelled as the total
    dates: set[date]
    merchants: set[str]
    item_prices: list[Decimal] | None = None  # WildReceipt labels the items' prices


@dataclass
class Score:
    n: int = 0
    seconds: float = 0.0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    counted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    by_conf: dict[str, list[tuple[float, bool]]] = field(
        default_factory=lambda: {f: [] for f in FIELDS}
    )
    misses: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    confident_misses: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    times: list[float] = field(default_factory=list)
    # Line items, where the data set labels them: item prices found / expected / extracted.
    items_found: int = 0
    items_expected: int = 0
    items_extracted: int = 0

    def items_f1(self) -> str:
        if not self.items_expected:
            return "n/a"
        precision = self.items_found / max(self.items_extracted, 1)
        recall = self.items_found / self.items_expected
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        return f"{100 * f1:.1f}% (P {100 * precision:.0f}% R {100 * recall:.0f}%)"


def half_of(case_id: str) -> str:
    """ "A" or "B", from a hash of the receipt's file name: the same on every run and machine
    (not Python's salted ``hash``), unrelated to the order or content of the data set."""
    return HALVES[hashlib.sha256(case_id.encode("utf-8")).digest()[0] % 2]


def split(cases: list[Case], half: str) -> list[Case]:
    """The cases of ``half`` ("A" or "B"), or all of them for "all"."""
    return cases if half == "all" else [c for c in cases if half_of(c.id) == half]


def norm(text: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def parse_amount(text: str) -> Decimal | None:
    cleaned = re.sub(r"[^0-9.,-]", "", text or "")
    if re.search(r",\d{2}$", cleaned) and "." not in cleaned[-3:]:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned).quantize(Decimal("0.01")) if cleaned else None
    except InvalidOperation:
        return None


def parse_amounts(text: str) -> set[Decimal]:
    """Every amount a printed total can be read as: "197.285" is 197,285 (a dot between
    thousands, as in rupiah or euros) or 197.285 (three decimals, as in dinars), never 197.28
    (``parse_amount`` rounds it so); like dates, day-first and month-first."""
    cleaned = re.sub(r"[^0-9.,-]", "", text or "")
    if m := re.fullmatch(r"(-?\d{1,3})[.,](\d{3})", cleaned):
        return {Decimal(m[1] + m[2]), Decimal(f"{m[1]}.{m[2]}")}
    amount = parse_amount(text)
    return {amount} if amount is not None else set()


def parse_dates(text: str) -> set[date]:
    """Every calendar day the printed date can be read as (day-first and month-first)."""
    s = text.strip().strip("()").upper()
    out: set[date] = set()

    def add(y: int, mo: int, d: int) -> None:
        y = y + 2000 if y < 100 else y
        with contextlib.suppress(ValueError):
            out.add(date(y, mo, d))

    if m := re.search(r"(\d{4})[/.\-]?(\d{2})[/.\-]?(\d{2})", s):
        add(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})", s):
        add(int(m[3]), int(m[2]), int(m[1]))
        add(int(m[3]), int(m[1]), int(m[2]))
    day_month = re.search(r"(\d{1,2})[\s\-/]*([A-Z]{3})[A-Z]*[\s\-/,]*(\d{2,4})", s)
    if day_month and day_month[2] in MONTHS:
        add(int(day_month[3]), MONTHS[day_month[2]], int(day_month[1]))
    if (m := re.search(r"([A-Z]{3})[A-Z]*\.?\s*(\d{1,2}),?\s*(\d{2,4})", s)) and m[1] in MONTHS:
        add(int(m[3]), MONTHS[m[1]], int(m[2]))
    return out


def sroie_day_first(text: str) -> set[date]:
    """SROIE prints day first: of the readings, keep the day-first one when there is one."""
    s = text.strip().strip("()")
    if m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})", s):
        y = int(m[3]) + (2000 if int(m[3]) < 100 else 0)
        try:
            return {date(y, int(m[2]), int(m[1]))}
        except ValueError:
            pass
    return parse_dates(text)


def box_lines(path: Path) -> OcrResult:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        parts = raw.strip().split(",", 8)
        if len(parts) == 9:
            xs = [float(v) for v in parts[0:8:2]]
            ys = [float(v) for v in parts[1:8:2]]
            lines.append(OcrLine(parts[8], (min(xs), min(ys), max(xs), max(ys))))
    return OcrResult(lines=lines, engine="dataset")


def sroie_cases(root: Path) -> Iterator[Case]:
    for img in sorted((root / "img").glob("*.jpg")):
        key = json.loads((root / "key" / f"{img.stem}.json").read_text(encoding="utf-8"))
        yield Case(
            id=img.stem,
            image=img,
            lines=box_lines(root / "box" / f"{img.stem}.txt"),
            totals=parse_amounts(key.get("total", "")),
            dates=sroie_day_first(key.get("date", "")),
            merchants={norm(key.get("company"))} if key.get("company") else set(),
        )


def wild_cases(root: Path) -> Iterator[Case]:
    for ann_path in sorted((root / "ann").glob("*.json")):
        ann = json.loads(ann_path.read_text(encoding="utf-8"))
        image = root / "img" / f"{ann_path.stem}.jpeg"
        lines, names, totals, dates, prices = [], [], set(), set(), []
        for a in ann["annotations"]:
            xs, ys = a["box"][0::2], a["box"][1::2]
            if a["text"]:
                lines.append(OcrLine(a["text"], (min(xs), min(ys), max(xs), max(ys))))
            if a["label"] == 1:
                names.append(a["text"])
            elif a["label"] == 23:  # Total_value: any of them is right
                totals |= parse_amounts(a["text"])
            elif a["label"] == 7:
                dates |= parse_dates(a["text"])
            elif a["label"] == 15:  # Prod_price_value
                prices.append(parse_amount(a["text"]))
        merchants = {norm("".join(names))} | {norm(n) for n in names} if names else set()
        yield Case(
            ann_path.stem,
            image,
            OcrResult(lines, "dataset"),
            totals,
            dates,
            merchants - {""},
            [p for p in prices if p is not None],
        )


def ocr_image(ocr: LocalOcr, path: Path, *, cache: bool, baseline: bool = False) -> OcrResult:
    data = path.read_bytes()
    tag = ocr.tag if baseline else f"{ocr.tag}-draft"
    cached = CACHE / tag / f"{hashlib.sha256(data).hexdigest()}.json"
    if cache and cached.exists():
        rows = json.loads(cached.read_text())
        return OcrResult([OcrLine(r[0], tuple(r[1]), r[2], r[3]) for r in rows], ocr.name)
    # As the processor decodes for LocalOcr: at most its side (a JPEG at a reduced scale).
    side = None if baseline else ocr.max_side
    doc = load_document(data, max_pixels=40_000_000, max_pages=5, max_side=side)
    result = ocr.read(doc)
    if cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        rows = [[ln.text, list(ln.box), ln.confidence, ln.page] for ln in result.lines]
        cached.write_text(json.dumps(rows))
    return result


def score_one(score: Score, case: Case, ex: ReceiptExtraction, seconds: float) -> None:
    score.n += 1
    score.seconds += seconds
    score.times.append(seconds)
    got = {
        "total": ex.total,
        "date": ex.purchase_date,
        "merchant": norm(ex.merchant.name),
    }
    truth = {"total": case.totals, "date": case.dates, "merchant": case.merchants}
    for f in FIELDS:
        expected = truth[f]
        if not expected:
            continue
        ok = got[f] in expected  # type: ignore[operator]
        score.counted[f] += 1
        score.right[f] += ok
        conf = float(ex.confidence.get(f, 0.0))  # type: ignore[call-overload]
        score.by_conf[f].append((conf, ok))
        if not ok:
            score.misses[f].append(f"{case.id}: want {expected} got {got[f]} (conf {conf:.2f})")
            if conf >= CONFIDENT:
                score.confident_misses[f].append(
                    f"{case.id}: want {expected} got {got[f]} (conf {conf:.2f})"
                )
    if case.item_prices:
        # Matched as multisets of amounts: an item is found when its price is extracted.
        expected_prices = list(case.item_prices)
        extracted = [item.amount for item in ex.line_items if item.amount is not None]
        score.items_expected += len(expected_prices)
        score.items_extracted += len(extracted)
        for amount in extracted:
            if amount in expected_prices:
                expected_prices.remove(amount)
                score.items_found += 1


def validated(ex: ReceiptExtraction) -> ReceiptExtraction:
    """The extraction as the processor stores it. One validation refuses (not a receipt: no
    total, date or items) is scored as extracted, as before validation was run here, so that
    figures stay comparable (the refused receipt's merchant may still be right)."""
    try:
        return validate(ex, today=date.today())
    except PermanentProcessingError:
        return ex


Outcome = tuple[Case, ReceiptExtraction, float]


def run(
    cases: list[Case], *, images: bool, ocr: LocalOcr | None, cache: bool, baseline: bool = False
) -> list[Outcome]:
    """Each case read (OCR on its image, or its own lines) and extracted, with the seconds."""
    extractor = RulesExtractor()
    outcomes: list[Outcome] = []
    for n, case in enumerate(cases, 1):
        t0 = time.perf_counter()
        if images:
            assert ocr is not None
            try:
                lines = ocr_image(ocr, case.image, cache=cache, baseline=baseline)
            except PermanentProcessingError as exc:
                # Refused as the product refuses it (a 3x copy of a photo past 40 megapixels):
                # scored as read with nothing found, and said.
                print(f"\n  {case.id}: refused: {exc}", file=sys.stderr)
                lines = OcrResult([], ocr.name)
        else:
            lines = case.lines
        ex = validated(extractor.extract(lines))
        outcomes.append((case, ex, time.perf_counter() - t0))
        print(f"\r  {n}/{len(cases)}", end="", file=sys.stderr, flush=True)
    print("\r", end="", file=sys.stderr)
    return outcomes


def scored(outcomes: list[Outcome], half: str) -> Score:
    score = Score()
    for case, ex, seconds in outcomes:
        if half == "all" or half_of(case.id) == half:
            score_one(score, case, ex, seconds)
    return score


def calibration(score: Score) -> str:
    """Per field: wrong among those reported with confidence >= CONFIDENT (the goal: <= 1%)."""
    parts = []
    for f in FIELDS:
        confident = [ok for c, ok in score.by_conf[f] if c >= CONFIDENT]
        wrong = len(confident) - sum(confident)
        share = f"{100 * wrong / len(confident):.1f}%" if confident else "n/a"
        parts.append(f"{f} {share} ({wrong}/{len(confident)})")
    return "; ".join(parts)


def pct(right: int, counted: int) -> str:
    return f"{100 * right / counted:5.1f}% ({right}/{counted})" if counted else "   n/a"


def option_value(text: str) -> Any:
    """``--ocr`` values: integers, floats, true/false, else the text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--input", choices=["images", "lines", "both"], default="both")
    p.add_argument("--sroie", type=Path, default=DATA / "sroie")
    p.add_argument("--wild", type=Path, default=DATA / "wildreceipt")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--cache", action="store_true")
    p.add_argument(
        "--ocr",
        default="",
        help="LocalOcr options to try, e.g. det_side=736,rec_batch=1,rec_min_width=160",
    )
    p.add_argument("--misses", action="store_true", help="list the receipts each field missed")
    p.add_argument(
        "--copies",
        default="",
        help=f"also read these transformed copies of the images: {','.join(KINDS)}",
    )
    p.add_argument("--baseline", action="store_true", help="read images as before issue 17")
    p.add_argument(
        "--half",
        choices=["A", "B", "all", "each"],
        default="each",
        help="which half of each data set to report (each: A, B and all)",
    )
    args = p.parse_args()

    sets = []
    for name, root, loader in (
        ("SROIE", args.sroie, sroie_cases),
        ("WildReceipt", args.wild, wild_cases),
    ):
        if root.is_dir():
            sets.append((name, list(loader(root))[: args.limit]))
        else:
            print(f"skipping {name}: {root} not found", file=sys.stderr)
    if not sets:
        print("no data set found; pass --sroie or --wild", file=sys.stderr)
        return 2
    inputs = ["images", "lines"] if args.input == "both" else [args.input]
    copies = [k for k in args.copies.split(",") if k]
    if unknown := set(copies) - set(KINDS):
        p.error(f"unknown copies {sorted(unknown)}; choose from {', '.join(KINDS)}")
    if copies and "images" not in inputs:
        inputs.append("images")
    options: dict[str, Any] = {
        k: option_value(v) for k, v in (kv.split("=") for kv in args.ocr.split(",") if kv)
    }
    if args.baseline:
        options = {**BASELINE_OCR, **options}
    ocr = LocalOcr(threads=1, **options) if "images" in inputs else None
    if ocr is not None:
        t0 = time.perf_counter()
        ocr.warm_up()
        print(f"OCR models loaded in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
        print(f"OCR inference precision: {inference_precision()}")

    halves = ["A", "B", "all"] if args.half == "each" else [args.half]
    header = f"{'data set':<12}{'input':<8}{'half':<5}{'n':>4}  "
    header += "".join(f"{f:<18}" for f in FIELDS)
    header += f"{'s/receipt':>9}{'median':>8}{'max':>7}  items F1 (prices)"
    rows, scores = [], []
    folder = Path(tempfile.mkdtemp(prefix="receiptsnap-copies-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # also when a run fails
    for name, cases in sets:
        for inp in [*inputs, *copies]:
            print(f"{name} from {inp}…", file=sys.stderr)
            if inp in copies:
                cases_in = [
                    dataclasses.replace(c, image=make_copy(c.image, inp, folder)) for c in cases
                ]
            else:
                cases_in = cases
            outcomes = run(
                cases_in,
                images=inp != "lines",
                ocr=ocr,
                cache=args.cache,
                baseline=args.baseline,
            )
            for half in halves:
                s = scored(outcomes, half)
                scores.append((name, inp, half, s))
                rows.append(
                    f"{name:<12}{inp:<8}{half:<5}{s.n:>4}  "
                    + "".join(f"{pct(s.right[f], s.counted[f]):<18}" for f in FIELDS)
                    + f"{s.seconds / max(s.n, 1):>9.3f}"
                    + f"{statistics.median(s.times) if s.times else 0:>8.3f}"
                    + f"{max(s.times, default=0):>7.2f}"
                    + f"  {s.items_f1()}"
                )
    print(header)
    print("\n".join(rows))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak resident memory {peak:.0f} MB (models loaded; goal 1024)")

    print(f"\nconfidence threshold {args.threshold}: accuracy above / below (count)")
    for name, inp, half, s in scores:
        parts = []
        for f in FIELDS:
            hi = [ok for c, ok in s.by_conf[f] if c >= args.threshold]
            lo = [ok for c, ok in s.by_conf[f] if c < args.threshold]
            parts.append(f"{f} {pct(sum(hi), len(hi)).strip()} / {pct(sum(lo), len(lo)).strip()}")
        print(f"  {name:<12}{inp:<8}{half:<5}" + "; ".join(parts))
    print(f"\ncalibration: wrong among fields with confidence >= {CONFIDENT} (goal <= 1%)")
    for name, inp, half, s in scores:
        print(f"  {name:<12}{inp:<8}{half:<5}{calibration(s)}")
    if args.misses:
        for name, inp, half, s in scores:
            if half != halves[-1]:
                continue  # each receipt once: the last half listed is "all" when there are several
            for f in FIELDS:
                for miss in s.misses[f]:
                    print(f"miss {name} {inp} {half_of(miss.split(':')[0])} {f} {miss}")
            for f in FIELDS:
                for miss in s.confident_misses[f]:
                    print(f"confident miss {name} {inp} {half_of(miss.split(':')[0])} {f} {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
