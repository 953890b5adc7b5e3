#!/usr/bin/env python3
"""The ReceiptSnap CDK app.

    make synth                                   # templates into infra/cdk.out (no AWS access)
    python app.py --lambda-zip ../build/lambda/processor.zip [--outdir cdk.out] [-c key=value]
    npx aws-cdk@2.1148.1 diff|deploy             # the node CLI runs this file through cdk.json

Context (parameters) comes from cdk.json, overridden by ``-c key=value`` (here or on the CLI);
see receiptsnap_infra/config.py for every key and its check.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from receiptsnap_infra.config import config_from_context  # noqa: E402
from receiptsnap_infra.github import GitHubOidcStack  # noqa: E402
from receiptsnap_infra.stack import ReceiptSnapStack  # noqa: E402

DEFAULT_LAMBDA_ZIP = HERE.parent / "build" / "lambda" / "processor.zip"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, so that `python app.py` and the node CLI synthesise the same thing
    (the CLI passes it in CDK_CONTEXT_JSON, which overrides these defaults)."""
    context: dict[str, Any] = json.loads((HERE / "cdk.json").read_text())["context"]
    return context


def build_app(
    *,
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    lambda_zip: Path = DEFAULT_LAMBDA_ZIP,
) -> cdk.App:
    merged = {**cdk_json_context(), **(context or {})}
    app = cdk.App(context=merged, outdir=outdir)
    config = config_from_context(app.node.try_get_context)
    if not lambda_zip.is_file():
        raise SystemExit(f"{lambda_zip} is missing: run `make lambda-zip` first")
    account = config.account or os.environ.get("CDK_DEFAULT_ACCOUNT")
    env = cdk.Environment(account=account, region=config.region)
    name = f"ReceiptSnap-{config.environment}"
    ReceiptSnapStack(
        app,
        name,
        config=config,
        lambda_zip=lambda_zip,
        env=env,
        description="ReceiptSnap: Telegram receipt assistant (EC2 API + bot, Lambda, S3, SQS, RDS)",
        termination_protection=config.environment == "production",
    )
    if config.github_repo:
        GitHubOidcStack(
            app,
            f"{name}-github",
            config=config,
            env=env,
            description="ReceiptSnap: GitHub Actions OIDC roles (no long-lived keys)",
        )
    return app


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Synthesise the ReceiptSnap stacks.")
    parser.add_argument("--lambda-zip", type=Path, default=DEFAULT_LAMBDA_ZIP)
    parser.add_argument("--outdir", default=None, help="default: CDK_OUTDIR or cdk.out")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    context = dict(item.split("=", 1) for item in args.context)
    # The node CLI sets CDK_OUTDIR; run by hand, write next to this file.
    outdir = args.outdir or os.environ.get("CDK_OUTDIR") or str(HERE / "cdk.out")
    app = build_app(context=context, outdir=outdir, lambda_zip=args.lambda_zip.resolve())
    assembly = app.synth()
    for stack in assembly.stacks:
        print(f"synthesised {stack.stack_name}: {Path(assembly.directory, stack.template_file)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
