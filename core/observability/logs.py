"""One logging setup per deployable: JSON lines (or text) with the ids of one receipt's journey.

``log_context(receipt_id=..., update_id=...)`` binds ids for the code it wraps (a contextvar,
so asyncio tasks and threads started inside inherit them); ``ContextFilter`` copies them onto
every record; ``JsonFormatter`` writes one JSON object per line with ``level`` and an RFC 3339
``timestamp``, the keys Lambda's log-level filtering reads from stdout (docs/deploy.md).

No secret is written, whatever a library logs at whatever level: both formatters pass every
line through ``redact``, which hides the bot token in Bot API URLs (httpx logs each request's
URL at INFO, python-telegram-bot its base URL at DEBUG) and every value given to
``redact_secret`` (``SecretsReader`` gives it what it reads from Secrets Manager, the API's
container what settings hold).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any, Protocol

# The ids that follow one receipt: the Telegram update that brought it, the receipt, and the
# job's trace id (set by the API, carried through SQS to the processor and back).
CONTEXT_FIELDS = ("update_id", "receipt_id", "trace_id", "attempt", "request_id")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "receiptsnap_log_context", default=_EMPTY
)

# Libraries that are chatty, or log URLs holding the bot token (httpx), at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "botocore", "urllib3", "werkzeug", "telegram.ext")

# A Bot API URL holds the token: .../bot<id>:<secret>/sendMessage, .../file/bot<id>%3A<secret>/...
# (python-telegram-bot quotes the colon in file URLs).
_BOT_TOKEN_IN_URL = re.compile(r"/bot\d+(?::|%3[Aa])[A-Za-z0-9_-]+")
REDACTED = "<redacted>"
# Shorter values would hide ordinary words; no secret of ours is that short.
MIN_SECRET_CHARS = 8
_secrets: tuple[str, ...] = ()  # longest first: one may hold another
_secrets_lock = threading.Lock()

# LogRecord's own attributes: anything else on a record came from ``extra=`` or the filter.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class LogSettings(Protocol):
    @property
    def log_level(self) -> str: ...
    @property
    def log_json(self) -> bool: ...


def redact_secret(*values: str | None) -> None:
    """Never write ``values`` in a log line (nor their JSON-escaped or URL-quoted forms)."""
    global _secrets
    new = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_CHARS:
            new |= {
                value,
                json.dumps(value, ensure_ascii=False)[1:-1],
                json.dumps(value)[1:-1],
                urllib.parse.quote(value, safe=""),
            }
    with _secrets_lock:
        _secrets = tuple(sorted(new.union(_secrets), key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with the bot token of any Bot API URL and every registered secret replaced."""
    text = _BOT_TOKEN_IN_URL.sub("/bot" + REDACTED, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def current_context() -> dict[str, Any]:
    return dict(_context.get())


def bind(**fields: Any) -> contextvars.Token[Mapping[str, Any]]:
    """Add ``fields`` (None values are dropped) to the context until ``unbind(token)``."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    return _context.set(merged)


def trace_id() -> str | None:
    """The job's trace id for what is bound now: ``tg-<update_id>`` for a Telegram update, so
    the processor's lines lead back to the update; the bound trace id (a requeue) otherwise."""
    ctx = _context.get()
    if "update_id" in ctx:
        return f"tg-{ctx['update_id']}"
    value = ctx.get("trace_id")
    return None if value is None else str(value)


def unbind(token: contextvars.Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


class ContextFilter(logging.Filter):
    """Puts the bound ids on every record (a record's own ``extra=`` values win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, *, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.service:
            entry["service"] = self.service
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """The development format, with the bound ids at the end of the line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key)
        )
        return redact(f"{line} [{ids}]" if ids else line)


def configure_logging(
    settings: LogSettings,
    *,
    service: str | None = None,
    stream: IO[str] | None = None,
    verbose: bool = False,
) -> logging.Handler:
    """Replace the root logger's handlers with one that writes to ``stream`` (stderr by
    default, so that commands printing results on stdout stay parseable; the Lambda runtime
    and the container's awslogs driver ship both streams to CloudWatch), JSON when
    ``settings.log_json``, at ``settings.log_level`` (DEBUG with ``verbose``)."""
    level = (
        logging.DEBUG
        if verbose
        else logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service=service) if settings.log_json else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):  # the Lambda runtime's own, or an earlier setup's
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
