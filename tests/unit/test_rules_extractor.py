"""Unit tests of the deterministic rules extractor.

The receipts below are hand-written: each argument of ``_receipt`` is one printed row, and a
tuple stands for several OCR boxes on that row (label on the left, amount on the right).
"""

from __future__ import annotations

import json
import re
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from core.contracts import ReceiptExtraction
from core.reading.extraction.rules.amounts import find_amounts
from core.reading.extraction.rules.extractor import RulesExtractor
from core.reading.extraction.rules.values import parse_amount
from core.reading.ocr.base import OcrLine, OcrResult

TODAY = date(2024, 6, 30)
SROIE_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "sroie"


def _receipt(*rows: str | tuple[str, ...], shuffle: bool = True) -> OcrResult:
    """Boxes laid out like a scanned receipt: 30 px per row, cells spread left to right.

    Cells of one row get slightly different tops (as real OCR boxes do) and, by default, the
    boxes are handed over in a scrambled order so that row reconstruction is exercised.
    """
    lines: list[OcrLine] = []
    for index, row in enumerate(rows):
        cells = (row,) if isinstance(row, str) else row
        top = 40.0 + 30 * index
        width = 460 / len(cells)
        for position, text in enumerate(cells):
            left = 20 + position * width
            jitter = 3.0 * (position % 2)
            lines.append(OcrLine(text, (left, top + jitter, left + width - 15, top + 18 + jitter)))
    if shuffle:
        lines = lines[1::2] + lines[0::2]
    return OcrResult(lines=lines, engine="test")


def _plain(*rows: str) -> OcrResult:
    """Plain text input: no geometry, rows taken in the given order."""
    return OcrResult(lines=[OcrLine(text) for text in rows], engine="text")


def _extract(ocr: OcrResult, **kwargs: object) -> ReceiptExtraction:
    return RulesExtractor(today=lambda: TODAY, **kwargs).extract(ocr)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Total
# ------------------------------------------------------------------------------------------


