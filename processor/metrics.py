"""The processor's metrics: one set per receipt from its ``ProcessingResult``, written as EMF by
Powertools ``Metrics`` (flushed once per invocation by the handler; the local worker runs the
same handler, so the same lines are printed locally)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from core.contracts import ProcessingResult, ReceiptStatus
from core.observability.metrics import NAMESPACE
from core.reading.costs import receipt_cost
from core.settings import PriceTable

SERVICE = "receiptsnap-processor"

# POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME (set by infra) win over these.
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def record_result(result: ProcessingResult, *, prices: PriceTable, m: Metrics = metrics) -> None:
    """Counts, seconds, pages, tokens and cost of one receipt (a done receipt also whether the
    rules finished it in the model's place); a failure also by its reason (a separate document:
    the reason is a dimension of that metric only)."""
    if result.status == ReceiptStatus.DONE:
        m.add_metric(name="ReceiptsDone", unit=MetricUnit.Count, value=1)
        # Finished by the rules because the model's answer could not be used (the ratio to
        # ReceiptsDone is alarmed; ExtractorFallback, by reason, says why).
        fell_back = 1 if result.engines.fallback else 0
        m.add_metric(name="ReceiptsFallback", unit=MetricUnit.Count, value=fell_back)
    else:
        m.add_metric(name="ReceiptsFailed", unit=MetricUnit.Count, value=1)
        reason = result.error.code.value if result.error else "unknown"
        with single_metric(
            name="ReceiptsFailed",
            unit=MetricUnit.Count,
            value=1,
            namespace=m.provider.namespace,
            default_dimensions={"service": m.provider.service or SERVICE, "reason": reason},
        ):
            pass
    timings, cost = result.timings, result.cost
    if timings.ocr:
        m.add_metric(name="OcrSeconds", unit=MetricUnit.Seconds, value=timings.ocr)
    if timings.extraction:
        m.add_metric(name="ExtractionSeconds", unit=MetricUnit.Seconds, value=timings.extraction)
    m.add_metric(name="ProcessingSeconds", unit=MetricUnit.Seconds, value=timings.total)
    m.add_metric(name="Pages", unit=MetricUnit.Count, value=cost.pages)
    m.add_metric(name="InputTokens", unit=MetricUnit.Count, value=cost.input_tokens)
    m.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=cost.output_tokens)
    usd = receipt_cost(cost=cost, engines=result.engines, prices=prices).total_usd
    m.add_metric(name="CostUsd", unit=MetricUnit.NoUnit, value=float(usd))
