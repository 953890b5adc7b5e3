"""Monthly budgets per category: where each stands, and warnings at 80% and 100% (once each per
month and category)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import Budget, BudgetAlert, Receipt, User
from core.summaries.service import Month, _in_month

LEVELS = (100, 80)  # the highest level crossed is the one announced


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    category: str
    currency: str
    amount: Decimal
    spent: Decimal

    @property
    def percent(self) -> int:
        return int(self.spent * 100 / self.amount) if self.amount else 0


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    status: BudgetStatus
    level: int
    month: Month


def set_budget(
    session: Session, *, user_id: int, category: str, amount: Decimal, currency: str
) -> Budget:
    budget = session.get(Budget, (user_id, category))
    if budget is None:
        budget = Budget(user_id=user_id, category=category, amount=amount, currency=currency)
        session.add(budget)
    else:
        budget.amount, budget.currency = amount, currency
    session.flush()
    return budget


def remove_budget(session: Session, *, user_id: int, category: str) -> bool:
    result = session.execute(
        delete(Budget).where(Budget.user_id == user_id, Budget.category == category)
    )
    return bool(getattr(result, "rowcount", 0))


def _spent(session: Session, user: User, budget: Budget, month: Month) -> Decimal:
    tz = ZoneInfo(user.timezone or "UTC")
    total = session.scalar(
        select(func.sum(Receipt.total)).where(
            _in_month(user.id, month, tz),
            Receipt.category == budget.category,
            Receipt.currency == budget.currency,
        )
    )
    return _money(total)


def budget_status(session: Session, *, user: User, month: Month) -> list[BudgetStatus]:
    """Where each budget stands in ``month``: one query for the spending of them all (this is
    on /summary's path; a user may have a budget for each of their 30 categories)."""
    budgets = session.scalars(
        select(Budget).where(Budget.user_id == user.id).order_by(Budget.category)
    ).all()
    if not budgets:
        return []
    tz = ZoneInfo(user.timezone or "UTC")
    spent = {
        (category, currency): total
        for category, currency, total in session.execute(
            select(Receipt.category, Receipt.currency, func.sum(Receipt.total))
            .where(
                _in_month(user.id, month, tz),
                Receipt.category.in_(sorted({b.category for b in budgets})),
            )
            .group_by(Receipt.category, Receipt.currency)
        )
    }
    return [
        BudgetStatus(b.category, b.currency, b.amount, _money(spent.get((b.category, b.currency))))
        for b in budgets
    ]


def _money(total: object) -> Decimal:
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def receipt_month(receipt: Receipt, timezone: str | None) -> Month:
    if receipt.purchase_date is not None:
        return Month(receipt.purchase_date.year, receipt.purchase_date.month)
    local = receipt.created_at.astimezone(ZoneInfo(timezone or "UTC"))
    return Month(local.year, local.month)


def new_warnings(session: Session, *, receipt: Receipt) -> list[BudgetWarning]:
    """The warnings a newly read receipt triggers (recorded, so each is given once)."""
    if receipt.category is None or receipt.total is None:
        return []
    user = session.get(User, receipt.user_id)
    budget = session.get(Budget, (receipt.user_id, receipt.category))
    if user is None or budget is None or budget.currency != receipt.currency:
        return []
    month = receipt_month(receipt, user.timezone)
    status = BudgetStatus(
        budget.category, budget.currency, budget.amount, _spent(session, user, budget, month)
    )
    for level in LEVELS:
        if status.spent * 100 < budget.amount * level:
            continue
        try:
            with session.begin_nested():
                session.add(
                    BudgetAlert(
                        user_id=user.id,
                        category=budget.category,
                        month=month.iso,
                        level=level,
                        created_at=datetime.now(UTC),
                    )
                )
                session.flush()
        except IntegrityError:
            return []  # this level (and so the lower one) was announced already
        if level == 100:  # crossing 100% also covers 80%: never announce it afterwards
            with session.begin_nested():
                session.merge(
                    BudgetAlert(
                        user_id=user.id, category=budget.category, month=month.iso, level=80
                    )
                )
        return [BudgetWarning(status, level, month)]
    return []
