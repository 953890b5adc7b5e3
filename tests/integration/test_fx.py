"""Home amounts on receipts (core/fx): stored with a result, again after a correction or a new
home currency; counted by summaries, questions and budgets; exported with the rate; the rates
refresher loading ECB's XML into the database. Rates: ECB's, as the package ships them (or the
sample of tests/fixtures/ecb, the same figures)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.handlers.questions import render_answer
from bot.render import receipt_card
from bot.summary_text import summary_text
from core.budgets.service import budget_status, new_warnings, set_budget
from core.contracts import Merchant, ProcessingResult, ReceiptExtraction, ReceiptStatus
from core.db.models import FxRate, Receipt, User
from core.fx.ecb import refresh
from core.fx.repository import DatabaseRates
from core.questions.service import Question, answer
from core.receipts.service import ReceiptService
from core.receipts.views import ReceiptView
from core.settings import ApiSettings
from core.summaries.export import export_receipts_csv
from core.summaries.months import Month
from core.summaries.service import summarize
from tests.conftest import FIXTURES
from tests.fakes import stored_receipt

SAMPLE_XML = FIXTURES / "ecb" / "eurofxref-hist-sample.xml"
DEC_2018 = Month(2018, 12)


def service(**kwargs: object) -> ReceiptService:
    settings = ApiSettings(database_url="sqlite://", telegram_mode="off")
    return ReceiptService(settings=settings, store=None, **kwargs)  # type: ignore[arg-type]


def add_user(s: Session, *, home: str | None = "MYR") -> User:
    user = User(
        telegram_user_id=uuid.uuid4().int % 10**9,
        default_currency=home,
        timezone="Asia/Kuala_Lumpur",
    )
    s.add(user)
    s.flush()
    return user


def read(
    s: Session, user: User, total: str, currency: str, day: date, receipts: ReceiptService
) -> Receipt:
    """A receipt of ``user`` read as the processor reports it."""
    receipt = stored_receipt(user_id=user.id, status="queued")
    s.add(receipt)
    s.flush()
    extraction = ReceiptExtraction(
        merchant=Merchant(name="Cafe Central"),
        purchase_date=day,
        total=Decimal(total),
        currency=currency,
        confidence={"merchant": 0.9, "total": 0.95, "date": 0.9, "currency": 0.9},
    )
    result = ProcessingResult(
        receipt_id=receipt.id, status=ReceiptStatus.DONE, extraction=extraction
    )
    assert receipts.apply_result(s, result).applied
    return receipt


def home(receipt: Receipt) -> tuple[object, ...]:
    return (receipt.home_currency, receipt.home_total, receipt.fx_rate, receipt.fx_rate_date)


class TestStoredWithTheReceipt:
    def test_a_result_in_euro_gets_its_amount_in_the_home_currency(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            # Christmas Day 2018 (a TARGET holiday): the 24th's rate, 1 EUR = 4.7611 MYR.
            receipt = read(s, user, "20.00", "EUR", date(2018, 12, 25), service())
            assert home(receipt) == ("MYR", Decimal("95.22"), Decimal("4.7611"), date(2018, 12, 24))
            card = receipt_card(ReceiptView.of(receipt))
            assert "≈ MYR 95.22 <i>(ECB rate of 2018-12-24: 1 EUR = 4.7611 MYR)</i>" in card

    def test_corrections_of_currency_date_and_total_convert_again(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            receipt = read(s, user, "20.00", "EUR", date(2018, 12, 25), receipts)

            def fix(field: str, raw: str) -> tuple[object, ...]:
                receipts.correct(s, receipt_id=receipt.id, user_id=user.id, field=field, raw=raw)
                return home(receipt)

            # USD 20.00 x 4.7611 / 1.1408 (24 December) = 83.4694... -> MYR 83.47
            assert fix("currency", "USD")[:2] == ("MYR", Decimal("83.47"))
            # 2019-01-01 takes 31 December: 20.00 x 4.7317 / 1.1450 = 82.6498... -> MYR 82.65
            assert fix("date", "2019-01-01")[1::2] == (Decimal("82.65"), date(2018, 12, 31))
            # USD 100.00 x 4.7317 / 1.1450 = 413.2489... -> MYR 413.25
            assert fix("total", "100")[1] == Decimal("413.25")
            assert fix("currency", "MYR") == ("MYR", Decimal("100.00"), Decimal(1), None)
            assert fix("currency", "XAF") == ("MYR", None, None, None)

    def test_a_currency_ecb_does_not_publish_is_left_unconverted_and_said_so(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = add_user(s)
            receipt = read(s, user, "5000.00", "XAF", date(2018, 12, 24), service())
            assert home(receipt) == ("MYR", None, None, None)
            card = receipt_card(ReceiptView.of(receipt))
            assert "Not in MYR: the European Central Bank has no rate for XAF then." in card

    def test_no_home_currency_no_home_amount(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory.begin() as s:
            user = add_user(s, home=None)
            receipt = read(s, user, "20.00", "EUR", date(2018, 12, 25), service())
            assert home(receipt) == (None, None, None, None)
            assert "≈" not in receipt_card(ReceiptView.of(receipt))

    def test_a_new_home_currency_converts_every_receipt_again(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            eur = read(s, user, "20.00", "EUR", date(2018, 12, 25), receipts)
            myr = read(s, user, "47.61", "MYR", date(2018, 12, 24), receipts)
            user.default_currency = "JPY"
            assert receipts.catch_up(s, user=user, everything=True) == 2
            # 1 EUR = 126.47 JPY on the 24th: EUR 20.00 -> JPY 2,529.40 -> 2,529;
            # MYR 47.61 x 126.47 / 4.7611 = 1264.6999... -> JPY 1,265
            assert home(eur)[:2] == ("JPY", Decimal("2529"))
            assert home(myr)[:2] == ("JPY", Decimal("1265"))

    def test_catch_up_converts_receipts_stored_before_and_is_then_idle(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            old = stored_receipt(
                user_id=user.id,
                total=Decimal("10.00"),
                currency="EUR",
                purchase_date=date(2018, 12, 27),
            )
            s.add(old)
            s.flush()
            assert receipts.catch_up(s, user=user) == 1
            # 27 December: 1 EUR = 4.7419 MYR
            assert home(old) == ("MYR", Decimal("47.42"), Decimal("4.7419"), date(2018, 12, 27))
            assert receipts.catch_up(s, user=user) == 0


def month_of_three(s: Session, receipts: ReceiptService) -> User:
    """MYR 40.00, EUR 10.00 (-> MYR 47.61) and XAF 5,000 (no rate) of groceries, December 2018."""
    user = add_user(s)
    for total, currency, day in (
        ("40.00", "MYR", date(2018, 12, 3)),
        ("10.00", "EUR", date(2018, 12, 24)),
        ("5000.00", "XAF", date(2018, 12, 24)),
    ):
        receipt = read(s, user, total, currency, day, receipts)
        receipt.category = "groceries"
    s.flush()
    return user


class TestCounted:
    def test_the_summary_adds_the_home_amounts_and_says_what_it_left_out(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = month_of_three(s, service())
            out = summarize(s, user_id=user.id, period=DEC_2018, timezone=user.timezone, home="MYR")
            assert out.totals == {
                "MYR": Decimal("40.00"),
                "EUR": Decimal("10.00"),
                "XAF": Decimal("5000.00"),
            }
            assert out.home_total == Decimal("87.61")
            assert out.not_converted == {"XAF": Decimal("5000.00")}
            text = summary_text(out)
            assert "🏠 All in MYR: <b>MYR 87.61</b>" in text
            assert "<i>Not in it, no ECB rate (or no currency): XAF 5,000</i>" in text

    def test_a_question_about_the_total_answers_in_the_home_currency_too(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = month_of_three(s, service())
            question = Question(metric="total", period="2018-12")
            result = answer(s, question, user_id=user.id, timezone=user.timezone, home="MYR")
            assert render_answer(question, result) == (
                "December 2018: EUR 10.00, MYR 40.00, XAF 5,000 in 3 receipts. In all: MYR "
                "87.61. Not in that, no ECB rate (or no currency): XAF 5,000."
            )

    def test_a_budget_in_the_home_currency_counts_converted_amounts(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        receipts = service()
        with session_factory.begin() as s:
            user = add_user(s)
            set_budget(
                s, user_id=user.id, category="groceries", amount=Decimal("100"), currency="MYR"
            )

            def receipt(total: str, currency: str) -> list[int]:
                r = read(s, user, total, currency, date(2018, 12, 24), receipts)
                r.category = "groceries"
                s.flush()
                return [w.level for w in new_warnings(s, receipt=r)]

            assert receipt("40.00", "MYR") == []
            assert receipt("5000.00", "XAF") == []  # no rate: not counted
            assert receipt("10.00", "EUR") == [80]  # 40.00 + 47.61 = 87.61: 87%
            (status,) = budget_status(s, user=user, month=DEC_2018)
            assert (status.currency, status.spent, status.percent) == ("MYR", Decimal("87.61"), 87)
            # A budget in another currency still counts the receipts printed in it.
            set_budget(
                s, user_id=user.id, category="groceries", amount=Decimal("20"), currency="EUR"
            )
            (status,) = budget_status(s, user=user, month=DEC_2018)
            assert (status.currency, status.spent) == ("EUR", Decimal("10.00"))

    def test_the_csv_export_has_both_amounts_and_the_rate(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            user = month_of_three(s, service())
            text = "".join(
                export_receipts_csv(s, user_id=user.id, period=DEC_2018, timezone=user.timezone)
            )
        rows = [
            (
                r["currency"],
                r["total"],
                r["home_currency"],
                r["home_total"],
                r["fx_rate"],
                r["fx_rate_date"],
            )
            for r in csv.DictReader(io.StringIO(text))
        ]
        assert sorted(rows) == [
            ("EUR", "10.00", "MYR", "47.61", "4.7611", "2018-12-24"),
            ("MYR", "40.00", "MYR", "40.00", "1", ""),
            ("XAF", "5000.00", "", "", "", ""),
        ]


class TestRefresher:
    def test_loads_ecbs_xml_once_and_the_database_source_converts_with_it(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        with session_factory.begin() as s:
            assert refresh(s, SAMPLE_XML.read_bytes()) == 3 * 32
        with session_factory.begin() as s:
            assert refresh(s, SAMPLE_XML.read_bytes()) == 0  # loaded already
            assert s.scalar(select(func.count()).select_from(FxRate)) == 96
            rates = DatabaseRates(s)
            assert rates.euro_rate("MYR", date(2018, 12, 26)) is not None
            user = add_user(s)
            receipt = read(
                s, user, "20.00", "EUR", date(2018, 12, 26), service(rates=DatabaseRates)
            )
            assert home(receipt) == ("MYR", Decimal("95.22"), Decimal("4.7611"), date(2018, 12, 24))
            # Before the first day loaded: no rate (the table, not the package, is the source).
            early = read(s, user, "20.00", "EUR", date(2018, 12, 20), service(rates=DatabaseRates))
            assert home(early) == ("MYR", None, None, None)

    def test_a_rate_ecb_revised_is_corrected(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory.begin() as s:
            refresh(s, SAMPLE_XML.read_bytes())
            revised = SAMPLE_XML.read_bytes().replace(b"rate='4.7611'", b"rate='4.7612'")
            assert refresh(s, revised) == 1
            row = s.get_one(FxRate, ("MYR", date(2018, 12, 24)))
            assert row.per_euro == Decimal("4.7612")