class TestTotal:
    def test_keyword_and_amount_in_separate_boxes_on_one_row(self) -> None:
        result = _extract(
            _receipt(
                "KEDAI RUNCIT MAJU JAYA",
                ("MILO 1KG", "18.90"),
                ("ROTI GARDENIA", "4.10"),
                ("TOTAL", "23.00"),
                ("CASH", "50.00"),
                ("CHANGE", "27.00"),
            )
        )
        assert result.total == Decimal("23.00")
        assert result.confidence["total"] >= 0.9

    def test_amount_on_the_row_below_a_lone_keyword(self) -> None:
        result = _extract(
            _receipt(
                "CORNER BAKERY",
                ("CROISSANT", "3.20"),
                ("LATTE", "4.80"),
                "AMOUNT DUE",
                "8.00",
                "THANK YOU",
            )
        )
        assert result.total == Decimal("8.00")

    def test_amount_after_a_colon_row_in_plain_text(self) -> None:
        result = _extract(_plain("SHOP", "TOTAL", ":", "12.40", "CASH", ":", "20.00"))
        assert result.total == Decimal("12.40")

    def test_subtotal_and_tax_are_consistent_with_total(self) -> None:
        result = _extract(
            _receipt(
                "THE LUNCH BOX LLC",
                ("CLUB SANDWICH", "11.50"),
                ("ICED TEA", "2.50"),
                ("TOTAL QTY", "2"),
                ("SUBTOTAL", "14.00"),
                ("SALES TAX 8.875%", "1.24"),
                ("TOTAL", "$15.24"),
                ("VISA", "$15.24"),
            )
        )
        assert result.subtotal == Decimal("14.00")
        assert result.tax == Decimal("1.24")
        assert result.total == Decimal("15.24")
        assert result.confidence["total"] >= 0.9
        assert result.confidence["subtotal"] >= 0.9
        assert result.payment_method == "visa"

    def test_total_excluding_gst_is_a_subtotal_and_the_rate_is_not_the_tax(self) -> None:
        result = _extract(
            _receipt(
                "RESTORAN SELERA KAMPUNG",
                ("NASI GORENG", "7.50"),
                ("TEH TARIK", "2.00"),
                ("TOTAL (EXCLUDING GST):", "9.50"),
                ("GST @ 6%:", "0.57"),
                ("TOTAL (INCLUSIVE OF GST):", "10.07"),
                ("ROUNDING ADJ:", "-0.02"),
                ("TOTAL:", "10.05"),
            )
        )
        assert result.subtotal == Decimal("9.50")
        assert result.tax == Decimal("0.57")
        assert result.total == Decimal("10.05")

    def test_rounded_total_wins_and_agrees_with_cash_minus_change(self) -> None:
        result = _extract(
            _receipt(
                "PASAR MINI SRI INDAH",
                ("SUGAR 1KG", "2.85"),
                ("EGGS 10S", "6.18"),
                ("TOTAL", "9.03"),
                ("ROUNDING ADJUSTMENT", "-0.03"),
                ("ROUNDED TOTAL (RM)", "9.00"),
                ("CASH", "10.00"),
                ("CHANGE", "1.00"),
            )
        )
        assert result.total == Decimal("9.00")
        assert result.confidence["total"] >= 0.9

    def test_a_total_no_total_row_states_is_doubtful_when_one_states_another(self) -> None:
        # "ROUNDING 12.00" (the amount paid after rounding) agrees with cash - change, but the
        # row labelled as the total says 11.98: which one the user means is for the review.
        result = _extract(
            _receipt(
                "GOLDEN NOODLE HOUSE SDN BHD",
                ("1 ICED LEMON TEA", "2.95"),
                ("1 BEEF NOODLE", "9.03"),
                ("EAT-IN TOTAL (INCL TAX)", "11.98"),
                ("ROUNDING ADJUST", "0.02"),
                ("ROUNDING", "12.00"),
                ("CASH TENDERED", "20.00"),
                ("CHANGE", "8.00"),
            )
        )
        assert result.total in (Decimal("11.98"), Decimal("12.00"))
        assert 0.5 <= result.confidence["total"] < 0.9

    def test_total_savings_and_discount_are_not_the_total(self) -> None:
        result = _extract(
            _receipt(
                "FRESHMART",
                ("APPLES", "6.00"),
                ("DISCOUNT", "-1.00"),
                ("TOTAL DISCOUNT", "1.00"),
                ("TOTAL SAVINGS", "1.00"),
                ("TOTAL", "5.00"),
            )
        )
        assert result.total == Decimal("5.00")

    def test_cash_minus_change_without_a_total_keyword(self) -> None:
        result = _extract(
            _receipt(
                "NIGHT MARKET STALL",
                ("CHAR KWAY TEOW", "8.50"),
                ("CASH", "20.00"),
                ("CHANGE", "11.50"),
            )
        )
        assert result.total == Decimal("8.50")
        assert 0.5 <= result.confidence["total"] < 0.9

    def test_largest_amount_fallback_has_low_confidence(self) -> None:
        result = _extract(_receipt("SOME STORE", ("ITEM A", "3.00"), ("ITEM B", "12.50")))
        assert result.total == Decimal("12.50")
        assert result.confidence["total"] <= 0.3

    def test_a_receipt_on_which_nothing_costs_anything_totals_zero_doubtfully(self) -> None:
        # A trade-in: every amount, the total's included, is 0.00.
        result = _extract(_receipt("GAME STORE", ("PURCHASE SUBTOTAL", "0.00"), ("TOTAL", "0.00")))
        assert result.total == Decimal("0.00")
        assert result.confidence["total"] < 0.7

    def test_a_zero_total_row_does_not_hide_a_positive_amount(self) -> None:
        result = _extract(_receipt("SOME STORE", ("ITEM A", "3.00"), ("TOTAL DISCOUNT", "0.00")))
        assert result.total == Decimal("3.00")

    def test_multilingual_keywords(self) -> None:
        german = _extract(
            _receipt(
                "BÄCKEREI KRAUSE GMBH",
                ("Brezel", "1,20"),
                ("Kaffee", "2,80"),
                ("SUMME EUR", "4,00"),
            )
        )
        french = _extract(
            _receipt("BOULANGERIE DUPONT", ("BAGUETTE", "1,10"), ("TOTAL TTC", "1,10"))
        )
        malay = _extract(_receipt("KEDAI MAKAN ALI", ("ROTI CANAI", "1.50"), ("JUMLAH", "RM1.50")))
        assert german.total == Decimal("4.00")
        assert german.currency == "EUR"
        assert french.total == Decimal("1.10")
        assert malay.total == Decimal("1.50")
        assert malay.currency == "MYR"

    def test_run_together_words_from_annotated_data(self) -> None:
        result = _extract(
            _receipt(
                "BURGERPLACE",
                ("DOUBLECOMBO", "7.69"),
                ("SMALLFRIES", "2.10"),
                ("AMOUNTTENDER", "20.00"),
                ("CHANGEDUE", "10.21"),
            )
        )
        assert result.total == Decimal("9.79")

    def test_zero_decimal_currency(self) -> None:
        result = _extract(
            _receipt(
                "WARUNG SEDERHANA",
                ("1 Nasi Goreng", "25.000"),
                ("2 Es Teh", "10.000"),
                ("Subtotal", "35.000"),
                ("Pajak 10%", "3.500"),
                ("Total", "38.500"),
            )
        )
        assert result.total == Decimal("38500.00")
        assert result.subtotal == Decimal("35000.00")


# ------------------------------------------------------------------------------------------
# Amounts
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.00", "9.00"),
        ("RM9.00", "9.00"),
        ("RM 9.00", "9.00"),
        ("$1,007.50", "1007.50"),
        ("1.007,50", "1007.50"),
        ("12,50", "12.50"),
        ("€ 3,20", "3.20"),
        ("9.00 SR", "9.00"),
        ("9.00ZR", "9.00"),
        ("-1.73", "-1.73"),
        ("£0.60A", "0.60"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["03-7731 8169", "25/12/2018", "12:30", "9556939040116", "6%", "INV-000123", "10.50KG"],
)
def test_not_an_amount(text: str) -> None:
    assert find_amounts(text) == []


