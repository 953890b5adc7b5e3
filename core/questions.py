"""Questions in plain words, turned into a small, validated query description and answered from
the database for that user only (no model ever writes SQL). This is the local, rules-based reader
of the common forms; a Bedrock reader can produce the same ``Question``.

    "how much did I spend on coffee in October?"  -> total, term "coffee", month 2026-10
    "biggest purchase last month"                  -> biggest, month
    "how many receipts this month"                 -> count, month
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.db.models import Receipt
from core.summaries import NO_CURRENCY, BadMonth, Month, _in_month, parse_month

_MONTH_WORDS = (
    r"(this month|last month|previous month|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    r"\d{4}-\d{1,2})"
)
_TOTAL = re.compile(r"\b(how much|total|spent|spend|spending)\b")
_BIGGEST = re.compile(r"\b(biggest|largest|most expensive|highest)\b")
_COUNT = re.compile(r"\bhow many\b")
_TERM = re.compile(
    r"\b(?:on|at|for)\s+([a-z0-9][a-z0-9 &'.-]{1,40}?)(?=\s+(?:in|during|this|last)\b|[?.!]*$)"
)
_MONTH = re.compile(rf"\b(?:in\s+)?{_MONTH_WORDS}\b")


class Question(BaseModel):
    metric: Literal["total", "biggest", "count"]
    term: str | None = Field(default=None, max_length=40, description="category or merchant")
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


def parse_question(text: str, *, today: date) -> Question | None:
    q = text.strip().lower()
    if len(q) > 200:
        return None
    if _BIGGEST.search(q):
        metric: Literal["total", "biggest", "count"] = "biggest"
    elif _COUNT.search(q):
        metric = "count"
    elif _TOTAL.search(q):
        metric = "total"
    else:
        return None
    m = _MONTH.search(q)
    try:
        month = parse_month(m.group(1) if m else "", today=today)
    except BadMonth:
        return None
    term_match = _TERM.search(q)
    term = term_match.group(1).strip() if term_match else None
    if term and _MONTH.fullmatch(term):
        term = None
    return Question(metric=metric, term=term, month=month.iso)


def answer(
    session: Session, question: Question, *, user_id: int, timezone: str | None
) -> dict[str, object]:
    """The numbers for ``question``, from this user's receipts only."""
    year, mon = (int(x) for x in question.month.split("-"))
    month = Month(year, mon)
    where = [_in_month(user_id, month, ZoneInfo(timezone or "UTC"))]
    if question.term:
        like = f"%{question.term}%"
        where.append(
            or_(
                func.lower(Receipt.category).like(like),
                func.lower(Receipt.merchant_name).like(like),
            )
        )
    currency = func.coalesce(Receipt.currency, NO_CURRENCY)
    if question.metric == "biggest":
        row = session.execute(
            select(Receipt.merchant_name, currency, Receipt.total, Receipt.purchase_date)
            .where(*where, Receipt.total.is_not(None))
            .order_by(Receipt.total.desc())
            .limit(1)
        ).first()
        return {"month": month, "biggest": tuple(row) if row else None}
    rows = session.execute(
        select(currency, func.sum(Receipt.total), func.count()).where(*where).group_by(currency)
    ).all()
    totals = {str(c): Decimal(str(t or 0)).quantize(Decimal("0.01")) for c, t, _ in rows}
    return {"month": month, "totals": totals, "count": sum(int(n) for _, _, n in rows)}
