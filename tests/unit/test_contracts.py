from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from core.contracts import (
    ErrorCode,
    LineItem,
    ProcessingError,
    ProcessingJob,
    ProcessingResult,
    ReceiptExtraction,
    ReceiptStatus,
)


class TestReceiptExtraction:
    def test_money_is_decimal_and_serialised_as_string(self) -> None:
        ex = ReceiptExtraction(total="12.3", tax=Decimal("0.7"))
        assert ex.total == Decimal("12.30")
        data = json.loads(ex.model_dump_json())
        assert data["total"] == "12.30"
        assert data["tax"] == "0.70"

    def test_floats_never_sneak_in(self) -> None:
        ex = ReceiptExtraction(total=0.1 + 0.2)
        assert ex.total == Decimal("0.30")

    def test_rejects_non_iso_currency(self) -> None:
        with pytest.raises(ValidationError):
            ReceiptExtraction(currency="RM")

    def test_rejects_confidence_out_of_range(self) -> None:
        with pytest.raises(ValidationError):
            ReceiptExtraction(confidence={"total": 1.5})

    def test_round_trips_through_json(self) -> None:
        ex = ReceiptExtraction(
            purchase_date="2026-10-03",
            currency="EUR",
            total="9.99",
            line_items=[LineItem(description="Café", quantity="2", unit_price="1.5", amount="3")],
        )
        again = ReceiptExtraction.model_validate_json(ex.model_dump_json())
        assert again == ex
        assert again.line_items[0].amount == Decimal("3.00")


class TestProcessingResult:
    def test_done_requires_extraction(self) -> None:
        with pytest.raises(ValidationError, match="extraction"):
            ProcessingResult(receipt_id=uuid.uuid4(), status=ReceiptStatus.DONE)

    def test_failed_requires_error(self) -> None:
        with pytest.raises(ValidationError, match="error"):
            ProcessingResult(receipt_id=uuid.uuid4(), status=ReceiptStatus.FAILED)

    def test_failed_result_round_trip(self) -> None:
        r = ProcessingResult(
            receipt_id=uuid.uuid4(),
            status=ReceiptStatus.FAILED,
            error=ProcessingError(code=ErrorCode.UNREADABLE, message="blurry"),
        )
        assert ProcessingResult.model_validate_json(r.model_dump_json()) == r


class TestProcessingJob:
    def test_rejects_bad_sha256_and_size(self) -> None:
        base = {"receipt_id": uuid.uuid4(), "bucket": "b", "key": "k", "content_type": "image/jpeg"}
        with pytest.raises(ValidationError):
            ProcessingJob(**base, size=0)
        with pytest.raises(ValidationError):
            ProcessingJob(**base, size=10, sha256="nothex")

    def test_status_ranks_never_go_backwards_from_final(self) -> None:
        assert ReceiptStatus.QUEUED.rank < ReceiptStatus.PROCESSING.rank < ReceiptStatus.DONE.rank
        assert ReceiptStatus.DONE.is_final and ReceiptStatus.FAILED.is_final
        assert not ReceiptStatus.QUEUED.is_final
