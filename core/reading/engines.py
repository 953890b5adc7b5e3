"""The one place that chooses OCR, extraction and question-reading backends from settings.

OCR (``ocr_engine``: local | textract) and extractor (``extractor``: rules | bedrock) are chosen
independently: local OCR + Bedrock, or Textract + rules, work as well as the pure pairs. The API's
question reader (``question_reader``: rules | bedrock) is chosen the same way, with the same
model (``bedrock_model_id``), whose lifecycle is read once at start (``check_bedrock_model``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from core.reading.extraction.base import Extractor
from core.reading.ocr.base import OcrEngine
from core.settings import ApiSettings, BaseAppSettings, ProcessorSettings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from core.aws.clients import AwsClients
    from core.questions.service import QuestionReader  # SQLAlchemy: never imported by the Lambda


def _clients(settings: BaseAppSettings, clients: AwsClients | None) -> AwsClients:
    if clients is not None:
        return clients
    from core.aws.clients import AwsClients

    return AwsClients(settings)


def build_ocr(settings: ProcessorSettings, *, clients: AwsClients | None = None) -> OcrEngine:
    if settings.ocr_engine == "local":
        from core.reading.ocr.local import LocalOcr

        return LocalOcr()
    if settings.ocr_engine == "textract":
        from core.reading.ocr.textract import TextractOcr

        return TextractOcr(
            client=_clients(settings, clients).client(
                "textract",
                read_timeout=settings.textract_read_timeout_seconds,
                max_attempts=settings.textract_max_attempts,
            ),
            mode=settings.textract_mode,
            region=settings.aws_region,
            poll_initial_seconds=settings.textract_poll_initial_seconds,
            poll_max_seconds=settings.textract_poll_max_seconds,
            job_timeout_seconds=settings.textract_job_timeout_seconds,
        )
    raise NotImplementedError(f"OCR engine {settings.ocr_engine!r} is not available")


def build_extractor(settings: ProcessorSettings, *, clients: AwsClients | None = None) -> Extractor:
    from core.reading.extraction.rules.extractor import RulesExtractor

    rules = RulesExtractor(default_currency=settings.default_currency)
    if settings.extractor == "rules":
        return rules
    if settings.extractor == "bedrock":
        from core.reading.extraction.bedrock import BedrockExtractor

        return BedrockExtractor(
            client=_clients(settings, clients).client(
                "bedrock-runtime",
                read_timeout=settings.bedrock_read_timeout_seconds,
                max_attempts=settings.bedrock_max_attempts,
            ),
            model_id=settings.bedrock_model_id,
            fallback=rules,
            max_tokens=settings.bedrock_max_tokens,
            temperature=settings.bedrock_temperature,
            max_input_chars=settings.bedrock_max_input_chars,
            region=settings.aws_region,
        )
    raise NotImplementedError(f"extractor {settings.extractor!r} is not available")


def build_question_reader(
    settings: ApiSettings, *, clients: AwsClients | None = None
) -> QuestionReader:
    from core.questions.service import RulesQuestionReader

    rules = RulesQuestionReader()
    if settings.question_reader == "rules":
        return rules
    if settings.question_reader == "bedrock":
        from core.questions.bedrock import BedrockQuestionReader

        client = _clients(settings, clients).client(
            "bedrock-runtime", read_timeout=settings.question_timeout_seconds, max_attempts=2
        )
        return BedrockQuestionReader(
            client=client,
            model_id=settings.bedrock_model_id,
            fallback=rules,
            prices=settings.prices,
            max_tokens=settings.question_max_tokens,
            region=settings.aws_region,
        )
    raise NotImplementedError(f"question reader {settings.question_reader!r} is not available")


def check_bedrock_model(settings: BaseAppSettings, *, clients: AwsClients | None = None) -> str:
    """Read the lifecycle of ``settings.bedrock_model_id`` once (cold start, API start): a
    control-plane ``bedrock`` client, one short attempt; never raises."""
    from core.aws.models import check_model_lifecycle

    try:
        client = _clients(settings, clients).client("bedrock", read_timeout=5, max_attempts=1)
        return check_model_lifecycle(client, settings.bedrock_model_id)
    except Exception as exc:  # noqa: BLE001 - a check must never stop the start
        logger.warning(
            "bedrock.lifecycle_unchecked model=%s error=%s", settings.bedrock_model_id, exc
        )
        return "UNKNOWN"


def check_bedrock_model_in_background(
    settings: BaseAppSettings, *, clients: AwsClients | None = None
) -> threading.Thread:
    """The same check on a daemon thread: start-up does not wait for it."""
    thread = threading.Thread(
        target=check_bedrock_model,
        args=(settings,),
        kwargs={"clients": clients},
        name="bedrock-lifecycle",
        daemon=True,
    )
    thread.start()
    return thread
