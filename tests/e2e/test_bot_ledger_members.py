"""A group's ledger when members leave, the bot is removed and added back, the group becomes a
supergroup, and with shares chosen member by member, through the real bot and the fake Bot API
(issue 16).

Every receipt is the sample (MYR 9.00, 25 December 2018) in a EUR ledger: EUR 1.89 at ECB's
4.7611 of 24 December.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from sqlalchemy import select

from bench.load import unique_jpeg
from bot import texts
from core.db.models import Ledger, LedgerMember, Receipt, TelegramUpdate, User
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, post_update

pytestmark = pytest.mark.e2e

ANA, BEN, CAL = 9301, 9302, 9303
DAN, EVE, FAY = 9311, 9312, 9313
NAMES = {ANA: "ana", BEN: "ben", CAL: "cal", DAN: "dan", EVE: "eve", FAY: "fay"}


def _as(update: dict[str, Any], user: int) -> dict[str, Any]:
    update["message"]["from"]["username"] = NAMES[user]
    return update


def say(stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, text: str) -> list[str]:
    """``text`` from ``user`` in ``chat``; the bot's new messages there."""
    before = len(fake.calls_for("sendMessage", chat))
    seen = set(fake.messages(chat))
    update = fake.text_update(chat_id=chat, user_id=user, text=text, first_name=NAMES[user])
    assert post_update(stack, _as(update, user)).status_code == 200
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", chat)) > before, timeout=30)
    return [t for i, t in fake.messages(chat).items() if i not in seen and t]


def send_receipt(stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, tag: str) -> None:
    data = unique_jpeg(SAMPLE.read_bytes(), tag)  # each its own file: no "the same file"
    file_id = fake.add_file(data, file_name="r.jpg", mime_type="image/jpeg")
    update = fake.photo_update(
        chat_id=chat, user_id=user, file_id=file_id, caption="/receipt shopping",
        first_name=NAMES[user],
    )  # fmt: skip
    assert post_update(stack, _as(update, user)).status_code == 200


def post(stack: LocalStack, update: dict[str, Any]) -> None:
    assert post_update(stack, update).status_code == 200


def post_and_wait_handled(stack: LocalStack, update: dict[str, Any]) -> None:
    """Post ``update`` and wait until the bot marked it handled (every handler of it returned),
    so that what it did not send, it will not send."""
    post(stack, update)
    assert stack.container is not None

    def handled() -> bool:
        with stack.container.session_factory() as s:  # type: ignore[union-attr]
            row = s.get(TelegramUpdate, update["update_id"])
            return row is not None and row.handled_at is not None

    wait_until(handled, timeout=30, what=f"update {update['update_id']} handled")


def cards(fake: FakeTelegram, chat: int) -> list[int]:
    return [i for i, t in fake.messages(chat).items() if t.startswith("🧾")]


