"""Write an int8 text recogniser to measure against rapidocr's float one (issue 17: recognition is
most of a receipt's time). NNCF (the `quantise` extra, `make ocr-model`) is needed here only. It
lost (docs/ocr.md, "Speed": 0.8x the time a line, a few fields lost on both halves), so the
product does not read it; `--ocr rec_model=PATH` of the benches does.

    python scripts/quantise_recogniser.py [--receipts 24] [--lines 300] [--output DIR]

What it does, deterministically:
1. reads ``--receipts`` receipts of half A of ../shared/data (SROIE and WildReceipt, evenly spaced
   in their order; ``bench.extraction.half_of``: half B is kept for checking) with LocalOcr on the
   float model, and keeps every recogniser input (the text lines as rapidocr crops and normalises
   them, padded as LocalOcr pads them);
2. takes ``--lines`` of them, evenly spaced in reading order (no random draw);
3. quantises rapidocr 3.10.0's PP-OCRv6_rec_small.onnx with NNCF's post-training quantisation,
   transformer model type (the recogniser's neck is attention: the default CNN settings changed
   the text of 2 lines in 3), mixed preset (asymmetric activations);
4. saves it as OpenVINO IR (``PP-OCRv6_rec_small_int8.xml`` + ``.bin``, 0.8 + 5.7 MB) under
   .receiptsnap/models (not committed); the character list is kept in the IR's runtime info,
   where rapidocr reads it (else it would fetch a dictionary from the network).
The source model's weights are PaddleOCR's, Apache-2.0 as rapidocr redistributes them
(rapidocr-3.10.0.dist-info/licenses/MODEL_LICENSES.md); a quantised copy is a modified work under
the same licence.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import DATA, half_of, sroie_cases, wild_cases
from core.reading.documents import load_document
from core.reading.ocr.local import LocalOcr

OUTPUT = Path(__file__).resolve().parents[1] / ".receiptsnap" / "models"
NAME = "PP-OCRv6_rec_small_int8.xml"


class _Recorder:
    """Wraps the recogniser's session and keeps a copy of each input it is given."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs: list[Any] = []

    def __call__(self, batch: Any) -> Any:
        self.inputs.append(batch.copy())
        return self.session(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def line_inputs(half: str, receipts: int) -> list[Any]:
    """The recogniser's inputs on ``receipts`` receipts of ``half``, evenly spaced in the data
    sets' order."""
    import numpy as np

    ocr = LocalOcr(threads=1, latin_first=False)  # the whole model, as the wheel ships it
    ocr.warm_up()
    rec = ocr._engine.text_rec
    # Record below the padding, then pad as LocalOcr does: the shapes the product infers.
    recorder = _Recorder(rec.session._session)
    rec.session._session = recorder
    cases = [
        *(c for c in sroie_cases(DATA / "sroie") if half_of(c.id) == half),
        *(c for c in wild_cases(DATA / "wildreceipt") if half_of(c.id) == half),
    ]
    cases = cases[:: max(1, len(cases) // receipts)][:receipts]
    for n, case in enumerate(cases, 1):
        data = case.image.read_bytes()
        ocr.read(load_document(data, max_pixels=40_000_000, max_pages=5, max_side=ocr.max_side))
        print(f"\r  {n}/{len(cases)} receipts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return [np.ascontiguousarray(x, dtype=np.float32) for x in recorder.inputs]


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--receipts", type=int, default=24, help="receipts of half A to read")
    p.add_argument("--lines", type=int, default=300, help="calibration lines among theirs")
    p.add_argument("--output", type=Path, default=OUTPUT)
    args = p.parse_args()
    try:
        import nncf
        import openvino as ov
    except ImportError:
        print("needs the quantise extra: pip install -e '.[ocr,quantise]'", file=sys.stderr)
        return 2
    import rapidocr

    source = Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_rec_small.onnx"
    if not (DATA / "sroie").is_dir():
        print(f"no data set under {DATA}", file=sys.stderr)
        return 2
    inputs = line_inputs("A", args.receipts)
    step = max(1, len(inputs) // args.lines)
    calibration = inputs[::step][: args.lines]
    print(
        f"{len(inputs)} lines from {args.receipts} receipts of half A; "
        f"calibrating on {len(calibration)}",
        file=sys.stderr,
    )
    model = ov.Core().read_model(str(source))
    quantised = nncf.quantize(
        model,
        nncf.Dataset(calibration),
        subset_size=len(calibration),
        preset=nncf.QuantizationPreset.MIXED,
        model_type=nncf.ModelType.TRANSFORMER,
    )
    args.output.mkdir(parents=True, exist_ok=True)
    out = args.output / NAME
    ov.save_model(quantised, str(out), compress_to_fp16=False)
    for path in (out, out.with_suffix(".bin")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path}: {path.stat().st_size} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
