"""`receiptsnap extract`: one JSON object per input, in order; errors do not stop the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from receiptsnap.cli import main
from tests.conftest import FIXTURES

SAMPLE_BOX = FIXTURES / "receipts" / "sroie_X00016469612.box.txt"


def test_text_mode_reads_sroie_box_lines_and_plain_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("CORNER CAFE\nDATE: 03/10/2026\nTOTAL RM 22.26\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"

    code = main(["extract", "--json", "--text", str(SAMPLE_BOX), str(missing), str(plain)])

    out = json.loads(capsys.readouterr().out)
    assert code == 1  # one input failed
    assert [o["file"] for o in out] == [str(SAMPLE_BOX), str(missing), str(plain)]
    key = json.loads(SAMPLE_BOX.with_name("sroie_X00016469612.key.json").read_text())
    assert out[0]["total"] == key["total"]
    assert out[0]["date"] == "2018-12-25"
    assert "error" in out[1]
    assert out[2]["total"] == "22.26"
    assert out[2]["date"] == "2026-10-03"
    assert set(out[2]) >= {"merchant", "currency", "subtotal", "tax", "line_items", "confidence"}


def test_directories_expand_to_receipt_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b.txt").write_text("TOTAL 2.00\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("TOTAL 1.00\n", encoding="utf-8")
    (tmp_path / "ignore.md").write_text("TOTAL 3.00\n", encoding="utf-8")

    assert main(["extract", "--json", "--text", str(tmp_path)]) == 0

    out = json.loads(capsys.readouterr().out)
    assert [Path(o["file"]).name for o in out] == ["a.txt", "b.txt"]
    assert [o["total"] for o in out] == ["1.00", "2.00"]


def test_image_that_is_not_a_receipt_file_gets_an_error_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "photo.jpg"
    bogus.write_bytes(b"not an image at all")
    assert main(["extract", "--json", str(bogus)]) == 1
    (obj,) = json.loads(capsys.readouterr().out)
    assert obj["code"] == "unsupported_type"
