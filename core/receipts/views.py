"""Frozen views of a receipt: what the bot shows, read while the session is open.

Services hand these out instead of ORM rows, so nothing lazy-loads (or fails to) after the
unit of work has closed, and nothing the bot holds can be written back by accident.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import object_session

from core.contracts import ReceiptStatus
from core.db.models import LineItemRow, Receipt
from core.ledgers.repository import LedgerRepository, display_name
from core.ledgers.shares import ledger_amount, split_amount


@dataclass(frozen=True, slots=True)
class LineItemView:
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None

    @classmethod
    def of(cls, row: LineItemRow) -> LineItemView:
        return cls(
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            amount=row.amount,
        )


@dataclass(frozen=True, slots=True)
class ShareView:
    """One member's share of a ledger receipt: their weight and, when the receipt has an
    amount in the ledger's currency, their part of it (``split_amount``: the parts sum to it)."""

    user_id: int
    name: str
    weight: Decimal
    amount: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class ReceiptView:
    id: uuid.UUID
    user_id: int
    status: ReceiptStatus
    created_at: datetime
    merchant_name: str | None
    purchase_date: date | None
    purchase_time: time | None
    currency: str | None
    subtotal: Decimal | None
    tax: Decimal | None
    total: Decimal | None
    category: str | None
    confidence: Mapping[str, Any]
    confirmed_at: datetime | None
    possible_duplicate_of: uuid.UUID | None
    error_code: str | None
    error_message: str | None
    telegram_chat_id: int | None
    status_message_id: int | None
    telegram_message_id: int | None  # the chat message the receipt came from
    notified_at: datetime | None
    media_group_id: str | None
    line_items: tuple[LineItemView, ...]
    tip: Decimal | None = None
    # The total in the ledger's home currency (core/fx); home_currency set without home_total:
    # no rate for it.
    home_currency: str | None = None
    home_total: Decimal | None = None
    fx_rate: Decimal | None = None
    fx_rate_date: date | None = None
    # A group ledger's receipt (core/ledgers): its ledger, who paid it, how it is split.
    ledger_id: int | None = None
    payer_name: str | None = None
    split: str | None = None
    shares: tuple[ShareView, ...] = ()
    # The bot was removed from the ledger's group: nothing is sent there any more.
    ledger_removed: bool = False

    @property
    def short_id(self) -> str:
        return self.id.hex[:8]

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptView:
        """The receipt as it is now, line items included (loaded here, inside the session)."""
        return cls(
            id=receipt.id,
            user_id=receipt.user_id,
            status=receipt.status_enum,
            created_at=receipt.created_at,
            merchant_name=receipt.merchant_name,
            purchase_date=receipt.purchase_date,
            purchase_time=receipt.purchase_time,
            currency=receipt.currency,
            subtotal=receipt.subtotal,
            tax=receipt.tax,
            tip=receipt.tip,
            total=receipt.total,
            category=receipt.category,
            confidence=MappingProxyType(dict(receipt.confidence or {})),
            confirmed_at=receipt.confirmed_at,
            possible_duplicate_of=receipt.possible_duplicate_of,
            error_code=receipt.error_code,
            error_message=receipt.error_message,
            telegram_chat_id=receipt.telegram_chat_id,
            status_message_id=receipt.status_message_id,
            telegram_message_id=receipt.telegram_message_id,
            notified_at=receipt.notified_at,
            media_group_id=receipt.media_group_id,
            line_items=tuple(LineItemView.of(item) for item in receipt.line_items),
            home_currency=receipt.home_currency,
            home_total=receipt.home_total,
            fx_rate=receipt.fx_rate,
            fx_rate_date=receipt.fx_rate_date,
            ledger_id=receipt.ledger_id,
            payer_name=_payer_name(receipt),
            split=receipt.split,
            shares=_shares(receipt),
            ledger_removed=receipt.ledger is not None and receipt.ledger.removed_at is not None,
        )


def _shares(receipt: Receipt) -> tuple[ShareView, ...]:
    session = object_session(receipt)
    if receipt.ledger_id is None or session is None:
        return ()
    repo = LedgerRepository(session)
    found = repo.weights(receipt.id)
    if not found:
        return ()
    users = {u.id: u for u in repo.members(receipt.ledger_id, current=False)}
    # In the order the members joined (the card's, the CSV's)
    weights = {uid: found[uid] for uid in [*users, *found] if uid in found}
    currency = receipt.ledger.currency if receipt.ledger is not None else None
    amount = ledger_amount(
        currency,
        total=receipt.total,
        total_currency=receipt.currency,
        home_total=receipt.home_total,
        home_currency=receipt.home_currency,
    )
    parts = split_amount(amount, weights, currency) if amount is not None and currency else {}
    return tuple(
        ShareView(
            user_id=uid,
            name=display_name(users[uid]) if uid in users else f"#{uid}",
            weight=weight,
            amount=parts.get(uid),
            currency=currency,
        )
        for uid, weight in weights.items()
    )


def _payer_name(receipt: Receipt) -> str | None:
    if receipt.ledger_id is None:
        return None
    payer = receipt.paid_by if receipt.paid_by_user_id is not None else receipt.user
    return display_name(payer) if payer is not None else None
