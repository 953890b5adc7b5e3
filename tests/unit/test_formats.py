"""Amounts, dates and periods in the current language: English as the bot always wrote them,
Malay by Babel for ms_MY; and the renderers that use them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal

import pytest

from bot import formats, i18n
from bot.render import rate_limit, receipt_card, recent_line, wanted
from bot.summary_text import summary_text
from core.db.models import Receipt
from core.errors import RateLimited
from core.receipts.corrections import InvalidCorrection, parse_correction
from core.receipts.views import ReceiptView
from core.summaries.labels import UNCATEGORISED, UNKNOWN_MERCHANT
from core.summaries.months import Month, Quarter, Year
from core.summaries.service import BiggestPurchase, PeriodSummary


def receipt_view(**fields: object) -> ReceiptView:
    base: dict[str, object] = {"id": uuid.uuid4(), "status": "done", "confidence": {}}
    return ReceiptView.of(Receipt(**(base | fields)))


class TestEnglish:
    """The bot's own forms, unchanged (what 1,100 tests and its users read)."""

    def test_amounts(self) -> None:
        assert formats.money(Decimal("1234.5"), "MYR") == "MYR 1,234.50"
        assert formats.money(Decimal("9"), None) == "9.00"
        assert formats.money(None, "MYR") == "—"
        assert formats.amount(Decimal("1234.567")) == "1,234.57"

    def test_dates_and_periods(self) -> None:
        assert formats.day_text(date(2018, 12, 25)) == "2018-12-25"
        assert formats.month_text(date(2018, 10, 1)) == "Oct"
        assert formats.period_text(Month(2018, 12)) == "December 2018"
        assert formats.period_text(Quarter(2018, 1)) == "Q1 2018"
        assert formats.period_text(Year(2018)) == "2018"

    @pytest.mark.parametrize("code", ["de", "fr-FR", None])
    def test_a_language_without_a_catalogue_is_formatted_in_english(self, code: str | None) -> None:
        with i18n.speaking(code):
            assert formats.money(Decimal("9"), "MYR") == "MYR 9.00"
            assert formats.day_text(date(2018, 12, 25)) == "2018-12-25"


class TestMalay:
    @pytest.fixture(autouse=True)
    def malay(self) -> Iterator[i18n.Language]:
        with i18n.speaking("ms-MY") as language:
            yield language

    def test_amounts(self) -> None:
        assert formats.money(Decimal("1234.5"), "MYR") == "RM1,234.50"
        assert formats.money(Decimal("9"), "EUR") == "€9.00"
        assert formats.money(Decimal("9"), None) == "9.00"
        assert formats.money(None, "MYR") == "—"
        assert formats.amount(Decimal("1234.567")) == "1,234.57"

    def test_dates_and_periods(self) -> None:
        assert formats.day_text(date(2018, 12, 25)) == "25 Dis 2018"
        assert formats.month_text(date(2018, 10, 1)) == "Okt"
        assert formats.period_text(Month(2018, 12)) == "Disember 2018"
        assert formats.period_text(Month(2018, 3)) == "Mac 2018"
        assert formats.period_text(Quarter(2018, 1)) == "S1 2018"
        assert formats.period_text(Year(2018)) == "2018"

    def test_a_receipt_card(self) -> None:
        receipt = receipt_view(
            merchant_name=None,
            total=Decimal("1234.50"),
            subtotal=Decimal("1164.62"),
            tax=Decimal("69.88"),
            currency="MYR",
            purchase_date=date(2018, 12, 25),
            purchase_time=time(14, 5),
        )
        card = receipt_card(receipt)
        assert card.startswith("🧾 <b>Kedai tidak diketahui</b>")
        assert "📅 25 Dis 2018 14:05" in card
        assert "💰 <b>Jumlah: RM1,234.50</b>" in card
        assert "Jumlah kecil: RM1,164.62" in card and "Cukai: RM69.88" in card
        assert "Total" not in card and "MYR" not in card

    def test_a_card_without_a_date_and_the_list_line(self) -> None:
        receipt = receipt_view(purchase_date=None, total=Decimal("9"), currency="MYR")
        assert "📅 tarikh tidak dijumpai" in receipt_card(receipt)
        assert " tiada tarikh " in recent_line(receipt) and "RM9.00" in recent_line(receipt)
        failed = receipt_view(status="failed", error_message=None)
        assert "tidak dapat membaca resit ini" in receipt_card(failed)
        assert "❌ tidak dapat dibaca" in recent_line(failed)
        assert "Ralat tidak diketahui." in receipt_card(failed)

    def test_what_a_correction_needs_and_the_rate_limit(self) -> None:
        with pytest.raises(InvalidCorrection) as caught:
            parse_correction("total", "banyak", today=date(2026, 11, 25))
        assert wanted(caught.value) == "jumlah seperti 23.40"
        with pytest.raises(InvalidCorrection) as caught:
            parse_correction("category", "x" * 51, today=date(2026, 11, 25))
        assert wanted(caught.value) == "paling banyak 50 aksara"
        assert wanted(InvalidCorrection("something new")) == "something new"  # not named: as is
        limited = RateLimited("at most 30 receipts per 60 minutes", retry_after_seconds=3600)
        assert rate_limit(limited) == limited.message
        limited = RateLimited("…", retry_after_seconds=3600, limit=30, window_seconds=3600)
        assert rate_limit(limited) == "paling banyak 30 resit setiap 60 minit"
        with i18n.speaking("en"):
            assert rate_limit(limited) == "at most 30 receipts per 60 minutes"

    def test_a_summary(self) -> None:
        summary = PeriodSummary(
            period=Month(2018, 12),
            timezone="Asia/Kuala_Lumpur",
            count=2,
            totals={"MYR": Decimal("1009.00")},
            previous_totals={"MYR": Decimal("500")},
            by_category={"MYR": [("groceries", Decimal("1000")), (UNCATEGORISED, Decimal("9"))]},
            top_merchants={"MYR": [(UNKNOWN_MERCHANT, Decimal("9"), 1)]},
            biggest=[
                BiggestPurchase(
                    merchant="Tesco", total=Decimal("1000"), currency="MYR", day=date(2018, 12, 3)
                )
            ],
        )
        text = summary_text(summary)
        assert text.startswith("📊 <b>Disember 2018</b> — 2 resit")
        assert "💰 <b>RM1,009.00</b> (▲ 102% berbanding 500.00)" in text
        assert "<b>Mengikut kategori</b>" in text and "• tiada kategori: RM9.00" in text
        assert "<b>Kedai utama</b>" in text and "• Kedai tidak diketahui: RM9.00" in text
        assert "Pembelian terbesar: Tesco, RM1,000.00" in text
        assert "Bulan mengikut zon waktu anda, Asia/Kuala_Lumpur" in text
