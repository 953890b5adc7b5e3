"""The rates port and the conversion: Decimal arithmetic on ECB's euro reference rates, cross
rates through the euro, rounded once, at the end, to the home currency's minor unit.

ECB publishes, on each TARGET business day at about 16:00 CET, how many units of some 30
currencies one euro is worth. An amount of a day without a publication (a weekend, a TARGET
holiday such as 25 and 26 December or 1 January) takes the last rate published before it; a day
more than ``MAX_RATE_AGE`` after its currency's last rate (the data ends, or ECB stopped
publishing the currency), a day before the data, or a currency ECB never published has no rate:
the amount is left unconverted, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Protocol

from core.money import minor_units

# The longest gap between two publications is Easter or Christmas with a weekend (4 days):
# a week covers every one and still notices a source that stopped being refreshed.
MAX_RATE_AGE = timedelta(days=7)
EURO = "EUR"
CROSS_RATE_PLACES = Decimal("1e-12")  # what a stored cross rate keeps (models.FxRateType)
_EXACT = Context(prec=34)  # no rounding before the end: 1e9 x a rate fits with room to spare


@dataclass(frozen=True, slots=True)
class EuroRate:
    """One ECB reference rate: ``per_euro`` units of ``currency`` for one euro on ``day``."""

    currency: str
    day: date
    per_euro: Decimal


class RateSource(Protocol):
    """Where ECB's rates are read from (``core.fx.ecb.EcbPackageRates``,
    ``core.fx.repository.DatabaseRates``)."""

    name: str

    def euro_rate(self, currency: str, day: date) -> EuroRate | None:
        """The last rate of ``currency`` published on or before ``day``; None when there is
        none (a currency ECB does not publish, a day before the data)."""
        ...


@dataclass(frozen=True, slots=True)
class Conversion:
    """An amount in the home currency: ``amount`` None when there was no rate."""

    home_currency: str
    amount: Decimal | None
    rate: Decimal | None = None  # home units per unit of the printed currency
    rate_date: date | None = None  # the publication day of the (oldest) rate used

    @property
    def converted(self) -> bool:
        return self.amount is not None


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` to the minor unit of ``currency`` (JPY 1, EUR 0.01), half away from zero."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _rate(rates: RateSource, currency: str, day: date) -> EuroRate | None:
    if currency == EURO:
        return EuroRate(EURO, day, Decimal(1))
    found = rates.euro_rate(currency, day)
    if found is None or found.day > day or day - found.day > MAX_RATE_AGE:
        return None
    return found


def convert(
    amount: Decimal, *, currency: str, day: date, home: str, rates: RateSource
) -> Conversion:
    """``amount`` of ``currency`` on ``day`` in ``home``: the same amount when they are one
    currency, else ``amount x (EUR->home) / (EUR->currency)`` at the rates of ``day`` (or the
    last before it), rounded once to the minor unit of ``home``."""
    if currency == home:
        return Conversion(home, amount, Decimal(1))
    source, target = _rate(rates, currency, day), _rate(rates, home, day)
    if source is None or target is None or not source.per_euro:
        return Conversion(home, None)
    exact = _EXACT.divide(_EXACT.multiply(amount, target.per_euro), source.per_euro)
    cross = _EXACT.divide(target.per_euro, source.per_euro).quantize(CROSS_RATE_PLACES)
    published = [r.day for r in (source, target) if r.currency != EURO]
    return Conversion(home, rounded(exact, home), cross, min(published))
