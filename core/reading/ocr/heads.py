"""The recogniser's last layer cut to the characters of Latin-script receipts, with the whole
one kept for the lines that need it (issue 17, docs/ocr.md "Latin head first").

PP-OCRv6's recogniser ends with a fully connected layer over 18,710 characters (120 x 18,710,
then a softmax): 13% and 3% of a line's time on this CPU, spent mostly on CJK characters that a
Latin receipt never prints. ``LatinFirst`` compiles the model twice from rapidocr's own:
- the model with that layer cut to ``LATIN`` (373 classes: the CTC blank, ASCII, Latin-1, Latin
  Extended-A, punctuation, currency signs, the space), which also hands out the layer's input
  (the features, T x 120 a line);
- the whole layer alone, run on those features only for a line the cut one did not read surely:
  its score under ``SURE``, fewer characters than its width holds, or a frame where no kept
  class scores at least ``LOGIT_FLOOR`` before the softmax (the model then sees a character
  the cut layer lacks: the softmax over the kept classes alone would hide it, "干炒 Fried Noodle"
  read as " Fried Noodle" at a high score).
A line read by the whole layer is read as before (the same features, the same layer; the split
may round a last bit differently); the others are what the cut layer reads, which differs from
the whole one only where the whole one would have put a character outside ``LATIN`` (full-width
brackets and colons read as ASCII ones), their scores a little higher (the probabilities of
the kept classes only). Decoding is rapidocr's (``CTCLabelDecode``: repeats merged, blanks
dropped, the score the mean of the characters' probabilities).

``LOGIT_FLOOR`` measured (issue 17; 2,029 lines of 30 SROIE scans and 10 WildReceipt photos):
the best kept logit of a frame is 17.6 or more in 99% of blank frames and 12.4 or more in 99% of
frames read as a kept character, and 2.4 at the median for frames the whole layer reads as a
character the cut one lacks; with the floor at 8, 12 of the 14 lines with such characters go to
the whole layer (the other two: full-width brackets and a colon), 10.3% of all lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# Below this score a line read by the cut layer is read again by the whole one.
SURE = 0.9
# A frame whose best kept class scores under this (a logit, before the softmax) holds a character
# the cut layer lacks: the line is read again by the whole layer.
LOGIT_FLOOR = 8.0
# A Latin character is 2-4 of the model's frames (8 px each at 48 px high); a line with fewer
# characters than one a ``MIN_CHARS_PER_FRAME``-th of its frames is likely in another script.
MIN_CHARS_PER_FRAME = 1 / 8


def latin(char: str) -> bool:
    """Characters a Latin-script receipt needs: ASCII printable, Latin-1 supplement, Latin
    Extended-A (and Romanian's comma-below letters), general punctuation, currency signs, and
    a few letter-like symbols (degree Celsius, numero, trade mark)."""
    if len(char) != 1:
        return False
    o = ord(char)
    return (
        0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0x17F
        or 0x218 <= o <= 0x21B
        or 0x2010 <= o <= 0x205E
        or 0x20A0 <= o <= 0x20CF
        or char in "℃№™"
    )


def kept_classes(characters: list[str], keep: Callable[[str], bool] = latin) -> list[int]:
    """The classes the cut layer keeps: the blank (0), the characters ``keep`` accepts, the
    space (last: rapidocr appends it to the model's list)."""
    last = len(characters) - 1
    return [0] + [i for i in range(1, last) if keep(characters[i])] + [last]


class LatinFirst:
    """Stands for a rapidocr recogniser's ``session`` (``__call__``: a batch in, what
    ``decode`` takes out) and ``postprocess_op`` (``decode``)."""

    def __init__(self, model: Any, decoder: Any, *, threads: int = 1) -> None:
        import openvino as ov
        import openvino.opset13 as ops

        characters: list[str] = list(decoder.character)
        self._decoder = decoder  # rapidocr's CTCLabelDecode, for the whole layer's lines
        self.kept = kept_classes(characters)
        # The same decoder over the kept classes (it puts the blank first and the space last
        # itself), so both layers' lines are decoded by rapidocr's own code.
        self._latin_decoder = type(decoder)(character=[characters[i] for i in self.kept[1:-1]])
        cut = model.clone()
        matmul = [op for op in cut.get_ordered_ops() if op.get_type_name() == "MatMul"][-1]
        weight_node = matmul.input_value(1).get_node()
        add = next(iter(matmul.output(0).get_target_inputs())).get_node()
        if weight_node.get_type_name() != "Constant" or add.get_type_name() != "Add":
            raise ValueError("the recogniser does not end with MatMul + Add")
        weight = weight_node.get_data()
        if weight.shape[-1] != len(characters):
            raise ValueError(f"{weight.shape[-1]} classes for {len(characters)} characters")
        bias_port = 1 if add.input_value(1).get_node().get_type_name() == "Constant" else 0
        bias = add.input_value(bias_port).get_node().get_data()
        features = matmul.input_value(0)
        matmul.input(1).replace_source_output(
            ops.constant(np.ascontiguousarray(weight[:, self.kept])).output(0)
        )
        add.input(bias_port).replace_source_output(
            ops.constant(np.ascontiguousarray(bias[..., self.kept])).output(0)
        )
        cut.add_outputs([add.output(0), features])  # after the softmax: logits, features
        cut.validate_nodes_and_infer_types()

        width = int(weight.shape[0])
        given = ops.parameter([-1, -1, width], np.float32, name="features")
        whole = ops.softmax(
            ops.add(ops.matmul(given, ops.constant(weight), False, False), ops.constant(bias)),
            -1,
        )
        head = ov.Model([whole], [given], "whole_head")

        core = ov.Core()
        self._cut = core.compile_model(cut, "CPU", cpu_config(threads)).create_infer_request()
        self._head = core.compile_model(head, "CPU", cpu_config(threads)).create_infer_request()
        self.reread = 0  # lines read again by the whole layer (for benches and tests)
        self.lines = 0

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cut layer's probabilities (N x T x kept), each line's lowest best kept logit
        (N) and the features (N x T x 120), copied out of the request's buffers (the next call
        overwrites them)."""
        self._cut.infer([batch])
        probabilities = np.array(self._cut.get_output_tensor(0).data)
        floors = self._cut.get_output_tensor(1).data.max(axis=2).min(axis=1)  # a new array
        features = np.array(self._cut.get_output_tensor(2).data)
        return probabilities, floors, features

    def whole(self, features: np.ndarray) -> np.ndarray:
        """The whole layer's probabilities (N x T x 18,710) for the features of N lines."""
        self._head.infer([np.ascontiguousarray(features)])
        return np.array(self._head.get_output_tensor().data)

    def decode(
        self,
        preds: tuple[np.ndarray, np.ndarray, np.ndarray],
        return_word_box: bool = False,
        **kwargs: Any,
    ) -> tuple[list[tuple[str, float]], list[Any]]:
        """``CTCLabelDecode``'s answer for the batch: each line from the cut layer, or from the
        whole one when the cut one is unsure of it (and for every line when word boxes are
        asked for: those need the whole layer's positions)."""
        probabilities, floors, features = preds
        self.lines += len(probabilities)
        if return_word_box:
            self.reread += len(probabilities)
            return self._decoder(self.whole(features), True, **kwargs)  # type: ignore[no-any-return]
        results: list[tuple[str, float]] = self._latin_decoder(probabilities)[0]
        frames = probabilities.shape[1]
        for row, (text, score) in enumerate(results):
            unsure = score < SURE or floors[row] < LOGIT_FLOOR
            if unsure or len(text) < frames * MIN_CHARS_PER_FRAME:
                self.reread += 1
                results[row] = self._decoder(self.whole(features[row : row + 1]))[0][0]
        return results, []


# OpenVINO keeps what it made for every input shape it ran (5,000 shapes by default): each line
# width and page size adds some. Over 57 line widths the recogniser held 80-85 MB more with the
# default than with 16, at the same speed (session 8, docs/ocr.md).
RUNTIME_CACHE_SHAPES = 16


def cpu_config(threads: int) -> dict[str, str]:
    """How the models are compiled: ``threads`` (0: OpenVINO's choice), a bounded shape cache."""
    config = {"CPU_RUNTIME_CACHE_CAPACITY": str(RUNTIME_CACHE_SHAPES)}
    if threads >= 1:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    return config


def install(recogniser: Any, *, threads: int = 1) -> LatinFirst:
    """Put a ``LatinFirst`` in a loaded rapidocr ``TextRecognizer`` (its OpenVINO session's model
    and its decoder's character list); returns it."""
    heads = LatinFirst(recogniser.session.model, recogniser.postprocess_op, threads=threads)
    recogniser.session = heads
    recogniser.postprocess_op = heads.decode
    return heads
