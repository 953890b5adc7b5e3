"""The synthesised templates pass cfn-lint (no error, no warning) and checkov (no failed check;
every suppression is written next to its resource with a reason, and none is stale)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent


def template_files(cdk_out: Path) -> list[str]:
    files = sorted(str(p) for p in cdk_out.glob("*.template.json"))
    assert len(files) == 2
    return files


def test_cfn_lint_is_clean(cdk_out: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own venv's tool
        [str(BIN / "cfn-lint"), *template_files(cdk_out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Exit code 0: no error (2), warning (4) or informational (8) finding.
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def checkov(cdk_out: Path) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - our own venv's tool
        [
            str(BIN / "checkov"),
            "--framework",
            "cloudformation",
            "--directory",
            str(cdk_out),
            "--skip-download",  # no call home to the Prisma Cloud API
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    merged: dict[str, list[dict[str, Any]]] = {"failed": [], "skipped": [], "passed": []}
    for r in reports:
        for kind in merged:
            merged[kind] += r["results"].get(f"{kind}_checks", [])
    return merged


def test_checkov_has_no_failed_check(checkov: dict[str, Any]) -> None:
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in checkov["failed"]]
    assert not failed, "\n".join(failed)
    assert len(checkov["passed"]) > 100, "checkov ran its CloudFormation checks"


def test_every_suppression_has_a_reason(checkov: dict[str, Any]) -> None:
    for check in checkov["skipped"]:
        comment = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(comment) > 20, f"{check['check_id']} on {check['resource']} needs a reason"
    # Shown with -rA / on failure: the list to review.
    for check in checkov["skipped"]:
        print(
            f"{check['check_id']} {check['resource']}: {check['check_result']['suppress_comment']}"
        )


def test_no_stale_suppression(checkov: dict[str, Any], cdk_out: Path) -> None:
    """A suppression that matches no check any more must go (it would hide a future finding)."""
    declared = set()
    for path in cdk_out.glob("*.template.json"):
        template = json.loads(path.read_text())
        for lid, res in template["Resources"].items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                declared.add((skip["id"], lid))
    used = {(c["check_id"], c["resource"].split(".", 1)[1]) for c in checkov["skipped"]}
    assert declared == used
