"""`receiptsnap local` as a person runs it: its settings from the environment, the Bot API server
included (TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL: a local Bot API server, or Telegram's
test environment), not Telegram's public servers passed over them."""

from __future__ import annotations

from pathlib import Path

from devstack.stack import Child, free_port
from tests.e2e.conftest import new_fake

CHAT = 9401  # 94xx: the command line


def test_local_polls_the_bot_api_server_the_environment_names(
    tmp_path: Path, database_url: str
) -> None:
    with new_fake() as fake:
        # GIVEN `receiptsnap local` started with a token and a Bot API server in its environment
        local = Child(
            "local",
            ["local", "--port", str(free_port()), "--database-url", database_url],
            {
                "telegram_bot_token": fake.token,
                "telegram_api_base_url": f"{fake.url}/bot",
                "telegram_file_base_url": f"{fake.url}/file/bot",
            },
            str(tmp_path / "local.log"),
            timeout=120,
        )
        local.start(ready=local.logged(b"ReceiptSnap is running"))
        try:
            assert b"Telegram bot: polling" in (tmp_path / "local.log").read_bytes()
            # WHEN a user writes to the bot on that server
            fake.pending_updates.append(fake.text_update(chat_id=CHAT, user_id=CHAT, text="/help"))
            # THEN the bot took it from there (getUpdates) and answered there
            fake.wait_for(lambda f: bool(f.messages(CHAT)), timeout=60)
            assert any("/summary" in text for text in fake.messages(CHAT).values())
            assert fake.calls_for("getUpdates")
        finally:
            local.stop()
        # SIGTERM stopped everything in order (not killed after stop's grace period)
        assert local.process is not None and local.process.returncode == 0
