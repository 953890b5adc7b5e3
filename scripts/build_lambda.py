"""Build the processor Lambda's deployment package (a zip) and print its size.

The package holds ``processor/`` and ``core/`` and the third-party packages that the processor
needs in its AWS configuration (OCR_ENGINE=textract, EXTRACTOR=bedrock), at the versions pinned in
requirements.lock, built for the Lambda runtime: python3.12 on Amazon Linux 2023, arm64 by default.
(python3.11 runs on Amazon Linux 2, glibc 2.26, and pillow 13 ships only manylinux_2_28 wheels.)
The local OCR engine (rapidocr, openvino, opencv, numpy, ...), the web stack, the bot, the
database layer and moto are left out: the processor never imports them in that configuration.

boto3/botocore are bundled (the code is tested against the pinned SDK; the runtime's copy lags and
changes under us), with only the service models the processor calls (s3, sqs, secretsmanager,
textract, bedrock-runtime, sts); ``--without-boto3`` relies on the runtime's SDK instead.

Sources are byte-compiled with unchecked-hash .pyc files (Lambda's /var/task is read-only, so
without them every cold start compiles every module again), and the zip is deterministic (sorted
entries, fixed timestamps and modes), so the same inputs give the same CDK asset hash.

    python scripts/build_lambda.py                         # build/lambda/processor.zip, arm64
    python scripts/build_lambda.py --platform host --output build/lambda/host.zip  # importable here
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What processor.handler imports with OCR_ENGINE=textract and EXTRACTOR=bedrock (their own
# dependencies follow, constrained by requirements.lock).
LAMBDA_REQUIREMENTS = [
    "aws-lambda-powertools",  # handler: Logger, BatchProcessor
    "pydantic",  # contracts
    "pydantic-settings",  # settings
    "httpx",  # signed callback to the API
    "pillow",  # core.reading.documents: images, EXIF orientation, pixel cap
    "pillow-heif",  # HEIC photos from iPhones
    "pypdfium2",  # PDFs: text layer, rendering
]
SDK_REQUIREMENTS = ["boto3", "botocore"]
# Never in the package, whatever pulls them in: the local OCR stack and test/dev tooling.
FORBIDDEN = {
    "rapidocr",
    "openvino",
    "cv2",
    "numpy",
    "shapely",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "telegram",
    "moto",
    "uvicorn",
    "psycopg2",
}
APP_PACKAGES = ("core", "processor")
# botocore ships the models of ~400 services (most of its size); the processor calls these.
BOTOCORE_SERVICES = {"s3", "sqs", "secretsmanager", "textract", "bedrock-runtime", "sts"}
RUNTIME_PYTHON = "3.12"  # keep in step with the CDK stack (lambda_.Runtime.PYTHON_3_12)
# Amazon Linux 2023 has glibc 2.34: any manylinux wheel up to that tag runs there.
PLATFORMS = {
    "arm64": ["manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"],
    "x86_64": ["manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"],
}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload (update-function-code --zip-file)
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def pip_install(target: Path, *, platform: str, with_sdk: bool) -> None:
    requirements = LAMBDA_REQUIREMENTS + (SDK_REQUIREMENTS if with_sdk else [])
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--constraint",
        str(REPO / "requirements.lock"),
    ]
    if platform != "host":
        for tag in PLATFORMS[platform]:
            cmd += ["--platform", tag]
        cmd += ["--implementation", "cp", "--python-version", RUNTIME_PYTHON, "--only-binary=:all:"]
    subprocess.run([*cmd, *requirements], check=True)  # noqa: S603 - fixed argv


def copy_app(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    for package in APP_PACKAGES:
        shutil.copytree(REPO / package, target / package, ignore=ignore)


def prune(target: Path) -> None:
    """Drop what the runtime never reads: caches, pip's bin/ scripts, type stubs' tests."""
    for path in sorted(target.rglob("__pycache__"), reverse=True):
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(target / "bin", ignore_errors=True)
    data = target / "botocore" / "data"
    if data.is_dir():
        for service in data.iterdir():
            if service.is_dir() and service.name not in BOTOCORE_SERVICES:
                shutil.rmtree(service)
    leaked = sorted(name for name in FORBIDDEN if (target / name).exists())
    if leaked:
        raise SystemExit(f"refusing to package {', '.join(leaked)}: not needed in the Lambda")


def runtime_interpreter(platform: str) -> str | None:
    """A Python of the runtime's minor version, to write .pyc files it will accept."""
    wanted = RUNTIME_PYTHON if platform != "host" else "{}.{}".format(*sys.version_info[:2])
    candidates = [os.environ.get("LAMBDA_PYTHON", ""), sys.executable, f"python{wanted}"]
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{wanted}*/bin/python3"))
    for candidate in filter(None, candidates):
        exe = shutil.which(candidate) or candidate
        try:
            out = subprocess.run(  # noqa: S603 - our own candidates
                [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if out == wanted:
            return exe
    return None


def byte_compile(target: Path, *, platform: str) -> None:
    exe = runtime_interpreter(platform)
    if exe is None:
        print(f"note: no Python {RUNTIME_PYTHON} here (set LAMBDA_PYTHON); no .pyc added")
        return
    # unchecked-hash: the .pyc is used as is (zip timestamps cannot invalidate it). Paths are
    # recorded as /var/task/... (where Lambda unpacks the zip), not this build's temporary
    # directory: tracebacks read right and the bytes do not depend on where we built.
    # Failures are tolerated: a few vendored files are templates never imported.
    subprocess.run(  # noqa: S603 - fixed argv
        [
            exe,
            "-m",
            "compileall",
            "-q",
            "-q",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(target),
            "-p",
            "/var/task",
            str(target),
        ],
        check=False,
    )


def write_zip(source: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    files = sorted(p for p in source.rglob("*") if p.is_file())
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=FIXED_DATE)
            executable = os.access(path, os.X_OK) and path.suffix != ".py"
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(output)


def report(source: Path, output: Path) -> None:
    sizes: dict[str, int] = defaultdict(int)
    total = 0
    for path in source.rglob("*"):
        if path.is_file():
            top = path.relative_to(source).parts[0]
            name = top.split("-")[0] if top.endswith((".dist-info", ".libs")) else top
            sizes[name] += path.stat().st_size
            total += path.stat().st_size
    zipped = output.stat().st_size
    print(f"lambda zip: {output} {zipped / 1e6:.1f} MB zipped, {total / 1e6:.1f} MB unzipped")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {size / 1e6:7.1f} MB  {name}")
    if zipped > LAMBDA_ZIP_LIMIT:
        print("warning: over 50 MB zipped: deploy it through S3, not --zip-file")
    if total > LAMBDA_UNZIPPED_LIMIT:
        raise SystemExit("the package is over Lambda's 250 MB unzipped limit")


def build(output: Path, *, platform: str, with_sdk: bool, keep: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="receiptsnap-lambda-") as tmp:
        target = keep or Path(tmp) / "package"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        pip_install(target, platform=platform, with_sdk=with_sdk)
        copy_app(target)
        prune(target)
        byte_compile(target, platform=platform)
        write_zip(target, output)
        report(target, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "build/lambda/processor.zip")
    parser.add_argument(
        "--platform",
        choices=[*PLATFORMS, "host"],
        default="arm64",
        help="arm64 (the function's architecture), x86_64, or host (importable on this machine)",
    )
    parser.add_argument("--without-boto3", action="store_true", help="use the runtime's boto3")
    parser.add_argument("--keep", type=Path, help="build in this directory and leave it there")
    args = parser.parse_args(argv)
    build(
        args.output.resolve(),
        platform=args.platform,
        with_sdk=not args.without_boto3,
        keep=args.keep.resolve() if args.keep else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
