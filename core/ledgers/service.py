"""Balances of a ledger: what each member paid and owes (in the ledger's currency: receipts
in another one by their home amount, core/fx), payments back, and the fewest transfers that
settle everything (``core.ledgers.transfers``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from core.db.models import SPLIT_EQUAL, SPLIT_ONLY_PAYER, SPLIT_SHARES, Ledger, Receipt, User
from core.ledgers.repository import LedgerRepository, display_name
from core.ledgers.shares import next_weight
from core.ledgers.transfers import Transfer, fewest_transfers, rounded_nets
from core.money import minor_units
from core.summaries.months import Period
from core.summaries.repository import in_ledger_period
from core.users.repository import UserRepository


@dataclass
class LedgerBalance:
    """Per member (user id): paid, their shares, payments back; ``nets`` rounded once."""

    currency: str
    names: dict[int, str] = field(default_factory=dict)
    paid: dict[int, Decimal] = field(default_factory=dict)
    owed: dict[int, Decimal] = field(default_factory=dict)
    nets: dict[int, Decimal] = field(default_factory=dict)
    transfers: list[Transfer[int]] = field(default_factory=list)
    without_rate: int = 0  # receipts with no amount in the ledger's currency


def _round(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)))


def _names(session: Session, ledger: Ledger, ids: set[int]) -> dict[int, str]:
    members = {u.id: u for u in LedgerRepository(session).members(ledger.id, current=False)}
    for missing in ids - members.keys():
        user = UserRepository(session).get(missing)
        if user is not None:
            members[missing] = user
    return {uid: display_name(u) for uid, u in members.items()}


def balance(session: Session, *, ledger: Ledger) -> LedgerBalance | None:
    """Everything of the ledger since it began (None: it has no currency yet)."""
    if ledger.currency is None:
        return None
    repo = LedgerRepository(session)
    currency = ledger.currency
    where = repo.done(ledger.id)
    out = LedgerBalance(currency=currency)
    paid = repo.paid(where=where, currency=currency)
    owed = repo.owed(where=where, currency=currency)
    exact: dict[int, Decimal] = {}
    for uid, amount in paid.items():
        exact[uid] = exact.get(uid, Decimal(0)) + amount
    for uid, amount in owed.items():
        exact[uid] = exact.get(uid, Decimal(0)) - amount
    for row in repo.settlements(ledger.id, currency=currency):
        exact[row.from_user_id] = exact.get(row.from_user_id, Decimal(0)) + row.amount
        exact[row.to_user_id] = exact.get(row.to_user_id, Decimal(0)) - row.amount
    out.names = _names(session, ledger, set(exact))
    out.paid = {uid: _round(v, currency) for uid, v in paid.items()}
    out.owed = {uid: _round(v, currency) for uid, v in owed.items()}
    out.nets = rounded_nets(exact, currency)
    out.transfers = fewest_transfers(exact, currency)
    out.without_rate = repo.without_amount(where=where, currency=currency)
    return out


@dataclass
class MemberMonth:
    """What one member paid in a period and their share of it, rounded once."""

    name: str
    paid: Decimal
    share: Decimal


def members_of_period(
    session: Session, *, ledger: Ledger, period: Period
) -> tuple[list[MemberMonth], int]:
    """Per member (in the order they joined): paid and share of the ledger's receipts in
    ``period``; and how many receipts have no amount in the ledger's currency."""
    if ledger.currency is None:
        return [], 0
    repo = LedgerRepository(session)
    currency = ledger.currency
    where: ColumnElement[bool] = and_(
        repo.done(ledger.id), in_ledger_period(ledger.id, period, _zone(ledger.timezone))
    )
    paid = repo.paid(where=where, currency=currency)
    owed = repo.owed(where=where, currency=currency)
    members = [u.id for u in repo.members(ledger.id, current=False)]
    ids = list(dict.fromkeys([*members, *paid, *owed]))
    names = _names(session, ledger, set(ids))
    rows = [
        MemberMonth(
            name=names.get(uid, f"#{uid}"),
            paid=_round(paid.get(uid, Decimal(0)), currency),
            share=_round(owed.get(uid, Decimal(0)), currency),
        )
        for uid in ids
    ]
    return rows, repo.without_amount(where=where, currency=currency)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def payer_after(session: Session, *, receipt: Receipt) -> User:
    """The next payer of a ledger receipt: the member after the current one (in the order they
    joined), round; an "only the payer" split follows the payer."""
    assert receipt.ledger_id is not None
    repo = LedgerRepository(session)
    members = list(repo.members(receipt.ledger_id))
    current = receipt.paid_by_user_id or receipt.user_id
    ids = [u.id for u in members]
    if current not in ids:
        owner = UserRepository(session).get(current)
        assert owner is not None
        members.append(owner)
        ids.append(current)
    payer = members[(ids.index(current) + 1) % len(members)]
    receipt.paid_by_user_id = payer.id
    receipt.paid_by = payer
    if receipt.split == SPLIT_ONLY_PAYER:
        repo.set_shares(receipt, split=SPLIT_ONLY_PAYER, members=[])
    session.flush()
    return payer


def toggle_split(session: Session, *, receipt: Receipt) -> str:
    """Equal (the ledger's current members) <-> only the payer; shares chosen member by member
    go back to equal. The new split."""
    assert receipt.ledger_id is not None
    repo = LedgerRepository(session)
    split = SPLIT_ONLY_PAYER if receipt.split == SPLIT_EQUAL else SPLIT_EQUAL
    members = [u.id for u in repo.members(receipt.ledger_id)]
    repo.set_shares(receipt, split=split, members=members)
    return split


def share_members(session: Session, *, receipt: Receipt) -> list[User]:
    """Whom a ledger receipt's shares can go to: the ledger's current members (in the order
    they joined), then anyone else with a share of it (a member who has left since)."""
    assert receipt.ledger_id is not None
    repo = LedgerRepository(session)
    members = list(repo.members(receipt.ledger_id))
    ids = {u.id for u in members}
    for uid in repo.weights(receipt.id):
        if uid not in ids and (user := UserRepository(session).get(uid)) is not None:
            members.append(user)
    return members


def cycle_share(session: Session, *, receipt: Receipt, user_id: int) -> dict[int, Decimal] | None:
    """One press on a member's share button: their weight one more, up to 4, then none, then 1
    (``shares.next_weight``). The split is named after what the weights then are: the same
    for each current member is ``equal``, the payer's alone ``only_payer``, anything else
    ``shares``. None (nothing changed) when the member is not one of ``share_members`` or the
    press would leave the receipt with no share at all."""
    members = [u.id for u in share_members(session, receipt=receipt)]
    if user_id not in members:
        return None
    repo = LedgerRepository(session)
    weights = {uid: w for uid, w in repo.weights(receipt.id).items()}
    weights[user_id] = next_weight(weights.get(user_id, Decimal(0)))
    kept = {uid: weights[uid] for uid in members if weights.get(uid, 0) > 0}
    if not kept:
        return None
    assert receipt.ledger_id is not None
    current = [u.id for u in repo.members(receipt.ledger_id)]
    payer = receipt.paid_by_user_id or receipt.user_id
    if set(kept) == set(current) and len(set(kept.values())) == 1:
        split = SPLIT_EQUAL
    elif set(kept) == {payer}:
        split = SPLIT_ONLY_PAYER
    else:
        split = SPLIT_SHARES
    repo.set_weights(receipt, weights=kept, split=split)
    return kept
