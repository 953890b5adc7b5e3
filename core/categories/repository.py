"""Every query of categories: the user's list, which category they chose for a merchant, what
other users' receipts of a merchant got, and what follows a category when it is renamed or
removed (receipts, merchant choices, budget). Names are compared in lower case, as they are
kept."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.db.models import (
    Budget,
    BudgetAlert,
    MerchantCategory,
    Receipt,
    User,
    UserCategory,
    merchant_key_of,
)


def _merchant_key(name: str | None) -> str:
    return "".join(ch for ch in (name or "").upper() if ch.isalnum())


class MerchantCategoryRepository:
    """The user's own choice of category per merchant (merchant names compared loosely)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(self, *, user_id: int, merchant: str | None, category: str) -> None:
        key = merchant_key(merchant)
        if not key:
            return
        row = self.session.get(MerchantCategory, (user_id, key))
        if row is None:
            self.session.add(MerchantCategory(user_id=user_id, merchant_key=key, category=category))
        else:
            row.category = category
        self.session.flush()

    def lookup(self, *, user_id: int, merchant: str | None) -> str | None:
        key = merchant_key(merchant)
        row = self.session.get(MerchantCategory, (user_id, key)) if key else None
        return row.category if row else None

    def others_votes(self, *, user_id: int, merchant: str | None) -> dict[str, int]:
        """For each category other users' read receipts of this merchant got, how many of those
        users gave it (one vote per user and category, however many receipts). Only names and
        counts come back: nothing else of another user's receipts."""
        key = merchant_key(merchant)
        if not key:
            return {}
        rows = self.session.execute(
            select(Receipt.category, func.count(distinct(Receipt.user_id)))
            .where(
                Receipt.merchant_key == key,
                Receipt.user_id != user_id,
                Receipt.status == ReceiptStatus.DONE.value,
                Receipt.category.is_not(None),
            )
            .group_by(Receipt.category)
        )
        return {str(category): int(users) for category, users in rows}


def merchant_key(name: str | None) -> str:
    return merchant_key_of(name)


class CategoryRepository:
    """The user's own list of categories (``user_categories``) and the rows that name one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_user(self, *, user_id: int) -> None:
        """Serialise one user's category changes (PostgreSQL row lock; SQLite locks on write)."""
        self.session.execute(select(User.id).where(User.id == user_id).with_for_update())

    def names(self, *, user_id: int) -> list[str]:
        """The names on the user's own list, in the order they were added (none: the default
        list)."""
        return list(
            self.session.scalars(
                select(UserCategory.name)
                .where(UserCategory.user_id == user_id)
                .order_by(UserCategory.id)
            )
        )

    def rows(self, *, user_id: int) -> list[UserCategory]:
        return list(
            self.session.scalars(select(UserCategory).where(UserCategory.user_id == user_id))
        )

    def create(self, *, user_id: int, names: Iterable[str]) -> list[UserCategory]:
        rows = [UserCategory(user_id=user_id, name=name) for name in names]
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def remove(self, row: UserCategory) -> None:
        self.session.delete(row)

    def delete_all(self, *, user_id: int) -> None:
        """The user's own list gone: back to the default one."""
        self.session.execute(delete(UserCategory).where(UserCategory.user_id == user_id))

    def recategorise_receipts(self, *, user_id: int, old: str, new: str | None) -> int:
        """The user's receipts of ``old`` put in ``new`` (None: uncategorised); how many."""
        return _rowcount(
            self.session.execute(
                update(Receipt)
                .where(Receipt.user_id == user_id, func.lower(Receipt.category) == old)
                .values(category=new)
            )
        )

    def recategorise_merchants(self, *, user_id: int, old: str, new: str) -> None:
        """The user's merchant choices of ``old`` moved to ``new``."""
        self.session.execute(
            update(MerchantCategory)
            .where(
                MerchantCategory.user_id == user_id,
                func.lower(MerchantCategory.category) == old,
            )
            .values(category=new)
        )

    def forget_merchants(self, *, user_id: int, category: str) -> int:
        """The user's merchant choices of ``category`` removed; how many."""
        return _rowcount(
            self.session.execute(
                delete(MerchantCategory).where(
                    MerchantCategory.user_id == user_id,
                    func.lower(MerchantCategory.category) == category,
                )
            )
        )

    def has_budget(self, *, user_id: int, category: str) -> bool:
        found = self.session.scalar(
            select(Budget.category).where(
                Budget.user_id == user_id, func.lower(Budget.category) == category
            )
        )
        return found is not None

    def move_budget(self, *, user_id: int, old: str, new: str) -> None:
        """The budget of ``old`` and its warnings given, moved to ``new``."""
        for model in (Budget, BudgetAlert):
            self.session.execute(
                update(model)
                .where(model.user_id == user_id, func.lower(model.category) == old)
                .values(category=new)
                .execution_options(synchronize_session=False)
            )
        # Their primary key changed under the session: forget any loaded copies.
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Budget | BudgetAlert) and obj.user_id == user_id:
                self.session.expunge(obj)

    def delete_budget(self, *, user_id: int, category: str) -> bool:
        """The budget of ``category`` and its warnings given removed; whether there was one."""
        removed = False
        for model in (Budget, BudgetAlert):
            result = self.session.execute(
                delete(model).where(
                    model.user_id == user_id, func.lower(model.category) == category
                )
            )
            removed = removed or (model is Budget and _rowcount(result) > 0)
        return removed


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
