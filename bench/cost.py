"""Dollars per receipt for the two Textract modes, from the price table in settings.

    python bench/cost.py [--model MODEL_ID] [--data DIR]

Pages come from real Textract AnalyzeExpense responses (../shared/data/textract/analyze_expense
when present, else tests/fixtures/textract) read by TextractOcr through botocore's Stubber.
Tokens are measured on the Converse requests BedrockExtractor really builds for each receipt
(system prompt, tool schema, receipt text, Textract's fields as hints) and on a valid answer for
it, at about 3.5 characters a token plus the tool-use overhead of Anthropic's models; Bedrock
itself is not called. Prices: ``ProcessorSettings().prices`` (override with PRICES='{...}').

  analyze + rules     AnalyzeExpense; Textract's own fields mapped by the rules extractor
  analyze + bedrock   AnalyzeExpense, then the model with Textract's fields as hints
  economy + bedrock   DetectDocumentText (the same text, no fields), then the model
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.stub import Stubber

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.aws.clients import AwsClients
from core.contracts import CostUnits, Engines, ReceiptExtraction
from core.reading import files
from core.reading.costs import ReceiptCost, mean_cost, receipt_cost
from core.reading.extraction.base import ExtractionRun
from core.reading.extraction.bedrock import TOOL_NAME, BedrockExtractor
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import Document, OcrResult, StoredObject
from core.reading.ocr.textract import TextractOcr
from core.settings import ProcessorSettings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "textract" / "analyze_expense"
FIXTURES = REPO / "tests" / "fixtures" / "textract"
CHARS_PER_TOKEN = 3.5
TOOL_USE_OVERHEAD_TOKENS = 340  # Anthropic's tool-use system prompt with a forced tool
REPLY_OVERHEAD_TOKENS = 20


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class MeteringBedrock:
    """Stands in for the bedrock-runtime client: answers every Converse call with ``answer`` and
    reports the tokens that request and answer would take."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def converse(self, **request: Any) -> dict[str, Any]:
        texts = [s["text"] for s in request["system"]]
        texts += [c.get("text", "") for m in request["messages"] for c in m["content"]]
        spec = request["toolConfig"]["tools"][0]["toolSpec"]
        texts += [spec["name"], spec["description"], json.dumps(spec["inputSchema"]["json"])]
        reply = json.dumps(self.answer, ensure_ascii=False)
        in_tokens = sum(tokens(t) for t in texts) + TOOL_USE_OVERHEAD_TOKENS
        out_tokens = tokens(reply) + REPLY_OVERHEAD_TOKENS
        tool_use = {"toolUseId": "bench", "name": TOOL_NAME, "input": self.answer}
        return {
            "output": {"message": {"role": "assistant", "content": [{"toolUse": tool_use}]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": in_tokens, "outputTokens": out_tokens},
        }


def answer_for(ex: ReceiptExtraction) -> dict[str, Any]:
    """The tool input a model would give for this receipt (what the rules read off it)."""
    data = ex.model_dump(mode="json")
    return {
        "is_receipt": True,
        "merchant_name": ex.merchant.name,
        "merchant_address": ex.merchant.address,
        "merchant_phone": ex.merchant.phone,
        "purchase_date": data["purchase_date"],
        "purchase_time": (data["purchase_time"] or "")[:5] or None,
        "currency": ex.currency,
        "subtotal": data["subtotal"],
        "tax": data["tax"],
        "tip": data["tip"],
        "total": data["total"],
        "line_items": [
            {k: v for k, v in item.items() if v is not None} for item in data["line_items"]
        ],
        "category": "shopping",
        "payment_method": ex.payment_method,
    }


def read_with_textract(response: dict[str, Any], settings: ProcessorSettings) -> OcrResult:
    """AnalyzeExpense through TextractOcr and the Stubber (a job for multi-page documents)."""
    client = AwsClients(settings).client("textract")
    ocr = TextractOcr(client=client, mode="analyze", sleep=lambda _s: None)
    response = dict(response)
    if "Blocks" in response:  # older responses; today's API model keeps them per document
        blocks = response.pop("Blocks")
        docs = response.get("ExpenseDocuments") or []
        if docs and "Blocks" not in docs[0]:
            response["ExpenseDocuments"] = [{**docs[0], "Blocks": blocks}, *docs[1:]]
    pages = int(response.get("DocumentMetadata", {}).get("Pages", 1))
    source = StoredObject(bucket="bench-bucket", key="receipt", size=100_000)
    with Stubber(client) as stub:
        if pages > 1:
            stub.add_response("start_expense_analysis", {"JobId": "bench"})
            stub.add_response("get_expense_analysis", response)
            doc = Document(files.PDF, images=[], source=source, page_count=pages)
        else:
            stub.add_response("analyze_expense", response)
            doc = Document(files.JPEG, images=[], source=source, pixel_size=(1000, 2000))
        return ocr.read(doc)


@dataclass(frozen=True)
class Row:
    name: str
    pages: int
    analyze_run: ExtractionRun
    economy_run: ExtractionRun
    costs: dict[str, ReceiptCost]


def measure(path: Path, settings: ProcessorSettings, model: str) -> Row:
    response = json.loads(path.read_text())
    analyzed = read_with_textract(response, settings)
    economy = OcrResult(
        lines=analyzed.lines, engine="textract-text", pages=analyzed.pages, fields=None
    )
    rules = RulesExtractor()
    answer = answer_for(rules.extract(analyzed))

    def bedrock(ocr: OcrResult) -> ExtractionRun:
        extractor = BedrockExtractor(
            client=MeteringBedrock(answer),
            model_id=model,
            fallback=rules,
            max_input_chars=settings.bedrock_max_input_chars,
        )
        return extractor.run(ocr)

    runs = {"analyze": bedrock(analyzed), "economy": bedrock(economy)}

    def price(ocr: str, run: ExtractionRun | None) -> ReceiptCost:
        units = CostUnits(
            pages=analyzed.pages,
            input_tokens=run.usage.input_tokens if run else 0,
            output_tokens=run.usage.output_tokens if run else 0,
        )
        engines = Engines(ocr=ocr, extractor=run.engine if run else "rules", model=model)
        return receipt_cost(cost=units, engines=engines, prices=settings.prices)

    return Row(
        name=path.name.split(".")[0],
        pages=analyzed.pages,
        analyze_run=runs["analyze"],
        economy_run=runs["economy"],
        costs={
            "analyze+rules": price("textract-expense", None),
            "analyze+bedrock": price("textract-expense", runs["analyze"]),
            "economy+bedrock": price("textract-text", runs["economy"]),
        },
    )


def usd(value: Decimal) -> str:
    return f"${value:.5f}"


def report(rows: list[Row], settings: ProcessorSettings, model: str) -> None:
    modes = ("analyze+rules", "analyze+bedrock", "economy+bedrock")
    head = f"{'receipt':<38}{'pages':>6}{'tokens analyze':>17}{'tokens economy':>17}"
    print(head + "".join(f"{m:>17}" for m in modes))
    for r in rows:
        a, e = r.analyze_run.usage, r.economy_run.usage
        used = (f"{a.input_tokens}+{a.output_tokens}", f"{e.input_tokens}+{e.output_tokens}")
        line = f"{r.name:<38}{r.pages:>6}{used[0]:>17}{used[1]:>17}"
        print(line + "".join(f"{usd(r.costs[m].total_usd):>17}" for m in modes))
        for run in (r.analyze_run, r.economy_run):
            if run.fallback:
                print(f"  (model answer not used: {run.fallback})")
    means = {m: mean_cost(r.costs[m] for r in rows) for m in modes}
    pages = sum(r.pages for r in rows) / len(rows)
    print(f"\n{'mean per receipt':<38}{pages:>6.2f}{'':>34}", end="")
    print("".join(f"{usd(means[m].total_usd):>17}" for m in modes))
    print(f"{'  of which OCR':<78}", end="")
    print("".join(f"{usd(means[m].ocr_usd):>17}" for m in modes))
    print(f"{'  of which model':<78}", end="")
    print("".join(f"{usd(means[m].model_usd):>17}" for m in modes))
    print(f"{'per 1,000 receipts':<78}", end="")
    print("".join(f"{'$' + format(means[m].total_usd * 1000, '.2f'):>17}" for m in modes))
    p = settings.prices
    price = p.bedrock_models.get(model)
    print(
        f"\nprices: AnalyzeExpense ${p.textract_analyze_expense_per_page}/page, "
        f"DetectDocumentText ${p.textract_detect_text_per_page}/page, {model}: "
        + (
            f"${price.input_per_1k_tokens} in / ${price.output_per_1k_tokens} out per 1K tokens"
            if price
            else "NOT IN THE PRICE TABLE (model cost counted as 0)"
        )
    )
    print(
        f"tokens: input+output per receipt, estimated at {CHARS_PER_TOKEN} characters a token "
        f"+ {TOOL_USE_OVERHEAD_TOKENS} tool-use tokens"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None, help="default: settings.bedrock_model_id")
    parser.add_argument("--data", type=Path, default=None, help="folder of AnalyzeExpense JSON")
    args = parser.parse_args()
    settings = ProcessorSettings(aws_local_credentials=True)
    model = args.model or settings.bedrock_model_id
    folder = args.data or (SHARED if SHARED.is_dir() else FIXTURES)
    paths = [
        p
        for p in sorted(folder.glob("*.analyze_expense.json"))
        if ".call2." not in p.name and "edgecase" not in p.name  # a repeat call; a trimmed stub
    ]
    if not paths:
        print(f"no AnalyzeExpense responses in {folder}", file=sys.stderr)
        return 2
    print(f"{len(paths)} real AnalyzeExpense responses from {folder}\n", file=sys.stderr)
    report([measure(p, settings, model) for p in paths], settings, model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
