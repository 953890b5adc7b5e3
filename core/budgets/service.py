"""Monthly budgets per category: where each stands, and warnings at 80% and 100% (once each per
month and category).

A budget is in the user's home currency (/settings currency; core/fx) unless they named another:
it counts every receipt of its category by its amount in that currency, converted at the ECB
rate of the receipt's date when printed in another one. A receipt without a rate is not counted.
A budget in another currency than the home one counts the receipts printed in it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.budgets.repository import BudgetRepository
from core.db.models import Budget, Receipt, User
from core.ledgers.repository import LedgerRepository
from core.summaries.months import Month
from core.users.repository import UserRepository

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
    return BudgetRepository(session).put(
        user_id=user_id, category=category, amount=amount, currency=currency
    )


def remove_budget(session: Session, *, user_id: int, category: str) -> bool:
    return BudgetRepository(session).remove(user_id=user_id, category=category)


def _spent(session: Session, user: User, budget: Budget, month: Month) -> Decimal:
    total = BudgetRepository(session).spent(
        user_id=user.id,
        month=month,
        tz=ZoneInfo(user.timezone or "UTC"),
        category=budget.category,
        currency=budget.currency,
    )
    return _money(total)


def budget_status(session: Session, *, user: User, month: Month) -> list[BudgetStatus]:
    """Where each budget stands in ``month``: one query for the spending of them all (this is
    on /summary's path; a user may have a budget for each of their 30 categories)."""
    repo = BudgetRepository(session)
    budgets = repo.for_user(user_id=user.id)
    if not budgets:
        return []
    spent = repo.spent_per_category(
        user_id=user.id,
        month=month,
        tz=ZoneInfo(user.timezone or "UTC"),
        categories=sorted({b.category for b in budgets}),
        currencies=sorted({b.currency for b in budgets}),
    )
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


def counts_toward(receipt: Receipt, currency: str) -> bool:
    """Whether the receipt's amount counts in a budget in ``currency``: its home amount is in it
    (converted, or printed in it), or it was printed in it (``BudgetRepository.in_currency``)."""
    if receipt.home_currency == currency:
        return receipt.home_total is not None
    return receipt.currency == currency


def counted_for(session: Session, *, receipt: Receipt) -> list[int]:
    """Whose budgets a receipt counts toward: its owner's, or, a group ledger's, each sharer's
    (by their share; the sender without a share is not one of them)."""
    if receipt.ledger_id is None:
        return [receipt.user_id]
    return list(LedgerRepository(session).weights(receipt.id))


def new_warnings(
    session: Session, *, receipt: Receipt, user_id: int | None = None
) -> list[BudgetWarning]:
    """The warnings a newly read (or newly shared) receipt triggers for ``user_id`` (its owner
    by default; one of ``counted_for``), recorded so that each is given once."""
    if receipt.category is None or receipt.total is None:
        return []
    uid = receipt.user_id if user_id is None else user_id
    repo = BudgetRepository(session)
    user = UserRepository(session).get(uid)
    budget = repo.get(user_id=uid, category=receipt.category)
    if user is None or budget is None or not counts_toward(receipt, budget.currency):
        return []
    month = receipt_month(receipt, user.timezone)
    status = BudgetStatus(
        budget.category, budget.currency, budget.amount, _spent(session, user, budget, month)
    )
    for level in LEVELS:
        if status.spent * 100 < budget.amount * level:
            continue
        if not repo.record_alert(
            user_id=user.id, category=budget.category, month=month.iso, level=level
        ):
            return []  # this level (and so the lower one) was announced already
        if level == 100:  # crossing 100% also covers 80%: never announce it afterwards
            repo.mark_alert(user_id=user.id, category=budget.category, month=month.iso, level=80)
        return [BudgetWarning(status, level, month)]
    return []
