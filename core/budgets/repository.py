"""Every query of budgets: the budgets themselves, the spending they compare with, and the
warnings already given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import Budget, BudgetAlert, Receipt
from core.summaries.months import Month
from core.summaries.repository import in_month


class BudgetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, *, user_id: int, category: str) -> Budget | None:
        return self.session.get(Budget, (user_id, category))

    def put(self, *, user_id: int, category: str, amount: Decimal, currency: str) -> Budget:
        """The budget of ``category`` set to ``amount``, made when the user has none."""
        budget = self.get(user_id=user_id, category=category)
        if budget is None:
            budget = Budget(user_id=user_id, category=category, amount=amount, currency=currency)
            self.session.add(budget)
        else:
            budget.amount, budget.currency = amount, currency
        self.session.flush()
        return budget

    def remove(self, *, user_id: int, category: str) -> bool:
        """Whether there was a budget to remove."""
        result = self.session.execute(
            delete(Budget).where(Budget.user_id == user_id, Budget.category == category)
        )
        return bool(getattr(result, "rowcount", 0))

    def for_user(self, *, user_id: int) -> Sequence[Budget]:
        """The user's budgets, by category."""
        return self.session.scalars(
            select(Budget).where(Budget.user_id == user_id).order_by(Budget.category)
        ).all()

    def spent(
        self, *, user_id: int, month: Month, tz: ZoneInfo, category: str, currency: str
    ) -> object:
        """The sum of the user's ``currency`` receipts of ``category`` in ``month`` (None when
        there is none; a float on SQLite)."""
        return self.session.scalar(
            select(func.sum(Receipt.total)).where(
                in_month(user_id, month, tz),
                Receipt.category == category,
                Receipt.currency == currency,
            )
        )

    def spent_per_category(
        self, *, user_id: int, month: Month, tz: ZoneInfo, categories: Sequence[str]
    ) -> dict[tuple[str | None, str | None], object]:
        """(category, currency) -> the sum of the user's receipts in ``month``, for the
        ``categories`` (one query, whatever their number)."""
        return {
            (category, currency): total
            for category, currency, total in self.session.execute(
                select(Receipt.category, Receipt.currency, func.sum(Receipt.total))
                .where(in_month(user_id, month, tz), Receipt.category.in_(categories))
                .group_by(Receipt.category, Receipt.currency)
            )
        }

    def record_alert(self, *, user_id: int, category: str, month: str, level: int) -> bool:
        """Record that the ``level`` warning was given; False when it had been already."""
        try:
            with self.session.begin_nested():
                self.session.add(
                    BudgetAlert(
                        user_id=user_id,
                        category=category,
                        month=month,
                        level=level,
                        created_at=datetime.now(UTC),
                    )
                )
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def mark_alert(self, *, user_id: int, category: str, month: str, level: int) -> None:
        """The ``level`` warning counted as given, whether or not it was."""
        with self.session.begin_nested():
            self.session.merge(
                BudgetAlert(user_id=user_id, category=category, month=month, level=level)
            )
