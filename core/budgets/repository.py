"""Every query of budgets: the budgets themselves, the spending they compare with, and the
warnings already given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import Budget, BudgetAlert, Receipt
from core.ledgers.repository import mine_or_shared, my_part
from core.summaries.months import Month
from core.summaries.repository import done_in, sent_in


def in_month(user_id: int, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """What a budget counts: the user's own done receipts of ``month`` and those of group
    ledgers they have a share of (``my_part`` of each)."""
    return and_(mine_or_shared(user_id), done_in(month, user_id=None, sent=sent_in(month, tz)))


def in_currency(currency: str) -> ColumnElement[Decimal | None]:
    """A receipt's amount in ``currency``: its home amount when that is in ``currency`` (the
    printed total for a receipt in the home currency, the converted one for the others), else
    its printed total when printed in ``currency``; nothing otherwise (no rate: not counted)."""
    return case(
        (Receipt.home_currency == currency, Receipt.home_total),
        (Receipt.currency == currency, Receipt.total),
        else_=None,
    )


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
        """What the user's receipts (their shares of ledger receipts) of ``category`` in
        ``month`` come to in ``currency`` (``in_currency``; None when there is none; a float on
        SQLite)."""
        return self.session.scalar(
            select(func.sum(in_currency(currency) * my_part(user_id))).where(
                in_month(user_id, month, tz), Receipt.category == category
            )
        )

    def spent_per_category(
        self, *, user_id: int, month: Month, tz: ZoneInfo, categories: Sequence[str],
        currencies: Sequence[str],
    ) -> dict[tuple[str | None, str], object]:  # fmt: skip
        """(category, currency) -> what the user's receipts of ``month`` come to in each of
        ``currencies`` (``in_currency``), for the ``categories``: one query per currency (a
        user's budgets are in one, their home currency, but for a few), whatever their number."""
        spent: dict[tuple[str | None, str], object] = {}
        for currency in currencies:
            rows = self.session.execute(
                select(Receipt.category, func.sum(in_currency(currency) * my_part(user_id)))
                .where(in_month(user_id, month, tz), Receipt.category.in_(categories))
                .group_by(Receipt.category)
            )
            spent.update({(category, currency): total for category, total in rows})
        return spent

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
