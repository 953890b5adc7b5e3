"""Cold-start cost of the processor Lambda: the time to import its handler, and to build the
pipeline (settings, boto3 clients, engines) as the first invocation does.

It measures the deployment package itself (scripts/build_lambda.py --platform host, the same
packages as the arm64 zip, built for this machine), in fresh interpreters with no site-packages,
so nothing outside the zip can be imported by accident. Figures are for this machine's CPU; a
Lambda with 1024 MB gets a fraction of an arm64 core, so expect them higher there.

    python bench/coldstart.py [--runs 7] [--package DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0

PROBE = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
import processor.handler
t1 = time.perf_counter()
from processor.bootstrap import build_pipeline
pipeline = build_pipeline()
t2 = time.perf_counter()
print(json.dumps({
    "import_ms": (t1 - t0) * 1000,
    "init_ms": (t2 - t1) * 1000,
    "ocr": type(pipeline.ocr).__name__,
    "extractor": type(pipeline.extractor).__name__,
    "modules": len(sys.modules),
}))
"""

# The Lambda's configuration (infra/cdk.json); no credentials are needed to build clients.
LAMBDA_ENV = {
    "ENVIRONMENT": "production",
    "OCR_ENGINE": "textract",
    "EXTRACTOR": "bedrock",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "CALLBACK_URL": "http://10.40.1.10:8080/internal/processing-results",
    "POWERTOOLS_SERVICE_NAME": "receiptsnap-processor",
    "PATH": os.environ.get("PATH", ""),
}


def base_python() -> str:
    """The interpreter behind the venv: with -S it sees the standard library only."""
    return getattr(sys, "_base_executable", sys.executable)


def build_host_package(target: Path) -> None:
    zip_path = target.parent / "host.zip"
    subprocess.run(  # noqa: S603 - our own build script
        [
            sys.executable,
            str(REPO / "scripts" / "build_lambda.py"),
            "--platform",
            "host",
            "--output",
            str(zip_path),
            "--keep",
            str(target),
        ],
        check=True,
    )


def probe(package: Path, *, importtime: bool = False) -> tuple[dict[str, object], str]:
    cmd = [base_python(), "-S", "-E", "-B"]
    if importtime:
        cmd += ["-X", "importtime"]
    with tempfile.TemporaryDirectory() as cwd:  # no .env file in sight
        result = subprocess.run(  # noqa: S603 - fixed argv
            [*cmd, "-c", PROBE, str(package)],
            env=LAMBDA_ENV,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def top_imports(stderr: str, count: int = 12) -> list[tuple[int, str]]:
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[12:].split("|"))
            if cumulative.isdigit() and not name.startswith(" "):
                rows.append((int(cumulative), name.strip()))
    # Third-party packages, and the app's modules below the handler's own chain.
    app = (
        "core.contracts",
        "core.settings",
        "core.aws.clients",
        "core.reading.documents",
        "processor.callback",
    )
    picked = [r for r in rows if "." not in r[1] or r[1] in app]
    return sorted(picked, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--package", type=Path, help="an unpacked package (default: build one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="receiptsnap-coldstart-") as tmp:
        package = args.package
        if package is None:
            package = Path(tmp) / "package"
            build_host_package(package)
        runs = [probe(package)[0] for _ in range(args.runs)]
        first, stderr = probe(package, importtime=True)
    imports = [float(r["import_ms"]) for r in runs]  # type: ignore[arg-type]
    inits = [float(r["init_ms"]) for r in runs]  # type: ignore[arg-type]
    median = statistics.median(imports)
    print(
        f"handler import: median {median:.0f} ms (min {min(imports):.0f}, max {max(imports):.0f}, "
        f"{args.runs} fresh interpreters; target < {TARGET_MS:.0f} ms)"
    )
    print(
        f"pipeline init (settings, boto3 clients, {first['ocr']} + {first['extractor']}): "
        f"median {statistics.median(inits):.0f} ms"
    )
    print(f"modules loaded: {first['modules']}")
    print("heaviest top-level imports (cumulative, one run with -X importtime):")
    for micros, name in top_imports(stderr):
        print(f"  {micros / 1000:7.1f} ms  {name}")
    if median >= TARGET_MS:
        print(f"over the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
