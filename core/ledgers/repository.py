"""Every query of the ledgers: the ledger of a chat, its members, shares, what each member paid
and owes, settlements."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.contracts import ReceiptStatus
from core.db.models import (
    SPLIT_EQUAL,
    SPLIT_ONLY_PAYER,
    SPLIT_SHARES,
    Ledger,
    LedgerMember,
    LedgerSettlement,
    Receipt,
    ReceiptShare,
    User,
)

PAYER = func.coalesce(Receipt.paid_by_user_id, Receipt.user_id)


def in_ledger_currency(currency: str) -> ColumnElement[Decimal | None]:
    """A ledger receipt's amount in the ledger's ``currency``: its home amount (core/fx: the
    ledger's currency is its receipts' home currency), else its total printed in it; None
    otherwise (no rate: counted nowhere, and said so)."""
    return case(
        (Receipt.home_currency == currency, Receipt.home_total),
        (Receipt.currency == currency, Receipt.total),
        else_=None,
    )


def share_weights() -> ColumnElement[Decimal]:
    """The sum of the shares of the receipt in the outer query (correlated)."""
    inner = ReceiptShare.__table__.alias("all_shares")
    return (
        select(func.sum(inner.c.share))
        .where(inner.c.receipt_id == Receipt.id)
        .correlate(Receipt)
        .scalar_subquery()
    )


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, ledger_id: int) -> Ledger | None:
        return self.session.get(Ledger, ledger_id)

    def of_chat(self, chat_id: int) -> Ledger | None:
        return self.session.scalar(select(Ledger).where(Ledger.telegram_chat_id == chat_id))

    def get_or_create(
        self, *, chat_id: int, title: str | None, creator: User, now: datetime
    ) -> Ledger:
        """The chat's ledger, made on first use with the creator's currency and time zone (a
        concurrent first use finds the other's)."""
        found = self.of_chat(chat_id)
        if found is not None:
            if title and found.title != title:
                found.title = title[:255]
            return found
        try:
            with self.session.begin_nested():
                ledger = Ledger(
                    telegram_chat_id=chat_id,
                    title=title[:255] if title else None,
                    currency=creator.default_currency,
                    timezone=creator.timezone,
                    created_by=creator.id,
                    created_at=now,
                )
                self.session.add(ledger)
                self.session.flush()
                return ledger
        except IntegrityError:
            found = self.of_chat(chat_id)
            assert found is not None
            return found

    def move_chat(self, *, old_chat_id: int, new_chat_id: int) -> Ledger | None:
        """A group upgraded to a supergroup has a new chat id: its ledger follows it (the one
        moved; None when there was none to move, or the new chat has a ledger of its own
        already, which is left as it is). Its receipts whose card is still to come (being read,
        or read and not shown yet) are shown in the new chat, as a new message: the old chat's
        messages cannot be edited there."""
        ledger = self.of_chat(old_chat_id)
        if ledger is None or self.of_chat(new_chat_id) is not None:
            return None
        ledger.telegram_chat_id = new_chat_id
        ledger.removed_at = None
        self.session.execute(
            update(Receipt)
            .where(
                Receipt.ledger_id == ledger.id,
                Receipt.telegram_chat_id == old_chat_id,
                Receipt.notified_at.is_(None),
            )
            .values(telegram_chat_id=new_chat_id, status_message_id=None)
        )
        self.session.flush()
        return ledger

    def join(self, *, ledger: Ledger, user: User, now: datetime) -> bool:
        """The user is a member (again, if they had left); True when they were not one."""
        member = self.session.get(LedgerMember, (ledger.id, user.id))
        if member is not None:
            if member.left_at is None:
                return False
            member.left_at = None
            return True
        try:
            with self.session.begin_nested():
                self.session.add(LedgerMember(ledger_id=ledger.id, user_id=user.id, joined_at=now))
        except IntegrityError:
            return False
        return True

    def leave(self, *, ledger: Ledger, user_id: int, now: datetime) -> bool:
        """The member has left (their receipts, shares and balance stay; new receipts are no
        longer split to them); True when they were a current member."""
        member = self.session.get(LedgerMember, (ledger.id, user_id))
        if member is None or member.left_at is not None:
            return False
        member.left_at = now
        self.session.flush()
        return True

    def of_member(self, user_id: int) -> Sequence[tuple[Ledger, LedgerMember]]:
        """The ledgers the user is or was a member of, with their membership, the newest
        first."""
        rows = self.session.execute(
            select(Ledger, LedgerMember)
            .join(LedgerMember, LedgerMember.ledger_id == Ledger.id)
            .where(LedgerMember.user_id == user_id)
            .order_by(Ledger.created_at.desc(), Ledger.id.desc())
        )
        return [(ledger, member) for ledger, member in rows]

    def memberships(self, ledger_id: int) -> Sequence[LedgerMember]:
        """Every membership of the ledger, past ones included, in the order they joined."""
        return self.session.scalars(
            select(LedgerMember)
            .where(LedgerMember.ledger_id == ledger_id)
            .options(selectinload(LedgerMember.user))  # the admin's view names each one
            .order_by(LedgerMember.joined_at, LedgerMember.user_id)
        ).all()

    def members(self, ledger_id: int, *, current: bool = True) -> Sequence[User]:
        """The ledger's members (``current``: those who have not left), in the order they
        joined."""
        stmt = (
            select(User)
            .join(LedgerMember, LedgerMember.user_id == User.id)
            .where(LedgerMember.ledger_id == ledger_id)
            .order_by(LedgerMember.joined_at, User.id)
        )
        if current:
            stmt = stmt.where(LedgerMember.left_at.is_(None))
        return self.session.scalars(stmt).all()

    def set_shares(self, receipt: Receipt, *, split: str, members: Sequence[int]) -> None:
        """The receipt's shares: one each for ``members`` (an equal split), or the payer's
        alone."""
        payer = receipt.paid_by_user_id or receipt.user_id
        sharers = [payer] if split == SPLIT_ONLY_PAYER or not members else list(members)
        receipt.split = split
        self.session.query(ReceiptShare).filter(ReceiptShare.receipt_id == receipt.id).delete()
        for user_id in dict.fromkeys(sharers):
            self.session.add(ReceiptShare(receipt_id=receipt.id, user_id=user_id, share=1))
        self.session.flush()

    def weights(self, receipt_id: uuid.UUID) -> dict[int, Decimal]:
        """Member -> their weight in the receipt's split (members without a share left out)."""
        rows = self.session.execute(
            select(ReceiptShare.user_id, ReceiptShare.share)
            .where(ReceiptShare.receipt_id == receipt_id)
            .order_by(ReceiptShare.user_id)
        )
        return {int(user): Decimal(share) for user, share in rows}

    def set_weights(self, receipt: Receipt, *, weights: Mapping[int, Decimal], split: str) -> None:
        """The receipt's shares as ``weights`` (a weight of 0: no share), its split named
        ``split`` (``SPLIT_SHARES`` unless the weights are those of another split)."""
        receipt.split = split
        self.session.query(ReceiptShare).filter(ReceiptShare.receipt_id == receipt.id).delete()
        for user_id, weight in weights.items():
            if weight > 0:
                self.session.add(ReceiptShare(receipt_id=receipt.id, user_id=user_id, share=weight))
        self.session.flush()

    def sharers(self, receipt_id: uuid.UUID) -> list[int]:
        return list(
            self.session.scalars(
                select(ReceiptShare.user_id)
                .where(ReceiptShare.receipt_id == receipt_id)
                .order_by(ReceiptShare.user_id)
            )
        )

    def done(self, ledger_id: int) -> ColumnElement[bool]:
        return and_(Receipt.ledger_id == ledger_id, Receipt.status == ReceiptStatus.DONE.value)

    def paid(self, *, where: ColumnElement[bool], currency: str) -> dict[int, Decimal]:
        """Member -> what they paid, in ``currency``, of the receipts ``where`` picks."""
        amount = in_ledger_currency(currency)
        rows = self.session.execute(
            select(PAYER, func.sum(amount)).where(where, amount.is_not(None)).group_by(PAYER)
        )
        return {int(user): Decimal(str(total)) for user, total in rows if total is not None}

    def owed(self, *, where: ColumnElement[bool], currency: str) -> dict[int, Decimal]:
        """Member -> their shares of the receipts ``where`` picks, in ``currency`` (exact:
        summed before rounding)."""
        amount = in_ledger_currency(currency)
        # Each share over its receipt's sum of shares: a window over the rows already joined
        # (a correlated sum per row costs one more index scan per share).
        weights = func.sum(ReceiptShare.share).over(partition_by=ReceiptShare.receipt_id)
        parts = (
            select(
                ReceiptShare.user_id.label("user_id"),
                (amount * ReceiptShare.share / weights).label("part"),
            )
            .join(Receipt, Receipt.id == ReceiptShare.receipt_id)
            .where(where, amount.is_not(None))
            .subquery()
        )
        rows = self.session.execute(
            select(parts.c.user_id, func.sum(parts.c.part)).group_by(parts.c.user_id)
        )
        return {int(user): Decimal(str(total)) for user, total in rows if total is not None}

    def without_amount(self, *, where: ColumnElement[bool], currency: str) -> int:
        """How many receipts ``where`` picks have a total but none in ``currency`` (no rate)."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    where, Receipt.total.is_not(None), in_ledger_currency(currency).is_(None)
                )
            )
            or 0
        )

    def settlements(self, ledger_id: int, *, currency: str) -> Sequence[LedgerSettlement]:
        return self.session.scalars(
            select(LedgerSettlement).where(
                LedgerSettlement.ledger_id == ledger_id, LedgerSettlement.currency == currency
            )
        ).all()

    def settle(
        self,
        *,
        ledger: Ledger,
        from_user: int,
        to_user: int,
        amount: Decimal,
        now: datetime,
        message_id: int | None = None,
    ) -> LedgerSettlement:
        """Record a payment back; the one already made by chat message ``message_id``, if any
        (a replayed update records nothing twice)."""
        assert ledger.currency is not None
        if message_id is not None:
            made = self.session.scalar(
                select(LedgerSettlement).where(
                    LedgerSettlement.ledger_id == ledger.id,
                    LedgerSettlement.telegram_message_id == message_id,
                )
            )
            if made is not None:
                return made
        row = LedgerSettlement(
            telegram_message_id=message_id,
            ledger_id=ledger.id,
            from_user_id=from_user,
            to_user_id=to_user,
            amount=amount,
            currency=ledger.currency,
            at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def shares_by_receipt(
        self, *, where: ColumnElement[bool]
    ) -> dict[uuid.UUID, list[tuple[int, Decimal]]]:
        """Receipt -> (member, weight) of the receipts ``where`` picks (the CSV export)."""
        rows = self.session.execute(
            select(ReceiptShare.receipt_id, ReceiptShare.user_id, ReceiptShare.share)
            .join(Receipt, Receipt.id == ReceiptShare.receipt_id)
            .where(where)
            .order_by(ReceiptShare.receipt_id, ReceiptShare.user_id)
        )
        out: dict[uuid.UUID, list[tuple[int, Decimal]]] = {}
        for receipt_id, user_id, share in rows:
            out.setdefault(receipt_id, []).append((int(user_id), Decimal(share)))
        return out

    def member_by_username(self, ledger_id: int, username: str) -> User | None:
        name = username.lstrip("@").lower()
        members = self.members(ledger_id, current=False)
        return next((u for u in members if (u.username or "").lower() == name), None)


def display_name(user: User) -> str:
    """How a member is named in a group: @username, else their first name."""
    if user.username:
        return f"@{user.username}"
    return user.first_name or f"#{user.id}"


def shares_of(
    session: Session, *, user_id: int, where: ColumnElement[bool]
) -> dict[str, tuple[Decimal, int]]:
    """Ledger currency -> (the user's shares of the ledger receipts ``where`` picks, exact;
    receipts): what is theirs of their groups' spending."""
    amount = case(
        (Receipt.home_currency == Ledger.currency, Receipt.home_total),
        (Receipt.currency == Ledger.currency, Receipt.total),
        else_=None,
    )
    rows = session.execute(
        select(Ledger.currency, func.sum(amount * my_part(user_id)), func.count())
        .join(Ledger, Ledger.id == Receipt.ledger_id)
        .where(
            where,
            Ledger.currency.is_not(None),
            Receipt.id.in_(select(ReceiptShare.receipt_id).where(ReceiptShare.user_id == user_id)),
        )
        .group_by(Ledger.currency)
    )
    return {str(cur): (Decimal(str(total)), int(n)) for cur, total, n in rows if total is not None}


def my_part(user_id: int) -> ColumnElement[Decimal]:
    """The part of a receipt that is the user's: all of their own (not in a ledger), their
    share of a ledger's (0 when they have none)."""
    mine = (
        select(ReceiptShare.share)
        .where(ReceiptShare.receipt_id == Receipt.id, ReceiptShare.user_id == user_id)
        .correlate(Receipt)
        .scalar_subquery()
    )
    return case(
        (Receipt.ledger_id.is_(None), Decimal(1)),
        else_=func.coalesce(mine / share_weights(), 0),
    )


def mine_or_shared(user_id: int) -> ColumnElement[bool]:
    """Receipts that are the user's own, or of a ledger with a share of theirs."""
    return or_(
        and_(Receipt.user_id == user_id, Receipt.ledger_id.is_(None)),
        and_(
            Receipt.ledger_id.is_not(None),
            Receipt.id.in_(select(ReceiptShare.receipt_id).where(ReceiptShare.user_id == user_id)),
        ),
    )


__all__ = [
    "SPLIT_EQUAL",
    "SPLIT_ONLY_PAYER",
    "SPLIT_SHARES",
    "LedgerRepository",
    "display_name",
    "mine_or_shared",
    "my_part",
    "shares_of",
]