def test_amounts_are_decimals_with_two_places() -> None:
    result = _extract(_receipt("SHOP", ("TOTAL", "7.5 0"), ("TOTAL", "12.3")))
    assert result.total is None or isinstance(result.total, Decimal)
    result = _extract(_receipt("SHOP", ("TOTAL", "12.30")))
    assert result.total == Decimal("12.30")
    assert result.total.as_tuple().exponent == -2


# ------------------------------------------------------------------------------------------
# Dates and times
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("DATE: 25/12/2018", date(2018, 12, 25)),
        ("DATE : 12-01-19", date(2019, 1, 12)),
        ("DATUM 11.02.18", date(2018, 2, 11)),
        ("05 MAR 2018 18:24", date(2018, 3, 5)),
        ("DATE: 24-MAR-2018", date(2018, 3, 24)),
        ("TARIKH: 02/JAN/2017", date(2017, 1, 2)),
        ("OCT 3, 2016 12:01 PM", date(2016, 10, 3)),
        ("INVOICE (06/12/2016)", date(2016, 12, 6)),
        ("DATE 2018-03-23", date(2018, 3, 23)),
        ("DATE: 20180304", date(2018, 3, 4)),
        ("12/28/2017", date(2017, 12, 28)),  # day-first impossible: month-first
        ("15 OGOS 2019", date(2019, 8, 15)),  # Malay
        ("3. MÄRZ 2021", date(2021, 3, 3)),  # German
        ("12 ENE 2019", date(2019, 1, 12)),  # Spanish
        ("Le 7 janv. 2020", date(2020, 1, 7)),  # French
    ],
)
def test_date_formats(printed: str, expected: date) -> None:
    result = _extract(_receipt("SOME SHOP", printed, ("TOTAL", "5.00")))
    assert result.purchase_date == expected


def test_implausible_dates_are_rejected() -> None:
    too_old = _extract(_receipt("SHOP", "DATE: 01/01/1995", ("TOTAL", "5.00")))
    future = _extract(_receipt("SHOP", "DATE: 15/07/2024", ("TOTAL", "5.00")))
    tomorrow = _extract(_receipt("SHOP", "DATE: 01/07/2024", ("TOTAL", "5.00")))
    assert too_old.purchase_date is None
    assert future.purchase_date is None  # TODAY is 2024-06-30
    assert tomorrow.purchase_date == date(2024, 7, 1)  # time zones: one day of slack


def test_labelled_date_beats_other_dates() -> None:
    result = _extract(
        _receipt("SHOP", "VALID UNTIL 31/12/2023", "DATE: 14/02/2023", ("TOTAL", "5.00"))
    )
    assert result.purchase_date == date(2023, 2, 14)
    assert result.confidence["date"] >= 0.6


def test_unlabelled_a_date_with_a_time_beats_one_alone() -> None:
    """A "PAID" stamp's date above the receipt (SROIE X51005361946: "13 MAR 2018", the print
    "14-03-18 21:49") or an expiry date is not the sale's: the one printed with a time is."""
    result = _extract(
        _receipt(
            "PAID 13 MAR 2018", "SHOP SDN BHD", ("TOTAL", "5.00"), "14-03-18 21:49 SH03 T1 R0004"
        )
    )
    assert result.purchase_date == date(2018, 3, 14)
    assert result.confidence["date"] < 0.9  # two dates: doubtful all the same


def test_ambiguous_numeric_date_is_day_first_unless_the_receipt_is_in_dollars() -> None:
    malaysian = _extract(_receipt("KEDAI ABC", "DATE 03/04/2019", ("TOTAL", "RM 5.00")))
    american = _extract(_receipt("DINER", "DATE 03/04/2019", ("TOTAL", "$5.00")))
    assert malaysian.purchase_date == date(2019, 4, 3)
    assert american.purchase_date == date(2019, 3, 4)


@pytest.mark.parametrize(
    ("printed", "expected_date", "expected_time"),
    [
        ("Date: 25/12/20188:13:39PM", date(2018, 12, 25), time(20, 13, 39)),
        ("Date 06/01/1812:17:26PM", date(2018, 1, 6), time(12, 17, 26)),
        ("05Mar201818:24", date(2018, 3, 5), time(18, 24)),
    ],
)
def test_date_and_time_glued_together_by_ocr(
    printed: str, expected_date: date, expected_time: time
) -> None:
    result = _extract(_receipt("SHOP", printed, ("TOTAL", "5.00")))
    assert result.purchase_date == expected_date
    assert result.purchase_time == expected_time


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # OCR dropped or mixed up the separators; the figures stand alone in their box.
        (("SHOP", ("27032018", "NO: CS-20243")), date(2018, 3, 27)),
        (("SHOP", ("27 032018", "NO. CS-20242")), date(2018, 3, 27)),
        (("SHOP", ("01:34PM 568017", "05 02-18")), date(2018, 2, 5)),
        (("SHOP", "DATE: 20 03 2018"), date(2018, 3, 20)),
    ],
)
def test_dates_whose_separators_the_ocr_lost(
    rows: tuple[str | tuple[str, ...], ...], expected: date
) -> None:
    result = _extract(_receipt(*rows, ("TOTAL", "5.00")))
    assert result.purchase_date == expected
    assert result.confidence["date"] < 0.7  # a guess: the review prompt asks about it