def buttons(fake: FakeTelegram, chat: int, message_id: int) -> dict[str, str]:
    rows = (fake.message(chat, message_id) or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def press(
    stack: LocalStack, fake: FakeTelegram, *, chat: int, user: int, card: int, label: str
) -> str:
    """Press the button; the callback query's id (to find its answer)."""
    data = buttons(fake, chat, card)[label]
    update = fake.callback_query_update(chat_id=chat, user_id=user, message_id=card, data=data)
    post(stack, update)
    return str(update["callback_query"]["id"])


def answered(fake: FakeTelegram, query_id: str) -> str | None:
    """The text the bot answered a callback query with (None: not answered yet)."""
    for call in fake.calls_for("answerCallbackQuery"):
        if call.params.get("callback_query_id") == query_id:
            return str(call.params.get("text", ""))
    return None


def wait_until(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def ledger_of(stack: LocalStack, chat: int) -> Ledger:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        ledger = s.scalar(select(Ledger).where(Ledger.telegram_chat_id == chat))
        assert ledger is not None
        return ledger


def has_ledger(stack: LocalStack, chat: int) -> bool:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return s.scalar(select(Ledger.id).where(Ledger.telegram_chat_id == chat)) is not None


def receipts_in(stack: LocalStack, chat: int) -> list[Receipt]:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return list(s.scalars(select(Receipt).where(Receipt.telegram_chat_id == chat)))


def test_a_member_leaves_the_bot_is_removed_and_comes_back(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    group = -1009301
    # GIVEN Ana, Ben and Cal, each with a private chat, in the group's EUR ledger
    for user in (ANA, BEN, CAL):
        say(stack, fake, chat=user, user=user, text="/start")
        say(stack, fake, chat=group, user=user, text="/start EUR" if user == ANA else "/start")
    # AND Ana's receipt, split three ways (EUR 0.63 each)
    send_receipt(stack, fake, chat=group, user=ANA, tag="members-1")
    fake.wait_for(lambda f: len(cards(f, group)) == 1, timeout=240)

    # WHEN Cal leaves the group: Telegram's service message, to every bot in it
    sent = len(fake.calls)
    post_and_wait_handled(
        stack, fake.left_member_update(chat_id=group, user_id=CAL, first_name="cal")
    )
    assert ledger_members_left(stack, group) == {CAL}
    # THEN nothing is said in the group about it
    assert not [c for c in fake.calls[sent:] if c.params.get("chat_id") == group]

    # WHEN Ben sends a receipt, THEN it is split between Ana and Ben only, to the cent
    send_receipt(stack, fake, chat=group, user=BEN, tag="members-2")
    fake.wait_for(lambda f: len(cards(f, group)) == 2, timeout=240)
    ben_card = cards(fake, group)[1]
    assert "👥 @ana EUR 0.95 · @ben EUR 0.94" in fake.messages(group)[ben_card]
    # AND Cal still owes Ana his share of hers: Ana +0.315, Ben +0.315, Cal -0.63
    (balance,) = say(stack, fake, chat=group, user=BEN, text="/balance")
    # (the cent rounding leaves over goes to one of the two equal creditors)
    owed = sorted(balance.split("\n")[1:])
    assert owed in (
        ["• @cal owes @ana EUR 0.31", "• @cal owes @ben EUR 0.32"],
        ["• @cal owes @ana EUR 0.32", "• @cal owes @ben EUR 0.31"],
    )

    # WHEN a receipt is on its way and the bot is removed from the group (kicked by Ana)
    calls = len(fake.calls_for("sendMessage", group))
    send_receipt(stack, fake, chat=group, user=BEN, tag="members-3")
    fake.wait_for(lambda f: len(f.calls_for("sendMessage", group)) > calls, timeout=30)
    post(stack, fake.my_chat_member_update(chat_id=group, by_user_id=ANA, status="kicked"))
    wait_until(lambda: ledger_of(stack, group).removed_at is not None, timeout=30, what="removed")
    sent = len(fake.calls)
    # THEN it is read and kept, but its card is not sent to the group
    wait_until(
        lambda: len([r for r in receipts_in(stack, group) if r.notified_at is not None]) == 3,
        timeout=240,
        what="the third receipt done",
    )
    to_group = [c for c in fake.calls[sent:] if c.params.get("chat_id") == group]
    assert not [c for c in to_group if c.method != "editMessageText"]  # at most its queue place
    assert not [c for c in to_group if str(c.params.get("text", "")).startswith("🧾")]
    assert len(cards(fake, group)) == 2

    # AND the members still read the ledger in their private chats: Cal, who left, too
    mine = "\n".join(say(stack, fake, chat=CAL, user=CAL, text="/balance"))
    assert mine.startswith(f"⚖️ Who owes whom in Chat {group} (EUR)")
    assert "You have left this group" in mine and "I was removed from this group" in mine
    # (Ben's third receipt, kept though its card was not sent, is Ana's and Ben's: Ana -0.63,
    # Ben +1.26, Cal -0.63)
    assert "• @ana owes @ben EUR 0.63\n• @cal owes @ben EUR 0.63" in mine
    ana = "\n".join(say(stack, fake, chat=ANA, user=ANA, text="/balance"))
    assert "I was removed from this group" in ana and "You have left" not in ana
    # AND the removed group's ledger is exported in private chats: all of it to Ana, a member;
    # to Cal, who left, what was sent until he left (Ana's first receipt), and said so
    for user, count in ((ANA, 3), (CAL, 1)):
        documents = len(fake.calls_for("sendDocument", user))
        update = fake.text_update(chat_id=user, user_id=user, text="/export groups all")
        post(stack, _as(update, user))
        fake.wait_for(
            lambda f, u=user, d=documents: len(f.calls_for("sendDocument", u)) == d + 1,
            timeout=30,
        )
        sent_csv = fake.calls_for("sendDocument", user)[-1]
        ((name, data),) = sent_csv.files.values()
        assert name.startswith("ledger-") and name.endswith("-all.csv")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert len({r["receipt_id"] for r in rows}) == count, (user, rows)
        caption = str(sent_csv.params.get("caption", ""))
        assert caption.startswith(f"Chat {group}, all its receipts")
        assert caption.endswith(texts.EXPORT_LEDGER_UNTIL_LEFT) == (user == CAL)

    # WHEN the bot is added back, THEN the group's ledger answers there again, all of it kept
    post(stack, fake.my_chat_member_update(chat_id=group, by_user_id=ANA, status="member"))
    wait_until(lambda: ledger_of(stack, group).removed_at is None, timeout=30, what="back")
    (balance,) = say(stack, fake, chat=group, user=ANA, text="/balance")
    assert balance.startswith(f"⚖️ Who owes whom in Chat {group} (EUR)")
    assert len(receipts_in(stack, group)) == 3

    # WHEN the bot is an admin there and Ana removes Ben: a chat_member update
    sent = len(fake.calls)
    post_and_wait_handled(
        stack, fake.chat_member_update(chat_id=group, user_id=BEN, by_user_id=ANA, status="kicked")
    )
    # THEN Ben is marked left too, silently
    assert ledger_members_left(stack, group) == {BEN, CAL}
    assert not [c for c in fake.calls[sent:] if c.params.get("chat_id") == group]

    # WHEN the group is upgraded to a supergroup (a new chat id), THEN the ledger goes with it
    supergroup = -1009304
    (before,) = say(stack, fake, chat=group, user=ANA, text="/balance")
    post(stack, fake.migrate_update(old_chat_id=group, new_chat_id=supergroup, user_id=ANA))
    wait_until(lambda: has_ledger(stack, supergroup), timeout=30, what="the ledger moved")
    (after,) = say(stack, fake, chat=supergroup, user=ANA, text="/balance")
    assert after.split("\n")[1:] == before.split("\n")[1:]
    assert not has_ledger(stack, group)


def ledger_members_left(stack: LocalStack, chat: int) -> set[int]:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        rows = s.scalars(
            select(User.telegram_user_id)
            .join(LedgerMember, LedgerMember.user_id == User.id)
            .join(Ledger, Ledger.id == LedgerMember.ledger_id)
            .where(Ledger.telegram_chat_id == chat, LedgerMember.left_at.is_not(None))
        )
        return {int(r) for r in rows if r is not None}


def test_shares_chosen_member_by_member_warn_each_sharer_privately(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    group = -1009302
    # GIVEN Dan, Eve and Fay in the group's EUR ledger; Eve's shopping budget is EUR 1.00,
    # Fay's EUR 5.00 (set in their private chats)
    for user in (DAN, EVE, FAY):
        say(stack, fake, chat=user, user=user, text="/settings currency EUR")
        say(stack, fake, chat=group, user=user, text="/start EUR" if user == DAN else "/start")
    say(stack, fake, chat=EVE, user=EVE, text="/budget shopping 1.00")
    say(stack, fake, chat=FAY, user=FAY, text="/budget shopping 5.00")

    # WHEN Dan sends a receipt: split equally, EUR 0.63 each (63% of Eve's: no warning)
    send_receipt(stack, fake, chat=group, user=DAN, tag="shares-1")
    fake.wait_for(lambda f: len(cards(f, group)) == 1, timeout=240)
    (card,) = cards(fake, group)
    assert "👥 @dan EUR 0.63 · @eve EUR 0.63 · @fay EUR 0.63" in fake.messages(group)[card]

    # AND gives Eve three shares on its card (🧮, then her button twice: ×2, ×3)
    press(stack, fake, chat=group, user=DAN, card=card, label="🧮 Shares…")
    fake.wait_for(lambda f: "@eve ×1" in buttons(f, group, card), timeout=30)
    press(stack, fake, chat=group, user=DAN, card=card, label="@eve ×1")
    fake.wait_for(lambda f: "@eve ×2" in buttons(f, group, card), timeout=30)
    # (Eve's own press changes nothing: the receipt is Dan's, and she is told so)
    eves = press(stack, fake, chat=group, user=EVE, card=card, label="@eve ×2")
    fake.wait_for(lambda f: answered(f, eves) is not None, timeout=30)
    assert answered(fake, eves) == texts.NOT_YOURS
    assert "@eve ×2" in buttons(fake, group, card)
    press(stack, fake, chat=group, user=DAN, card=card, label="@eve ×2")
    fake.wait_for(lambda f: "@eve ×3" in buttons(f, group, card), timeout=30)

    # THEN 1:3:1 of EUR 1.89, rounded once, summing to it: 0.38 + 1.13 + 0.38
    text = fake.messages(group)[card]
    assert "👥 @dan EUR 0.38 · @eve ×3 EUR 1.13 · @fay EUR 0.38" in text
    # AND Eve (EUR 1.13 of 1.00) is warned in her private chat; Fay (0.38 of 5.00) is not
    fake.wait_for(lambda f: any("🚨" in t for t in f.messages(EVE).values()), timeout=30)
    assert [t for t in fake.messages(EVE).values() if t.startswith("🚨")] == [
        "🚨 Your shopping budget for December 2018 is used up: EUR 1.13 of EUR 1.00 (113%)."
    ]
    assert not [t for t in fake.messages(FAY).values() if t.startswith(("🚨", "⚠️"))]
    assert not [t for t in fake.messages(group).values() if t.startswith(("🚨", "⚠️"))]

    # AND the ledger's month says the same shares
    summary = "\n".join(say(stack, fake, chat=group, user=FAY, text="/summary 2018-12"))
    assert summary.split("\n")[-3:] == [
        "• @dan: paid EUR 1.89 · share EUR 0.38",
        "• @eve: paid EUR 0.00 · share EUR 1.13",
        "• @fay: paid EUR 0.00 · share EUR 0.38",
    ]
    # AND the split button takes it back to equal
    press(stack, fake, chat=group, user=DAN, card=card, label="« Back")
    fake.wait_for(lambda f: "⚖️ By shares" in buttons(f, group, card), timeout=30)
    press(stack, fake, chat=group, user=DAN, card=card, label="⚖️ By shares")
    fake.wait_for(lambda f: "➗ Split equally" in buttons(f, group, card), timeout=30)
    assert "👥 @dan EUR 0.63 · @eve EUR 0.63 · @fay EUR 0.63" in fake.messages(group)[card]

    # WHEN Dan takes Fay's share away (×1 to ×4, then none), Fay leaves the group while the card
    # still shows her button, and Dan presses it
    press(stack, fake, chat=group, user=DAN, card=card, label="🧮 Shares…")
    for weight in (1, 2, 3, 4):
        fake.wait_for(lambda f, w=weight: f"@fay ×{w}" in buttons(f, group, card), timeout=30)
        press(stack, fake, chat=group, user=DAN, card=card, label=f"@fay ×{weight}")
    fay_none = texts.BTN_SHARE_NONE.format(name="@fay")
    fake.wait_for(lambda f: fay_none in buttons(f, group, card), timeout=30)
    post_and_wait_handled(
        stack, fake.left_member_update(chat_id=group, user_id=FAY, first_name="fay")
    )
    stale = press(stack, fake, chat=group, user=DAN, card=card, label=fay_none)
    # THEN he is told she is gone, and the buttons are drawn again without her
    fake.wait_for(lambda f: answered(f, stale) is not None, timeout=30)
    assert answered(fake, stale) == texts.SHARE_NOT_MEMBER
    fake.wait_for(lambda f: fay_none not in buttons(f, group, card), timeout=30)
    assert {"@dan ×1", "@eve ×1"} <= set(buttons(fake, group, card))
