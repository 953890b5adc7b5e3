"""Texts in the user's language, through the real bot and the fake Bot API: a user whose
Telegram speaks Malay ("ms") gets /start, /help, the receipt's status and card, /recent and
/summary in Malay with Malaysian amounts and dates; English stays as it was; a language the bot
has no catalogue for gets English; what the API sends later (the card, a budget warning from
the sweeper) goes out in the receipt owner's stored language; the "/" menu exists in Malay."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.locales import ms
from core.budgets.service import set_budget
from core.db.models import User
from core.db.session import make_engine
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, new_fake, post_update, send_photo
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

# 88xx: this module's chats (see tests/e2e/conftest.py).
MALAY, ENGLISH, GERMAN, SWITCHING, SWEPT = 8801, 8802, 8803, 8804, 8805


def sent(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def say(stack: LocalStack, fake: FakeTelegram, chat: int, text: str) -> str:
    """Send ``text`` as the chat's user; the bot's next text reply (raw HTML)."""
    before = len(sent(fake, chat))
    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text=text))
    fake.wait_for(lambda f: len(sent(f, chat)) > before, timeout=30)
    return sent(fake, chat)[before]


def stored_language(stack: LocalStack, chat: int) -> str | None:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        return s.scalar(select(User.language_code).where(User.telegram_user_id == chat))


def buttons(fake: FakeTelegram, chat: int, message_id: int) -> list[str]:
    markup = (fake.message(chat, message_id) or {}).get("reply_markup", {})
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def test_the_menu_is_published_in_malay(stack: LocalStack, fake: FakeTelegram) -> None:
    key = json.dumps([{"type": "default"}, "ms"], sort_keys=True)
    assert [(c["command"], c["description"]) for c in fake.commands[key]] == list(
        ms.COMMANDS.items()
    )
    assert fake.commands[key][0] == {"command": "recent", "description": "Resit terbaru anda"}


def test_a_malay_user_gets_start_and_help_in_malay(stack: LocalStack, fake: FakeTelegram) -> None:
    fake.set_language(MALAY, "ms")
    start = say(stack, fake, MALAY, "/start")
    assert start.startswith("👋 <b>Hai, Ana! Saya ReceiptSnap.</b>")
    assert "Hantar gambar resit" in start
    help_text = say(stack, fake, MALAY, "/help")
    assert help_text.startswith("<b>Apa yang saya buat</b>")
    assert "/summary [tempoh]" in help_text and "What I do" not in help_text
    assert stored_language(stack, MALAY) == "ms"


def test_a_malay_users_receipt_is_followed_and_shown_in_malay(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    """The card and the stages before it are sent by the API as the processor reports (no
    update from the user then): in the owner's language."""
    fake.set_language(MALAY, "ms")
    send_photo(stack, fake, SAMPLE, MALAY)
    fake.wait_for(lambda f: final_card(f, MALAY) is not None, timeout=120)
    card = final_card(fake, MALAY)
    assert card is not None
    assert "💰 Jumlah: RM9.00" in card  # as the user sees it (HTML parsed)
    assert "📅 25 Dis 2018" in card
    assert "Total" not in card and "MYR" not in card and "2018-12-25" not in card

    (status,) = [c for c in fake.calls_for("sendMessage", MALAY) if "📥" in str(c.params["text"])]
    assert status.params["text"] == ms.RECEIVED
    edits = [str(c.params["text"]) for c in fake.calls_for("editMessageText", MALAY)]
    assert any(t.startswith("⏳ Dalam giliran") for t in edits), edits
    assert ms.STAGES["reading"] in edits and ms.STAGES["understanding"] in edits
    message_id = next(m for m, t in fake.messages(MALAY).items() if t.startswith("🧾"))
    labels = buttons(fake, MALAY, message_id)
    assert ms.BTN_DELETE in labels and ms.BTN_FIX in labels and texts.BTN_DELETE not in labels

    recent = say(stack, fake, MALAY, "/recent")
    assert recent.startswith("<b>Resit terbaru anda</b>")
    assert "25 Dis 2018" in recent and "RM9.00" in recent


