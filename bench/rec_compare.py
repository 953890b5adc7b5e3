"""Recognisers compared on the same recorded text-line crops (issue 17, faster recognition): time
per line, interleaved in one run, and how many lines each reads exactly as ours does.

    python bench/rec_compare.py CROPS.pkl [VARIANT ...] [--limit N] [--diff 30]

CROPS.pkl comes from bench/rec_crops.py. Variants (the first is the reference; default
``ours latin``):
  ours          PP-OCRv6 small as LocalOcr runs it: OpenVINO, one thread, height 48, at least
                160 px wide, widths padded to multiples of 32 (``_PaddedShape``)
  latin         the same model with its output head sliced to the characters of Latin-script
                receipts (``latin``): the last MatMul's weights, its bias and the
                character list cut identically, in memory (OpenVINO's API), blank and space kept
  onnx:PATH[:engine=ov|ort][:dict=FILE][:width=N][:height=N][:latin=1]
                any PP-OCR-style CTC recogniser file: its character list from the model's
                metadata ("character") or from ``dict`` (one per line; blank prepended and
                space appended as PaddleOCR does); ``ort`` runs ONNX Runtime (one thread, no
                padding), ``ov`` OpenVINO as ours; ``latin=1`` slices its head as ``latin``
  indra         the Indra OCR Latin recogniser (Datalab's weights, modified OpenRAIL-M licence)
                as rapidocrlite 5.0.0a15 bundles and runs it (its native engine, one thread,
                recognition only); needs rapidocrlite in the venv (its import name is rapidocr)
Each line is read by every variant in turn (the order rotates line by line, so that other load
on the machine falls on all alike); each read is timed whole (resize, normalisation, inference,
CTC decoding). Printed: per variant the total seconds, the ratio to the first, lines read
exactly as the first reads them, and the first ``--diff`` differences.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import pickle
import sys
import time
import unicodedata
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.reading.ocr.heads import latin

# The recogniser rapidocr's wheel ships (its default: no download), or another ONNX file.
OURS = Path(
    os.environ.get(
        "RAPIDOCR_REC",
        str(Path(find_spec("rapidocr").origin).parent / "models" / "PP-OCRv6_rec_small.onnx"),  # type: ignore[arg-type, union-attr]
    )
)

# A line's text, its score (rapidocr's: the mean of the kept steps' probabilities) and the least
# of those probabilities (another confidence, for a cascade's threshold).
Read = tuple[str, float, float]
Recognise = Callable[[np.ndarray], Read]


def ctc_decode(probs: np.ndarray, chars: list[str]) -> Read:
    """rapidocr's CTCLabelDecode for one line: argmax per step, repeats merged, blanks (0)
    dropped; the score is the mean of the kept steps' maxima (0 when none is kept), then the
    least of them."""
    idx = probs.argmax(axis=1)
    prob = probs.max(axis=1)
    keep = np.ones(len(idx), dtype=bool)
    keep[1:] = idx[1:] != idx[:-1]
    keep &= idx != 0
    text = "".join(chars[i] for i in idx[keep])
    conf = prob[keep]
    if not len(conf):
        return text, 0.0, 0.0
    return text, float(np.round(np.mean(conf), 5)), float(conf.min())


def normalise(crop: np.ndarray, height: int, min_width: int, step: int) -> np.ndarray:
    """rapidocr's resize_norm_img for a batch of one, then padded to a multiple of ``step``."""
    h, w = crop.shape[:2]
    ratio = max(min_width / height, w / h)
    width = int(height * ratio)
    resized_w = min(width, math.ceil(height * w / h))
    img = cv2.resize(crop, (resized_w, height)).astype(np.float32)
    img = img.transpose(2, 0, 1) / 255
    img -= 0.5
    img /= 0.5
    width = -(-width // step) * step
    out = np.zeros((1, 3, height, width), dtype=np.float32)
    out[0, :, :, :resized_w] = img
    return out


def model_chars(path: Path, dict_file: str | None) -> list[str]:
    """The model's character list as rapidocr decodes it: blank first, space last."""
    if dict_file:
        chars = Path(dict_file).read_text(encoding="utf-8").splitlines()
    else:
        import openvino as ov

        model = ov.Core().read_model(str(path))
        chars = str(model.get_rt_info()["framework"]["character"].value).splitlines()
    return ["blank", *chars, " "]


def sliced_openvino(path: Path, chars: list[str], keep: Callable[[str], bool]) -> tuple[Any, list]:
    """The model read by OpenVINO with its last MatMul + Add (the head) cut to the kept
    classes: blank (0), the characters ``keep`` accepts, the space (last)."""
    import openvino as ov
    import openvino.opset13 as ops

    model = ov.Core().read_model(str(path))
    index = [0] + [i for i in range(1, len(chars) - 1) if keep(chars[i])] + [len(chars) - 1]
    matmul = [op for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"][-1]
    weight = matmul.input_value(1).get_node()
    assert weight.get_type_name() == "Constant", weight.get_type_name()
    w = weight.get_data()
    assert w.shape[-1] == len(chars), (w.shape, len(chars))
    matmul.input(1).replace_source_output(ops.constant(np.ascontiguousarray(w[:, index])).output(0))
    add = next(iter(matmul.output(0).get_target_inputs())).get_node()
    assert add.get_type_name() == "Add"
    bias_in = 1 if add.input_value(1).get_node().get_type_name() == "Constant" else 0
    b = add.input_value(bias_in).get_node().get_data()
    add.input(bias_in).replace_source_output(
        ops.constant(np.ascontiguousarray(b[..., index])).output(0)
    )
    model.validate_nodes_and_infer_types()
    return model, [chars[i] for i in index]


def openvino_recogniser(
    model: Any, chars: list[str], *, height: int, min_width: int, step: int
) -> Recognise:
    import openvino as ov

    core = ov.Core()
    core.set_property("CPU", {"INFERENCE_NUM_THREADS": "1"})
    request = core.compile_model(model, "CPU").create_infer_request()

    def recognise(crop: np.ndarray) -> Read:
        request.infer([normalise(crop, height, min_width, step)])
        return ctc_decode(request.get_output_tensor().data[0], chars)

    return recognise


def ort_recogniser(path: Path, chars: list[str], *, height: int, min_width: int) -> Recognise:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def recognise(crop: np.ndarray) -> Read:
        out = session.run(None, {name: normalise(crop, height, min_width, 1)})[0]
        return ctc_decode(out[0], chars)

    return recognise


def indra_recogniser() -> Recognise:
    from rapidocr import RapidOCR  # rapidocrlite's

    engine = RapidOCR(
        params={
            "Det.model_type": "lite",
            "Rec.model_type": "lite",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        }
    )

    def recognise(crop: np.ndarray) -> Read:
        out = engine(crop, use_det=False, use_cls=False, use_rec=True)
        text, score = str(out.txts[0]), float(out.scores[0])
        return text, score, score  # no per-character probabilities: the score twice

    return recognise


def make(spec: str) -> Recognise:
    if spec == "indra":
        return indra_recogniser()
    if spec in ("ours", "latin"):
        chars = model_chars(OURS, None)
        if spec == "latin":
            model, chars = sliced_openvino(OURS, chars, latin)
        else:
            import openvino as ov

            model = ov.Core().read_model(str(OURS))
        return openvino_recogniser(model, chars, height=48, min_width=160, step=32)
    if spec.startswith("onnx:"):
        path, *opts = spec[5:].split(":")
        kv = dict(o.split("=", 1) for o in opts)
        chars = model_chars(Path(path), kv.get("dict"))
        height, width = int(kv.get("height", 48)), int(kv.get("width", 160))
        if kv.get("engine", "ov") == "ort":
            return ort_recogniser(Path(path), chars, height=height, min_width=width)
        import openvino as ov

        if kv.get("latin") == "1":
            model, chars = sliced_openvino(Path(path), chars, latin)
        else:
            model = ov.Core().read_model(path)
        return openvino_recogniser(model, chars, height=height, min_width=width, step=32)
    raise SystemExit(f"unknown variant {spec!r}")


def cjk(text: str) -> int:
    return sum(
        "CJK" in unicodedata.name(c, "") or "HANGUL" in unicodedata.name(c, "") for c in text
    )


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("crops", type=Path)
    p.add_argument("variants", nargs="*", default=["ours", "latin"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--diff", type=int, default=30)
    p.add_argument("--out", type=Path, help="pickle the texts and scores of every variant here")
    args = p.parse_args()
    with args.crops.open("rb") as f:
        lines = pickle.load(f)[: args.limit]  # noqa: S301 (our own recording)
    names = args.variants
    recognisers = [make(v) for v in names]
    for r in recognisers:  # every shape's kernels compiled outside the timing
        for line in lines:
            r(line["crop"])
    seconds = [0.0] * len(names)
    times: list[list[float]] = [[] for _ in names]
    read: list[list[Read]] = [[] for _ in names]
    for n, line in enumerate(lines):
        order = list(range(len(names)))
        order = order[n % len(order) :] + order[: n % len(order)]
        for i in order:
            t0 = time.perf_counter()
            out = recognisers[i](line["crop"])
            times[i].append(time.perf_counter() - t0)
            seconds[i] += times[i][-1]
            read[i].append(out)
    ref = read[0]
    recorded = sum(r[0] == line["text"] for r, line in zip(ref, lines, strict=True))
    print(f"{len(lines)} lines; {names[0]} reads {recorded} as recorded by LocalOcr")
    for i, name in enumerate(names):
        same = sum(a[0] == b[0] for a, b in zip(read[i], ref, strict=True))
        print(
            f"{name[:60]:<60} {seconds[i]:7.2f} s  x{seconds[i] / seconds[0]:.2f}  "
            f"same text {same}/{len(lines)}"
        )
    for i, name in enumerate(names[1:], 1):
        diffs = [
            (line, a, b) for line, a, b in zip(lines, ref, read[i], strict=True) if a[0] != b[0]
        ]
        only_cjk = sum(
            cjk(a[0]) > 0 and "".join(c for c in a[0] if not cjk(c)).strip() == b[0].strip()
            for _, a, b in diffs
        )
        print(f"\n{name}: {len(diffs)} differences ({only_cjk} where only CJK characters went)")
        for line, a, b in diffs[: args.diff]:
            print(f"  {line['receipt']:<28} {a[0]!r} ({a[1]:.2f}) -> {b[0]!r} ({b[1]:.2f})")
    if args.out:
        with args.out.open("wb") as f:
            pickle.dump(
                {
                    "names": names,
                    "read": read,
                    "times": times,
                    "lines": [{k: v for k, v in line.items() if k != "crop"} for line in lines],
                },
                f,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