def test_figures_that_only_look_like_a_damaged_date_are_not_taken() -> None:
    # An invoice number and a phone number share the row with other text: not a date.
    result = _extract(_receipt("SHOP", "INV 27032018 TEL 0327032018", ("TOTAL", "5.00")))
    assert result.purchase_date is None
    # Figures alone in a box with spaces between, no separator and no DATE label: a table's.
    spaced = _extract(_receipt("SHOP", ("ITEMS", "1 1 20"), ("TOTAL", "5.00")))
    assert spaced.purchase_date is None
    # A well-formed date anywhere wins over any damaged one.
    clean = _extract(_receipt("SHOP", "27032018", "DATE 14/02/2018", ("TOTAL", "5.00")))
    assert clean.purchase_date == date(2018, 2, 14)


def test_time_with_meridiem() -> None:
    result = _extract(_receipt("SHOP", "DATE: 25/12/2018 8:13:39 PM", ("TOTAL", "9.00")))
    assert result.purchase_time == time(20, 13, 39)


# ------------------------------------------------------------------------------------------
# Merchant
# ------------------------------------------------------------------------------------------


def test_merchant_skips_titles_registration_and_address() -> None:
    result = _extract(
        _receipt(
            "WELCOME",
            "TAX INVOICE",
            "KEDAI RUNCIT MAJU JAYA SDN BHD",
            "(123456-W)",
            "NO. 12, JALAN MERANTI 3,",
            "TAMAN MELATI, 53100 KUALA LUMPUR",
            "TEL: 03-4021 5566",
            "GST ID: 000123456789",
            ("TOTAL", "RM 12.00"),
        )
    )
    assert result.merchant.name == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert result.merchant.address is not None
    assert "JALAN MERANTI" in result.merchant.address
    assert result.merchant.phone == "03-4021 5566"
    assert result.confidence["merchant"] >= 0.8


def test_merchant_prefers_the_legal_name_over_a_logo_line() -> None:
    result = _extract(
        _receipt("HAPPY BEAN", "HAPPY BEAN COFFEE ROASTERS LTD", "12 MILL ROAD", ("TOTAL", "4.00"))
    )
    assert result.merchant.name == "HAPPY BEAN COFFEE ROASTERS LTD"


def test_merchant_name_wrapped_onto_a_suffix_row_is_joined() -> None:
    result = _extract(
        _receipt(
            "PERNIAGAAN SERI MAJU",
            "SDN BHD",
            "(998877-K)",
            "LOT 5, JALAN INDUSTRI 2",
            ("TOTAL", "3.00"),
        )
    )
    assert result.merchant.name == "PERNIAGAAN SERI MAJU SDN BHD"


def test_merchant_strips_a_trailing_registration_number() -> None:
    result = _extract(_receipt("ABC MART S/B (519537-X)", "LOT 7, JALAN ANGSA", ("TOTAL", "2.00")))
    assert result.merchant.name == "ABC MART S/B"


def test_merchant_skips_website_and_digits() -> None:
    result = _extract(
        _receipt(
            "3180303", "WWW.SHOPNOW.COM", "GREEN LEAF GROCERS", "45 HIGH STREET", ("TOTAL", "£7.20")
        )
    )
    assert result.merchant.name == "GREEN LEAF GROCERS"


# ------------------------------------------------------------------------------------------
# Currency
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("RM 9.00", "MYR"),
        ("€9,00", "EUR"),
        ("£9.00", "GBP"),
        ("₹9.00", "INR"),
        ("S$9.00", "SGD"),
        ("9.00 SGD", "SGD"),
        ("USD 9.00", "USD"),
    ],
)
def test_currency_from_symbol_or_code(amount: str, expected: str) -> None:
    result = _extract(_receipt("SHOP", ("TOTAL", amount)))
    assert result.currency == expected
    assert result.confidence["currency"] >= 0.8


def test_bare_dollar_is_usd_with_lower_confidence() -> None:
    result = _extract(_receipt("SHOP", ("TOTAL", "$9.00")))
    assert result.currency == "USD"
    assert result.confidence["currency"] <= 0.6


def test_default_currency_when_nothing_is_printed() -> None:
    with_default = _extract(_receipt("SHOP", ("TOTAL", "9.00")), default_currency="EUR")
    without = _extract(_receipt("SHOP", ("TOTAL", "9.00")))
    assert with_default.currency == "EUR"
    assert with_default.confidence["currency"] <= 0.3
    assert without.currency is None
    assert "currency" not in without.confidence


def test_dollar_read_as_s_by_ocr_is_still_an_amount() -> None:
    result = _extract(_receipt("SHOP", "Total Amount:S8.20", "GST@6%:$0.46"))
    assert result.total == Decimal("8.20")


def test_lower_case_word_is_not_a_currency_code() -> None:
    result = _extract(_receipt("SHOP", "Cashier: nok", ("TOTAL", "9.00")))
    assert result.currency is None