def test_a_malay_users_summary_is_in_malay(stack: LocalStack, fake: FakeTelegram) -> None:
    """After the receipt above: a Malay month name read, the month, amounts and the chart's
    caption written the Malaysian way."""
    fake.set_language(MALAY, "ms")
    if final_card(fake, MALAY) is None:  # run alone: the receipt first
        send_photo(stack, fake, SAMPLE, MALAY)
        fake.wait_for(lambda f: final_card(f, MALAY) is not None, timeout=120)
    photos = len(fake.calls_for("sendPhoto", MALAY))
    text = say(stack, fake, MALAY, "/summary disember 2018")
    assert text.startswith("📊 <b>Disember 2018</b> — 1 resit")
    assert "💰 <b>RM9.00</b>" in text
    assert "<b>Mengikut kategori</b>" in text and "<b>Kedai utama</b>" in text
    assert "Bulan mengikut zon waktu anda" in text
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", MALAY)) == photos + 1, timeout=30)
    caption = fake.calls_for("sendPhoto", MALAY)[-1].params.get("caption")
    assert caption == "Disember 2018: RM9.00 dalam 1 resit"

    assert say(stack, fake, MALAY, "/summary 1999-01").startswith(
        "Belum ada resit untuk Januari 1999."
    )
    assert say(stack, fake, MALAY, "/summary suatu hari") == ms.SUMMARY_BAD_MONTH
    # a question in Malay, read by the rules and answered in Malay
    answer = say(stack, fake, MALAY, "Berapa saya belanja pada Disember 2018?")
    assert answer.startswith("Disember 2018") and "RM9.00" in answer, answer
    assert "dalam 1 resit" in answer, answer


def test_an_english_user_is_answered_as_before(stack: LocalStack, fake: FakeTelegram) -> None:
    fake.set_language(ENGLISH, "en")
    assert say(stack, fake, ENGLISH, "/start").startswith("👋 <b>Hi, Ana! I'm ReceiptSnap.</b>")
    send_photo(stack, fake, SAMPLE, ENGLISH)
    fake.wait_for(lambda f: final_card(f, ENGLISH) is not None, timeout=120)
    card = final_card(fake, ENGLISH)
    assert card is not None and "💰 Total: MYR 9.00" in card and "📅 2018-12-25" in card
    text = say(stack, fake, ENGLISH, "/summary 2018-12")
    assert text.startswith("📊 <b>December 2018</b> — 1 receipt\n") and "MYR 9.00" in text


def test_a_language_without_a_catalogue_gets_english(stack: LocalStack, fake: FakeTelegram) -> None:
    fake.set_language(GERMAN, "de")
    assert say(stack, fake, GERMAN, "/start").startswith("👋 <b>Hi, Ana! I'm ReceiptSnap.</b>")
    assert say(stack, fake, GERMAN, "/help").startswith("<b>What I do</b>")
    assert say(stack, fake, GERMAN, "/summary 2018-12").startswith("No receipts for December")
    assert stored_language(stack, GERMAN) == "de"


def test_the_stored_language_follows_the_user(stack: LocalStack, fake: FakeTelegram) -> None:
    """Changed in Telegram: the next message says so; an update without a language code (Telegram
    leaves it out for some) leaves the stored one as it was."""
    fake.set_language(SWITCHING, "ms-MY")
    assert say(stack, fake, SWITCHING, "/start").startswith("👋 <b>Hai")
    assert stored_language(stack, SWITCHING) == "ms-MY"
    fake.set_language(SWITCHING, "en")
    assert say(stack, fake, SWITCHING, "/start").startswith("👋 <b>Hi")
    assert stored_language(stack, SWITCHING) == "en"
    fake.set_language(SWITCHING, None)
    assert say(stack, fake, SWITCHING, "/start").startswith("👋 <b>Hi")
    assert stored_language(stack, SWITCHING) == "en"


def test_the_sweeper_sends_a_card_and_a_budget_warning_in_the_owners_language(
    database_url: str,
) -> None:
    """GIVEN a Malay user's receipt stored as done whose card was never sent, over their monthly
    budget WHEN a new API's sweeper runs THEN the card and the warning, sent with no update from
    the user to go by, are in Malay with Malaysian amounts."""
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    engine = make_engine(database_url)
    with Session(engine) as s, s.begin():
        user = User(telegram_user_id=SWEPT, telegram_chat_id=SWEPT, language_code="ms")
        s.add(user)
        s.flush()
        set_budget(s, user_id=user.id, category="groceries", amount=Decimal(10), currency="MYR")
        s.add(
            stored_receipt(
                user_id=user.id,
                telegram_chat_id=SWEPT,
                merchant_name="Kedai Ali",
                category="groceries",
                total=Decimal("12.50"),
                currency="MYR",
                purchase_date=date(2018, 12, 3),
                completed_at=long_ago,
                notified_at=None,
            )
        )
    engine.dispose()
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"sweep_interval_seconds": 0.5, "outbox_resend_after_seconds": 60},
        )
        with LocalStack(options):
            fake.wait_for(lambda f: len(sent(f, SWEPT)) == 2, timeout=30)
            time.sleep(1)  # two more sweeps: nothing more
            card, warning = sent(fake, SWEPT)
    assert card.startswith("🧾 <b>Kedai Ali</b>")
    assert "📅 3 Dis 2018" in card and "💰 <b>Jumlah: RM12.50</b>" in card
    assert warning == (
        "🚨 Bajet groceries anda untuk Disember 2018 sudah habis: RM12.50 daripada RM10.00 (125%)."
    )
