"""Write PP-OCRv6 *tiny*'s recogniser and its character list out of the faster-paddle wheel
(issue 17, faster recognition; for bench/rec_cascade.py and bench/rec_compare.py).

    pip download --no-deps -d /tmp/fp faster-paddle==1.0.4     # in a venv of your own
    python bench/faster_paddle_models.py /tmp/fp/faster_paddle-1.0.4-*.whl [--out DIR]

faster-paddle (MIT; the models are PaddleOCR's PP-OCRv6, Apache-2.0) embeds its ONNX models and
their character lists (JSON arrays) in its Rust extension, not as files: this finds each ONNX
ModelProto by walking the protobuf's top-level fields, and the JSON array that follows the tiny
recogniser. Written under ``--out`` (default .receiptsnap/models): PP-OCRv6_rec_tiny.onnx and
PP-OCRv6_rec_tiny_chars.txt. Needs the ``onnx`` package only to check what it found (skipped
when missing). No network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# ModelProto's fields and wire types (onnx.proto): 1 ir_version, 2-4 names, 5 model_version,
# 6 doc_string, 7 graph, 8 opset_import, 14 metadata_props, 20 training_info, 25 functions.
FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2}


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i
        if shift > 63:
            raise ValueError("varint too long")


def onnx_models(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each ONNX model in ``data``: a run of ModelProto fields, starting at an
    ir_version, holding a graph of over 50 kB; models laid end to end split at each ir_version."""
    found: list[tuple[int, int]] = []
    i = 0
    while (i := data.find(b"\x08", i)) >= 0 and i + 2 < len(data):
        if not (3 <= data[i + 1] <= 12 and data[i + 2] in (0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A)):
            i += 1
            continue
        j, starts, graph = i, [], False
        try:
            while j < len(data):
                tag, k = _varint(data, j)
                field, wire = tag >> 3, tag & 7
                if FIELDS.get(field) != wire:
                    break
                if field == 1:
                    starts.append(j)
                if wire == 0:
                    _, k = _varint(data, k)
                else:
                    length, k = _varint(data, k)
                    k += length
                    if k > len(data):
                        raise ValueError("past the end")
                    graph |= field == 7 and length > 50_000
                j = k
        except (ValueError, IndexError):
            i += 1
            continue
        if graph:
            found += list(zip(starts, [*starts[1:], j], strict=True))
            i = j
        else:
            i += 1
    return found


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("wheel", type=Path, help="the faster-paddle wheel, or its extension (.so)")
    p.add_argument("--out", type=Path, default=REPO / ".receiptsnap" / "models")
    args = p.parse_args()
    if args.wheel.suffix == ".whl":
        with zipfile.ZipFile(args.wheel) as wheel:
            name = next(n for n in wheel.namelist() if n.endswith((".so", ".pyd")))
            data = wheel.read(name)
    else:
        data = args.wheel.read_bytes()
    models = onnx_models(data)
    print(f"{len(models)} ONNX models: sizes {[b - a for a, b in models]}")
    # The tiny recogniser: the smallest model whose input is 48 px high, i.e. a recogniser;
    # told apart from detectors by its character list (a JSON array) right after it.
    decoder = json.JSONDecoder()
    for start, end in sorted(models, key=lambda m: m[1] - m[0]):
        tail = data[end : end + 200_000].lstrip(b"\x00\n\r\t ")
        offset = tail.find(b'["')
        if offset < 0 or offset > 64:
            continue
        chars, _ = decoder.raw_decode(tail[offset:].decode("utf-8", "ignore"))
        model = data[start:end]
        try:
            import onnx

            proto = onnx.load_from_string(model)
            classes = proto.graph.output[0].type.tensor_type.shape.dim[-1].dim_value
            if classes != len(chars) + 2:
                print(f"skipped a model of {classes} classes ({len(chars)} characters)")
                continue
        except ImportError:
            pass
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "PP-OCRv6_rec_tiny.onnx").write_bytes(model)
        (args.out / "PP-OCRv6_rec_tiny_chars.txt").write_text(
            "\n".join(chars) + "\n", encoding="utf-8"
        )
        digest = hashlib.sha256(model).hexdigest()
        print(f"wrote {args.out}/PP-OCRv6_rec_tiny.onnx ({len(model)} bytes, sha256 {digest})")
        print(f"wrote {args.out}/PP-OCRv6_rec_tiny_chars.txt ({len(chars)} characters)")
        return 0
    print("no recogniser with a character list found", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
