"""`receiptsnap local` prints the Mini App's URL, and `receiptsnap app-link` (development only)
prints a link whose initData opens the app as the user asked for: through the CLI, against a
`receiptsnap local` of its own (no bot token: the dev stack signs with a made-up one)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from core.clients.init_data import InvalidInitData, dev_bot_token, validate
from devstack.stack import Child, free_port
from receiptsnap.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """`receiptsnap local` in a child process (its output in a file, never a pipe it could
    fill): its app URL (from what it printed) and output."""
    tmp = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as env:
        for name in [k for k in os.environ if k.startswith(("TELEGRAM_", "ENVIRONMENT"))]:
            env.delenv(name)
        child = Child(
            "local",
            ["local", "--port", str(free_port()), "--database-url", f"sqlite:///{tmp / 'l.db'}"],
            {},
            str(tmp / "local.log"),
            timeout=90,
        )
        child.start(ready=child.logged(b"Mini App: "))
    try:
        lines = (tmp / "local.log").read_text().splitlines(keepends=True)
        found = re.search(r"Mini App: (\S+)", "".join(lines))
        assert found, "".join(lines)
        yield found[1], lines
    finally:
        child.stop()


def test_local_prints_the_app_url_which_serves_the_page(local: tuple[str, list[str]]) -> None:
    url, _ = local
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/app/", url)
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and "js/main.js" in page.text


def test_app_link_opens_the_app_as_the_user(
    local: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = local
    base = url.removesuffix("/app/")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert main(["app-link", "--user", "9210", "--api", base]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"{base}/app/#tgWebAppData=")
    init_data = parse_qs(urlsplit(link).fragment)["tgWebAppData"][0]
    me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"tma {init_data}"}, timeout=10)
    assert me.status_code == 200 and me.json()["telegram_user_id"] == 9210


def test_app_link_signs_with_the_token_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:token-for-links")
    assert main(["app-link", "--user", "9211", "--api", "http://127.0.0.1:1"]) == 0
    link = capsys.readouterr().out.strip()
    init_data = unquote(link.split("#tgWebAppData=", 1)[1])
    user = validate(init_data, bot_token=dev_bot_token("123:token-for-links"), max_age_seconds=60)
    with pytest.raises(InvalidInitData):  # never Telegram's for an API outside development
        validate(init_data, bot_token="123:token-for-links", max_age_seconds=60)
    assert user.telegram_user_id == 9211


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_app_link_refuses_outside_development(
    environment: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:token-for-links")
    assert main(["app-link", "--user", "9212"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "development only" in captured.err


def test_local_says_how_to_open_it(local: tuple[str, list[str]]) -> None:
    _, lines = local
    assert any("?dev" in line and "app-link" in line for line in lines)
