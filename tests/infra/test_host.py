"""The EC2 host's scripts and proxy config: shellcheck, and the same Telegram ranges as the
security group."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

from tests.infra.tools import REPO, require_infra_tool

HOST = REPO / "infra" / "host"


def infra_config_module() -> object:
    """receiptsnap_infra/config.py is plain Python (no aws_cdk): load it without the venv."""
    path = REPO / "infra" / "receiptsnap_infra" / "config.py"
    spec = importlib.util.spec_from_file_location("receiptsnap_infra_config", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_shellcheck_is_clean() -> None:
    shellcheck = require_infra_tool("shellcheck")
    scripts = sorted(str(p) for p in HOST.glob("*.sh"))
    assert len(scripts) == 4
    result = subprocess.run(  # noqa: S603 - the repo's own venv
        [str(shellcheck), *scripts], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_proxy_admits_the_same_telegram_ranges_as_the_security_group() -> None:
    cidrs = set(infra_config_module().TELEGRAM_WEBHOOK_CIDRS)  # type: ignore[attr-defined]
    context = json.loads((REPO / "infra/cdk.json").read_text())["context"]
    assert set(context["webhookIngressCidrs"]) == cidrs
    nginx = (HOST / "nginx.conf").read_text()
    public = nginx.split("listen 443", 1)[1].split("server {", 1)[0]
    assert set(re.findall(r"allow (\S+);", public)) == cidrs
    assert "deny all;" in public


def test_proxy_exposes_only_the_webhook_and_the_processor_callbacks() -> None:
    nginx = (HOST / "nginx.conf").read_text()
    locations = re.findall(r"location (= )?(\S+) \{", nginx)
    exact = sorted(path for eq, path in locations if eq)
    assert exact == [
        "/internal/processing-progress",
        "/internal/processing-results",
        "/telegram/webhook",
    ]
    assert nginx.count("return 404;") == 3
    # The Mini App's server: the page (GET only) and the client API, nothing else.
    app = nginx.split("server_name ~[a-z];", 1)[1].split("server {", 1)[0]
    assert re.findall(r"location (\S+) \{", app) == ["/app/", "/api/v1/", "/"]
    assert "limit_except GET { deny all; }" in app
    assert "allow " not in app  # users' phones: anyone (the security group decides)


def test_deploy_rolls_back_and_keeps_secrets_off_the_command_line() -> None:
    deploy = (HOST / "deploy.sh").read_text()
    assert "receiptsnap db upgrade" in deploy
    assert "/readyz" in deploy and "rolling back" in deploy
    assert "umask 077" in deploy
    webhook = (HOST / "set-webhook.sh").read_text()
    assert "receiptsnap telegram set-webhook" in webhook and "--certificate" in webhook
    assert "TOKEN" not in webhook.split("set -euo pipefail", 1)[1], "no token in the script"


def test_proxy_re_resolves_the_api_through_dockers_dns() -> None:
    nginx = (HOST / "nginx.conf").read_text()
    assert re.search(r"resolver 127\.0\.0\.11 valid=10s", nginx)
    assert "upstream api" not in nginx, "a static upstream is resolved once, at start"
    passes = re.findall(r"proxy_pass (\S+);", nginx)
    assert passes and set(passes) == {"http://$upstream"}
    assert nginx.count("set $upstream receiptsnap-api:8000;") == 3  # one per server


def test_host_runs_no_github_runner() -> None:
    for name in ("bootstrap.sh", "deploy.sh"):
        text = (HOST / name).read_text()
        assert "config.sh" not in text and "svc.sh" not in text, name
        assert "useradd" not in text and "-g runner" not in text, name


def test_deploy_keeps_the_previous_image_for_rollback() -> None:
    deploy = (HOST / "deploy.sh").read_text()
    assert "previous=$(docker inspect -f '{{.Config.Image}}'" in deploy
    assert 'run_api "${previous}"' in deploy
    assert "previous-image" in deploy


def test_the_host_loads_ecbs_rates_daily_and_once_their_history() -> None:
    """FX_RATES=database reads the rates table: deploy.sh keeps it filled (the package's history
    once, ECB's latest at each release) and installs the daily timer that refreshes it."""
    deploy = (HOST / "deploy.sh").read_text()
    refresh = (HOST / "refresh-rates.sh").read_text()
    assert "receiptsnap rates refresh" in refresh
    assert "--env-file" in refresh and "--read-only" in refresh
    assert "systemctl enable --now receiptsnap-rates.timer" in deploy
    assert re.search(r"OnCalendar=Mon\.\.Fri 16:30 Europe/Berlin", deploy)
    assert 'refresh-rates.sh" --from-package' in deploy and "rates-history-loaded" in deploy
    # After the new image is recorded as current (the timer's script runs that one).
    assert deploy.index('> "${BASE}/current-image"') < deploy.index('refresh-rates.sh" --from')
