"""Write our recogniser (PP-OCRv6 small, as rapidocr bundles it) with its output head cut to the
characters of Latin-script receipts (issue 17, faster recognition): an OpenVINO IR file that
``LocalOcr(rec_model=PATH)`` reads (``--ocr rec_model=PATH`` in the benches).

    python bench/rec_latin.py [--out .receiptsnap/models/PP-OCRv6_rec_small_latin.xml]

The last fully connected layer (120 x 18,710) keeps the CTC blank (0), the characters that
``core.reading.ocr.heads.latin`` accepts, and the space (last); its bias and the character list
(the model's ``framework/character``, which rapidocr decodes with) are cut identically.
Deterministic: the same model gives the same file. No network.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rec_compare import OURS, model_chars, sliced_openvino
from core.reading.ocr.heads import latin

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--out",
        type=Path,
        default=REPO / ".receiptsnap" / "models" / "PP-OCRv6_rec_small_latin.xml",
    )
    args = p.parse_args()
    import openvino as ov

    chars = model_chars(OURS, None)
    model, kept = sliced_openvino(OURS, chars, latin)
    # rapidocr adds the blank and the space itself: the list stored is the characters between.
    model.set_rt_info("\n".join(kept[1:-1]), ["framework", "character"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(args.out), compress_to_fp16=False)
    digest = hashlib.sha256(args.out.with_suffix(".bin").read_bytes()).hexdigest()
    print(f"wrote {args.out}: {len(kept)} of {len(chars)} classes; weights sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
