"""Amounts that cannot be, through the real bot and the fake Telegram (issue 18): a tax read as
the total is marked ❓ on the card; a typed total that leaves the tax and subtotal impossible
marks them ❓ and the reply says so, with a ✏️ Fix button that leads to fixing them."""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import document_update, post_update, press, receipts_of_chat
from tests.samples import text_pdf

pytestmark = pytest.mark.e2e

MISREAD = 8601  # the receipt of the issue: "TOTAL INCL. GST", its I broken by an accent
TYPED = 8602  # a total typed below the tax


def send_pdf(stack: LocalStack, fake: FakeTelegram, chat: int, lines: list[str]) -> None:
    update = document_update(
        fake, text_pdf(lines), chat=chat, file_name="receipt.pdf", mime_type="application/pdf"
    )
    assert post_update(stack, update).status_code == 200


def card(fake: FakeTelegram, chat: int) -> tuple[int, str]:
    fake.wait_for(lambda f: any(t.startswith("🧾") for t in f.messages(chat).values()), 120)
    return next((m, t) for m, t in fake.messages(chat).items() if t.startswith("🧾"))


def line(text: str, start: str) -> str:
    return next(ln for ln in text.split("\n") if ln.startswith(start))


def buttons(fake: FakeTelegram, chat: int, message_id: int) -> dict[str, str]:
    """Label -> callback data of the buttons on a message."""
    markup = (fake.message(chat, message_id) or {}).get("reply_markup", {})
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def sent(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params["text"]) for c in fake.calls_for("sendMessage", chat)]


def type_text(stack: LocalStack, fake: FakeTelegram, chat: int, text: str) -> tuple[int, str]:
    """The user types ``text``; the bot's reply (its id and text as the user sees it)."""
    before = len(sent(fake, chat))
    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
    fake.wait_for(lambda f: len(sent(f, chat)) > before, timeout=10)
    reply_id = max(fake.messages(chat))
    return reply_id, fake.messages(chat)[reply_id]


def test_a_tax_read_as_the_total_is_asked_about(stack: LocalStack, fake: FakeTelegram) -> None:
    send_pdf(
        stack,
        fake,
        MISREAD,
        [
            "FUYI MINI MARKET",
            "DATE: 03/10/2026",
            "MILO 9.00",
            "SUBTOTAL 9.00",
            "TOTAL ÏNCL. GST 9.00",  # the PDF's text layer breaks it as OCR did
            "GST 6% 0.51",
            "TOTAL 9.00",
        ],
    )
    _, text = card(fake, MISREAD)

    assert line(text, "Tax:").endswith("9.00 ❓")
    assert "❓" not in line(text, "💰")  # the total itself is not in doubt
    assert "not sure" in text
    (receipt,) = receipts_of_chat(stack, MISREAD)
    assert str(receipt.tax) == "9.00"  # kept for the user to fix
    assert any("tax 9.00 is not less than the total" in w for w in receipt.warnings["items"])


def test_a_typed_total_below_the_tax_asks_to_fix_the_tax_too(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = TYPED
    send_pdf(
        stack,
        fake,
        chat,
        ["CORNER CAFE", "DATE: 03/10/2026", "SUBTOTAL 81.00", "SST 10% 9.00", "TOTAL 90.00"],
    )
    card_id, text = card(fake, chat)
    assert "❓" not in text and "Tax: " in text and "Subtotal: " in text

    press(stack, fake, chat=chat, message_id=card_id, data=buttons(fake, chat, card_id)["✏️ Fix"])
    fake.wait_for(lambda f: "« Back" in buttons(f, chat, card_id), timeout=10)
    picker = buttons(fake, chat, card_id)
    asked = len(sent(fake, chat))
    press(stack, fake, chat=chat, message_id=card_id, data=picker["Total"])
    fake.wait_for(lambda f: len(sent(f, chat)) > asked, timeout=10)

    reply_id, reply = type_text(stack, fake, chat, "8.50")

    assert reply.startswith("Updated ✅ Total: 8.50")
    assert "the tax 9.00 is now more than the total" in reply
    assert "the subtotal 81.00 is now far more than the total" in reply
    assert reply.endswith("fix them too?")
    assert set(buttons(fake, chat, reply_id)) == {"✏️ Fix"}
    fake.wait_for(lambda f: "8.50" in f.messages(chat)[card_id], timeout=10)
    updated = fake.messages(chat)[card_id]
    assert line(updated, "Tax:").endswith("❓") and line(updated, "Subtotal:").endswith("❓")
    assert "❓" not in line(updated, "💰")

    # ✏️ Fix under the reply: the card there, the doubtful amounts first; the tax fixed.
    fix = buttons(fake, chat, reply_id)["✏️ Fix"]
    press(stack, fake, chat=chat, message_id=reply_id, data=fix)
    fake.wait_for(lambda f: "« Back" in buttons(f, chat, reply_id), timeout=10)
    assert list(buttons(fake, chat, reply_id))[:2] == ["❓ Subtotal", "❓ Tax"]
    asked = len(sent(fake, chat))
    press(stack, fake, chat=chat, message_id=reply_id, data=buttons(fake, chat, reply_id)["❓ Tax"])
    fake.wait_for(lambda f: len(sent(f, chat)) > asked, timeout=10)
    assert "Send me the tax" in sent(fake, chat)[-1]

    _, reply = type_text(stack, fake, chat, "0.50")

    assert reply == "Updated ✅ Tax: 0.50"  # the tax now fits the total
    # The card under the reply showed "Tax: 9.00" already: wait for the edit itself.
    fake.wait_for(lambda f: "Tax: 0.50" in f.messages(chat)[reply_id], timeout=10)
    fixed = fake.messages(chat)[reply_id]
    assert line(fixed, "Tax:").endswith("0.50")
    assert line(fixed, "Subtotal:").endswith("❓")
    (receipt,) = receipts_of_chat(stack, chat)
    assert (str(receipt.total), str(receipt.tax), str(receipt.subtotal)) == (
        "8.50",
        "0.50",
        "81.00",
    )
