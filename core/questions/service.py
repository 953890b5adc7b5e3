"""Questions in plain words, turned into a small, validated query description (``Question``) and
answered from the database for that user only: no model ever writes SQL or sees a receipt.

Readers turn the text into a ``Question``: ``RulesQuestionReader`` here knows the common forms
(the embedded default, and the fallback); ``BedrockQuestionReader`` (``core/questions/bedrock.py``)
asks a model. ``core.reading.engines.build_question_reader`` picks one from settings.

    "how much did I spend on coffee in October?"  -> total, term "coffee", period 2026-10
    "biggest purchase last month"                  -> biggest, period (a month)
    "how many receipts in Q1 2018"                 -> count, period 2018-Q1
    "how much did I spend last year"               -> total, period 2025
    "berapa saya belanja di Tesco bulan lepas?"    -> total, term "tesco", last month
    "how much did I spend yesterday?"              -> total, the day before today
    "berapa resit minggu lepas?"                   -> count, last week (Monday to Sunday)

Periods are read as everywhere else (``core.summaries.months``): a month, a quarter or a year,
and in questions also a week or a day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import and_
from sqlalchemy.orm import Session

from core.categories.service import MAX_NAME_LENGTH, list_categories
from core.questions.repository import QuestionRepository, mentions
from core.summaries.months import (
    UNANSWERED_PERIODS,
    Asked,
    BadMonth,
    find_period,
    from_iso,
    this_month,
)
from core.summaries.repository import SummaryRepository, exported, in_period
from core.summaries.service import biggest_per_currency, largest_first

MAX_QUESTION_CHARS = 200
LIST_LIMIT = 10  # receipts a "show my receipts" answer lists, the latest first
MAX_CATEGORIES = 40

# English and Malay ("berapa saya belanja untuk kopi pada bulan Oktober?").
# "berapa" alone is any "how much/many" ("berapa umur awak?"): a question about spending names it.
_TOTAL = re.compile(
    r"\b(how much|total|spent|spend|spending|jumlah|belanja|berbelanja|perbelanjaan|"
    r"habiskan|dibelanjakan)\b"
)
_BIGGEST = re.compile(
    r"\b(biggest|largest|most expensive|highest|terbesar|termahal|tertinggi|paling mahal|"
    r"paling besar)\b"
)
_COUNT = re.compile(r"\bhow many\b|\b(?:berapa|bilangan|jumlah)\b.*\bresit\b")
# The receipts themselves ("show my receipts from tesco", "tunjukkan resit minggu lepas"), when
# the words ask for receipts or name a shop or category; not "show me the money".
_LIST = re.compile(
    r"\b(?:show|list|find|display|senarai(?:kan)?|tunjuk(?:kan)?|cari)\b|"
    r"\bwhich\s+(?:receipts?|purchases)\b"
)
_RECEIPTS = re.compile(r"\b(?:receipts?|purchases|bills?|resit|pembelian)\b")
# What a list cannot do (amounts, ranges, currencies, budgets): not read rather than ignored.
_LIST_UNREAD = re.compile(
    r"\b(?:over|above|under|below|more than|less than|between|since|until|till|to|sehingga|"
    r"hingga|budgets?|bajet|and|dan|usd|eur|myr|sgd|gbp|rm)\b"
)
_TERM_END = (
    r"(?=\s+(?:in|during|this|last|pada|dalam|semasa|bulan|tahun|suku|minggu|hari|semalam|ini|"
    r"lepas|lalu|saya)\b|[?.!]*$)"
)
_TERM_WORDS = r"([a-z0-9][a-z0-9 &'.-]{1,49}?)" + _TERM_END
_TERM = re.compile(r"\b(?:on|at|for|untuk|bagi|di|kat)\s+" + _TERM_WORDS)
# A list's shop or category: also "from tesco", "dari tesco"; "my ikea receipt"; Malay "resit ikea".
_LIST_TERMS = (
    re.compile(r"\b(?:on|at|for|from|untuk|bagi|di|kat|dari)\s+" + _TERM_WORDS),
    re.compile(r"\b(?:my|the)\s+([a-z0-9][a-z0-9 &'.-]{1,40}?)\s+(?:receipts?|bills?)\b"),
    re.compile(r"\b(?:resit|pembelian)\s+([a-z0-9][a-z0-9 &'.-]{1,40}?)" + _TERM_END),
)
# Words that say which receipts, not whose: "my latest receipt", "resit saya".
_NOT_A_TERM = re.compile(
    r"^(?:\d+\s*)?(?:(?:the|my|all|every|last|latest|newest|recent|most recent|failed|group|"
    r"shared|saya|terkini|terbaru)\s*)*$"
)
PERIOD_PATTERN = (
    r"^\d{4}(?:-(?:0[1-9]|1[0-2])|-Q[1-4]|-W(?:0[1-9]|[1-4]\d|5[0-3])"
    r"|-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))?$"
)


class Question(BaseModel):
    """What to compute: a metric over one period (a month, a quarter, a year, a week or a day) of
    the asker's receipts, optionally only those whose category or merchant contains ``term``."""

    metric: Literal["total", "biggest", "count", "list"] = Field(
        description=(
            "total spent, the biggest single purchase, the number of receipts, or the receipts "
            "themselves (the latest ones)"
        )
    )
    term: str | None = Field(
        default=None,
        max_length=MAX_NAME_LENGTH,  # any of the user's category names
        description="a category or merchant the question is limited to, lowercase; null for all",
    )
    period: str | None = Field(
        default=None,
        validate_default=True,  # None is only for a list
        pattern=PERIOD_PATTERN,
        description=(
            "the period asked about: YYYY-MM (a month), YYYY-Qn (a quarter), YYYY (a year), "
            "YYYY-Www (an ISO week, Monday to Sunday), YYYY-MM-DD (a day); null only for a list "
            "of receipts of any time"
        ),
    )

    @field_validator("term")
    @classmethod
    def _normal_term(cls, value: str | None) -> str | None:
        term = " ".join((value or "").split()).lower()
        return term or None

    @field_validator("period")
    @classmethod
    def _real_period(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("metric") != "list":  # validated before the period
                raise ValueError("a total, a biggest purchase or a count is of a period")
            return None
        if not 2000 <= from_iso(value).year <= 2100:
            raise ValueError(f"{value} is not a period of receipts")
        return value

    @property
    def span(self) -> Asked | None:
        """The period as the summaries take it (None: a list of receipts of any time)."""
        return None if self.period is None else from_iso(self.period)


@dataclass(frozen=True, slots=True)
class Reading:
    """A reader's outcome: the question (None: not one we answer) and what reading it cost."""

    question: Question | None
    reader: str
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    fallback: str | None = None  # why the model's reading was not used


class QuestionReader(Protocol):
    """Text in, ``Question`` out. Only the text, the asker's today and category names go in."""

    name: str

    def read(self, text: str, *, today: date, categories: Sequence[str] = ()) -> Reading: ...


class RulesQuestionReader:
    """The common English and Malay forms, by regular expressions (no network, no cost)."""

    name = "rules"

    def read(self, text: str, *, today: date, categories: Sequence[str] = ()) -> Reading:
        return Reading(parse_question(text, today=today), reader=self.name)


def question_categories(session: Session, *, user_id: int) -> list[str]:
    """The category names a reader may map words to: the user's list (``/categories``) and the
    ones their receipts carry (names only, never amounts or merchants)."""
    used = QuestionRepository(session).used_categories(user_id=user_id, limit=MAX_CATEGORIES)
    names = [
        *list_categories(session, user_id=user_id),
        *(c.strip().lower() for c in used if c and c.strip()),
    ]
    return list(dict.fromkeys(names))[:MAX_CATEGORIES]


def parse_question(text: str, *, today: date) -> Question | None:
    q = " ".join(text.strip().lower().replace("’", "'").split())
    if len(q) > MAX_QUESTION_CHARS:
        return None
    if _BIGGEST.search(q):
        metric: Literal["total", "biggest", "count", "list"] = "biggest"
    elif _COUNT.search(q):
        metric = "count"
    elif _TOTAL.search(q):
        metric = "total"
    elif _LIST.search(q):
        metric = "list"
    else:
        return None
    if UNANSWERED_PERIODS.search(q):  # "tomorrow", "last weekend": not answered for another
        return None
    found = find_period(q, today=today)
    # A list without a period is of any time ("find my ikea receipt"); the rest: this month.
    period = found.period if found else None if metric == "list" else this_month(today)
    for start, end in found.spans if found else []:
        # the rest names the term: "on coffee in march 2018?" -> "on coffee?"
        q = " ".join(f"{q[:start]} {q[end:]}".split()).replace(" ?", "?")
    if metric == "list":
        if _LIST_UNREAD.search(q):  # "show my receipts over 100": not what a list shows
            return None
        found_terms = (m.group(1).strip() for p in _LIST_TERMS if (m := p.search(q)))
        term = next((t for t in found_terms if not _NOT_A_TERM.search(t)), None)
        if term is None and not _RECEIPTS.search(q):
            return None  # "show me the money": no receipts asked for
    else:
        term_match = _TERM.search(q)
        term = term_match.group(1).strip() if term_match else None
    if term and term.startswith("kategori "):  # "bagi kategori makanan": the category's name
        term = term.removeprefix("kategori ").strip()
    try:
        return Question(metric=metric, term=term, period=period.iso if period else None)
    except (ValidationError, BadMonth):  # a year no receipt can have (1999)
        return None


def answer(
    session: Session,
    question: Question,
    *,
    user_id: int,
    timezone: str | None,
    home: str | None = None,
) -> dict[str, object]:
    """The numbers for ``question``, from this user's receipts only; a total also in ``home``
    (the ledger's home currency, core/fx) with what is left out of it."""
    period = question.span
    zone = ZoneInfo(timezone or "UTC")
    where = exported(user_id, None, zone) if period is None else in_period(user_id, period, zone)
    if question.term:
        where = and_(where, mentions(question.term))
    repo = SummaryRepository(session)
    rows = repo.per_currency(where=where)
    totals = {c: Decimal("0.00") if t is None else t for c, t, _ in rows}
    if question.metric == "list":
        return {
            "period": period,
            "receipts": repo.newest(where=where, limit=LIST_LIMIT, tz=zone),
            "count": sum(int(n) for _, _, n in rows),
        }
    if question.metric == "biggest":
        # One per currency (JPY 5,000 is not bigger than EUR 300), as /summary lists them.
        biggest = biggest_per_currency(session, where)
        return {
            "period": period,
            "biggest": [biggest[c] for c in largest_first(totals) if c in biggest],
        }
    out: dict[str, object] = {
        "period": period,
        "totals": totals,
        "count": sum(int(n) for _, _, n in rows),
    }
    if home is not None and question.metric == "total":
        out["home"] = home
        out["home_total"] = repo.home_total(where=where, home=home)
        out["not_converted"] = {c: t for c, t, _ in repo.not_converted(where=where, home=home)}
    return out
