"""Questions answered from the database: the model reader sees no receipt data, and the numbers
come from the asker's receipts only (another user's, failed ones and other months never count)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n
from bot.handlers.questions import render_answer
from core.aws.clients import AwsClients
from core.categories.service import add_category
from core.db.models import Receipt, User
from core.questions.bedrock import TOOL_NAME, BedrockQuestionReader
from core.questions.service import (
    LIST_LIMIT,
    Question,
    RulesQuestionReader,
    answer,
    question_categories,
)
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.settings import ApiSettings
from core.summaries.months import Year
from core.summaries.service import BiggestPurchase
from tests.fakes import converse_reply, stored_receipt
from tests.helpers import stubbed

TODAY = date(2026, 11, 25)


def add(
    s: Session,
    user: User,
    *,
    total: str,
    merchant: str,
    category: str | None,
    day: date,
    currency: str = "EUR",
    status: str = "done",
) -> Receipt:
    r = stored_receipt(
        user_id=user.id,
        status=status,
        total=Decimal(total),
        currency=currency,
        purchase_date=day,
        merchant_name=merchant,
        category=category,
        summary=f"{merchant} — {day} — {currency} {total}",
    )
    s.add(r)
    s.flush()
    return r


def asked(
    session_factory: sessionmaker[Session], asker: User, text: str, *, language: str = "en"
) -> str:
    """The bot's answer to ``text`` as the rules read it, in ``language``."""
    question = RulesQuestionReader().read(text, today=TODAY).question
    assert question is not None, text
    with session_factory() as s, i18n.speaking(language):
        result = answer(s, question, user_id=asker.id, timezone=asker.timezone)
        return render_answer(question, result)


@pytest.fixture
def users(session_factory: sessionmaker[Session]) -> tuple[User, User]:
    with session_factory.begin() as s:
        asker = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="Europe/Berlin")
        other = User(telegram_user_id=uuid.uuid4().int % 10**9, timezone="UTC")
        s.add_all([asker, other])
        s.flush()
        oct_1, oct_9 = date(2026, 10, 1), date(2026, 10, 9)
        add(s, asker, total="4.20", merchant="Kaffeehaus Sperl", category="Coffee", day=oct_1)
        add(s, asker, total="3.80", merchant="Blue Bottle", category="coffee", day=oct_9)
        add(s, asker, total="61.35", merchant="REWE Markt", category="groceries", day=oct_9)
        add(s, asker, total="9.99", merchant="Kaffeehaus Sperl", category="coffee", day=TODAY)
        add(s, asker, total="5.00", merchant="Blue Bottle", category="coffee", day=oct_1,
            status="failed")  # fmt: skip
        add(s, other, total="777.77", merchant="Secret Coffee Roasters", category="espresso bar",
            day=oct_9)  # fmt: skip
        s.expunge_all()
    return asker, other


def test_the_model_gets_no_receipt_data_and_the_answer_only_the_askers_receipts(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    asker, other = users
    settings = ApiSettings(_env_file=None, aws_local_credentials=True)
    client = AwsClients(settings).client("bedrock-runtime")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse",
        lambda params, **_: sent.append(json.loads(json.dumps(params, default=str))),
    )
    tool_input = {"is_question": True, "metric": "total", "term": "coffee", "period": "2026-10"}
    reader = BedrockQuestionReader(
        client=client, model_id="amazon.nova-micro-v1:0", fallback=RulesQuestionReader()
    )

    with session_factory() as s:
        categories = question_categories(s, user_id=asker.id)
    with stubbed(client) as stub:
        stub.add_response("converse", converse_reply(TOOL_NAME, tool_input, tokens=(640, 41)))
        reading = reader.read(
            "how much went on coffee in october?", today=TODAY, categories=categories
        )
    assert reading.question is not None
    with session_factory() as s:
        result = answer(s, reading.question, user_id=asker.id, timezone=asker.timezone)

    # The asker's category names go (their list, then those on their receipts); nothing else of
    # a receipt, nothing of another user.
    assert categories == [*DEFAULT_CATEGORIES, "coffee"]
    request = json.dumps(sent)
    for leaked in (
        "Sperl", "Blue Bottle", "REWE", "4.20", "3.80", "61.35", "9.99", "EUR", "Secret",
        "777", "espresso", str(asker.telegram_user_id), str(other.telegram_user_id), "Berlin",
    ):  # fmt: skip
        assert leaked not in request, leaked
    assert result["totals"] == {"EUR": Decimal("8.00")} and result["count"] == 2


