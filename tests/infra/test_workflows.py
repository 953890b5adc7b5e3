"""GitHub Actions workflows: actionlint (with shellcheck on `run:` scripts) and the properties
that CI/CD must keep: pinned actions, OIDC instead of AWS keys, the jobs the issue asks for."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.infra.tools import REPO, require_infra_tool, tool_env

WORKFLOWS = REPO / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_actionlint_is_clean() -> None:
    actionlint = require_infra_tool("actionlint")
    require_infra_tool("shellcheck")
    result = subprocess.run(  # noqa: S603 - the repo's own venv
        [str(actionlint), "-no-color"],
        cwd=REPO,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["ci.yml", "cd.yml", "infra.yml"])
class TestEveryWorkflow:
    def test_actions_are_pinned_to_a_commit(self, name: str) -> None:
        for step in steps(load(name)):
            if "uses" in step and not step["uses"].startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        text = (WORKFLOWS / name).read_text()
        for line in text.splitlines():
            if "uses:" in line and "@" in line:
                assert re.search(r"# v\d+(\.\d+)*", line), f"version comment missing: {line}"

    def test_no_long_lived_aws_keys(self, name: str) -> None:
        text = (WORKFLOWS / name).read_text().lower()
        assert "aws_access_key_id" not in text and "aws-access-key-id" not in text
        assert "aws_secret_access_key" not in text and "aws-secret-access-key" not in text

    def test_oidc_jobs_ask_for_an_id_token(self, name: str) -> None:
        for job_name, job in load(name)["jobs"].items():
            uses = [s.get("uses", "") for s in job.get("steps", [])]
            if any("configure-aws-credentials" in u for u in uses):
                assert job["permissions"]["id-token"] == "write", job_name
                cred = next(s for s in job["steps"] if "configure-aws" in s.get("uses", ""))
                assert "role-to-assume" in cred["with"], job_name

    def test_least_privilege_token(self, name: str) -> None:
        assert load(name)["permissions"] == {"contents": "read"}


class TestCi:
    def test_runs_on_pushes_and_pull_requests(self) -> None:
        on = load("ci.yml")["on"]
        assert "push" in on and "pull_request" in on

    def test_lint_tests_with_postgres_and_infra_checks(self) -> None:
        jobs = load("ci.yml")["jobs"]
        runs = {name: [s.get("run", "") for s in job["steps"]] for name, job in jobs.items()}
        assert "make lint" in runs["lint"]
        assert "make test" in runs["test"]
        assert jobs["test"]["services"]["postgres"]["image"].startswith("postgres:")
        assert "make lint-infra" in runs["infra"]


class TestCd:
    def test_builds_after_green_ci_on_main(self) -> None:
        on = load("cd.yml")["on"]
        assert on["workflow_run"]["workflows"] == ["ci"]
        assert on["workflow_run"]["branches"] == ["main"]

    def test_pushes_sha_and_latest_with_docker_hub_secrets(self) -> None:
        job = load("cd.yml")["jobs"]["image"]
        login = next(s for s in job["steps"] if "login-action" in s.get("uses", ""))
        assert login["with"]["password"] == "${{ secrets.DOCKERHUB_TOKEN }}"
        build = next(s for s in job["steps"] if "build-push-action" in s.get("uses", ""))
        assert build["with"]["push"] is True
        tags = build["with"]["tags"]
        assert "${{ env.SHA }}" in tags and ":latest" in tags

    def test_pushes_the_api_target_and_ci_builds_both(self) -> None:
        # The host runs the API only; the worker target (local OCR) is docker-compose's.
        cd = load("cd.yml")["jobs"]["image"]["steps"]
        (build,) = [s for s in cd if "build-push-action" in s.get("uses", "")]
        assert build["with"]["target"] == "api"
        ci = load("ci.yml")["jobs"]["image"]["steps"]
        built = [s["with"]["target"] for s in ci if "build-push-action" in s.get("uses", "")]
        assert built == ["api", "worker"]

    def test_deploys_the_host_by_digest_through_ssm_then_the_lambda(self) -> None:
        jobs = load("cd.yml")["jobs"]
        assert jobs["image"]["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
        host = jobs["deploy-host"]
        assert host["needs"] == "image"
        runs = " ".join(s.get("run", "") for s in host["steps"])
        assert "aws ssm send-command" in runs and "get-command-invocation" in runs
        assert host["steps"][-1]["env"]["REF"] == (
            "${{ env.IMAGE }}@${{ needs.image.outputs.digest }}"
        )
        creds = next(s for s in host["steps"] if "configure-aws" in s.get("uses", ""))
        assert creds["with"]["role-to-assume"] == "${{ vars.AWS_HOST_DEPLOY_ROLE_ARN }}"
        lam = jobs["deploy-lambda"]
        assert lam["needs"] == "deploy-host"
        runs = " ".join(s.get("run", "") for s in lam["steps"])
        assert "scripts/build_lambda.py" in runs and "update-function-code" in runs
        assert "publish-version" in runs and "aws deploy create-deployment" in runs
        assert "deployment-successful" in runs

    @pytest.mark.parametrize("job", ["deploy-host", "deploy-lambda"])
    def test_deploys_only_from_main_in_the_production_environment(self, job: str) -> None:
        jobs = load("cd.yml")["jobs"]
        assert jobs[job]["environment"] == "production"
        assert jobs[job]["permissions"]["id-token"] == "write"
        assert "github.ref == 'refs/heads/main'" in jobs[job]["if"]
        assert "github.ref == 'refs/heads/main'" in jobs["image"]["if"]
        assert load("cd.yml")["on"]["workflow_run"]["branches"] == ["main"]


@pytest.mark.parametrize("name", ["ci.yml", "cd.yml", "infra.yml"])
def test_no_job_runs_on_a_self_hosted_runner(name: str) -> None:
    """Only GitHub-hosted runners: a self-hosted one on the production host would run any
    workflow, from any branch, that names its labels (issue 13)."""
    for job_name, job in load(name)["jobs"].items():
        runs_on = job.get("runs-on", "")
        labels = runs_on if isinstance(runs_on, list) else [runs_on]
        assert all(str(label).startswith("ubuntu-") for label in labels), (job_name, runs_on)
    text = (WORKFLOWS / name).read_text()
    assert "self-hosted" not in text and "receiptsnap-production" not in text


class TestInfra:
    def test_diff_on_pull_requests_deploy_on_demand(self) -> None:
        wf = load("infra.yml")
        assert "pull_request" in wf["on"] and "workflow_dispatch" in wf["on"]
        diff = " ".join(s.get("run", "") for s in wf["jobs"]["diff"]["steps"])
        deploy = wf["jobs"]["deploy"]
        assert " diff " in diff
        assert deploy["environment"] == "production"
        assert "deploy --all" in " ".join(s.get("run", "") for s in deploy["steps"])
