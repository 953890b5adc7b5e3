"""`receiptsnap telegram set-webhook / delete-webhook` against the fake Bot API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.webhook import ALLOWED_UPDATES, webhook_url
from devstack.telegram import FakeTelegram
from receiptsnap.cli import main


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", server.token)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret-for-tests")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"{server.url}/bot")
        monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", f"{server.url}/file/bot")
        yield server


def test_set_webhook_sends_secret_allowed_updates_and_certificate(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

    code = main(
        [
            "telegram",
            "set-webhook",
            "https://bot.example.org",
            "--certificate",
            str(cert),
            "--drop-pending",
        ]
    )

    assert code == 0
    (call,) = fake.calls_for("setWebhook")
    assert call.params["url"] == "https://bot.example.org/telegram/webhook"
    assert call.params["secret_token"] == "webhook-secret-for-tests"
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    # Naming a list replaces Telegram's default: the bot added to or removed from a group, and
    # members joining or leaving (sent only to an admin bot that names it), must be named.
    assert {"my_chat_member", "chat_member"} <= set(call.params["allowed_updates"])
    assert call.params["drop_pending_updates"] is True
    assert call.files["certificate"][1].startswith(b"-----BEGIN CERTIFICATE-----")


def test_refuses_plain_http(fake: FakeTelegram) -> None:
    assert main(["telegram", "set-webhook", "http://bot.example.org"]) == 2
    assert fake.calls_for("setWebhook") == []


def test_delete_webhook(fake: FakeTelegram) -> None:
    assert main(["telegram", "delete-webhook", "--drop-pending"]) == 0
    (call,) = fake.calls_for("deleteWebhook")
    assert call.params["drop_pending_updates"] is True


def test_webhook_url_appends_path_once() -> None:
    assert webhook_url("https://h/") == "https://h/telegram/webhook"
    assert webhook_url("https://h/telegram/webhook") == "https://h/telegram/webhook"
