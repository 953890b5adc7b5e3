"""Issue 18 through the real bot: periods with years, quarters and years in /summary, /export,
/budget and questions; the "/" menu set at start; unknown commands and unread questions answered
with the closest known one."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot import texts
from core.budgets.service import set_budget
from core.summaries.months import week_of
from core.users.repository import UserRepository
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import new_fake, post_update
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

CHAT = 8501


def sent(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def say(stack: LocalStack, fake: FakeTelegram, chat: int, text: str) -> str:
    """Send ``text`` as the chat's user; the bot's one text reply."""
    before = len(sent(fake, chat))
    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
    fake.wait_for(lambda f: len(sent(f, chat)) > before, timeout=30)
    return sent(fake, chat)[before]


def test_the_menu_is_set_once_at_start(stack: LocalStack, fake: FakeTelegram) -> None:
    """Once per language: English for the default, then Malay for "ms" (test_bot_i18n.py)."""
    (call, malay) = fake.calls_for("setMyCommands")
    assert "language_code" not in call.params
    assert malay.params["language_code"] == "ms"
    key = json.dumps([{"type": "default"}, ""], sort_keys=True)
    assert [(c["command"], c["description"]) for c in fake.commands[key]] == list(
        texts.COMMANDS.items()
    )


def test_in_polling_mode_a_menu_telegram_refuses_does_not_stop_the_start(
    database_url: str,
) -> None:
    chat = CHAT + 2
    with new_fake() as fake:
        fake.fail_next("setMyCommands", error_code=502, description="Bad Gateway")
        options = fake_telegram_options(
            fake.token, fake.url, database_url=database_url, mode="polling"
        )
        with LocalStack(options):
            fake.pending_updates.append(fake.text_update(chat_id=chat, user_id=chat, text="/help"))
            fake.wait_for(lambda f: len(sent(f, chat)) == 1, timeout=30)
        # once per start and language, not retried: the default menu failed, Malay's was set
        assert len(fake.calls_for("setMyCommands")) == 2
        default = json.dumps([{"type": "default"}, ""], sort_keys=True)
        assert default not in fake.commands and len(fake.commands) == 1
        assert "<b>What I do</b>" in sent(fake, chat)[0]


def test_a_month_of_another_year_a_quarter_and_a_year(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        user = UserRepository(s).upsert_telegram_user(
            telegram_user_id=CHAT, chat_id=CHAT, username=None, first_name="P", language_code="en"
        )
        for total, day, merchant in (
            ("12.00", date(2018, 3, 9), "Old Cafe"),
            ("8.00", date(2018, 2, 1), "Bakery"),
            ("30.00", date(2018, 11, 2), "Bookshop"),
        ):
            s.add(
                stored_receipt(
                    user_id=user.id, total=Decimal(total), currency="EUR", purchase_date=day,
                    merchant_name=merchant, category="dining",
                )
            )  # fmt: skip
        set_budget(s, user_id=user.id, category="dining", amount=Decimal(50), currency="EUR")

    # A question with a year is answered for that year, not this one.
    assert say(stack, fake, CHAT, "How much did I spend in March 2018?") == (
        "March 2018: EUR 12.00 in 1 receipt."
    )
    assert say(stack, fake, CHAT, "how many receipts in Q1 2018?") == (
        "You have 2 receipts in Q1 2018."
    )
    assert say(stack, fake, CHAT, "biggest purchase in 2018") == (
        "Your biggest purchase in 2018: Bookshop, EUR 30.00 on 2018-11-02."
    )
    # A day and a week too: by its date, or counted from the user's today.
    assert say(stack, fake, CHAT, "how much did I spend on 9 march 2018?") == (
        "2018-03-09: EUR 12.00 in 1 receipt."
    )
    assert say(stack, fake, CHAT, "how many receipts this week?").startswith(
        "I found no receipts in the week of "
    )
    # The receipts themselves, with the id /receipt takes.
    found = say(stack, fake, CHAT, "find my bookshop receipt").split("\n")
    assert found[0] == "Your receipts for bookshop: 1 receipt, the latest first."
    assert found[1].startswith("• 2018-11-02 Bookshop, EUR 30.00 · ")
    short_id = found[1].rsplit(" ", 1)[1]
    assert "Bookshop" in say(stack, fake, CHAT, f"/receipt {short_id}")

    # /summary takes the same periods; budgets (monthly) come only with a month.
    for arg, head, charts in (("march 2018", "March 2018", 1), ("Q1 2018", "Q1 2018", 2),
                              ("2018", "2018", 3)):  # fmt: skip
        reply = say(stack, fake, CHAT, f"/summary {arg}")
        fake.wait_for(lambda f, n=charts: len(f.calls_for("sendPhoto", CHAT)) == n, timeout=30)
        assert reply.startswith(f"📊 <b>{head}</b>"), reply
    march, q1, year = (t for t in sent(fake, CHAT) if t.startswith("📊"))
    assert "EUR 12.00" in march and "Budgets for March 2018" in march
    assert "EUR 20.00" in q1 and "Budgets" not in q1
    assert "EUR 50.00" in year and "Bookshop" in year
    photos = fake.calls_for("sendPhoto", CHAT)
    assert [name for p in photos for name, _ in p.files.values()] == [
        "summary-2018-03.png", "summary-2018-Q1.png", "summary-2018.png",
    ]  # fmt: skip

    # /export of a year.
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 2, timeout=30)
    files = {n: d for c in fake.calls_for("sendDocument", CHAT) for n, d in c.files.values()}
    rows = list(csv.DictReader(io.StringIO(files["receipts-2018.csv"].decode("utf-8"))))
    assert sorted(r["date"] for r in rows) == ["2018-02-01", "2018-03-09", "2018-11-02"]

    # Budgets are monthly: a month is shown, a year refused politely.
    assert "dining: EUR 12.00 of EUR 50.00" in say(stack, fake, CHAT, "/budget march 2018")
    refused = say(stack, fake, CHAT, "/budget 2018")
    assert refused.startswith("Budgets are kept per month, so I can't show them for 2018.")
    assert "didn't understand" not in say(stack, fake, CHAT, "/summary mac 2018")

    # A week: its days in the chart, its receipts in the export; budgets stay monthly.
    today = datetime.now(UTC).date()
    with stack.container.session_factory.begin() as s:
        s.add(
            stored_receipt(
                user_id=user.id, total=Decimal("4.50"), currency="EUR", purchase_date=today,
                merchant_name="Corner Shop", category="dining",
            )
        )  # fmt: skip
    week = say(stack, fake, CHAT, "/summary this week")
    assert week.startswith(f"📊 <b>The week of {week_of(today).first.isoformat()}</b>"), week
    assert "EUR 4.50" in week and "Budgets" not in week
    chart = f"summary-{week_of(today).iso}.png"
    fake.wait_for(
        lambda f: any(
            name == chart for p in f.calls_for("sendPhoto", CHAT) for name, _ in p.files.values()
        ),
        timeout=30,
    )
    refused = say(stack, fake, CHAT, "/budget this week")
    assert refused.startswith("Budgets are kept per month, so I can't show them for the week of")


def test_what_the_bot_does_not_understand_gets_the_closest_it_does(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = CHAT + 1
    typo = say(stack, fake, chat, "/sumary march 2018")
    assert typo.startswith("I don't know /sumary. Did you mean /summary?")
    assert "/export" in typo and "/budget" in typo

    unread = say(stack, fake, chat, "what was my most costly receipt?")
    assert "“What was my biggest purchase in Q1?”" in unread

    hello = say(stack, fake, chat, "hello")
    assert hello.startswith("Hi! I read receipts") and "/summary" in hello

    # A command addressed to another bot in a group is not answered.
    group = -1008501
    post_update(stack, fake.text_update(chat_id=group, user_id=chat, text="/stats@otherbot"))
    post_update(
        stack, fake.text_update(chat_id=group, user_id=chat, text="/sumary@receiptsnap_test_bot")
    )
    fake.wait_for(lambda f: len(sent(f, group)) == 1, timeout=30)
    time.sleep(0.5)  # the other bot's command had its chance to be (wrongly) answered
    (answer,) = sent(fake, group)
    assert answer.startswith("I don't know /sumary.")
