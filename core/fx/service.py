"""Home amounts on receipts: each receipt of a ledger also in the ledger's home currency.

The home currency is a property of the ledger. Today each user is one ledger and its home
currency is the user's currency setting (``/settings currency``, ``users.default_currency``):
the currency a receipt that prints none is read in, and the one budgets are set in. A group
ledger will give its own (``home_currency_of`` is the one place that says which).

Conversions are done when something they depend on is stored: a processed receipt
(``ReceiptService.apply_result``), a corrected date, total or currency, a new home currency
(every receipt of the ledger again, in the same transaction). ``catch_up`` converts whatever is
behind: receipts of before the conversions existed, and ones left without a rate that a source
refreshed since may have. The summaries, budgets, questions and exports read what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.db.models import Ledger, Receipt, User
from core.fx.ecb import EcbPackageRates
from core.fx.rates import Conversion, RateSource, convert
from core.fx.repository import DatabaseRates
from core.receipts.repository import ReceiptRepository
from core.settings import ApiSettings

logger = logging.getLogger(__name__)

# Rates are read within the caller's session (the database source) or from memory.
Rates = Callable[[Session], RateSource]


def build_rates(settings: ApiSettings) -> Rates:
    """The rate source of these settings: ECB's history shipped in a package (the embedded
    default, ``FX_RATES=ecb-package``) or the rates table the refresher keeps
    (``FX_RATES=database``, on AWS)."""
    if settings.fx_rates == "database":
        return DatabaseRates
    package = EcbPackageRates()
    return lambda _session: package


def home_currency_of(user: User | None) -> str | None:
    """The home currency of the user's ledger: their currency setting (None: not set)."""
    return user.default_currency if user is not None else None


def home_of_receipt(receipt: Receipt) -> tuple[str | None, str | None]:
    """The home currency and time zone of the receipt's ledger: a group ledger's own, else
    its owner's."""
    if receipt.ledger_id is not None and receipt.ledger is not None:
        return receipt.ledger.currency, receipt.ledger.timezone
    owner = receipt.user
    return home_currency_of(owner), owner.timezone if owner is not None else None


def catch_up_ledger(session: Session, *, ledger: Ledger, rates: RateSource) -> int:
    """``catch_up`` of a group ledger's receipts (into the ledger's currency)."""
    if ledger.currency is None:
        return 0
    converted = 0
    repo = ReceiptRepository(session)
    home = ledger.currency
    for receipt in repo.home_amounts_behind(user_id=None, ledger_id=ledger.id, home=home):
        done = convert_receipt(receipt, home=ledger.currency, timezone=ledger.timezone, rates=rates)
        converted += bool(done and done.converted and receipt.currency != ledger.currency)
    session.flush()
    return converted


def receipt_day(receipt: Receipt, timezone: str | None) -> date:
    """The day whose rate a receipt takes: its printed date, else the day it was sent (in the
    owner's time zone), as the summaries count it."""
    if receipt.purchase_date is not None:
        return receipt.purchase_date
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return receipt.created_at.astimezone(zone).date()


def convert_receipt(
    receipt: Receipt, *, home: str | None, timezone: str | None, rates: RateSource
) -> Conversion | None:
    """Store the receipt's total in ``home`` (None: the ledger has no home currency, and the
    receipt keeps no home amount)."""
    conversion: Conversion | None = None
    if home is not None and receipt.total is not None and receipt.currency is not None:
        conversion = convert(
            receipt.total,
            currency=receipt.currency,
            day=receipt_day(receipt, timezone),
            home=home,
            rates=rates,
        )
    receipt.home_currency = home
    receipt.home_total = conversion.amount if conversion else None
    receipt.fx_rate = conversion.rate if conversion else None
    receipt.fx_rate_date = conversion.rate_date if conversion else None
    if conversion is not None and not conversion.converted:
        logger.info(
            "fx.no_rate receipt_id=%s currency=%s home=%s source=%s",
            receipt.id,
            receipt.currency,
            home,
            rates.name,
        )
    return conversion


def catch_up(session: Session, *, user: User, rates: RateSource, everything: bool = False) -> int:
    """Convert the user's receipts that are behind their home currency (``everything``: all of
    them, e.g. after a new time zone moved the day of undated ones). Returns how many receipts
    in other currencies were converted."""
    home = home_currency_of(user)
    if home is None:
        return 0
    converted = 0
    repo = ReceiptRepository(session)
    for receipt in repo.home_amounts_behind(user_id=user.id, home=home, everything=everything):
        done = convert_receipt(receipt, home=home, timezone=user.timezone, rates=rates)
        converted += bool(done and done.converted and receipt.currency != home)
    session.flush()
    return converted
