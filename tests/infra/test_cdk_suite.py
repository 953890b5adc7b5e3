"""The CDK assertions, cfn-lint and checkov (tests/infra/cdk) run inside infra/.venv: aws-cdk-lib
and the linters pin their own dependencies, apart from the app's. The template they synthesise
is then checked here against the app's settings classes, which only this venv has."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, get_args

import pytest

from core.settings import ApiSettings, PriceTable, ProcessorSettings
from processor.budget import record_worst_case_seconds

REPO = Path(__file__).resolve().parents[2]
MAIN_STACK = "ReceiptSnap-production"


@pytest.fixture(scope="module")
def cdk_suite(infra_python: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = subprocess.run(  # noqa: S603 - the repo's own venv
        [
            str(infra_python),
            "-m",
            "pytest",
            "-c",
            "tests/infra/cdk/pytest.ini",
            "--rootdir",
            str(REPO),
            "tests/infra/cdk",
            "-q",
        ],
        cwd=REPO,
        env={**os.environ, "RECEIPTSNAP_CDK_OUT": str(outdir)},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return result, outdir


@pytest.fixture(scope="module")
def template(cdk_suite: tuple[Any, Path]) -> dict[str, Any]:
    path = cdk_suite[1] / f"{MAIN_STACK}.template.json"
    if not path.exists():
        pytest.fail(f"the CDK suite wrote no template:\n{cdk_suite[0].stdout[-4000:]}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_cdk_assertions_cfn_lint_and_checkov_pass(cdk_suite: tuple[Any, Path]) -> None:
    result = cdk_suite[0]
    # jsii prints a banner about the Node.js version on stderr; the verdict is pytest's.
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print("tests/infra/cdk:", summary[0])
    assert result.returncode == 0, result.stdout[-12000:] + "\n" + result.stderr[-3000:]


def lambda_env(template: dict[str, Any]) -> dict[str, Any]:
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    env: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return env


def test_lambda_environment_sets_real_processor_settings(template: dict[str, Any]) -> None:
    fields = {name.upper() for name in ProcessorSettings.model_fields}
    for name in lambda_env(template):
        assert name in fields or name.startswith("POWERTOOLS_"), f"{name} is no setting"


def test_lambda_settings_values_are_accepted(template: dict[str, Any]) -> None:
    env = {k: v for k, v in lambda_env(template).items() if isinstance(v, str)}
    values = {k.lower(): v for k, v in env.items() if not k.startswith("POWERTOOLS_")}
    settings = ProcessorSettings(_env_file=None, **values)  # type: ignore[call-arg]
    assert settings.ocr_engine == "textract" and settings.extractor == "bedrock"
    assert settings.textract_job_timeout_seconds < lambda_timeout(template)


def test_a_records_worst_case_fits_its_budget_and_the_budget_the_timeout(
    template: dict[str, Any],
) -> None:
    """processor/budget.py over the Lambda's own settings: a record started with the budget left
    finishes before the function times out (docs/deploy.md, "The time budget of one record"),
    and the queue hides a batch for at least six function timeouts (AWS's advice)."""
    env = {k: v for k, v in lambda_env(template).items() if isinstance(v, str)}
    values = {k.lower(): v for k, v in env.items() if not k.startswith("POWERTOOLS_")}
    settings = ProcessorSettings(_env_file=None, **values)  # type: ignore[call-arg]
    worst, budget, timeout = (
        record_worst_case_seconds(settings),
        settings.record_budget_seconds,
        lambda_timeout(template),
    )
    assert budget is not None and worst <= budget < timeout, (worst, budget, timeout)
    (jobs,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SQS::Queue" and r["Properties"]["QueueName"] == "receiptsnap-jobs"
    ]
    assert jobs["VisibilityTimeout"] >= 6 * timeout


def lambda_timeout(template: dict[str, Any]) -> int:
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    timeout: int = function["Properties"]["Timeout"]
    return timeout


def rendered(value: Any) -> str:
    """An Fn::Join of strings and tokens as text, each token as <token>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(rendered(p) for p in parts)
    return "<token>"


def host_env(template: dict[str, Any]) -> dict[str, str]:
    (param,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"]
    lines = rendered(param["Properties"]["Value"]).splitlines()
    return dict(line.split("=", 1) for line in lines if line)


def test_host_environment_sets_real_api_settings(template: dict[str, Any]) -> None:
    names = set(host_env(template))
    fields = {name.upper() for name in ApiSettings.model_fields}
    # JWT_SECRET_ID is for the admin API's tokens (no setting yet); RECEIPTSNAP_* for deploy.sh.
    unknown = {n for n in names if n not in fields and not n.startswith("RECEIPTSNAP_")}
    assert unknown <= {"JWT_SECRET_ID"}, unknown
    assert {"ENVIRONMENT", "RAW_BUCKET", "QUEUE_NAME", "TELEGRAM_MODE"} <= names


def test_the_configured_model_is_priced(template: dict[str, Any]) -> None:
    model = lambda_env(template)["BEDROCK_MODEL_ID"]
    assert model in PriceTable().bedrock_models, "add its price to core/settings.py PriceTable"


def test_host_reads_exchange_rates_from_the_database(template: dict[str, Any]) -> None:
    env = host_env(template)
    assert env["FX_RATES"] == "database"
    assert env["FX_RATES"] in get_args(ApiSettings.model_fields["fx_rates"].annotation)


def test_host_reads_questions_with_a_priced_bedrock_model(template: dict[str, Any]) -> None:
    env = host_env(template)
    readers = get_args(ApiSettings.model_fields["question_reader"].annotation)
    assert env["QUESTION_READER"] == "bedrock" and env["QUESTION_READER"] in readers
    model = env["BEDROCK_MODEL_ID"]
    assert model == lambda_env(template)["BEDROCK_MODEL_ID"], "one model for both"
    assert model in PriceTable().bedrock_models, "add its price to core/settings.py PriceTable"
