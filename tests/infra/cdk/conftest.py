"""Synthesis for the CDK tests: the real app (infra/app.py) with a stub Lambda zip, once per
session, into a temporary cloud assembly."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import assertions

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
sys.path.insert(0, str(INFRA))

from app import build_app  # noqa: E402

MAIN_STACK = "ReceiptSnap-production"
GITHUB_STACK = "ReceiptSnap-production-github"


@pytest.fixture(scope="session")
def stub_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The asset only needs to exist for synthesis; its content is hashed, not run."""
    path = tmp_path_factory.mktemp("lambda") / "processor.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("processor/handler.py", "def lambda_handler(event, context):\n    return {}\n")
    return path


Synth = Callable[..., dict[str, dict[str, Any]]]


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory, stub_zip: Path) -> Synth:
    """synth(**context) -> {stack name: template dict}; written to a fresh cdk.out. With
    RECEIPTSNAP_CDK_OUT set, the default synthesis goes there (the main suite reads it)."""
    cache: dict[str, dict[str, dict[str, Any]]] = {}
    shared = os.environ.get("RECEIPTSNAP_CDK_OUT")

    def run(**context: Any) -> dict[str, dict[str, Any]]:
        key = json.dumps(context, sort_keys=True)
        if key not in cache:
            use_shared = shared and not context
            outdir = Path(shared) if use_shared else tmp_path_factory.mktemp("cdk.out")
            assembly = build_app(context=context, outdir=str(outdir), lambda_zip=stub_zip).synth()
            cache[key] = {s.stack_name: s.template for s in assembly.stacks}
            cache[key]["__outdir__"] = {"path": str(outdir)}
        return cache[key]

    return run


@pytest.fixture(scope="session")
def templates(synth: Synth) -> dict[str, dict[str, Any]]:
    return synth()


@pytest.fixture(scope="session")
def cdk_out(templates: dict[str, dict[str, Any]]) -> Path:
    return Path(templates["__outdir__"]["path"])


@pytest.fixture(scope="session")
def main(templates: dict[str, dict[str, Any]]) -> assertions.Template:
    return assertions.Template.from_json(templates[MAIN_STACK])


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.values()))
