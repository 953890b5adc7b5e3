from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import ApiSettings, Environment, ProcessorSettings, check_webhook_secret


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

    def test_the_bots_file_limit_is_telegrams_unless_a_local_bot_api_server_lifts_it(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        mb = 1024 * 1024
        assert ApiSettings(_env_file=None).bot_file_limit_bytes == 20 * mb  # the cloud Bot API
        # a local Bot API server downloads any size: the product's own limit is then the bound
        monkeypatch.setenv("TELEGRAM_DOWNLOAD_MAX_BYTES", str(2000 * mb))
        monkeypatch.setenv("MAX_FILE_BYTES", str(50 * mb))
        assert ApiSettings(_env_file=None).bot_file_limit_bytes == 50 * mb
        monkeypatch.setenv("TELEGRAM_DOWNLOAD_MAX_BYTES", str(5 * mb))
        assert ApiSettings(_env_file=None).bot_file_limit_bytes == 5 * mb


PRODUCTION = {"environment": "production", "database_url": "postgresql+psycopg2://db/x"}


class TestWebhookSecret:
    @pytest.mark.parametrize("secret", ["a" * 31, "short", "x"])
    def test_a_short_secret_is_refused_outside_development(self, secret: str) -> None:
        for environment in ("staging", "production"):
            with pytest.raises(ValidationError, match="at least 32 characters"):
                ApiSettings(
                    _env_file=None,
                    **{**PRODUCTION, "environment": environment},
                    telegram_webhook_secret=secret,
                )

    def test_a_long_enough_secret_is_taken_and_development_takes_a_short_one(self) -> None:
        secret = "Ab0_-" * 6 + "zz"  # 32 characters Telegram accepts
        s = ApiSettings(_env_file=None, **PRODUCTION, telegram_webhook_secret=secret)
        assert s.telegram_webhook_secret is not None
        assert s.telegram_webhook_secret.get_secret_value() == secret
        assert ApiSettings(_env_file=None, telegram_webhook_secret="dev").is_development

    @pytest.mark.parametrize("secret", ["has space" + "x" * 30, "ü" * 40, "a" * 257, "a+b/c=" * 8])
    def test_characters_telegram_refuses_are_refused_everywhere(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="A-Z a-z 0-9 _ -"):
            ApiSettings(_env_file=None, telegram_webhook_secret=secret)

    def test_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://db/x")
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "abc123")
        with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET: at least 32"):
            ApiSettings(_env_file=None)

    def test_the_secrets_manager_value_is_checked_the_same_way(self) -> None:
        with pytest.raises(ValueError, match="webhook-id: at least 32"):
            check_webhook_secret("abc", environment=Environment.PRODUCTION, name="webhook-id")
        assert check_webhook_secret("abc", environment=Environment.DEVELOPMENT, name="x") == "abc"


class TestAdminTokenLifetimes:
    def test_tokens_live_at_most_a_day_by_default_and_by_cap(self) -> None:
        assert ApiSettings(_env_file=None).jwt_max_ttl_seconds == 86_400
        with pytest.raises(ValidationError, match="jwt_max_ttl_seconds"):
            ApiSettings(_env_file=None, jwt_max_ttl_seconds=7 * 86_400)

    def test_the_rotation_grace_is_at_most_the_longest_lifetime(self) -> None:
        with pytest.raises(ValidationError, match="must not exceed JWT_MAX_TTL_SECONDS"):
            ApiSettings(_env_file=None, jwt_max_ttl_seconds=3600, jwt_rotation_grace_seconds=7200)
