"""Vendor errors of the AI engines (Textract, Bedrock) translated into ours.

botocore has already retried what it retries (throttling, 5xx, connection errors) with the mode
and attempts from settings. What is left is sorted three ways:
- transient (throttling, service errors): the SQS record fails and is redelivered later;
- permanent for this file (unreadable, unsupported): the receipt fails with a reason;
- misconfiguration (access denied, model not enabled, wrong region, no credentials): one clear
  log line and a failed receipt, because every retry would be refused the same way.
"""

from __future__ import annotations

import logging
from functools import cache

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from core.errors import EngineMisconfigured, TransientProcessingError

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "TooManyRequestsException",
        "ServiceQuotaExceededException",
        "RequestLimitExceeded",
    }
)
SERVER_CODES = frozenset(
    {
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "ModelErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
        "ExpiredTokenException",  # role credentials being refreshed
    }
)
ACCESS_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "UnauthorizedOperation",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))[:300]


def misconfigured(
    *, service: str, operation: str, code: str, region: str | None, hint: str
) -> EngineMisconfigured:
    """Log the one line an operator needs and build the error that fails the receipt."""
    logger.error(
        "aws.misconfigured service=%s operation=%s code=%s region=%s hint=%s",
        service,
        operation,
        code,
        region,
        hint,
    )
    return EngineMisconfigured(f"{service} {operation}: {code}: {hint}")


@cache
def _known_regions(service: str) -> frozenset[str]:
    import botocore.session

    return frozenset(botocore.session.get_session().get_available_regions(service))


def translate_botocore(
    exc: BotoCoreError, *, service: str, operation: str, region: str | None
) -> Exception:
    """Errors raised before or around the HTTP exchange (credentials, endpoints, timeouts).

    A request that fails botocore's own validation is our bug: it is returned as it is, so that
    it fails the record loudly (then the DLQ) instead of passing for an outage.
    """
    if isinstance(exc, ParamValidationError):
        ours: Exception = exc  # botocore is untyped: its classes read as Any
        return ours
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return misconfigured(
            service=service,
            operation=operation,
            code=type(exc).__name__,
            region=region,
            hint="no AWS credentials: the processor must run with its role",
        )
    known = _known_regions(service)  # empty when botocore's endpoint data does not list them
    if isinstance(exc, EndpointConnectionError) and known and region not in known:
        return misconfigured(
            service=service,
            operation=operation,
            code="EndpointConnectionError",
            region=region,
            hint=f"{service} is not offered in {region}; set AWS_REGION to a region that has it",
        )
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError):
        return TransientProcessingError(f"{service} {operation}: {type(exc).__name__}")
    return TransientProcessingError(f"{service} {operation}: {type(exc).__name__}: {exc}")
