"""The queries of questions that are not the summaries' (those are ``SummaryRepository``'s)."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from core.contracts import ReceiptStatus
from core.db.models import Receipt


def mentions(term: str) -> ColumnElement[bool]:
    """Receipts whose category or merchant contains ``term`` (case aside, taken literally)."""
    like = "%" + re.sub(r"([\\%_])", r"\\\1", term.lower()) + "%"
    return or_(
        func.lower(Receipt.category).like(like, escape="\\"),
        func.lower(Receipt.merchant_name).like(like, escape="\\"),
    )


class QuestionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def used_categories(self, *, user_id: int, limit: int) -> list[str | None]:
        """The categories of the user's done receipts, the most used first (at most ``limit``)."""
        return list(
            self.session.scalars(
                select(Receipt.category)
                .where(
                    Receipt.user_id == user_id,
                    Receipt.status == ReceiptStatus.DONE.value,
                    Receipt.category.is_not(None),
                )
                .group_by(Receipt.category)
                .order_by(func.count().desc())
                .limit(limit)
            )
        )