def test_a_term_with_like_wildcards_matches_itself_only(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    asker, _ = users
    with session_factory() as s:
        everything = answer(
            s, Question(metric="count", term="%", period="2026-10"), user_id=asker.id, timezone=None
        )
        one_char = answer(
            s, Question(metric="count", term="_", period="2026-10"), user_id=asker.id, timezone=None
        )
    assert (everything["count"], one_char["count"]) == (0, 0)


def test_the_users_own_category_list_comes_first(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    asker, other = users
    with session_factory.begin() as s:
        add_category(s, user_id=asker.id, name="Pets")
        add_category(s, user_id=other.id, name="Yachts")

    with session_factory() as s:
        categories = question_categories(s, user_id=asker.id)

    assert categories[0] == "pets" and "coffee" in categories and "yachts" not in categories


def test_the_biggest_purchase_is_one_per_currency(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    """JPY 5,000 is not bigger than EUR 61.35: "biggest purchase" answers for each currency."""
    asker, _ = users
    question = Question(metric="biggest", period="2026-10")
    with session_factory() as s:
        one_currency = render_answer(question, answer(s, question, user_id=asker.id, timezone=None))
    with session_factory.begin() as s:
        add(s, asker, total="5000", merchant="Ichiran", category="dining", day=date(2026, 10, 5),
            currency="JPY")  # fmt: skip

    with session_factory() as s:
        result = answer(s, question, user_id=asker.id, timezone=None)

    assert result["biggest"] == [
        BiggestPurchase("Ichiran", "JPY", Decimal("5000.00"), date(2026, 10, 5)),
        BiggestPurchase("REWE Markt", "EUR", Decimal("61.35"), date(2026, 10, 9)),
    ]
    assert render_answer(question, result) == (
        "Your biggest purchase in October 2026, in each currency: "
        "Ichiran, JPY 5,000 on 2026-10-05; REWE Markt, EUR 61.35 on 2026-10-09."
    )
    assert one_currency == (
        "Your biggest purchase in October 2026: REWE Markt, EUR 61.35 on 2026-10-09."
    )


def test_a_question_about_another_year_a_quarter_or_a_year_is_answered_for_it(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    """Issue 18: "March 2018" is March 2018, not this year's March; a quarter and a year are
    periods of their own, read the same by the rules and by the model."""
    asker, _ = users
    with session_factory.begin() as s:
        add(s, asker, total="12.00", merchant="Old Cafe", category="coffee", day=date(2018, 3, 9))
        add(s, asker, total="30.00", merchant="Bookshop", category="books", day=date(2018, 11, 2))
        add(s, asker, total="50.00", merchant="Cinema", category="fun", day=date(2026, 3, 14))
    rules = RulesQuestionReader()

    def ask(text: str) -> str:
        return asked(session_factory, asker, text)

    assert ask("How much did I spend in March 2018?") == "March 2018: EUR 12.00 in 1 receipt."
    assert ask("how much did I spend last March?") == "March 2026: EUR 50.00 in 1 receipt."
    assert ask("how many receipts in Q1 2018") == "You have 1 receipt in Q1 2018."
    assert ask("how much in 2018?") == "2018: EUR 42.00 in 2 receipts."
    assert ask("biggest purchase in 2018") == (
        "Your biggest purchase in 2018: Bookshop, EUR 30.00 on 2018-11-02."
    )
    assert ask("how much on coffee this year") == "2026, coffee: EUR 17.99 in 3 receipts."

    settings = ApiSettings(_env_file=None, aws_local_credentials=True)
    client = AwsClients(settings).client("bedrock-runtime")
    model = BedrockQuestionReader(client=client, model_id="amazon.nova-micro-v1:0", fallback=rules)
    with stubbed(client) as stub:
        stub.add_response(
            "converse",
            converse_reply(TOOL_NAME, {"is_question": True, "metric": "total", "period": "2018"}),
        )
        reading = model.read("what did 2018 cost me?", today=TODAY)
    assert reading.reader == "bedrock" and reading.question is not None
    with session_factory() as s:
        result = answer(s, reading.question, user_id=asker.id, timezone=asker.timezone)
    assert result["period"] == Year(2018) and result["totals"] == {"EUR": Decimal("42.00")}


def test_a_question_about_a_week_or_a_day_is_answered_for_it(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    """ "This week" is Monday to Sunday around the asker's today (25 November 2026, a Wednesday),
    "last week" the one before, "yesterday" one day; in English and in Malay."""
    asker, _ = users
    with session_factory.begin() as s:
        add(s, asker, total="7.00", merchant="Bakery", category="food", day=date(2026, 11, 22))
        add(s, asker, total="2.50", merchant="Kiosk", category="coffee", day=date(2026, 11, 23))
        add(s, asker, total="1.10", merchant="Kiosk", category="coffee", day=date(2026, 11, 24))

    def ask(text: str, language: str = "en") -> str:
        return asked(session_factory, asker, text, language=language)

    # this week: the 23rd, 24th and today's 9.99; the Sunday before is last week's
    assert ask("How much did I spend this week?") == (
        "The week of 2026-11-23: EUR 13.59 in 3 receipts."
    )
    assert ask("how much last week") == "The week of 2026-11-16: EUR 7.00 in 1 receipt."
    assert ask("how many receipts yesterday") == "You have 1 receipt on 2026-11-24."
    assert ask("biggest purchase today") == (
        "Your biggest purchase on 2026-11-25: Kaffeehaus Sperl, EUR 9.99."
    )
    assert ask("how much on food today") == "I found no receipts on food on 2026-11-25."
    assert ask("how much on 22 november") == "2026-11-22: EUR 7.00 in 1 receipt."
    assert (
        ask("Berapa resit minggu lepas?", "ms")
        == "Anda ada 1 resit pada minggu bermula 16 Nov 2026."
    )
    assert ask("berapa saya belanja semalam", "ms") == "24 Nov 2026: €1.10 dalam 1 resit."


def test_a_list_of_receipts_names_each_with_its_id_the_latest_first(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    """ "Find my Kaffeehaus receipt": the asker's done receipts of that merchant of any time
    (or of the period named), the latest first, each with the id /receipt takes; at most
    LIST_LIMIT of them, and how many more there are."""
    asker, _ = users
    with session_factory.begin() as s:
        old = add(s, asker, total="3.30", merchant="Kaffeehaus Sperl", category="coffee",
                  day=date(2024, 5, 2))  # fmt: skip
        for n in range(LIST_LIMIT):
            add(s, asker, total=f"1.{n:02d}", merchant="Kiosk", category="snacks",
                day=date(2026, 9, 1 + n))  # fmt: skip
        old_id = old.id.hex[:8]

    # Kaffeehaus Sperl: today's 9.99, 1 October's 4.20 (the failed one never), then 2024's
    lines = asked(session_factory, asker, "Find my Kaffeehaus receipt").split("\n")
    assert lines[0] == "Your receipts for kaffeehaus: 3 receipts, the latest first."
    assert lines[1].startswith("• 2026-11-25 Kaffeehaus Sperl, EUR 9.99 · ")
    assert lines[2].startswith("• 2026-10-01 Kaffeehaus Sperl, EUR 4.20 · ")
    assert lines[3] == f"• 2024-05-02 Kaffeehaus Sperl, EUR 3.30 · {old_id}"
    assert lines[4:] == [f"To see one: /receipt {lines[1].rsplit(' ', 1)[1]}"]

    # a period named: only its receipts; more than LIST_LIMIT: the latest, and how many more
    kiosk = asked(session_factory, asker, "show my receipts from kiosk in september").split("\n")
    assert kiosk[0] == (
        f"Your receipts for kiosk in September 2026: {LIST_LIMIT} receipts, the latest first."
    )
    assert kiosk[1].startswith(f"• 2026-09-{LIST_LIMIT:02d} Kiosk, EUR 1.{LIST_LIMIT - 1:02d}")
    assert len(kiosk) == 1 + LIST_LIMIT + 1
    everything = asked(session_factory, asker, "list my receipts").split("\n")
    assert everything[0] == "Your receipts: 15 receipts, the latest first."
    assert everything[-2:-1] == [f"…and {15 - LIST_LIMIT} more (/export has them all)."]
    assert asked(session_factory, asker, "show receipts at ikea") == (
        "I found no receipts for ikea."
    )
    assert asked(
        session_factory, asker, "tunjukkan resit di kiosk minggu lepas", language="ms"
    ) == ("Saya tidak menjumpai resit untuk kiosk pada minggu bermula 16 Nov 2026.")


def test_a_listed_receipt_without_a_date_shows_the_day_it_was_sent_where_the_user_is(
    session_factory: sessionmaker[Session], users: tuple[User, User]
) -> None:
    """Sent at 23:30 UTC on the 24th, 00:30 on the 25th in Berlin: the asker's "today" holds
    it, and the list says the 25th; a merchant name on two lines is shown on one."""
    asker, _ = users
    with session_factory.begin() as s:
        s.add(
            stored_receipt(
                user_id=asker.id, total=Decimal("2.00"), currency="EUR", purchase_date=None,
                merchant_name="Night\nOwl", category="snacks",
                created_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
            )
        )  # fmt: skip

    lines = asked(session_factory, asker, "show receipts at night").split("\n")

    assert lines[0] == "Your receipts for night: 1 receipt, the latest first."
    assert lines[1].startswith("• 2026-11-25 Night Owl, EUR 2.00 · ")