# ------------------------------------------------------------------------------------------
# Tip, line items, payment
# ------------------------------------------------------------------------------------------


def test_tip_is_read_and_service_charge_is_not_a_tip() -> None:
    result = _extract(
        _receipt(
            "BISTRO VERDE",
            ("PASTA", "18.00"),
            ("SUBTOTAL", "18.00"),
            ("SERVICE CHARGE 10%", "1.80"),
            ("TAX", "1.20"),
            ("TIP", "3.00"),
            ("TOTAL", "24.00"),
        )
    )
    assert result.tip == Decimal("3.00")
    assert result.total == Decimal("24.00")


def test_line_items_with_quantity_times_price() -> None:
    result = _extract(
        _receipt(
            "MAMAK CORNER",
            ("QTY", "ITEM", "AMOUNT"),
            ("ROTI CANAI 2 x 1.50", "3.00"),
            ("TEH TARIK 3 @ 2.20", "6.60"),
            ("MAGGI GORENG", "6.50"),
            ("SUBTOTAL", "16.10"),
            ("TOTAL", "16.10"),
        )
    )
    items = result.line_items
    assert [i.description for i in items] == ["ROTI CANAI", "TEH TARIK", "MAGGI GORENG"]
    assert items[0].quantity == Decimal("2")
    assert items[0].unit_price == Decimal("1.50")
    assert items[1].quantity == Decimal("3")
    assert items[1].unit_price == Decimal("2.20")
    assert items[2].quantity is None
    assert items[2].amount == Decimal("6.50")
    assert result.confidence["line_items"] >= 0.9


def test_line_items_with_description_above_quantity_row() -> None:
    result = _extract(
        _receipt(
            "HARDWARE CENTRE SDN BHD",
            ("DESCRIPTION", "QTY", "PRICE", "AMOUNT"),
            "PVC PIPE 1/2 INCH",
            ("9556001234567", "4", "2.50", "10.00"),
            "WOOD SCREW 25MM",
            ("9556007654321", "2", "3.20", "6.40"),
            ("TOTAL", "16.40"),
        )
    )
    assert [(i.description, i.quantity, i.unit_price) for i in result.line_items] == [
        ("PVC PIPE 1/2 INCH", Decimal("4"), Decimal("2.50")),
        ("WOOD SCREW 25MM", Decimal("2"), Decimal("3.20")),
    ]


def test_no_garbage_items_when_rows_do_not_add_up() -> None:
    result = _extract(
        _receipt(
            "SHOP",
            ("GIFT CARD BALANCE 250.00", "250.00"),
            ("LOYALTY POINTS VALUE", "90.00"),
            ("TOTAL", "12.00"),
        )
    )
    assert result.line_items == []


def test_summary_line() -> None:
    result = _extract(_receipt("BOOK CORNER SDN BHD", "DATE: 25/12/2018", ("TOTAL (RM):", "9.00")))
    assert result.summary == "BOOK CORNER SDN BHD — 2018-12-25 — MYR 9.00"


# ------------------------------------------------------------------------------------------
# Edge cases
# ------------------------------------------------------------------------------------------


def test_empty_input_gives_an_empty_extraction() -> None:
    for ocr in (_plain(), _plain("", "   "), OcrResult(lines=[], engine="none")):
        result = _extract(ocr)
        assert result == ReceiptExtraction()


def test_plain_text_lines_are_read_in_order() -> None:
    ocr = OcrResult(
        lines=[OcrLine("FAMILY MART\nDATE: 01/02/2023\nBREAD 3.50\nTOTAL 3.50")], engine="pdf"
    )
    result = _extract(ocr)
    assert result.merchant.name == "FAMILY MART"
    assert result.purchase_date == date(2023, 2, 1)
    assert result.total == Decimal("3.50")


def test_extractor_name() -> None:
    assert RulesExtractor.name == "rules"


# ------------------------------------------------------------------------------------------
# Accuracy on real SROIE OCR lines (skipped when the shared data set is absent)
# ------------------------------------------------------------------------------------------

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


def _sroie_ocr(path: Path) -> OcrResult:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        parts = raw.split(",", 8)
        if len(parts) < 9:
            continue
        xs = [float(v) for v in parts[0:8:2]]
        ys = [float(v) for v in parts[1:8:2]]
        lines.append(OcrLine(parts[8], (min(xs), min(ys), max(xs), max(ys))))
    return OcrResult(lines=lines, engine="sroie-box")


def _key_total(text: str) -> Decimal | None:
    digits = re.sub(r"[^0-9.-]", "", text.replace(",", ""))
    return Decimal(digits).quantize(Decimal("0.01")) if digits else None


def _key_date(text: str) -> date | None:
    """SROIE prints dates day-first; month-first only when day-first is impossible."""
    text = text.strip().strip("()").upper()
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", text):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        year = y + 2000 if y < 100 else y
        for day, month in ((a, b), (b, a)):
            if 1 <= month <= 12 and 1 <= day <= 31:
                return date(year, month, day)
    if m := re.fullmatch(r"(\d{4})[/.-]?(\d{2})[/.-]?(\d{2})", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})[\s/-]*([A-Z]{3})[A-Z]*[\s/-]*(\d{2,4})", text):
        y = int(m[3])
        return date(y + 2000 if y < 100 else y, _MONTHS[m[2]], int(m[1]))
    if m := re.fullmatch(r"([A-Z]{3})[A-Z]*\.?\s*(\d{1,2}),?\s*(\d{2,4})", text):
        y = int(m[3])
        return date(y + 2000 if y < 100 else y, _MONTHS[m[1]], int(m[2]))
    return None


