from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.receipts.corrections import InvalidCorrection, contradicted, parse_correction

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("total", "23.40", Decimal("23.40")),
        ("total", "12,5", Decimal("12.50")),
        ("total", "1.234,56", Decimal("1234.56")),
        ("total", "$1,234.56", Decimal("1234.56")),
        ("date", "2026-10-03", date(2026, 10, 3)),
        ("date", "03/10/2026", date(2026, 10, 3)),
        ("date", "yesterday", date(2026, 11, 24)),
        ("date", "Hari ini", date(2026, 11, 25)),
        ("date", "semalam", date(2026, 11, 24)),
        ("currency", "eur", "EUR"),
        ("merchant", "  Café Nero ", "Café Nero"),
        ("category", "Groceries", "groceries"),
        ("tax", "0,51", Decimal("0.51")),
        ("subtotal", "RM 8.49", Decimal("8.49")),
    ],
)
def test_parses_what_people_type(field: str, raw: str, expected: object) -> None:
    assert parse_correction(field, raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("total", "RM 12.50", Decimal("12.50")),
        ("total", "12,50", Decimal("12.50")),
        ("total", "12.50 EUR.", Decimal("12.50")),
        ("total", "1 234,56", Decimal("1234.56")),
        ("total", "5", Decimal("5.00")),
        ("total", "0.500", Decimal("0.50")),  # a decimal point, not rupiah's thousands
        ("date", "3 Oct 2026", date(2026, 10, 3)),
        ("date", "Oct 3, 2026", date(2026, 10, 3)),
        ("date", "2026/10/03", date(2026, 10, 3)),
        ("date", "03-10-26", date(2026, 10, 3)),
        ("date", "05/11/2026", date(2026, 11, 5)),  # day first, as before
        ("date", "11/20/2026", date(2026, 11, 20)),  # month first only when day first cannot be
        ("date", "Today", TODAY),
        ("currency", "euros", "EUR"),
        ("currency", "rmb", "CNY"),
    ],
)
def test_reads_typed_forms_with_the_receipt_parser(field: str, raw: str, expected: object) -> None:
    assert parse_correction(field, raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("total", "-3.00", "an amount such as 23.40"),
        ("total", "12.50 + 3.00", "an amount such as 23.40"),
        ("total", "1000000000", "an amount such as 23.40"),
        ("date", "3 Oct", "a date such as 2026-10-03 or 03/10/2026"),
        ("date", "05/12/2026", "a date between 2000 and today"),  # 5 December, not 12 May
        ("date", "1999-12-31", "a date between 2000 and today"),
    ],
)
def test_refusal_says_what_is_expected(field: str, raw: str, message: str) -> None:
    with pytest.raises(InvalidCorrection, match=message):
        parse_correction(field, raw, today=TODAY)


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("total", "about nine"),
        ("total", "-3"),
        ("date", "1999-12-31"),
        ("date", "2027-01-01"),
        ("date", "soon"),
        ("currency", "XYZ"),
        ("merchant", "x" * 201),
        ("merchant", "   "),
        ("tip", "1.00"),
        ("tax", "-1.00"),
    ],
)
def test_refuses_what_cannot_be_right(field: str, raw: str) -> None:
    with pytest.raises(InvalidCorrection):
        parse_correction(field, raw, today=TODAY)


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("groceries", "groceries"),
        ("#Dining with Ana", "dining"),
        ("fuel for the trip!", "fuel"),
        ("lunch with Ana", None),
        (None, None),
    ],
)
def test_caption_naming_a_category_is_a_hint(caption: str | None, expected: str | None) -> None:
    from core.categories.service import category_from_caption

    assert category_from_caption(caption) == expected


def test_a_typed_amount_names_what_now_contradicts_it() -> None:
    amounts = {"subtotal": Decimal("81.00"), "tax": Decimal("9.00"), "tip": None}
    found = contradicted("total", total=Decimal("8.50"), **amounts)
    assert [(doubt, p.field) for doubt, p in found] == [("tax", "tax"), ("subtotal", "subtotal")]
    # A typed tax puts the total in doubt, and only for what concerns the tax.
    found = contradicted("tax", total=Decimal("8.50"), **amounts)
    assert [(doubt, p.field) for doubt, p in found] == [("total", "tax")]
    assert contradicted("total", total=Decimal("90.00"), **amounts) == []
    assert contradicted("merchant", total=Decimal("8.50"), **amounts) == []
