"""boto3 clients from one factory configured by settings: the only place that makes them.

The same code talks to AWS (through the instance or Lambda role, no keys) and to the moto server
on loopback.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from core.settings import BaseAppSettings

logger = logging.getLogger(__name__)

AwsError = (BotoCoreError, ClientError)
CONNECT_TIMEOUT_SECONDS = 5.0


class AwsClients:
    """Makes and caches boto3 clients for one settings object (thread-safe)."""

    def __init__(self, settings: BaseAppSettings) -> None:
        self._settings = settings
        credentials: dict[str, str] = {}
        if settings.aws_local_credentials:
            credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        self._session = boto3.session.Session(region_name=settings.aws_region, **credentials)
        self._clients: dict[tuple[str, float, int | None], Any] = {}
        self._lock = threading.Lock()

    def client(
        self, service: str, *, read_timeout: float = 30, max_attempts: int | None = None
    ) -> Any:
        """A client of ``service``; someone waiting on the answer (a chat user) asks for a
        shorter ``read_timeout`` and fewer ``max_attempts`` than the settings' retries."""
        key = (service, read_timeout, max_attempts)
        with self._lock:
            if key not in self._clients:
                s = self._settings
                config = Config(
                    region_name=s.aws_region,
                    signature_version="s3v4" if service == "s3" else None,
                    retries={
                        "mode": s.aws_retry_mode,
                        "total_max_attempts": max_attempts or s.aws_max_attempts,
                    },
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=read_timeout,
                    s3={"addressing_style": "path"} if s.aws_endpoint_url else None,
                )
                self._clients[key] = self._session.client(
                    service, endpoint_url=s.aws_endpoint_url, config=config
                )
            return self._clients[key]