def test_accuracy_on_sroie_box_lines() -> None:
    if not (SROIE_DIR / "box").is_dir():
        pytest.skip(f"SROIE sample not found at {SROIE_DIR} (shared data set absent)")
    extractor = RulesExtractor(today=date.today)
    totals = dates = n_totals = n_dates = 0
    for box in sorted((SROIE_DIR / "box").glob("*.txt")):
        key = json.loads((SROIE_DIR / "key" / f"{box.stem}.json").read_text(encoding="utf-8"))
        result = extractor.extract(_sroie_ocr(box))
        if (expected_total := _key_total(key.get("total", ""))) is not None:
            n_totals += 1
            totals += result.total == expected_total
        if (expected_date := _key_date(key.get("date", ""))) is not None:
            n_dates += 1
            dates += result.purchase_date == expected_date
    assert n_totals > 0
    assert n_dates > 0
    assert totals / n_totals >= 0.85, f"total accuracy {totals}/{n_totals}"
    assert dates / n_dates >= 0.9, f"date accuracy {dates}/{n_dates}"


def test_a_merchant_name_the_ocr_was_unsure_of_is_marked_for_review() -> None:
    def receipt(score: float) -> OcrResult:
        return OcrResult(
            [
                OcrLine("KEDAI RUNCIT MAJU SDN BHD", (20, 40, 400, 58), score),
                OcrLine("DATE: 14/02/2023", (20, 70, 300, 88)),
                OcrLine("TOTAL", (20, 100, 100, 118)),
                OcrLine("5.00", (300, 100, 360, 118)),
            ],
            "test",
        )

    sure, unsure = _extract(receipt(0.99)), _extract(receipt(0.6))
    assert sure.merchant.name == unsure.merchant.name == "KEDAI RUNCIT MAJU SDN BHD"
    assert sure.confidence["merchant"] >= 0.7 > unsure.confidence["merchant"]


def _scored(*rows: tuple[str, float]) -> OcrResult:
    """One box a row, each with the OCR's recognition score, then a date and a total."""
    lines = [
        OcrLine(text, (20, 40 + 30 * i, 400, 58 + 30 * i), score)
        for i, (text, score) in enumerate(rows)
    ]
    top = 40 + 30 * len(rows)
    lines += [
        OcrLine("DATE: 14/02/2023", (20, top, 300, top + 18)),
        OcrLine("TOTAL", (20, top + 30, 100, top + 48)),
        OcrLine("5.00", (300, top + 30, 360, top + 48)),
    ]
    return OcrResult(lines, "test")


def test_a_badly_read_logo_line_above_the_name_is_passed_over_and_doubted() -> None:
    # A logo read as a short word with a low score sits above the printed name.
    logo = _extract(_scored(("YVO", 0.55), ("ROSSI BROTHERS", 0.99), ("12 HIGH STREET", 0.99)))
    plain = _extract(_scored(("ROSSI BROTHERS", 0.99), ("12 HIGH STREET", 0.99)))
    assert logo.merchant.name == plain.merchant.name == "ROSSI BROTHERS"
    assert logo.confidence["merchant"] < plain.confidence["merchant"]


def test_cjk_noise_is_no_name_on_a_receipt_printed_in_latin_letters() -> None:
    result = _extract(
        _scored(("国国国国国国", 0.9), ("ROSSI BROTHERS", 0.99), ("12 HIGH STREET", 1))
    )
    assert result.merchant.name == "ROSSI BROTHERS"


def test_a_cjk_name_stays_on_a_receipt_printed_in_cjk() -> None:
    result = _extract(
        _plain("美味小吃店", "台北市中山路一号", "日期 14/02/2023", "合计 5.00", "谢谢光临欢迎再来")
    )
    assert result.merchant.name == "美味小吃店"


@pytest.mark.parametrize(
    "name",
    [
        "ROSSI HERMANOS S.L.",
        "ROSSI HERMANOS S,L,",
        "ROSSI B.V.",
        "ROSSI S.R.L.",
        "ROSSI OY",
        "RossiHermanosS,L,",  # the spaces dropped, as some OCR output does
    ],
)
def test_dotted_and_nordic_legal_forms_end_a_name(name: str) -> None:
    # The legal form makes the line the name, over a tagline above it; the OCR may read the
    # dots of "S.L." as commas, and the name's cleaning drops the last one.
    result = _extract(_scored(("FINEST PIZZA", 0.99), (name, 0.99), ("12 HIGH STREET", 1)))
    assert result.merchant.name == name.rstrip(".,")
    assert result.confidence["merchant"] >= 0.8


