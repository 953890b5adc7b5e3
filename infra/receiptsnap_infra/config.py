"""The deployment's parameters, read from CDK context (infra/cdk.json, ``-c key=value``).

Every knob has a default in cdk.json; this module parses and checks them once, so the stacks
read typed values and an impossible combination fails at synth time, not in CloudFormation.
The app-facing names (queue, secrets, model id, engines) are the values of the app's settings
(core/settings.py), passed to the host and the Lambda as environment variables.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

# Regions where both Textract (AnalyzeExpense, async jobs) and Bedrock (on-demand Converse) are
# offered. Check the model's own availability in the Bedrock console ("Model access").
SUPPORTED_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-2",
    }
)
# Cross-region inference profile ids start with a geography: us.anthropic.claude-...
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")
# Telegram's published webhook source ranges (core.telegram.org/bots/webhooks).
TELEGRAM_WEBHOOK_CIDRS = ("149.154.160.0/20", "91.108.4.0/22")

_NAME = re.compile(r"^[a-z][a-z0-9-]{2,20}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ConfigError(ValueError):
    pass


def is_inference_profile(model_id: str) -> bool:
    return model_id.startswith(INFERENCE_PROFILE_PREFIXES)


def foundation_model_id(model_id: str) -> str:
    """The model behind a cross-region inference profile id (the id itself otherwise)."""
    if is_inference_profile(model_id):
        return model_id.split(".", 1)[1]
    return model_id


@dataclass(frozen=True)
class Config:
    prefix: str = "receiptsnap"
    environment: str = "production"
    region: str = "us-east-1"
    account: str | None = None

    # Processor (values of ProcessorSettings).
    ocr_engine: str = "textract"
    extractor: str = "bedrock"
    textract_mode: str = "analyze"
    textract_job_timeout_seconds: int = 90
    callback_timeout_seconds: int = 10
    # The one model of the extractor and the question reader (BEDROCK_MODEL_ID of both):
    # Claude Haiku 4.5 through the US cross-region inference profile (docs/aws-engines.md).
    bedrock_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    # Retries inside the Lambda (SQS redelivery is the outer retry) and the per-record budget:
    # processor/budget.py adds them up; tests/infra/cdk checks budget >= worst case < timeout.
    aws_max_attempts: int = 3
    textract_max_attempts: int = 2
    bedrock_max_attempts: int = 2
    record_budget_seconds: int = 540

    # API host: questions in plain words (values of ApiSettings), with bedrock_model_id.
    question_reader: str = "bedrock"

    # Lambda and its event source.
    lambda_memory_mb: int = 1024
    lambda_timeout_seconds: int = 720
    # No reservation by default: Lambda keeps 100 of the account's concurrency unreserved, and a
    # new account's quota can be as low as 10 (docs/deploy.md), so reserving 10 would fail.
    lambda_reserved_concurrency: int | None = None
    sqs_batch_size: int = 5
    sqs_max_batching_window_seconds: int = 0
    sqs_max_concurrency: int = 5
    max_receive_count: int = 5
    visibility_timeout_factor: int = 6

    # EC2 host.
    host_instance_type: str = "t4g.small"
    host_volume_gb: int = 30
    host_ami_id: str | None = None
    webhook_ingress_cidrs: tuple[str, ...] = TELEGRAM_WEBHOOK_CIDRS

    # Database.
    db_instance_class: str = "t4g.micro"
    db_engine_version: str = "16.13"
    db_allocated_storage_gb: int = 20
    db_max_allocated_storage_gb: int = 100
    db_backup_retention_days: int = 7
    db_multi_az: bool = False
    db_deletion_protection: bool = True

    # Storage and logs.
    raw_retention_days: int = 90
    processed_noncurrent_days: int = 30
    upload_cors_origins: tuple[str, ...] = ("https://*",)
    # The Mini App's host name (its DNS A record: the host's Elastic IP), e.g.
    # receipts.example.com. Telegram opens only HTTPS pages with a certificate it trusts, which
    # an IP address cannot have: without a name there is no Mini App on AWS (the bot shows no
    # button for it). With one: 443 is open to everyone (nginx still admits only Telegram's
    # ranges to the webhook), the app's URL goes to the host (MINI_APP_URL), and the raw
    # bucket's CORS admits POST (the presigned form upload) from exactly https://<name>.
    mini_app_domain: str | None = None
    log_retention_days: int = 30

    # Network.
    vpc_cidr: str = "10.40.0.0/16"
    max_azs: int = 2

    # Alarms.
    alarm_email: str | None = None
    oldest_message_age_alarm_seconds: int = 900
    http_5xx_rate_alarm_percent: float = 5.0
    receipt_failure_rate_alarm_percent: float = 20.0
    # Done receipts the rules finished because the model could not be used (throttled past
    # its retries, an answer that failed validation, the model refused).
    extractor_fallback_rate_alarm_percent: float = 10.0

    # CI/CD (GitHub OIDC roles).
    github_repo: str | None = None
    github_environment: str = "production"
    github_oidc_provider_arn: str | None = None

    extra: dict[str, Any] = field(default_factory=dict)

    # ---- derived names -------------------------------------------------------------------------

    @property
    def mini_app_origin(self) -> str | None:
        return f"https://{self.mini_app_domain}" if self.mini_app_domain else None

    @property
    def queue_name(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def dlq_name(self) -> str:
        return f"{self.prefix}-jobs-dlq"

    @property
    def function_name(self) -> str:
        return f"{self.prefix}-processor"

    @property
    def db_instance_identifier(self) -> str:
        return f"{self.prefix}-db"

    @property
    def db_name(self) -> str:
        return self.prefix.replace("-", "_")

    def secret_name(self, what: str) -> str:
        return f"{self.prefix}/{what}"

    @property
    def host_env_parameter(self) -> str:
        return f"/{self.prefix}/host/env"

    @property
    def host_deploy_document_name(self) -> str:
        """The SSM Command document that deploys one image on the host (the CD's only way in)."""
        return f"{self.prefix}-host-deploy"

    @property
    def host_deploy_tag(self) -> tuple[str, str]:
        """The tag that marks the instance the deploy role may send that document to."""
        return (f"{self.prefix}-deploy-target", self.environment)

    @property
    def processor_alias(self) -> str:
        """The alias the SQS event source invokes; a release moves it (and back on failure)."""
        return "live"

    @property
    def processor_deploy_application(self) -> str:
        """CodeDeploy application and deployment group that move the processor's alias."""
        return f"{self.prefix}-processor"

    @property
    def processor_deploy_group(self) -> str:
        return f"{self.prefix}-processor-{self.processor_alias}"

    @property
    def visibility_timeout_seconds(self) -> int:
        return self.visibility_timeout_factor * self.lambda_timeout_seconds

    # ---- checks --------------------------------------------------------------------------------

    def validate(self) -> Config:
        problems: list[str] = []
        if not _NAME.match(self.prefix):
            problems.append("prefix: 3-21 chars of a-z, 0-9 and '-', starting with a letter")
        if self.region not in SUPPORTED_REGIONS and not self.extra.get("allowUnlistedRegion"):
            problems.append(
                f"region {self.region!r} is not one where Textract and Bedrock are both offered "
                f"({', '.join(sorted(SUPPORTED_REGIONS))}); set allowUnlistedRegion to force"
            )
        if self.ocr_engine not in ("textract", "local"):
            problems.append("ocrEngine: textract | local")
        if self.extractor not in ("bedrock", "rules"):
            problems.append("extractor: bedrock | rules")
        if self.question_reader not in ("bedrock", "rules"):
            problems.append("questionReader: bedrock | rules")
        if self.textract_mode not in ("analyze", "economy"):
            problems.append("textractMode: analyze | economy")
        if not 1 <= self.lambda_timeout_seconds <= 900:
            problems.append("lambdaTimeoutSeconds: 1-900")
        budget = self.textract_job_timeout_seconds + self.callback_timeout_seconds + 30
        if self.ocr_engine == "textract" and budget > self.lambda_timeout_seconds:
            problems.append(
                f"lambdaTimeoutSeconds ({self.lambda_timeout_seconds}) leaves no room for a "
                f"Textract job ({self.textract_job_timeout_seconds}s), the callback and Bedrock"
            )
        if not 0 < self.record_budget_seconds < self.lambda_timeout_seconds:
            problems.append(
                f"recordBudgetSeconds ({self.record_budget_seconds}) must be under "
                f"lambdaTimeoutSeconds ({self.lambda_timeout_seconds}), or no record ever starts"
            )
        for name, attempts in (
            ("awsMaxAttempts", self.aws_max_attempts),
            ("textractMaxAttempts", self.textract_max_attempts),
            ("bedrockMaxAttempts", self.bedrock_max_attempts),
        ):
            if not 1 <= attempts <= 20:
                problems.append(f"{name}: 1-20")
        if self.visibility_timeout_factor < 6:
            problems.append("visibilityTimeoutFactor: at least 6 (AWS guidance for SQS -> Lambda)")
        if self.visibility_timeout_seconds > 43_200:
            problems.append("the visibility timeout (factor x Lambda timeout) exceeds 12 hours")
        if not 1 <= self.sqs_batch_size <= 10:
            problems.append("sqsBatchSize: 1-10 (a larger batch needs a batching window)")
        if not 2 <= self.sqs_max_concurrency <= 1000:
            problems.append("sqsMaxConcurrency: 2-1000")
        if (
            self.lambda_reserved_concurrency  # None or 0: no reservation
            and self.lambda_reserved_concurrency < self.sqs_max_concurrency
        ):
            problems.append("lambdaReservedConcurrency must be >= sqsMaxConcurrency (throttling)")
        if not 1 <= self.max_receive_count <= 1000:
            problems.append("maxReceiveCount: 1-1000")
        if self.raw_retention_days < 1:
            problems.append("rawRetentionDays: at least 1")
        if self.db_max_allocated_storage_gb < self.db_allocated_storage_gb:
            problems.append("dbMaxAllocatedStorageGb must be >= dbAllocatedStorageGb")
        for cidr in self.webhook_ingress_cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                problems.append(f"webhookIngressCidrs: {cidr!r} is not a CIDR")
        if not self.webhook_ingress_cidrs:
            problems.append("webhookIngressCidrs: at least one range")
        if self.mini_app_domain is not None and not _HOSTNAME.match(self.mini_app_domain):
            problems.append("miniAppDomain: a lower-case DNS name (receipts.example.com)")
        if self.github_repo is not None and not _REPO.match(self.github_repo):
            problems.append("githubRepo: owner/name")
        if problems:
            raise ConfigError("invalid CDK context:\n  - " + "\n  - ".join(problems))
        return self


_KEYS: dict[str, str] = {
    "prefix": "prefix",
    "environment": "environment",
    "region": "region",
    "account": "account",
    "ocrEngine": "ocr_engine",
    "extractor": "extractor",
    "textractMode": "textract_mode",
    "textractJobTimeoutSeconds": "textract_job_timeout_seconds",
    "callbackTimeoutSeconds": "callback_timeout_seconds",
    "bedrockModelId": "bedrock_model_id",
    "awsMaxAttempts": "aws_max_attempts",
    "textractMaxAttempts": "textract_max_attempts",
    "bedrockMaxAttempts": "bedrock_max_attempts",
    "recordBudgetSeconds": "record_budget_seconds",
    "questionReader": "question_reader",
    "lambdaMemoryMb": "lambda_memory_mb",
    "lambdaTimeoutSeconds": "lambda_timeout_seconds",
    "lambdaReservedConcurrency": "lambda_reserved_concurrency",
    "sqsBatchSize": "sqs_batch_size",
    "sqsMaxBatchingWindowSeconds": "sqs_max_batching_window_seconds",
    "sqsMaxConcurrency": "sqs_max_concurrency",
    "maxReceiveCount": "max_receive_count",
    "visibilityTimeoutFactor": "visibility_timeout_factor",
    "hostInstanceType": "host_instance_type",
    "hostVolumeGb": "host_volume_gb",
    "hostAmiId": "host_ami_id",
    "webhookIngressCidrs": "webhook_ingress_cidrs",
    "dbInstanceClass": "db_instance_class",
    "dbEngineVersion": "db_engine_version",
    "dbAllocatedStorageGb": "db_allocated_storage_gb",
    "dbMaxAllocatedStorageGb": "db_max_allocated_storage_gb",
    "dbBackupRetentionDays": "db_backup_retention_days",
    "dbMultiAz": "db_multi_az",
    "dbDeletionProtection": "db_deletion_protection",
    "rawRetentionDays": "raw_retention_days",
    "processedNoncurrentDays": "processed_noncurrent_days",
    "uploadCorsOrigins": "upload_cors_origins",
    "miniAppDomain": "mini_app_domain",
    "logRetentionDays": "log_retention_days",
    "vpcCidr": "vpc_cidr",
    "maxAzs": "max_azs",
    "alarmEmail": "alarm_email",
    "oldestMessageAgeAlarmSeconds": "oldest_message_age_alarm_seconds",
    "http5xxRateAlarmPercent": "http_5xx_rate_alarm_percent",
    "receiptFailureRateAlarmPercent": "receipt_failure_rate_alarm_percent",
    "extractorFallbackRateAlarmPercent": "extractor_fallback_rate_alarm_percent",
    "githubRepo": "github_repo",
    "githubEnvironment": "github_environment",
    "githubOidcProviderArn": "github_oidc_provider_arn",
}
_PASSTHROUGH = ("allowUnlistedRegion",)


def _coerce(default: Any, value: Any) -> Any:
    """Context given on the command line (-c key=value) arrives as a string."""
    if value is None or value == "":
        return None
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, int) and not isinstance(value, int):
        return int(value)
    if isinstance(default, float) and not isinstance(value, (int, float)):
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return tuple(value)
    return value


def config_from_context(get: Any) -> Config:
    """``get`` is ``node.try_get_context``: None when a key is absent."""
    defaults = Config()
    values: dict[str, Any] = {}
    for key, attr in _KEYS.items():
        raw = get(key)
        if raw is None:
            continue
        coerced = _coerce(getattr(defaults, attr), raw)
        if attr == "lambda_reserved_concurrency" and coerced is not None:
            coerced = int(coerced)  # its default is None, so _coerce cannot tell it is a number
        if coerced is not None or attr in (
            "lambda_reserved_concurrency",
            "alarm_email",
            "host_ami_id",
            "github_repo",
            "github_oidc_provider_arn",
            "account",
        ):
            values[attr] = coerced
    extra = {key: get(key) for key in _PASSTHROUGH if get(key) is not None}
    return Config(**values, extra=extra).validate()
