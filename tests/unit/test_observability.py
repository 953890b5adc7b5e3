"""Logs (JSON lines with the receipt's ids) and metrics (CloudWatch EMF), parsed back."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.contracts import (
    CostUnits,
    Engines,
    ErrorCode,
    ProcessingError,
    ProcessingResult,
    ReceiptExtraction,
    ReceiptStatus,
    Timings,
)
from core.observability.logs import configure_logging, log_context, trace_id
from core.observability.metrics import EmfWriter, Metric, Unit, emf_document
from core.settings import LoggingSettings, PriceTable

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def emf_lines(text: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [d for d in docs if "_aws" in d]


def metric_values(doc: dict[str, Any]) -> dict[str, Any]:
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    return {m["Name"]: doc[m["Name"]] for m in directive["Metrics"]}


class TestConfigureLogging:
    def test_json_lines_carry_the_bound_ids_and_info_is_kept(
        self, restore_root_logging: None
    ) -> None:
        out = io.StringIO()
        configure_logging(LoggingSettings(log_json=True, log_level="INFO"), stream=out)
        receipt = str(uuid.uuid4())
        with log_context(update_id=42, receipt_id=receipt):
            logging.getLogger("processor.pipeline").info("job.done pages=%d", 1)
        logging.getLogger("x").info("after")
        logging.getLogger("x").debug("dropped at INFO")

        first, second = (json.loads(line) for line in out.getvalue().splitlines())
        assert first["level"] == "INFO" and first["message"] == "job.done pages=1"
        assert first["logger"] == "processor.pipeline"
        assert first["update_id"] == 42 and first["receipt_id"] == receipt
        assert first["timestamp"].endswith("+00:00"), "RFC 3339, what Lambda's filter reads"
        assert "receipt_id" not in second, "the ids leave with the context"

    def test_level_and_text_format_from_settings(self, restore_root_logging: None) -> None:
        out = io.StringIO()
        configure_logging(LoggingSettings(log_json=False, log_level="WARNING"), stream=out)
        with log_context(receipt_id="r1"):
            logging.getLogger("a").info("hidden")
            logging.getLogger("a").warning("shown")
        (line,) = out.getvalue().splitlines()
        assert "shown" in line and line.endswith("[receipt_id=r1]")

    def test_token_carrying_libraries_stay_quiet(self, restore_root_logging: None) -> None:
        out = io.StringIO()
        configure_logging(LoggingSettings(log_json=True, log_level="DEBUG"), stream=out)
        logging.getLogger("httpx").info("POST https://api.telegram.org/bot123:SECRET/sendMessage")
        assert out.getvalue() == ""

    def test_trace_id_names_the_update(self) -> None:
        assert trace_id() is None
        with log_context(update_id=7):
            assert trace_id() == "tg-7"


class TestEmf:
    def test_document_follows_the_spec(self) -> None:
        doc = emf_document(
            [Metric("A", 1), Metric("A", 2), Metric("B", 0.5, Unit.SECONDS)],
            namespace="NS",
            dimensions={"service": "s", "outcome": "ok"},
            timestamp_ms=1_700_000_000_000,
        )
        assert doc["_aws"] == {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "NS",
                    "Dimensions": [["service", "outcome"]],
                    "Metrics": [{"Name": "A", "Unit": "Count"}, {"Name": "B", "Unit": "Seconds"}],
                }
            ],
        }
        assert (doc["A"], doc["B"], doc["service"], doc["outcome"]) == ([1, 2], 0.5, "s", "ok")

    def test_writer_prints_one_line_per_call(self) -> None:
        out = io.StringIO()
        EmfWriter(service="receiptsnap-api", stream=out).count("WebhookUpdates", outcome="dup")
        (doc,) = emf_lines(out.getvalue())
        assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ReceiptSnap"
        assert doc["service"] == "receiptsnap-api" and doc["outcome"] == "dup"
        assert metric_values(doc) == {"WebhookUpdates": 1}


class TestTelegramSendErrors:
    """Every Bot API call Telegram refused is counted where all calls pass (the rate limiter),
    also when a handler catches the error; an edit that changes nothing is not an error."""

    async def call(self, error: Exception) -> list[dict[str, Any]]:
        from bot.app import CountingRateLimiter
        from core.observability.metrics import set_metrics_output

        async def refuse(*args: Any, **kwargs: Any) -> bool:
            raise error

        out = io.StringIO()
        set_metrics_output(out)
        with pytest.raises(type(error)):
            await CountingRateLimiter(max_retries=0).process_request(
                refuse, (), {}, "sendMessage", {"chat_id": 5}, None
            )
        return emf_lines(out.getvalue())

    async def test_a_refused_send_is_counted_by_method_and_error(self) -> None:
        from telegram.error import Forbidden

        (doc,) = await self.call(Forbidden("Forbidden: bot was blocked by the user"))
        assert metric_values(doc) == {"TelegramSendErrors": 1}
        assert doc["error"] == "Forbidden" and doc["method"] == "sendMessage"

    async def test_an_unchanged_edit_is_not_an_error(self) -> None:
        from telegram.error import BadRequest

        assert await self.call(BadRequest("Message is not modified: same content")) == []


def result(status: ReceiptStatus) -> ProcessingResult:
    common: dict[str, Any] = {
        "receipt_id": uuid.uuid4(),
        "status": status,
        "engines": Engines(ocr="textract-expense", extractor="bedrock", model="m"),
        "timings": Timings(ocr=1.5, extraction=2.0, total=4.0),
        "cost": CostUnits(pages=2, input_tokens=1000, output_tokens=100),
    }
    if status == ReceiptStatus.DONE:
        return ProcessingResult(extraction=ReceiptExtraction(), **common)
    return ProcessingResult(
        error=ProcessingError(code=ErrorCode.NOT_A_RECEIPT, message="no"), **common
    )


class TestProcessorMetrics:
    def test_done_and_failed_receipts_parse_back(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from processor.metrics import metrics, record_result

        # `receiptsnap demo/extract` run in-process by other tests turn Powertools' output off.
        monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)

        prices = PriceTable(textract_analyze_expense_per_page=Decimal("0.01"), bedrock_models={})
        record_result(result(ReceiptStatus.DONE), prices=prices)
        done = result(ReceiptStatus.DONE)
        engines = done.engines.model_copy(update={"fallback": "model unavailable: throttled"})
        record_result(done.model_copy(update={"engines": engines}), prices=prices)
        record_result(result(ReceiptStatus.FAILED), prices=prices)
        metrics.flush_metrics()

        docs = emf_lines(capsys.readouterr().out)
        by_reason = [d for d in docs if "reason" in d]
        (main,) = [d for d in docs if "reason" not in d]
        assert by_reason[0]["reason"] == "not_a_receipt"
        assert by_reason[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "reason"]]
        values = metric_values(main)
        assert main["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ReceiptSnap"
        assert main["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
        assert values["ReceiptsDone"] == [1.0, 1.0] and values["ReceiptsFailed"] == [1.0]
        assert values["ReceiptsFallback"] == [0.0, 1.0], "the alarmed ratio's numerator"
        assert values["OcrSeconds"] == [1.5, 1.5, 1.5] and values["Pages"] == [2.0, 2.0, 2.0]
        assert values["InputTokens"] == [1000.0, 1000.0, 1000.0]
        assert values["CostUsd"] == [0.02] * 3, "2 pages at $0.01; the model is unpriced"


def test_log_json_follows_one_receipt_through_the_demo() -> None:
    """GIVEN LOG_JSON=true WHEN `receiptsnap -v demo --json` sends one photo through the whole
    local stack THEN the log lines are JSON and the receipt's ids run from the Telegram update
    through the processor to the reply, and stdout stays the demo's JSON."""
    env = {**os.environ, "LOG_JSON": "true", "PYTHONPATH": str(REPO)}
    photo = REPO / "tests" / "fixtures" / "receipts" / "sroie_X00016469612.jpg"
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "receiptsnap.cli", "-v", "demo", "--json", str(photo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    json.loads(proc.stdout)  # the demo's results, no log or metric line mixed in
    entries = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    logs = {e["message"].split()[0]: e for e in entries if "message" in e}
    queued, done, reply = logs["capture.queued"], logs["job.done"], logs["results.reply"]
    assert done["trace_id"] == f"tg-{queued['update_id']}" == queued["message"].split("=")[1]
    assert queued["receipt_id"] == done["receipt_id"] == reply["receipt_id"]
    assert {e["level"] for e in entries if "level" in e} <= {"DEBUG", "INFO", "WARNING", "ERROR"}
    assert any(e.get("WebhookUpdates") for e in entries if "_aws" in e), "EMF on stderr"
