"""Validation of an extraction: amounts that cannot be are kept and made doubtful (issue 18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.render import AMOUNT_REVIEW_THRESHOLD, REVIEW_THRESHOLD
from core.contracts import LineItem, ReceiptExtraction
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.ocr.base import OcrLine, OcrResult
from core.reading.validation import DOUBTFUL, impossible_amounts, validate

TODAY = date(2026, 11, 1)
SURE = {"merchant": 0.9, "date": 0.9, "total": 0.9, "subtotal": 0.9, "tax": 0.9, "tip": 0.9}


def extraction(**kw: object) -> ReceiptExtraction:
    base: dict[str, object] = {"total": "9.00", "purchase_date": date(2026, 10, 3)}
    return ReceiptExtraction.model_validate({**base, "confidence": SURE, **kw})


def test_doubtful_is_below_both_thresholds_of_the_card() -> None:
    assert DOUBTFUL < AMOUNT_REVIEW_THRESHOLD <= REVIEW_THRESHOLD


def test_a_tax_equal_to_the_total_is_the_total_misread_as_tax() -> None:
    """The receipt of the issue: "TOTAL INCL. GST 9.00" with the I broken by an accent."""
    lines = [
        "FUYI MINI MARKET",
        "DATE: 03/10/2026",
        "MILO 9.00",
        "SUBTOTAL 9.00",
        "TOTAL ÏNCL. GST 9.00",
        "GST 6% 0.51",
        "TOTAL 9.00",
    ]
    ocr = OcrResult(
        lines=[OcrLine(t, box=(0, i * 20, 300, i * 20 + 18)) for i, t in enumerate(lines)],
        engine="fake",
    )
    read = RulesExtractor().extract(ocr)
    assert (read.tax, read.total, read.confidence["tax"]) == (Decimal("9.00"),) * 2 + (0.9,)

    checked = validate(read, today=TODAY)

    assert checked.tax == Decimal("9.00")  # kept, never dropped: the user is asked
    assert checked.confidence["tax"] == DOUBTFUL
    assert checked.confidence["total"] == read.confidence["total"]  # the same figure: not doubted
    assert "tax 9.00 is not less than the total 9.00" in checked.warnings


@pytest.mark.parametrize(
    ("fields", "doubtful"),
    [
        ({"tax": "9.50"}, {"tax", "total"}),
        ({"tip": "9.00"}, {"tip"}),
        ({"tip": "12.00"}, {"tip", "total"}),
        ({"subtotal": "13.60"}, {"subtotal", "total"}),  # a discount of more than a third
        (
            {
                "line_items": [
                    {"description": "A", "amount": "9.00"},
                    {"description": "B", "amount": "5"},
                ]
            },
            {"line_items", "total"},
        ),
    ],
)
def test_amounts_that_cannot_be_make_the_fields_involved_doubtful(
    fields: dict[str, object], doubtful: set[str]
) -> None:
    read = extraction(**fields)
    checked = validate(read, today=TODAY)
    lowered = {f for f, c in checked.confidence.items() if c < read.confidence.get(f, 1.0)}
    assert lowered == doubtful
    assert all(checked.confidence[f] == DOUBTFUL for f in doubtful)
    for name in ("tax", "tip", "subtotal", "line_items", "total"):
        assert getattr(checked, name) == getattr(read, name)  # nothing dropped
    assert len(checked.warnings) >= 1


@pytest.mark.parametrize(
    "fields",
    [
        {"subtotal": "8.49", "tax": "0.51"},
        {"subtotal": "9.00", "tax": "0.51"},  # prices with the tax included
        {"subtotal": "13.50"},  # a third off: possible
        {"subtotal": "9.01"},  # rounding to 5 cents
        {"tip": "1.50"},
        {
            "line_items": [
                {"description": "A", "amount": "9.50"},
                {"description": "-", "amount": "-0.5"},
            ]
        },
        {"line_items": [{"description": "A", "amount": "13.00"}]},  # a discount line missed
        {"total": None, "tax": "5.00"},
        {"total": "0", "tax": "0"},
    ],
)
def test_possible_amounts_are_left_as_they_were(fields: dict[str, object]) -> None:
    read = extraction(**fields)
    checked = validate(read, today=TODAY)
    assert checked.confidence == read.confidence
    assert not any("total" in w and "than" in w for w in checked.warnings)


def test_impossible_amounts_lists_each_problem() -> None:
    found = impossible_amounts(
        total=Decimal("9.00"),
        subtotal=Decimal("81.00"),
        tax=Decimal("9.00"),
        tip=None,
        item_amounts=[Decimal("81.00"), None],
    )
    assert [(p.field, p.value, p.same_figure) for p in found] == [
        ("tax", Decimal("9.00"), True),
        ("subtotal", Decimal("81.00"), False),
        ("line_items", Decimal("81.00"), False),
    ]
    assert found[0].doubtful == ("tax",)
    assert found[1].doubtful == ("subtotal", "total")


def test_line_items_without_amounts_are_not_summed() -> None:
    read = extraction(line_items=[LineItem(description="A"), LineItem(description="B")])
    assert validate(read, today=TODAY).confidence == read.confidence