def test_a_legal_name_under_the_address_names_a_trading_name_that_tells_nothing() -> None:
    result = _extract(
        _scored(
            ("GRAN FONDA", 0.99),
            ("CALLE MAYOR 12", 0.99),
            ("28013 MADRID", 0.99),
            ("FONDA MADRILENA S.L.", 0.99),
            ("TEL 915 555 123", 0.99),
        )
    )
    assert result.merchant.name == "FONDA MADRILENA S.L"
    assert result.confidence["merchant"] < 0.5  # which of the two a person calls it: ask


def test_a_trading_name_with_a_trade_word_stays_over_a_legal_name_below() -> None:
    result = _extract(
        _scored(
            ("GRAN FONDA CAFE", 0.99),
            ("CALLE MAYOR 12", 0.99),
            ("28013 MADRID", 0.99),
            ("FONDA MADRILENA S.L.", 0.99),
        )
    )
    assert result.merchant.name == "GRAN FONDA CAFE"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CORNER MART - #5120", "CORNER MART - #5120"),  # which store of a chain: kept
        ("CORNER MART (512345-X)", "CORNER MART"),  # a company number: dropped
        ("CORNER MART 5123456", "CORNER MART"),
    ],
)
def test_a_store_number_stays_in_the_name_and_a_registration_number_does_not(
    line: str, expected: str
) -> None:
    result = _extract(_scored((line, 0.99), ("12 HIGH STREET", 1)))
    assert result.merchant.name == expected


def test_a_well_read_first_line_stays_the_name() -> None:
    # Two readable lines: the first is the name, whatever the second's score.
    result = _extract(_scored(("ROSSI BROTHERS", 0.95), ("RIVERSIDE", 0.99), ("12 HIGH STREET", 1)))
    assert result.merchant.name == "ROSSI BROTHERS"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # A company number on the name's row, its hyphen read as a middle dot; S/B read S/D.
        (("99 SPEED MART S/D (519537·X)", "LOT P.T. 2811, JALAN ANGSA,"), "99 SPEED MART S/B"),
        # A middle dot in a word is printed so (Catalan "l·l"): no hyphen there.
        (("PAPERERIA CAL·LÍGRAF", "CARRER MAJOR 12, BARCELONA"), "PAPERERIA CAL·LÍGRAF"),
        # "(M) SDN BHD" on its own row continues the name above it.
        (("POPULAR BOOK", "(M) SDN BHD", "(COMPANY NO. 113825-W)"), "POPULAR BOOK (M) SDN BHD"),
    ],
)
def test_merchant_names_the_ocr_split_or_garbled(rows: tuple[str, ...], expected: str) -> None:
    result = _extract(_receipt(*rows, "DATE: 14/02/2023", ("TOTAL", "5.00"), shuffle=False))
    assert result.merchant.name == expected


def test_an_unlabelled_subtotal_row_is_not_an_item() -> None:
    # "SUBTTL" and "Food" name no subtotal the rules know; arithmetic does.
    result = _extract(
        _receipt(
            "RIVER CAFE",
            "DATE 03/06/2016",
            ("ICED TEA", "2.50"),
            ("DIET COKE", "2.50"),
            ("BLT SALAD", "10.99"),
            ("CUBAN", "11.99"),
            ("Food", "27.98"),
            ("TAX", "2.03"),
            ("TOTAL", "30.01"),
            shuffle=False,
        )
    )
    assert [i.description for i in result.line_items] == [
        "ICED TEA",
        "DIET COKE",
        "BLT SALAD",
        "CUBAN",
    ]
    assert result.confidence["line_items"] >= 0.9  # they add up to the subtotal


def test_equal_items_in_a_row_are_both_kept() -> None:
    result = _extract(
        _receipt(
            "BAR",
            "DATE 03/06/2016",
            ("BUD LIGHT", "5.00"),
            ("BUD LIGHT", "5.00"),
            ("PICKLES", "6.99"),
            ("TOTAL", "16.99"),
            shuffle=False,
        )
    )
    assert [str(i.amount) for i in result.line_items] == ["5.00", "5.00", "6.99"]


@pytest.mark.parametrize(
    "after",
    [
        (("TOTAL", "90.50"),),  # the items add up to the total
        (("DISCOUNT", "0.50"), ("TOTAL", "90.00")),
        (("TAX", "5.43"), ("TOTAL", "95.93")),
    ],
)
def test_an_item_priced_as_the_sum_of_those_above_is_kept_when_all_add_up(
    after: tuple[tuple[str, str], ...],
) -> None:
    # SROIE X51005568891: towel rods at 12.00 and 8.00, then five more at 20.00.
    result = _extract(
        _receipt(
            "HON HWA HARDWARE TRADING",
            "DATE 08/02/2017",
            ("2 TOWEL ROD", "12.00"),
            ("2 TOWEL ROD", "8.00"),
            ("5 TOWEL ROD", "20.00"),
            ("1 SCREW", "7.00"),
            ("6 STEEL ROD", "43.50"),
            *after,
            shuffle=False,
        )
    )
    assert [str(i.amount) for i in result.line_items] == [
        "12.00",
        "8.00",
        "20.00",
        "7.00",
        "43.50",
    ]
    assert result.confidence["line_items"] >= 0.9


