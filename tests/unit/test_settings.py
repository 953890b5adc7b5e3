from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import ApiSettings, ProcessorSettings


class TestSettings:
    def test_local_defaults_are_the_embedded_default(self) -> None:
        s = ApiSettings(_env_file=None)
        assert s.database_url.startswith("sqlite")
        assert s.is_development

    def test_refuses_sqlite_in_production(self) -> None:
        with pytest.raises(ValidationError, match="SQLite"):
            ApiSettings(_env_file=None, environment="production")

    def test_refuses_placeholder_secret_in_production(self) -> None:
        with pytest.raises(ValidationError, match="placeholder"):
            ApiSettings(
                _env_file=None,
                environment="production",
                database_url="postgresql+psycopg2://db/x",
                telegram_webhook_secret="changethis",
            )

    def test_refuses_local_credentials_in_production(self) -> None:
        with pytest.raises(ValidationError, match="local AWS credentials"):
            ProcessorSettings(_env_file=None, environment="production", aws_local_credentials=True)

    def test_processor_settings_know_nothing_of_telegram_or_database(self) -> None:
        fields = ProcessorSettings.model_fields
        assert "telegram_bot_token" not in fields
        assert "database_url" not in fields

    def test_reads_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
        monkeypatch.setenv("OCR_ENGINE", "local")
        assert ApiSettings(_env_file=None).telegram_api_base_url == "http://127.0.0.1:9/bot"
