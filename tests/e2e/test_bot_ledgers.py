"""A group's shared ledger through the real bot and the fake Bot API (issue 16).

Ana, Ben and Cal join the group's ledger (/start there; Ana's "/start EUR" sets its currency,
no admin being known to the fake). Ana and Ben each send the sample receipt (MYR 9.00, 25
December 2018): the ledger is in euros, so each counts at its ECB home amount (MYR 4.7611 per
euro on 24 December, the last rate before Christmas Day): EUR 1.89. Ana's is split equally
(EUR 0.63 each); Ben makes his "only the payer" on its card. /summary and /balance give the exact
numbers, /settle records Cal paying Ana back; Ana's budget warning goes to her private chat, not
the group; Cal's private /summary shows his own receipt and, on a line of its own, his share.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from bot import texts
from core.db.models import Ledger, Receipt
from core.users.repository import UserRepository
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, post_update

pytestmark = pytest.mark.e2e

GROUP = -1009100
ANA, BEN, CAL = 9101, 9102, 9103
NAMES = {ANA: "ana", BEN: "ben", CAL: "cal"}


def _as(update: dict[str, Any], user: int) -> dict[str, Any]:
    update["message"]["from"]["username"] = NAMES[user]
    return update


def say(stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, text: str) -> list[str]:
    """``text`` from ``user`` in ``chat``; the bot's messages it answered with there, as the
    users see them."""
    before = len(fake.calls_for("sendMessage", chat))
    seen = set(fake.messages(chat))
    update = fake.text_update(chat_id=chat, user_id=user, text=text, first_name=NAMES[user])
    assert post_update(stack, _as(update, user)).status_code == 200
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", chat)) > before, timeout=30)
    return [t for i, t in fake.messages(chat).items() if i not in seen and t]


def send_receipt(
    stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, caption: str | None
) -> None:
    file_id = fake.add_file(SAMPLE.read_bytes(), file_name=SAMPLE.name, mime_type="image/jpeg")
    update = fake.photo_update(
        chat_id=chat, user_id=user, file_id=file_id, caption=caption, first_name=NAMES[user]
    )
    assert post_update(stack, _as(update, user)).status_code == 200


def cards(fake: FakeTelegram, chat: int) -> list[int]:
    return [i for i, t in fake.messages(chat).items() if t.startswith("🧾")]


def buttons(fake: FakeTelegram, chat: int, message_id: int) -> dict[str, str]:
    rows = (fake.message(chat, message_id) or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def texts_in(fake: FakeTelegram, chat: int) -> list[str]:
    return list(fake.messages(chat).values())


def test_a_group_ledger_in_two_currencies_balances_and_stays_out_of_private_chats(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    # GIVEN Ana's own currency and a shopping budget of EUR 0.70, set in her private chat.
    say(stack, fake, chat=ANA, user=ANA, text="/settings currency EUR")
    (budget,) = say(stack, fake, chat=ANA, user=ANA, text="/budget shopping 0.70")
    assert budget.startswith("Budget for shopping: EUR 0.70 a month.")

    # WHEN the three of them send /start in the group
    (started,) = say(stack, fake, chat=GROUP, user=ANA, text="/start EUR")
    assert "this group's shared ledger, in EUR (days in UTC)" in started
    assert "ana joined this group's ledger." in started
    for user in (BEN, CAL):
        (joined,) = say(stack, fake, chat=GROUP, user=user, text="/start")
        assert f"{NAMES[user]} joined" in joined and "in EUR" in joined

    # AND Ana sends the receipt, addressed to the bot in its caption (privacy mode)
    send_receipt(stack, fake, chat=GROUP, user=ANA, caption="/receipt shopping")
    fake.wait_for(lambda f: len(cards(f, GROUP)) == 1, timeout=240)
    # THEN her budget counts her share (0.63 of 0.70), and says so in her private chat only
    fake.wait_for(lambda f: any("% of your" in t for t in texts_in(f, ANA)), timeout=30)
    assert [t for t in texts_in(fake, ANA) if "% of your" in t] == [
        "⚠️ You've used 90% of your shopping budget for December 2018: EUR 0.63 of EUR 0.70."
    ]

    # WHEN Ben sends the same receipt and makes it his alone on its card
    send_receipt(stack, fake, chat=GROUP, user=BEN, caption="/receipt")
    fake.wait_for(lambda f: len(cards(f, GROUP)) == 2, timeout=240)
    ana_card, ben_card = cards(fake, GROUP)
    assert set(buttons(fake, GROUP, ana_card)) >= {"👤 Paid by @ana", "➗ Split equally"}
    data = buttons(fake, GROUP, ben_card)["➗ Split equally"]
    # Cal cannot change Ben's receipt, and is told why; Ben can.
    press = fake.callback_query_update(chat_id=GROUP, user_id=CAL, message_id=ben_card, data=data)
    assert post_update(stack, press).status_code == 200
    fake.wait_for(
        lambda f: any(
            c.params.get("callback_query_id") == press["callback_query"]["id"]
            and c.params.get("text") == texts.NOT_YOURS
            for c in f.calls_for("answerCallbackQuery")
        ),
        timeout=30,
    )
    press = fake.callback_query_update(chat_id=GROUP, user_id=BEN, message_id=ben_card, data=data)
    assert post_update(stack, press).status_code == 200
    fake.wait_for(lambda f: "🙋 Only the payer" in buttons(f, GROUP, ben_card), timeout=30)

    # THEN the ledger's month: EUR 1.89 each (MYR 9.00 at 4.7611); Ana's shared three ways
    summary = say(stack, fake, chat=GROUP, user=CAL, text="/summary 2018-12")
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", GROUP)) == 1, timeout=30)  # its chart
    text = "\n".join(summary)
    lines = text.split("\n")
    assert lines[:3] == [
        "📊 December 2018 — 2 receipts",
        "💰 MYR 18.00",
        "🏠 All in EUR: EUR 3.78",
    ]
    assert lines[-4:] == [
        "Members (paid · share, in EUR)",
        "• @ana: paid EUR 1.89 · share EUR 0.63",
        "• @ben: paid EUR 1.89 · share EUR 2.52",
        "• @cal: paid EUR 0.00 · share EUR 0.63",
    ]
    assert "budget" not in text

    # AND who owes whom: the fewest transfers
    (balance,) = say(stack, fake, chat=GROUP, user=BEN, text="/balance")
    head, *owed = balance.split("\n")
    assert head == "⚖️ Who owes whom in Chat -1009100 (EUR)"
    assert sorted(owed) == ["• @ben owes @ana EUR 0.63", "• @cal owes @ana EUR 0.63"]

    # WHEN Cal pays Ana back
    (settled,) = say(stack, fake, chat=GROUP, user=CAL, text="/settle @ana 0.63")
    assert settled == "💸 Recorded: @cal paid @ana EUR 0.63."
    (balance,) = say(stack, fake, chat=GROUP, user=ANA, text="/balance")
    assert balance.split("\n")[1:] == ["• @ben owes @ana EUR 0.63"]
    (refused,) = say(stack, fake, chat=GROUP, user=CAL, text="/settle @nobody 1")
    assert refused.startswith("@nobody isn't in this group's ledger")

    # AND the ledger's CSV has the payer and the shares of each receipt
    update = fake.text_update(chat_id=GROUP, user_id=BEN, text="/export 2018-12", first_name="ben")
    assert post_update(stack, _as(update, BEN)).status_code == 200
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", GROUP)) == 1, timeout=30)
    ((name, data),) = fake.calls_for("sendDocument", GROUP)[0].files.values()
    assert name == "ledger-december-2018.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    columns = ("total", "currency", "ledger_amount", "paid_by", "split", "shares")
    assert sorted(tuple(r[c] for c in columns) for r in rows) == [
        ("9.00", "MYR", "1.89", "ana", "equal", "ana 0.63; ben 0.63; cal 0.63"),
        ("9.00", "MYR", "1.89", "ben", "only_payer", "ben 1.89"),
    ]

    # AND a personal command in the group is answered there with where to ask it
    (personal,) = say(stack, fake, chat=GROUP, user=ANA, text="/budget")
    assert personal.startswith("That one is personal, so I answer it in our private chat only")

    # THEN nothing personal reached the group; nobody's chat is the group's
    assert not any("% of your" in t or "budget for" in t for t in texts_in(fake, GROUP))
    assert stack.container is not None
    with stack.container.session_factory() as s:
        for user in (ANA, BEN, CAL):
            row = UserRepository(s).get_by_telegram_id(user)
            assert row is not None and row.telegram_chat_id in (None, user)
        ledger = s.scalar(select(Ledger).where(Ledger.telegram_chat_id == GROUP))
        assert ledger is not None and ledger.currency == "EUR"
        rows = s.scalars(select(Receipt).where(Receipt.ledger_id == ledger.id)).all()
        assert sorted((r.currency, str(r.home_total), r.home_currency) for r in rows) == [
            ("MYR", "1.89", "EUR"),
            ("MYR", "1.89", "EUR"),
        ]
        assert all(r.caption in ("shopping", None) for r in rows)

    # WHEN Cal sends the receipt in his private chat and asks for his month there
    say(stack, fake, chat=CAL, user=CAL, text="/start")
    send_receipt(stack, fake, chat=CAL, user=CAL, caption=None)
    fake.wait_for(lambda f: len(cards(f, CAL)) == 1, timeout=240)
    mine = "\n".join(say(stack, fake, chat=CAL, user=CAL, text="/summary 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", CAL)) == 1, timeout=30)
    # THEN his own receipt, and his share of the group's (Ana's: EUR 0.63; Ben's is Ben's)
    assert mine.split("\n")[:2] == ["📊 December 2018 — 1 receipt", "💰 MYR 9.00"]
    assert "👥 Your shares of group receipts (not in the totals above): EUR 0.63" in mine
