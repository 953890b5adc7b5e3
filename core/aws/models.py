"""Bedrock models that cannot be called: how they are recognised, counted and checked at start.

A model that is gone (end of life), not granted, unknown in the region, or throttled past the
SDK's retries must never fail a receipt: the callers (the extractor, the question reader) fall
back to the rules and count it here, in CloudWatch embedded metric format on stdout (Lambda's
log stream turns it into metrics). ``BedrockModelUnavailable`` (dimension ``Model``) is the one
the alarm watches; ``ExtractorFallback`` (dimension ``Reason``) counts every extractor fallback.

On start the model's lifecycle is read once (``check_model_lifecycle``): a LEGACY model logs a
warning and counts ``BedrockModelLegacy``; a model that is missing or past its end of life logs
an error and counts ``BedrockModelUnavailable``. The check never blocks or breaks start-up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from core.aws.errors import ACCESS_CODES, THROTTLING_CODES, error_code, error_message
from core.observability import metrics

logger = logging.getLogger(__name__)

MODEL_UNAVAILABLE = "BedrockModelUnavailable"
MODEL_LEGACY = "BedrockModelLegacy"
EXTRACTOR_FALLBACK = "ExtractorFallback"

# Why a model could not be used (the values of the ``Reason`` dimension).
ModelProblem = Literal["model_not_found", "access_denied", "model_invalid", "throttled"]

_MODEL_WORDS = ("model identifier", "model id", "inference profile", "on-demand", "toolchoice")
# Geographic and global cross-region inference profile ids: us.anthropic.claude-...
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")


def is_inference_profile(model_id: str) -> bool:
    return model_id.startswith(PROFILE_PREFIXES)


def is_model_message(message: str) -> bool:
    """Whether a ValidationException is about the model (id, profile, tool choice), not about
    this request's content (its size)."""
    lowered = message.lower()
    if "too long" in lowered or "too many tokens" in lowered:
        return False
    return any(word in lowered for word in _MODEL_WORDS)


def model_problem(exc: ClientError) -> ModelProblem | None:
    """The reason ``exc`` means the model cannot be used now, or None (another error)."""
    code = error_code(exc)
    if code == "ResourceNotFoundException":  # retired ("reached the end of its life"), unknown
        return "model_not_found"
    if code in ACCESS_CODES:
        return "access_denied"
    if code == "ValidationException" and is_model_message(error_message(exc)):
        return "model_invalid"
    if code in THROTTLING_CODES:  # botocore has already retried it
        return "throttled"
    return None


_HINTS = {
    "access_denied": "allow bedrock:InvokeModel on the model (and the models its inference "
    "profile routes to) to this role, and enable access to the model",
    "model_not_found": "the model is retired or unknown here: set BEDROCK_MODEL_ID to an active "
    "model or inference profile (docs/aws-engines.md)",
    "end_of_life": "the model is past its end of life: set BEDROCK_MODEL_ID to an active model",
    "model_invalid": "use a model id or inference profile that supports Converse with a forced "
    "tool in this region",
}


def model_unavailable(model_id: str, *, reason: str, source: str) -> None:
    """Log the one line an operator needs and count it (the alarm's metric)."""
    logger.error(
        "bedrock.model_unavailable model=%s reason=%s source=%s hint=%s",
        model_id,
        reason,
        source,
        _HINTS.get(reason, "check the model in the Bedrock console"),
    )
    metrics.count(MODEL_UNAVAILABLE, Model=model_id)


# ---- the lifecycle, read once at start -----------------------------------------------------

LifecycleState = Literal["ACTIVE", "LEGACY", "EOL", "MISSING", "UNKNOWN"]


def _foundation_model_ids(client: Any, model_id: str) -> list[str]:
    """The foundation model(s) behind ``model_id``: itself, or those an inference profile
    routes to (GetInferenceProfile's ``models[].modelArn``)."""
    if not is_inference_profile(model_id):
        return [model_id]
    profile = client.get_inference_profile(inferenceProfileIdentifier=model_id)
    arns = [str(m.get("modelArn", "")) for m in profile.get("models", [])]
    ids = list(dict.fromkeys(arn.rsplit("/", 1)[-1] for arn in arns if "/" in arn))
    return ids or [model_id.split(".", 1)[1]]


def _state(details: dict[str, Any], now: datetime) -> LifecycleState:
    lifecycle = details.get("modelLifecycle") or {}
    status = str(lifecycle.get("status", "")).upper()
    eol = lifecycle.get("endOfLifeTime")
    if isinstance(eol, datetime) and eol <= now:
        return "EOL"
    if status == "ACTIVE":
        return "ACTIVE"
    if status == "LEGACY":
        return "LEGACY"
    return "UNKNOWN"


def check_model_lifecycle(
    client: Any, model_id: str, *, now: datetime | None = None
) -> LifecycleState:
    """Read the lifecycle of ``model_id`` (a ``bedrock`` control-plane client); log and count
    what an operator must act on. Any error is a warning: start-up goes on."""
    now = now or datetime.now(UTC)
    try:
        worst: LifecycleState = "ACTIVE"
        for foundation in _foundation_model_ids(client, model_id):
            response = client.get_foundation_model(modelIdentifier=foundation)
            state = _state(response.get("modelDetails", {}), now)
            lifecycle = response.get("modelDetails", {}).get("modelLifecycle") or {}
            if state == "LEGACY":
                logger.warning(
                    "bedrock.model_legacy model=%s foundation=%s end_of_life=%s",
                    model_id,
                    foundation,
                    lifecycle.get("endOfLifeTime"),
                )
                metrics.count(MODEL_LEGACY, Model=model_id)
            if state == "EOL":
                model_unavailable(model_id, reason="end_of_life", source="startup")
                return "EOL"
            if state == "LEGACY" or (state == "UNKNOWN" and worst == "ACTIVE"):
                worst = state
        logger.info("bedrock.model_lifecycle model=%s state=%s", model_id, worst)
        return worst
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            model_unavailable(model_id, reason="model_not_found", source="startup")
            return "MISSING"
        logger.warning(
            "bedrock.lifecycle_unchecked model=%s code=%s message=%s",
            model_id,
            error_code(exc),
            error_message(exc),
        )
    except (BotoCoreError, ValueError, KeyError, TypeError) as exc:
        logger.warning("bedrock.lifecycle_unchecked model=%s error=%s", model_id, exc)
    return "UNKNOWN"
