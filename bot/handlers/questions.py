"""Questions in plain words ("how much on coffee in October?"), answered from the asker's receipts.

Text that is no answer to a pending edit comes here (``bot/handlers/edit.py``); what is not a
question the reader reads gets the closest question it can answer, or (small talk) what the bot
does with text (``bot/suggestions.py``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.context import BotContext
from bot.formats import day_text, money, period_title, period_when, receipts
from bot.i18n import texts
from bot.suggestions import not_understood
from core.fx.service import home_currency_of
from core.questions.service import Question, answer, question_categories
from core.summaries.labels import NO_CURRENCY
from core.summaries.months import Day
from core.summaries.repository import Listed
from core.summaries.service import BiggestPurchase
from core.users.repository import UserRepository

logger = logging.getLogger(__name__)


async def reply(context: BotContext, telegram_user_id: int, raw: str) -> str:
    """A question in plain words ("how much on coffee in October?"), or what the bot can do
    with the text instead.

    The reader (rules, or a model on AWS) sees only the text, the user's date and category
    names; the numbers come from this user's receipts. No session is held while it reads."""
    services = context.services

    def asker(session: Session) -> tuple[int, str | None, str | None, list[str]] | None:
        user = UserRepository(session).get_by_telegram_id(telegram_user_id)
        if user is None:
            return None
        services.receipts.catch_up(session, user=user)  # home amounts behind, if any
        home = home_currency_of(user)
        return user.id, user.timezone, home, question_categories(session, user_id=user.id)

    found = await services.in_session(asker)
    if found is None:
        return not_understood(raw)
    user_id, timezone, home, categories = found
    today = datetime.now(UTC).astimezone(ZoneInfo(timezone or "UTC")).date()
    reading = await asyncio.to_thread(
        services.questions.read, raw, today=today, categories=categories
    )
    question = reading.question
    if question is None:
        return not_understood(raw)
    logger.info(
        "questions.answer user_id=%s reader=%s metric=%s fallback=%s",
        user_id,
        reading.reader,
        question.metric,
        reading.fallback,
    )

    def run(session: Session) -> str:
        result = answer(session, question, user_id=user_id, timezone=timezone, home=home)
        return render_answer(question, result)

    return await services.in_session(run)


def _purchase(big: BiggestPurchase, *, day: bool = True) -> str:
    when = texts.ANSWER_ON_DAY.format(day=day_text(big.day)) if big.day and day else ""
    amount = money(big.total, None if big.currency == NO_CURRENCY else big.currency)
    return f"{big.merchant or texts.ANSWER_UNKNOWN_MERCHANT}, {amount}{when}"


def render_answer(question: Question, result: dict[str, Any]) -> str:
    period = result["period"]
    when = f" {period_when(period)}" if period is not None else ""  # a list of any time: none
    one_day = isinstance(period, Day)  # its biggest purchase needs no day of its own
    what = texts.ANSWER_ABOUT.format(term=question.term) if question.term else ""
    if question.metric == "list":
        return _receipt_list(question, result, when)
    if question.metric == "biggest":
        biggest: list[BiggestPurchase] = result["biggest"]
        if not biggest:
            return texts.ANSWER_NONE.format(what=what, when=when)
        if len(biggest) == 1:
            purchase = _purchase(biggest[0], day=not one_day)
            return texts.ANSWER_BIGGEST.format(what=what, when=when, purchase=purchase)
        # One per currency: amounts of different currencies are not compared.
        return texts.ANSWER_BIGGEST_PER_CURRENCY.format(
            what=what,
            when=when,
            purchases="; ".join(_purchase(b, day=not one_day) for b in biggest),
        )
    if not result["count"]:
        return texts.ANSWER_NONE.format(what=what, when=when)
    if question.metric == "count":
        return texts.ANSWER_COUNT.format(receipts=receipts(result["count"]), what=what, when=when)
    amounts = ", ".join(
        money(t, None if c == NO_CURRENCY else c) for c, t in sorted(result["totals"].items())
    )
    text = texts.ANSWER_TOTAL.format(
        month=period_title(period),  # "The week of 2026-11-30, coffee: ..."
        what=texts.ANSWER_TOTAL_ABOUT.format(term=question.term) if question.term else "",
        amounts=amounts,
        receipts=receipts(result["count"]),
    )
    return text + _in_home_currency(result)


def _receipt_list(question: Question, result: dict[str, Any], when: str) -> str:
    """The latest receipts asked for, one a line with the id /receipt takes (plain text)."""
    what = texts.ANSWER_LIST_ABOUT.format(term=question.term) if question.term else ""
    listed: list[Listed] = result["receipts"]
    if not listed:
        return texts.ANSWER_NONE.format(what=what, when=when)
    lines = [texts.ANSWER_LIST.format(what=what, when=when, receipts=receipts(result["count"]))]
    for r in listed:
        amount = money(r.total, r.currency)
        merchant = " ".join((r.merchant or texts.ANSWER_UNKNOWN_MERCHANT).split())[:60]
        lines.append(f"• {day_text(r.day)} {merchant}, {amount} · {r.short_id}")
    if result["count"] > len(listed):
        lines.append(texts.ANSWER_LIST_MORE.format(n=result["count"] - len(listed)))
    lines.append(texts.ANSWER_LIST_HINT.format(short_id=listed[0].short_id))
    return "\n".join(lines)


def _in_home_currency(result: dict[str, Any]) -> str:
    """The total in the home currency when the receipts are not all in it, and what is left
    out of it (no ECB rate, or no currency)."""
    home: str | None = result.get("home")
    if home is None or set(result["totals"]) <= {home}:
        return ""
    text = ""
    if result["home_total"] is not None:
        text += texts.ANSWER_HOME_TOTAL.format(total=money(result["home_total"], home))
    if result["not_converted"]:
        left_out = ", ".join(
            money(t, None if c == NO_CURRENCY else c)
            for c, t in sorted(result["not_converted"].items())
        )
        text += texts.ANSWER_NOT_CONVERTED.format(amounts=left_out)
    return text
