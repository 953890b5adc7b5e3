"""Build the processor's pipeline from settings (Lambda cold start, local worker, tests)."""

from __future__ import annotations

from collections.abc import Callable

from core.aws.clients import AwsClients
from core.aws.s3 import S3Store
from core.aws.secrets import SecretsReader
from core.observability.logs import redact_secret
from core.reading.engines import build_extractor, build_ocr, check_bedrock_model_in_background
from core.settings import ProcessorSettings
from processor.callback import CallbackClient
from processor.pipeline import Pipeline


def callback_key_source(settings: ProcessorSettings, clients: AwsClients) -> Callable[[], bytes]:
    if settings.callback_secret is not None:
        redact_secret(settings.callback_secret.get_secret_value())
        value = settings.callback_secret.get_secret_value().encode()
        return lambda: value
    secrets = SecretsReader(clients, ttl_seconds=settings.secrets_cache_seconds)
    return lambda: secrets.get(settings.callback_secret_id).encode()


def build_pipeline(settings: ProcessorSettings | None = None) -> Pipeline:
    settings = settings or ProcessorSettings()
    clients = AwsClients(settings)
    if settings.extractor == "bedrock":  # a retired model is logged and counted, not fatal
        check_bedrock_model_in_background(settings, clients=clients)
    return Pipeline(
        settings=settings,
        store=S3Store(clients),
        ocr=build_ocr(settings, clients=clients),
        extractor=build_extractor(settings, clients=clients),
        callback=CallbackClient(
            url=settings.callback_url,
            key=callback_key_source(settings, clients),
            timeout=settings.callback_timeout_seconds,
        ),
    )
