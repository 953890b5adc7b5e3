"""A group ledger on the database: shares as weights, the payer cycled, the split toggled,
balances with payments back, a receipt without a rate left out, budgets counting shares."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from core.budgets.service import budget_status, set_budget
from core.db.models import SPLIT_EQUAL, SPLIT_ONLY_PAYER, Receipt, User
from core.ledgers.repository import LedgerRepository
from core.ledgers.service import balance, members_of_period, payer_after, toggle_split
from core.ledgers.transfers import Transfer
from core.summaries.months import Month
from tests.fakes import stored_receipt

NOW = datetime(2026, 10, 1, tzinfo=UTC)
D = Decimal


def _user(s: Session, name: str) -> User:
    user = User(telegram_user_id=uuid.uuid4().int % 10**12, username=name, first_name=name)
    s.add(user)
    s.flush()
    return user


def test_shares_payer_split_settlements_and_budgets(
    session_factory: sessionmaker[Session],
) -> None:
    """GIVEN a EUR ledger of Ana, Ben and Cal; Ana pays EUR 10.00 for the three of them, Ben
    USD 30.00 (EUR 27.00 at home) for the three, and a XAF receipt has no rate."""
    with session_factory.begin() as s:
        ana, ben, cal = (_user(s, n) for n in ("ana", "ben", "cal"))
        repo = LedgerRepository(s)
        ledger = repo.get_or_create(
            chat_id=-(uuid.uuid4().int % 10**12), title="Flat", creator=ana, now=NOW
        )
        ledger.currency = "EUR"
        for user in (ana, ben, cal):
            assert repo.join(ledger=ledger, user=user, now=NOW)
        assert not repo.join(ledger=ledger, user=ana, now=NOW)  # once

        def receipt(sender: User, total: str, currency: str, home: str | None) -> Receipt:
            r = stored_receipt(
                user_id=sender.id,
                ledger_id=ledger.id,
                total=D(total),
                currency=currency,
                home_currency="EUR",
                home_total=None if home is None else D(home),
                purchase_date=date(2026, 10, 5),
                category="groceries",
            )
            s.add(r)
            s.flush()
            repo.set_shares(r, split=SPLIT_EQUAL, members=[ana.id, ben.id, cal.id])
            return r

        receipt(ana, "10.00", "EUR", "10.00")
        usd = receipt(ben, "30.00", "USD", "27.00")
        receipt(cal, "5000.00", "XAF", None)

        result = balance(s, ledger=ledger)
        assert result is not None and result.without_rate == 1
        # Ana +10 - 12.333.. = -2.33; Ben +27 - 12.333.. = 14.67 less the cent too many; Cal
        assert result.nets == {ana.id: D("-2.33"), ben.id: D("14.66"), cal.id: D("-12.33")}
        assert result.transfers == [
            Transfer(cal.id, ben.id, D("12.33")),
            Transfer(ana.id, ben.id, D("2.33")),
        ]

        # WHEN Ana is said to have paid Ben's receipt, THEN she is owed it
        assert payer_after(s, receipt=usd).id == cal.id  # after Ben: Cal
        assert payer_after(s, receipt=usd).id == ana.id  # round to Ana
        # AND only the payer (Ana): the USD receipt is hers alone
        assert toggle_split(s, receipt=usd) == SPLIT_ONLY_PAYER
        assert repo.sharers(usd.id) == [ana.id]
        rows, no_rate = members_of_period(s, ledger=ledger, period=Month(2026, 10))
        assert no_rate == 1
        assert [(r.name, r.paid, r.share) for r in rows] == [
            ("@ana", D("37.00"), D("30.33")),
            ("@ben", D("0.00"), D("3.33")),
            ("@cal", D("0.00"), D("3.33")),
        ]

        # WHEN Ben pays Ana back 3.33 and Cal too, THEN nothing is left (the odd cent aside)
        repo.settle(ledger=ledger, from_user=ben.id, to_user=ana.id, amount=D("3.33"), now=NOW)
        first = repo.settle(
            ledger=ledger, from_user=cal.id, to_user=ana.id, amount=D("3.34"), now=NOW, message_id=7
        )
        replayed = repo.settle(
            ledger=ledger, from_user=cal.id, to_user=ana.id, amount=D("3.34"), now=NOW, message_id=7
        )
        assert replayed is first  # an update replayed from the inbox records nothing twice
        settled = balance(s, ledger=ledger)
        assert settled is not None and settled.transfers == []

        # AND Cal's budget counts his share of the ledger's receipts, not their totals
        set_budget(s, user_id=cal.id, category="groceries", amount=D("100"), currency="EUR")
        (status,) = budget_status(s, user=cal, month=Month(2026, 10))
        assert status.spent == D("3.33")
