"""A group ledger on the database: shares as weights, the payer cycled, the split toggled,
balances with payments back, a receipt without a rate left out, budgets counting shares; members
leaving, shares chosen member by member, every sharer's budget warnings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from core.budgets.service import budget_status, counted_for, new_warnings, set_budget
from core.db.models import SPLIT_EQUAL, SPLIT_ONLY_PAYER, SPLIT_SHARES, Ledger, Receipt, User
from core.ledgers.repository import LedgerRepository
from core.ledgers.service import (
    balance,
    cycle_share,
    members_of_period,
    payer_after,
    toggle_split,
)
from core.ledgers.transfers import Transfer
from core.receipts.views import ReceiptView
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


def _ledger(s: Session, *members: User) -> Ledger:
    repo = LedgerRepository(s)
    ledger = repo.get_or_create(
        chat_id=-(uuid.uuid4().int % 10**12), title="Trip", creator=members[0], now=NOW
    )
    ledger.currency = "EUR"
    for user in members:
        repo.join(ledger=ledger, user=user, now=NOW)
    return ledger


def _shared(s: Session, ledger: Ledger, sender: User, total: str) -> Receipt:
    r = stored_receipt(
        user_id=sender.id,
        ledger_id=ledger.id,
        total=D(total),
        currency="EUR",
        home_currency="EUR",
        home_total=D(total),
        purchase_date=date(2026, 10, 5),
        category="groceries",
    )
    s.add(r)
    s.flush()
    members = [u.id for u in LedgerRepository(s).members(ledger.id)]
    LedgerRepository(s).set_shares(r, split=SPLIT_EQUAL, members=members)
    return r


def test_a_member_who_left_keeps_shares_and_balance_but_new_receipts_skip_them(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        ana, ben, cal = (_user(s, n) for n in ("ana", "ben", "cal"))
        ledger = _ledger(s, ana, ben, cal)
        repo = LedgerRepository(s)
        _shared(s, ledger, ana, "9.00")  # 3.00 each

        # WHEN Cal leaves (twice: a replayed update), THEN he is no current member
        assert repo.leave(ledger=ledger, user_id=cal.id, now=NOW)
        assert not repo.leave(ledger=ledger, user_id=cal.id, now=NOW)
        assert [u.id for u in repo.members(ledger.id)] == [ana.id, ben.id]
        # AND a new receipt is split between Ana and Ben only
        later = _shared(s, ledger, ben, "4.00")
        assert repo.sharers(later.id) == sorted([ana.id, ben.id])
        # AND Cal still owes his part of the first one
        result = balance(s, ledger=ledger)
        assert result is not None
        assert result.nets == {ana.id: D("4.00"), ben.id: D("-1.00"), cal.id: D("-3.00")}
        # AND the ledger is still his to read (of_member), marked left
        ((found, membership),) = repo.of_member(cal.id)
        assert found.id == ledger.id and membership.left_at == NOW
        # WHEN he comes back, THEN he is a member again
        assert repo.join(ledger=ledger, user=cal, now=NOW)
        assert cal.id in [u.id for u in repo.members(ledger.id)]


def test_shares_member_by_member(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ana, ben, cal = (_user(s, n) for n in ("ana", "ben", "cal"))
        ledger = _ledger(s, ana, ben, cal)
        r = _shared(s, ledger, ana, "10.00")

        # WHEN Ana gives herself a second share, THEN it is split 2:1:1
        assert cycle_share(s, receipt=r, user_id=ana.id) == {ana.id: 2, ben.id: 1, cal.id: 1}
        assert r.split == SPLIT_SHARES
        view = ReceiptView.of(r)
        assert [(v.name, v.weight, v.amount) for v in view.shares] == [
            ("@ana", D(2), D("5.00")),
            ("@ben", D(1), D("2.50")),
            ("@cal", D(1), D("2.50")),
        ]
        # AND Cal taken out (1 -> 2 -> 3 -> 4 -> none): 2:1 between Ana and Ben, to the cent
        for _ in range(4):
            cycle_share(s, receipt=r, user_id=cal.id)
        view = ReceiptView.of(r)
        assert [(v.name, v.amount) for v in view.shares] == [
            ("@ana", D("6.67")),
            ("@ben", D("3.33")),
        ]
        # AND the balance has the exact thirds, rounded once
        result = balance(s, ledger=ledger)
        assert result is not None
        assert result.nets == {ana.id: D("3.33"), ben.id: D("-3.33")}

        # WHEN Ben's share goes too (1 -> … -> none) and Ana's back to 1, THEN it is Ana's only
        for _ in range(4):
            cycle_share(s, receipt=r, user_id=ben.id)
        for _ in range(4):  # 2 -> 3 -> 4 -> none would leave nobody: refused at that press
            cycle_share(s, receipt=r, user_id=ana.id)
        assert repo_weights(s, r) == {ana.id: D(4)}
        assert cycle_share(s, receipt=r, user_id=ana.id) is None  # the last share stays
        assert r.split == SPLIT_ONLY_PAYER
        # AND a stranger's button changes nothing
        stranger = _user(s, "eve")
        assert cycle_share(s, receipt=r, user_id=stranger.id) is None
        # AND the split button brings chosen shares back to equal
        assert toggle_split(s, receipt=r) == SPLIT_EQUAL
        assert repo_weights(s, r) == {ana.id: D(1), ben.id: D(1), cal.id: D(1)}


def repo_weights(s: Session, r: Receipt) -> dict[int, Decimal]:
    return LedgerRepository(s).weights(r.id)


def test_every_sharer_is_warned_of_their_own_budget(
    session_factory: sessionmaker[Session],
) -> None:
    """GIVEN Ben's groceries budget of EUR 4.00 and Cal's of EUR 100; Ana (no budget) sends
    EUR 10.00 split 1:2:1 (Ben's share EUR 5.00)."""
    with session_factory.begin() as s:
        ana, ben, cal = (_user(s, n) for n in ("ana", "ben", "cal"))
        ledger = _ledger(s, ana, ben, cal)
        set_budget(s, user_id=ben.id, category="groceries", amount=D("4.00"), currency="EUR")
        set_budget(s, user_id=cal.id, category="groceries", amount=D("100"), currency="EUR")
        r = _shared(s, ledger, ana, "10.00")
        cycle_share(s, receipt=r, user_id=ben.id)

        assert sorted(counted_for(s, receipt=r)) == sorted([ana.id, ben.id, cal.id])
        warned = {
            uid: [w.level for w in new_warnings(s, receipt=r, user_id=uid)]
            for uid in counted_for(s, receipt=r)
        }
        # THEN Ben (EUR 5.00 of 4.00) is warned at 100%; Cal (2.50 of 100) and Ana are not
        assert warned == {ana.id: [], ben.id: [100], cal.id: []}
        # AND once only
        assert new_warnings(s, receipt=r, user_id=ben.id) == []


def test_a_ledger_follows_its_group_to_a_supergroup_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        ana = _user(s, "ana")
        ledger = _ledger(s, ana)
        ledger.removed_at = NOW  # a "left" of the old chat is no removal: the group moved
        old = ledger.telegram_chat_id
        shown = _shared(s, ledger, ana, "4.00")
        coming = _shared(s, ledger, ana, "5.00")  # read, its card not sent yet
        for r, notified in ((shown, NOW), (coming, None)):
            r.telegram_chat_id, r.status_message_id, r.notified_at = old, 7, notified
        s.flush()
        repo = LedgerRepository(s)
        moved = repo.move_chat(old_chat_id=old, new_chat_id=old - 1)
        assert moved is ledger and ledger.telegram_chat_id == old - 1
        assert ledger.removed_at is None
        s.refresh(shown)
        s.refresh(coming)
        # the card still to come goes to the new chat as a new message; a shown one stays put
        assert (coming.telegram_chat_id, coming.status_message_id) == (old - 1, None)
        assert (shown.telegram_chat_id, shown.status_message_id) == (old, 7)
        # the same news from the new chat: nothing left to move
        assert repo.move_chat(old_chat_id=old, new_chat_id=old - 1) is None
        # a new chat that has a ledger of its own already keeps it; the old one stays put
        other = _ledger(s, ana)
        assert repo.move_chat(old_chat_id=other.telegram_chat_id, new_chat_id=old - 1) is None
        assert repo.of_chat(old - 1) is ledger
