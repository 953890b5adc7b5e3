"""How well the Latin layer's checks send lines with other characters to the whole layer
(core/reading/ocr/heads.py, issue 17): the best kept logit of each frame, by what the whole layer
reads there (blank, a kept character, a character the cut layer lacks), and, per line, how many
lines each floor sends to the whole layer and how many of the lines holding such characters.

    python bench/latin_floor.py [--sroie 30] [--wild 10] [--floors 6,8,10,12] [--held-out]

The floor (``heads.LOGIT_FLOOR``) was chosen on the first 30 SROIE scans and 10 WildReceipt
photos; ``--held-out`` reads the images after those instead, to check it on receipts it was not
chosen on.

The recogniser's inputs are recorded while LocalOcr (whole model) reads the first images of each
set; both layers then run on the same features, offline. One core; seconds do not matter here.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import DATA
from core.reading.documents import load_document
from core.reading.ocr import heads
from core.reading.ocr.local import LocalOcr


class _Recorder:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.batches: list[np.ndarray] = []

    def __call__(self, batch: np.ndarray) -> Any:
        self.batches.append(batch.copy())
        return self.session(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sroie", type=int, default=30)
    p.add_argument("--wild", type=int, default=10)
    p.add_argument("--floors", default="6,8,10,12")
    p.add_argument("--held-out", action="store_true", help="the images after those counts")
    p.add_argument(
        "--misses", action="store_true", help="lines with such characters the floor of 8 keeps"
    )
    args = p.parse_args()
    sroie = sorted((DATA / "sroie" / "img").glob("*.jpg"))
    wild = sorted((DATA / "wildreceipt" / "img").glob("*"))
    if args.held_out:
        paths = sroie[args.sroie :] + wild[args.wild :]
    else:
        paths = sroie[: args.sroie] + wild[: args.wild]
    if not paths:
        print(f"no images under {DATA}", file=sys.stderr)
        return 2

    ocr = LocalOcr(threads=1, latin_first=False)
    ocr.warm_up()
    rec = ocr._engine.text_rec
    recorder = _Recorder(rec.session._session)  # under LocalOcr's _PaddedShape
    rec.session._session = recorder
    for path in paths:
        doc = load_document(path.read_bytes(), max_pixels=40_000_000, max_pages=5, max_side=2000)
        ocr.read(doc)

    import openvino as ov

    model = recorder.session.model.clone()
    characters = list(rec.postprocess_op.character)
    kept = heads.kept_classes(characters)
    kept_set = set(kept)
    matmul = [op for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"][-1]
    weight = matmul.input_value(1).get_node().get_data()
    add = next(iter(matmul.output(0).get_target_inputs())).get_node()
    port = 1 if add.input_value(1).get_node().get_type_name() == "Constant" else 0
    bias = add.input_value(port).get_node().get_data()
    model.add_outputs([matmul.input_value(0)])
    core = ov.Core()
    core.set_property("CPU", {"INFERENCE_NUM_THREADS": "1"})
    request = core.compile_model(model, "CPU").create_infer_request()

    frames: dict[str, list[float]] = {"blank": [], "kept": [], "lacking": []}
    lines = []  # (holds a lacking character, flagged by score/sparseness, lowest best kept logit)
    decoder = rec.postprocess_op  # rapidocr's CTCLabelDecode, and one over the kept classes
    latin_decoder = type(decoder)(character=[characters[i] for i in kept[1:-1]])
    for batch in recorder.batches:
        request.infer([batch])
        features = np.array(request.get_output_tensor(1).data)
        for row in range(len(features)):
            logits = features[row] @ weight + bias
            best = logits.argmax(axis=1)
            kept_logits = logits[:, kept]
            floor = kept_logits.max(axis=1)
            for t, cls in enumerate(best):
                kind = "blank" if cls == 0 else "kept" if cls in kept_set else "lacking"
                frames[kind].append(float(floor[t]))
            shifted = np.exp(kept_logits - kept_logits.max(axis=1, keepdims=True))
            ((text, score),), _ = latin_decoder(
                (shifted / shifted.sum(axis=1, keepdims=True))[None]
            )
            unsure = score < heads.SURE or len(text) < len(best) * heads.MIN_CHARS_PER_FRAME
            lacking = any(c != 0 and c not in kept_set for c in best)
            lines.append((lacking, unsure, float(floor.min())))
            if args.misses and lacking and not unsure and floor.min() >= heads.LOGIT_FLOOR:
                whole = np.exp(logits - logits.max(axis=1, keepdims=True))
                ((read, _),), _ = decoder((whole / whole.sum(axis=1, keepdims=True))[None])
                print(f"  kept by the cut layer: {read!r} -> {text!r}")

    print(f"{len(paths)} images, {len(lines)} lines")
    print("best kept logit per frame, by what the whole layer reads there (percentiles)")
    for kind, values in frames.items():
        if values:
            pct = np.percentile(values, [1, 5, 50, 95, 99]).round(1).tolist()
            print(f"  {kind:<8} {len(values):>7} frames  1/5/50/95/99%: {pct}")
    holding = sum(1 for lacking, _, _ in lines if lacking)
    print(f"lines holding a character the cut layer lacks: {holding}")
    for floor_text in ["none", *args.floors.split(",")]:
        limit = -np.inf if floor_text == "none" else float(floor_text)
        sent = [unsure or low < limit for _, unsure, low in lines]
        caught = sum(1 for (lacking, _, _), s in zip(lines, sent, strict=True) if lacking and s)
        print(
            f"  floor {floor_text:>4}: {sum(sent) / len(lines):.1%} of lines to the whole layer, "
            f"{caught} of {holding} holding such characters"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
