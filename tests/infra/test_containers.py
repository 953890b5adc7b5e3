"""The Dockerfile (hadolint and the properties the image must have) and docker-compose.yml
(validated by `docker compose config`, from the docker-compose binary in infra/.venv)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.dependency_sizes import TARGETS, requirement_name, target_requirements
from tests.infra.tools import REPO, require_infra_tool

DOCKERFILE = (REPO / "Dockerfile").read_text()
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
# The embedded default's local OCR: the `ocr` extra, in the worker target only.
OCR = {"rapidocr", "openvino", "opencv-python-headless"}


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def stages() -> list[tuple[str, list[str]]]:
    """(stage name, its instructions, keyword first) for each FROM ... AS name."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out: list[tuple[str, list[str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
        if match:
            out.append((match.group(1), []))
        elif out and line and not line.startswith("#"):
            out[-1][1].append(line)
    return out


def dockerfile_requirements(stage: str) -> set[str]:
    """The names that a deps stage's RUN passes to pip: its one-liner, run on this checkout."""
    (run,) = [i for i in dict(stages())[stage] if "-requirements.txt" in i]
    match = re.search(r'python -c "([^"]+)"((?: \w+)*) > \S+-requirements\.txt', run)
    assert match, run
    assert "-c requirements.lock" in run, "pinned by the lock"
    result = subprocess.run(  # noqa: S603 - the Dockerfile's own one-liner
        [sys.executable, "-c", match.group(1), *match.group(2).split()],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {requirement_name(line) for line in result.stdout.split()}


class TestDockerfile:
    def test_hadolint_is_clean(self) -> None:
        hadolint = require_infra_tool("hadolint")
        result = subprocess.run(  # noqa: S603 - the repo's own venv
            [str(hadolint), str(REPO / "Dockerfile")], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_multi_stage_from_a_pinned_slim_base(self) -> None:
        bases = instructions("FROM")
        assert len(bases) >= 2
        earlier: set[str] = set()
        for base in bases:
            image, *alias = base.split()
            if alias:
                earlier.add(alias[-1])
            if image in earlier:  # FROM <an earlier stage>
                continue
            assert re.fullmatch(r"python:3\.12\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image

    def test_runs_as_a_non_root_user_with_a_healthcheck(self) -> None:
        users = instructions("USER")
        assert len(users) == len(TARGETS)
        assert all(user.split(":")[0] not in ("0", "root") for user in users)
        assert instructions("HEALTHCHECK") and "/healthz" in instructions("HEALTHCHECK")[0]

    def test_default_command_is_the_api(self) -> None:
        (cmd,) = instructions("CMD")
        api = ["receiptsnap", "api", "--host", "0.0.0.0", "--port", "8000"]  # noqa: S104
        assert json.loads(cmd) == api

    def test_no_secret_in_the_image(self) -> None:
        for line in instructions("ENV") + instructions("ARG"):
            assert not re.search(r"(TOKEN|PASSWORD|SECRET|_KEY)\s*=", line, re.I), line
        ignore = (REPO / ".dockerignore").read_text().splitlines()
        assert "**" in ignore, ".dockerignore is an allow-list"
        assert "**/.env" in ignore and "!.env" not in ignore

    def test_copies_the_product_and_not_the_dev_stack(self) -> None:
        copied = {i.split()[0] for i in instructions("COPY") if not i.startswith("--from")}
        assert {"core", "api", "bot", "processor", "receiptsnap"} <= copied
        assert not any("devstack" in i for i in instructions("COPY"))
        ignore = (REPO / ".dockerignore").read_text().splitlines()
        assert not any(line.startswith("!devstack") for line in ignore)

    def test_has_the_api_and_worker_targets_with_api_the_default(self) -> None:
        names = [stage for stage, _ in stages()]
        assert set(TARGETS) <= set(names)
        assert names[-1] == "api", "a plain `docker build .` gives the production image"

    def test_targets_copy_dependencies_first_and_the_code_last(self) -> None:
        # A code-only change rebuilds the last layer only: the dependency layers come from
        # stages that see nothing but pyproject.toml and the lock.
        body = dict(stages())
        for target, expected in {
            "api": ["deps", "code"],
            "worker": ["deps", "deps-worker", "code"],
        }.items():
            sources = [
                i.split()[0].removeprefix("--from=")
                for i in body[target]
                if i.startswith("COPY --from=")
                for i in [i.removeprefix("COPY ")]
            ]
            assert sources == expected, target
        for dep_stage in ("deps", "deps-worker"):
            copies = [i for i in body[dep_stage] if i.startswith("COPY ")]
            assert all(i.split()[1:-1] == ["pyproject.toml", "requirements.lock"] for i in copies)
        assert any(
            i.startswith("RUN ") and "--no-deps --prefix /opt/code ." in i for i in body["code"]
        )

    def test_target_requirements_split_the_local_ocr_out_of_the_api(self) -> None:
        api = dockerfile_requirements("deps")
        worker = api | dockerfile_requirements("deps-worker")
        assert {"fastapi", "boto3", "python-telegram-bot", "matplotlib", "pypdfium2"} <= api
        assert not api & (OCR | {"moto", "pytest", "mypy", "ruff"}), api
        assert worker >= OCR
        assert not worker & {"moto", "pytest", "mypy", "ruff"}, worker

    def test_dockerfile_and_the_size_script_agree_on_each_target(self) -> None:
        # scripts/dependency_sizes.py measures what the Dockerfile installs, not a copy of it.
        api = dockerfile_requirements("deps")
        worker = api | dockerfile_requirements("deps-worker")
        assert {requirement_name(r) for r in target_requirements("api")} == api
        assert {requirement_name(r) for r in target_requirements("worker")} == worker
        assert TARGETS == {"api": (("",),), "worker": (("",), ("ocr",))}


def compose_config(env_file: Path | None = ENV_EXAMPLE) -> dict[str, Any]:
    binary = require_infra_tool("docker-compose")
    cmd = [str(binary), "-f", str(COMPOSE)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    result = subprocess.run(  # noqa: S603 - the repo's own venv
        [*cmd, "config", "--format", "json"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return compose_config()


class TestCompose:
    def test_the_whole_stack(self, config: dict[str, Any]) -> None:
        assert set(config["services"]) == {
            "postgres",
            "moto",
            "provision",
            "migrate",
            "api",
            "worker",
        }

    def test_runs_without_an_env_file(self) -> None:
        assert compose_config(env_file=None)["services"]["api"]

    def test_long_running_services_have_healthchecks(self, config: dict[str, Any]) -> None:
        for name in ("postgres", "moto", "provision", "api", "worker"):
            check = config["services"][name]["healthcheck"]
            assert check.get("test") and not check.get("disable"), name

    def test_start_order(self, config: dict[str, Any]) -> None:
        s = config["services"]
        assert s["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert s["provision"]["depends_on"]["moto"]["condition"] == "service_healthy"
        api = s["api"]["depends_on"]
        assert api["migrate"]["condition"] == "service_completed_successfully"
        assert api["provision"]["condition"] == "service_healthy"  # it keeps watching moto
        assert s["worker"]["depends_on"]["api"]["condition"] == "service_healthy"
        # provision never completes (it keeps watching moto): waiting for that would hang.
        for name, service in s.items():
            needs = service.get("depends_on", {}).get("provision")
            assert needs is None or needs["condition"] == "service_healthy", name

    def test_commands_match_the_cli(self, config: dict[str, Any]) -> None:
        s = config["services"]
        api = ["receiptsnap", "api", "--host", "0.0.0.0", "--port", "8000"]  # noqa: S104
        assert s["api"]["command"] == api
        assert s["worker"]["command"] == ["receiptsnap", "worker"]
        assert s["migrate"]["command"] == ["receiptsnap", "db", "upgrade"]
        assert s["provision"]["command"][:3] == ["receiptsnap", "aws-local", "provision"]
        assert "--watch" in s["provision"]["command"]
        assert s["provision"]["restart"] == "unless-stopped"

    def test_app_containers_are_locked_down_and_local_only(self, config: dict[str, Any]) -> None:
        for name, service in config["services"].items():
            assert not service.get("privileged"), name
            for port in service.get("ports", []):
                assert port["host_ip"] == "127.0.0.1", f"{name} publishes beyond loopback"
            if name != "postgres":
                assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
                env = service["environment"]
                assert env["ENVIRONMENT"] == "development", "moto credentials need development"
                assert env["AWS_ENDPOINT_URL"] == "http://moto:5000"

    def test_moto_runs_from_its_own_image_at_the_locked_version(
        self, config: dict[str, Any]
    ) -> None:
        # The app's image ships no moto (the `local` extra), so compose takes moto's image.
        lock = (REPO / "requirements.lock").read_text()
        (pin,) = re.findall(r"^moto==(\S+)$", lock, re.M)
        assert config["services"]["moto"]["image"] == f"motoserver/moto:{pin}"

    def test_worker_builds_the_worker_target_and_the_rest_the_api(
        self, config: dict[str, Any]
    ) -> None:
        s = config["services"]
        for name in ("api", "migrate", "provision"):
            assert s[name]["build"]["target"] == "api", name
        assert s["worker"]["build"]["target"] == "worker"
        assert s["worker"]["image"] != s["api"]["image"]

    def test_env_example_holds_no_secret_values(self) -> None:
        for line in ENV_EXAMPLE.read_text().splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                if any(w in key for w in ("PASSWORD", "TOKEN", "SECRET")):
                    assert value == "", f"{key} must be empty in .env.example"

    def test_worker_healthcheck_finds_the_worker_process_only(self, config: dict[str, Any]) -> None:
        code = config["services"]["worker"]["healthcheck"]["test"][3]
        worker = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(30)", "receiptsnap", "worker"]
        )
        try:
            alive = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603
        finally:
            worker.kill()
            worker.wait()
        assert alive.returncode == 0


def test_the_image_the_lambda_and_ci_run_one_python_minor() -> None:
    """What ships is what CI tests: the image's Python, the Lambda runtime and CI's interpreter."""
    root = Path(__file__).resolve().parents[2]
    images = set(re.findall(r"FROM python:(\d+\.\d+)\.", (root / "Dockerfile").read_text()))
    lambda_runtime = re.findall(
        r"Runtime\.PYTHON_(\d+)_(\d+)",
        (root / "infra" / "receiptsnap_infra" / "stack.py").read_text(),
    )
    ci = set(
        re.findall(
            r'python-version: "(\d+\.\d+)"', (root / ".github" / "workflows" / "ci.yml").read_text()
        )
    )
    assert images == {"3.12"}
    assert {f"{a}.{b}" for a, b in lambda_runtime} == images
    assert ci == images
