"""A tiny CloudWatch embedded metric format (EMF) writer for the API, the bot and the sweeper.

One call, one JSON line on stdout: in the container its log goes to CloudWatch Logs through the
awslogs driver, and CloudWatch Logs extracts the metrics from any log event that is an EMF
document (docs/deploy.md, "Observability", has the references). Locally the same line is
printed. The Lambda uses Powertools ``Metrics``, which writes the same format.
"""

from __future__ import annotations

import enum
import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

NAMESPACE = "ReceiptSnap"


class Unit(enum.StrEnum):
    COUNT = "Count"
    SECONDS = "Seconds"
    NONE = "None"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    unit: Unit = Unit.COUNT


def emf_document(
    metrics: list[Metric],
    *,
    namespace: str,
    dimensions: Mapping[str, str],
    properties: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """The EMF document: ``_aws`` metadata, then each dimension and metric as a root member.
    Values of one name are merged into an array (the spec allows up to 100)."""
    if not metrics:
        raise ValueError("an EMF document needs at least one metric")
    values: dict[str, list[float]] = {}
    units: dict[str, Unit] = {}
    for m in metrics:
        values.setdefault(m.name, []).append(m.value)
        units[m.name] = m.unit
    doc: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": str(units[name])} for name in values],
                }
            ],
        },
        **(properties or {}),
        **dimensions,
    }
    for name, vals in values.items():
        doc[name] = vals[0] if len(vals) == 1 else vals
    return doc


@dataclass(slots=True)
class _Output:
    stream: IO[str] | None = None  # None: stdout, looked up per write (a test's capture sees it)
    enabled: bool = True


_output = _Output()


def set_metrics_output(stream: IO[str] | None = None, *, enabled: bool = True) -> None:
    """Where every ``EmfWriter`` without its own stream writes (stdout by default); with
    ``enabled=False`` nothing is written (``receiptsnap demo`` and ``extract`` print results)."""
    _output.stream, _output.enabled = stream, enabled


def _default_output() -> IO[str] | None:
    if not _output.enabled:
        return None
    return _output.stream or sys.stdout


class EmfWriter:
    """Writes EMF lines for one service (the ``service`` dimension, as Powertools names it)."""

    def __init__(
        self,
        *,
        service: str,
        namespace: str = NAMESPACE,
        stream: IO[str] | Callable[[], IO[str]] | None = None,
    ) -> None:
        self.service = service
        self.namespace = namespace
        self._stream = stream

    def _out(self) -> IO[str] | None:
        if self._stream is None:
            return _default_output()
        return self._stream() if callable(self._stream) else self._stream

    def emit(
        self,
        *metrics: Metric,
        dimensions: Mapping[str, str] | None = None,
        **properties: Any,
    ) -> None:
        """One EMF line; ``properties`` are searchable in Logs Insights, not metrics."""
        doc = emf_document(
            list(metrics),
            namespace=self.namespace,
            dimensions={"service": self.service, **(dimensions or {})},
            properties=properties,
        )
        _write(doc, self._out())

    def count(self, name: str, value: float = 1, **dimensions: str) -> None:
        self.emit(Metric(name, value), dimensions=dimensions)


_write_lock = threading.Lock()


def _write(doc: dict[str, Any], out: IO[str] | None) -> None:
    if out is None:
        return
    line = json.dumps(doc, separators=(",", ":"), default=str)
    with _write_lock:
        out.write(line + "\n")
        out.flush()


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One count with exactly these dimensions (no ``service``): for a metric an alarm matches
    by its own dimensions wherever it is counted (the Lambda and the API alike)."""
    _write(
        emf_document([Metric(name, value)], namespace=NAMESPACE, dimensions=dimensions),
        _default_output(),
    )


# The API's writer: webhook updates, callbacks, Telegram send errors and sweeper actions.
api_metrics = EmfWriter(service="receiptsnap-api")
