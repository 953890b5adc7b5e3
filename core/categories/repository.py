"""Which category a user chose for a merchant."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.models import (
    MerchantCategory,
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


def merchant_key(name: str | None) -> str:
    return _merchant_key(name)[:200]