def test_a_date_row_with_a_dotted_time_does_not_open_the_items() -> None:
    result = _extract(
        _receipt(
            "THE REAL PIZZA COMPANY",
            "91-95 CLERKENWELL RD",
            ("12/3/2015", "13.11"),
            ("1 COCA COLA", "2.25"),
            ("1 THAI CHICKEN", "12.95"),
            ("SUB-TOTAL", "15.20"),
            ("TOTAL", "15.20"),
            shuffle=False,
        )
    )
    assert [str(i.amount) for i in result.line_items] == ["2.25", "12.95"]


def test_a_first_item_that_prints_a_date_is_an_item() -> None:
    # Its price is no time of day, as the dotted time in the date row above is.
    result = _extract(
        _receipt(
            "GRAND HOTEL",
            "DATE 03/06/2016",
            ("ROOM 101 02/06/2016", "120.00"),
            ("BREAKFAST", "15.00"),
            ("TOTAL", "135.00"),
            shuffle=False,
        )
    )
    assert [str(i.amount) for i in result.line_items] == ["120.00", "15.00"]
    assert result.confidence["line_items"] >= 0.9


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("TL .297.00", ["297.00"]),  # leader dots read as a point
        ("X ...12.50", ["12.50"]),
        ("DISC .50", []),  # ".50" is no leader: not taken for 50
        ("TOTAL 1.234.56", []),  # a malformed number stays unread
    ],
)
def test_leader_dots_before_an_amount(printed: str, expected: list[str]) -> None:
    assert [str(a.value) for a in find_amounts(printed)] == expected


def test_amounts_printed_a_row_below_their_labels_give_a_doubtful_total() -> None:
    # The amounts column slipped a row: TAX holds the subtotal, TOTAL the tax, and the total
    # stands alone below; subtotal + tax = that amount, but the layout is no sure reading.
    result = _extract(
        _receipt(
            "RIVER CAFE",
            ("SOUP", "40.00"),
            ("NOODLES", "60.00"),
            "SUBTOTAL",
            ("TAX", "100.00"),
            ("TOTAL", "8.00"),
            "108.00",
            "THANK YOU",
        )
    )
    assert result.total == Decimal("108.00")
    assert result.confidence["total"] < 0.9


def test_a_total_with_a_cash_amount_below_it_stays() -> None:
    # The lone amount below the total is the cash tendered, not tax + total.
    result = _extract(
        _receipt(
            "RIVER CAFE",
            ("SOUP", "4.00"),
            ("TAX", "0.40"),
            ("TOTAL", "4.40"),
            "10.00",
        )
    )
    assert result.total == Decimal("4.40")


def test_a_whole_number_after_the_total_label_is_a_doubtful_total() -> None:
    # Prices printed without cents, but one item line read with them: the total's row holds
    # only a whole number, a better answer than the largest amount with cents.
    result = _extract(
        _receipt(
            "RIVER SALON",
            ("HAIRCUT", "2.50"),
            ("SHAVE", "80"),
            ("COLOUR", "1900"),
            ("GRAND TOTAL", "2545"),
            "THANK YOU",
        )
    )
    assert result.total == Decimal("2545.00")
    assert result.confidence["total"] < 0.6


def test_a_whole_number_after_a_count_is_no_total() -> None:
    result = _extract(_receipt("RIVER SALON", ("HAIRCUT", "2.50"), ("TOTAL ITEMS", "3")))
    assert result.total == Decimal("2.50")


def test_total_label_misread_by_the_ocr() -> None:
    result = _extract(
        _receipt(
            "MONEYGRAM",
            "DATE: 05-14-2016",
            ("TRANSFER AMOUNT:", "400.00 USD"),
            ("FEES:", "+9.50 USD"),
            ("TATAL:", "409.50 USD"),
            ("TOTAL TO RECIPIENT:", "400.00 USD"),
            shuffle=False,
        )
    )
    assert str(result.total) == "409.50"


def test_price_per_kilo_lines_are_not_items() -> None:
    result = _extract(
        _receipt(
            "MERCADONA, S.A.",
            "DATE 06/08/2018",
            ("FILETE PECHUGA POLL 0.657 KILOS", "4.14"),
            ("PRECIO KILO", "6.30"),
            ("AGUACATE 0.185 KILOS", "0.55"),
            ("PRECIO KILO", "2.99"),
            ("TOTAL", "4.69"),
            shuffle=False,
        )
    )
    assert [str(i.amount) for i in result.line_items] == ["4.14", "0.55"]
    assert result.confidence["line_items"] >= 0.9


def test_items_are_not_confirmed_by_a_total_guessed_from_them() -> None:
    # No label names a total: the largest amount (5.00) is a guess, and it is the items' sum.
    result = _extract(
        _receipt("KIOSK", "DATE 03/06/2016", ("TEA", "2.00"), ("BUN", "3.00"), ("", "5.00"))
    )
    assert result.total == Decimal("5.00")
    assert result.confidence["total"] < 0.7
    assert [str(i.amount) for i in result.line_items] == ["2.00", "3.00"]
    assert result.confidence["line_items"] < 0.7
