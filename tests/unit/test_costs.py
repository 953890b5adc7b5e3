"""Cost units priced with the settings' price table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.contracts import CostUnits, Engines
from core.reading.costs import OCR_PAGE_PRICES, mean_cost, receipt_cost
from core.reading.ocr.textract import ENGINE_NAMES
from core.settings import PriceTable, ProcessorSettings

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


class TestReceiptCost:
    def test_analyze_expense_pages_and_model_tokens(self) -> None:
        cost = receipt_cost(
            cost=CostUnits(pages=2, input_tokens=2000, output_tokens=400),
            engines=Engines(ocr="textract-expense", extractor="bedrock", model=HAIKU),
            prices=PriceTable(),
        )
        assert cost.ocr_usd == Decimal("0.020")
        assert cost.model_usd == Decimal("0.0005") + Decimal("0.0005")
        assert cost.total_usd == Decimal("0.021") and cost.priced

    def test_economy_costs_about_a_sixth_per_page(self) -> None:
        prices = PriceTable()
        ratio = prices.textract_detect_text_per_page / prices.textract_analyze_expense_per_page
        assert Decimal("0.1") < ratio < Decimal("0.2")

    def test_local_ocr_and_rules_cost_nothing(self) -> None:
        cost = receipt_cost(
            cost=CostUnits(pages=1),
            engines=Engines(ocr="rapidocr", extractor="rules"),
            prices=PriceTable(),
        )
        assert cost.total_usd == 0

    def test_tokens_of_a_fallback_are_still_paid(self) -> None:
        cost = receipt_cost(
            cost=CostUnits(pages=1, input_tokens=1000, output_tokens=0),
            engines=Engines(ocr="textract-text", extractor="rules", model=HAIKU),
            prices=PriceTable(),
        )
        assert cost.model_usd == Decimal("0.00025")

    def test_unknown_model_is_flagged_not_guessed(self) -> None:
        cost = receipt_cost(
            cost=CostUnits(input_tokens=10),
            engines=Engines(model="some.new-model-v9"),
            prices=PriceTable(),
        )
        assert cost.model_usd == 0 and not cost.priced

    def test_a_result_without_its_model_is_priced_with_the_given_one(self) -> None:
        cost = receipt_cost(
            cost=CostUnits(input_tokens=1000),
            engines=Engines(extractor="bedrock"),
            prices=PriceTable(),
            model=HAIKU,
        )
        assert cost.model_usd == Decimal("0.00025")

    def test_mean(self) -> None:
        prices = PriceTable()
        one = receipt_cost(
            cost=CostUnits(pages=1), engines=Engines(ocr="textract-expense"), prices=prices
        )
        three = receipt_cost(
            cost=CostUnits(pages=3), engines=Engines(ocr="textract-expense"), prices=prices
        )
        assert mean_cost([one, three]).total_usd == Decimal("0.02")

    def test_every_textract_mode_has_a_page_price(self) -> None:
        assert set(ENGINE_NAMES.values()) <= set(OCR_PAGE_PRICES)


class TestPriceSettings:
    def test_price_table_comes_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            "PRICES",
            '{"textract_analyze_expense_per_page": "0.008", "bedrock_models": '
            '{"m": {"input_per_1k_tokens": "0.001", "output_per_1k_tokens": "0.002"}}}',
        )
        prices = ProcessorSettings(_env_file=None).prices
        assert prices.textract_analyze_expense_per_page == Decimal("0.008")
        assert prices.textract_detect_text_per_page == Decimal("0.0015")
        assert prices.bedrock_models["m"].output_per_1k_tokens == Decimal("0.002")

    def test_defaults_keep_the_embedded_local_run(self) -> None:
        s = ProcessorSettings(_env_file=None)
        assert (s.ocr_engine, s.extractor, s.textract_mode) == ("local", "rules", "analyze")
        assert s.bedrock_model_id in s.prices.bedrock_models
