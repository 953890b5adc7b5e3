"""Secrets Manager, read through a TTL cache; what it reads is never logged (``redact_secret``)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from core.aws.clients import AwsClients
from core.observability.logs import redact_secret

logger = logging.getLogger(__name__)


class SecretsReader:
    """Secrets Manager reads with a small time-based cache.

    ``fresh=True`` skips the cache (a rotated password, say), except for a value read in the
    last ``min_refresh_seconds``: a database that is down must not turn every connection attempt
    into a Secrets Manager call.
    """

    def __init__(
        self, clients: AwsClients, *, ttl_seconds: int = 300, min_refresh_seconds: float = 5.0
    ) -> None:
        self._sm = clients.client("secretsmanager")
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, secret_id: str, *, fresh: bool = False) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(secret_id)
            if hit is not None and now - hit[0] < (self._min_refresh if fresh else self._ttl):
                return hit[1]
        value: str = self._sm.get_secret_value(SecretId=secret_id)["SecretString"]
        _never_logged(value)
        with self._lock:
            self._cache[secret_id] = (now, value)
        return value

    def get_json(self, secret_id: str, *, fresh: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.get(secret_id, fresh=fresh))
        return data


# In a JSON secret (the RDS one, the admin signing keys) the members that are secret.
_SECRET_MEMBERS = ("password", "current", "previous", "key", "secret", "token")


def _never_logged(value: str) -> None:
    redact_secret(value)
    try:
        data = json.loads(value)
    except ValueError:
        return
    if isinstance(data, dict):
        redact_secret(
            *(
                str(member)
                for name, member in data.items()
                if isinstance(member, str) and any(part in name.lower() for part in _SECRET_MEMBERS)
            )
        )
