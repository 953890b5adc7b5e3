"""The local OCR is the `ocr` extra, absent from the api image: the API, the bot, the host's
commands and the processor's AWS path import without it, and the worker on OCR_ENGINE=local says
what to install instead of failing on the first receipt."""

from __future__ import annotations

import subprocess
import sys

import pytest

from receiptsnap.cli import OCR_EXTRA_HINT, main

# The `ocr` extra and what only it brings; None in sys.modules makes their import fail.
OCR_MODULES = ("rapidocr", "openvino", "cv2", "shapely", "pyclipper", "omegaconf")
WITHOUT_OCR = f"""
import sys
for name in {OCR_MODULES!r}:
    sys.modules[name] = None
import receiptsnap.cli, api.app, api.container, bot.webhook, core.db.session, core.aws.local
import core.admin.tokens, processor.bootstrap, processor.handler, processor.worker
from core.reading.engines import build_ocr
from core.settings import ApiSettings, ProcessorSettings
api.app.create_app(ApiSettings())
build_ocr(ProcessorSettings(ocr_engine="textract", aws_region="us-east-1"))
loaded = {{m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}}
print(sorted(loaded & set({OCR_MODULES!r})), "core.reading.ocr.local" in sys.modules)
"""


def test_api_and_the_aws_path_import_without_the_ocr_extra() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", WITHOUT_OCR],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] False", "nothing loads the local OCR module"


def test_worker_on_local_ocr_without_the_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an install without rapidocr, and the embedded default's OCR
    for name in [m for m in sys.modules if m.split(".")[0] == "rapidocr"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    monkeypatch.setenv("OCR_ENGINE", "local")

    code = main(["worker"])

    err = capsys.readouterr().err
    assert code == 2
    assert OCR_EXTRA_HINT in err and "Traceback" not in err
