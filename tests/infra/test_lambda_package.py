"""The processor's deployment package (scripts/build_lambda.py): what it holds, that it is built
for arm64, that it fits Lambda's limits, and that the handler imports and builds its pipeline
(Textract + Bedrock) from the package alone. Needs PyPI (or pip's cache) for the wheels."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.infra.tools import REPO

BUILD = REPO / "scripts" / "build_lambda.py"
EM_AARCH64 = 183  # ELF e_machine


def build(tmp: Path, platform: str) -> tuple[Path, Path]:
    output, keep = tmp / f"{platform}.zip", tmp / f"{platform}-package"
    subprocess.run(  # noqa: S603 - our own build script
        [
            sys.executable,
            str(BUILD),
            "--platform",
            platform,
            "--output",
            str(output),
            "--keep",
            str(keep),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return output, keep


@pytest.fixture(scope="module")
def arm64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("lambda"), "arm64")[0]


@pytest.fixture(scope="module")
def host_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("lambda"), "host")[1]


def top_level(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return {name.split("/", 1)[0] for name in zf.namelist()}


class TestArm64Zip:
    def test_holds_the_code_and_leaves_the_local_ocr_out(self, arm64: Path) -> None:
        names = top_level(arm64)
        assert {"processor", "core", "aws_lambda_powertools", "pydantic", "boto3"} <= names
        for heavy in ("cv2", "openvino", "rapidocr", "numpy", "sqlalchemy", "moto"):
            assert heavy not in names, heavy
        assert "devstack" not in names and "receiptsnap" not in names
        with zipfile.ZipFile(arm64) as zf:
            assert "processor/handler.py" in zf.namelist()

    def test_native_code_is_aarch64(self, arm64: Path) -> None:
        with zipfile.ZipFile(arm64) as zf:
            libs = [n for n in zf.namelist() if n.endswith(".so") or ".so." in n]
            assert libs
            for name in libs:
                header = zf.read(name)[:20]
                assert header[:4] == b"\x7fELF", name
                assert int.from_bytes(header[18:20], "little") == EM_AARCH64, name

    def test_fits_lambda_limits(self, arm64: Path) -> None:
        with zipfile.ZipFile(arm64) as zf:
            unzipped = sum(i.file_size for i in zf.infolist())
        assert arm64.stat().st_size < 50 * 1024 * 1024, "direct upload limit"
        assert unzipped < 250 * 1024 * 1024

    def test_is_reproducible(self, arm64: Path, tmp_path: Path) -> None:
        again, _ = build(tmp_path, "arm64")
        assert again.read_bytes() == arm64.read_bytes(), "same inputs, same asset hash"


PROBE = (
    "import sys, json; sys.path.insert(0, sys.argv[1]);"
    "import processor.handler;"
    "from processor.bootstrap import build_pipeline; p = build_pipeline();"
    "print(json.dumps([type(p.ocr).__name__, type(p.extractor).__name__,"
    " 'cv2' in sys.modules, 'numpy' in sys.modules]))"
)


def run_probe(python: str, package: Path) -> list[object]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ENVIRONMENT": "production",
        "OCR_ENGINE": "textract",
        "EXTRACTOR": "bedrock",
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - -S: the standard library and the package only
        [python, "-S", "-E", "-c", PROBE, str(package)],
        env=env,
        cwd=package.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer: list[object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_handler_builds_the_aws_pipeline_from_the_package_alone(host_package: Path) -> None:
    base = getattr(sys, "_base_executable", sys.executable)
    ocr, extractor, cv2, numpy = run_probe(base, host_package)
    assert (ocr, extractor) == ("TextractOcr", "BedrockExtractor")
    assert not cv2 and not numpy


def python312() -> str | None:
    for candidate in [
        "python3.12",
        *map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3")),
    ]:
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if (
            found
            and subprocess.run(  # noqa: S603 - probing interpreters
                [found, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        ):
            return found
    return None


def test_package_runs_on_the_runtime_python(tmp_path: Path) -> None:
    """The function runs python3.12 while the app is developed on 3.11: the same package, built
    for this machine's architecture, imports and builds the pipeline under 3.12."""
    python = python312()
    if python is None:
        pytest.skip("no Python 3.12 on this machine (the Lambda runtime's version)")
    _, package = build(tmp_path, platform.machine().replace("aarch64", "arm64"))
    assert run_probe(python, package)[:2] == ["TextractOcr", "BedrockExtractor"]
