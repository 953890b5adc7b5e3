"""Where the bot sends people to the Mini App: an https URL only (settings), a web_app button in
private chats only (Telegram refuses them elsewhere)."""

from __future__ import annotations

import pytest

from bot.keyboards import open_app
from core.settings import ApiSettings


class TestAppUrl:
    @pytest.mark.parametrize(
        ("base", "expected"),
        [
            ("http://127.0.0.1:8000", None),  # not https: Telegram would not open it
            ("https://203.0.113.7", None),  # an IP address: a self-signed certificate
            ("https://receipts.example.com", "https://receipts.example.com/app/"),
            ("https://receipts.example.com/", "https://receipts.example.com/app/"),
        ],
    )
    def test_derived_from_the_public_base_url_when_https_on_a_name(
        self, base: str, expected: str | None
    ) -> None:
        assert ApiSettings(public_base_url=base).app_url == expected

    def test_mini_app_url_wins_and_must_be_https(self) -> None:
        settings = ApiSettings(mini_app_url="https://t.example/app/", public_base_url="https://x.y")
        assert settings.app_url == "https://t.example/app/"
        with pytest.raises(ValueError, match="https"):
            ApiSettings(mini_app_url="http://t.example/app/")


class TestOpenButton:
    def test_in_a_private_chat_with_the_query(self) -> None:
        button = open_app("https://t.example/app/", 9301, month="2026-10")
        assert button is not None and button.web_app is not None
        assert button.web_app.url == "https://t.example/app/?month=2026-10"

    @pytest.mark.parametrize("chat", [-1009301, -9301, 0, None])
    def test_none_outside_private_chats(self, chat: int | None) -> None:
        assert open_app("https://t.example/app/", chat) is None

    def test_none_without_a_url(self) -> None:
        assert open_app(None, 9301) is None
