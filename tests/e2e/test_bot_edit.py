"""✏️ Fix through the real bot and the fake Telegram: the question is a force-reply prompt; what
is clearly no answer (a photo, a command, a question in plain words) sets it aside and is handled
as what it is, while a reply to the prompt still answers it; quick answers on the card (dates,
the user's currencies, the category picker) apply as typing would; the same file sent while the
first is still being read points at the message its card will replace.

The worker does not run by itself here: receipts are read when a test says so (``read``), so a
receipt can be kept "still being read" for as long as a test needs."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.aws.clients import AwsClients
from core.aws.sqs import JobQueue
from core.categories.service import list_categories
from core.db.models import MerchantCategory, Receipt, User
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from processor.bootstrap import build_pipeline
from processor.handler import make_handler
from processor.worker import LocalWorker
from tests.e2e.conftest import SAMPLE, final_card, new_fake, png, post_update, press, send_photo

pytestmark = pytest.mark.e2e

ASIDE = 8401  # a question set aside, then answered by a reply
TYPED = 8402  # commands and questions in plain words against other fields
QUICK = 8403  # quick answers
SAME = 8404  # the same file while the first is being read


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with new_fake() as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token, fake.url, database_url=database_url, run_worker=False
    )
    with LocalStack(options) as s:
        yield s


@pytest.fixture(scope="module")
def worker(stack: LocalStack) -> LocalWorker:
    s = stack.worker_settings
    return LocalWorker(
        queue=JobQueue(AwsClients(s), queue_name=s.queue_name),
        handler=make_handler(build_pipeline(s)),
        region=s.aws_region,
        wait_seconds=1,
    )


def read(worker: LocalWorker, fake: FakeTelegram, done: Callable[[FakeTelegram], bool]) -> None:
    """Run the worker until ``done`` (the receipts queued so far are read)."""
    deadline = datetime.now(UTC) + timedelta(seconds=180)
    while datetime.now(UTC) < deadline:
        worker.poll_once()
        try:
            fake.wait_for(done, timeout=3)
            return
        except TimeoutError:
            continue
    raise TimeoutError("the receipt was not read")


def card_id(fake: FakeTelegram, chat: int) -> int:
    return next(i for i, t in fake.messages(chat).items() if t.startswith("🧾"))


def buttons(fake: FakeTelegram, chat: int, message_id: int) -> dict[str, str]:
    rows = (fake.message(chat, message_id) or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def read_receipt(stack: LocalStack, fake: FakeTelegram, worker: LocalWorker, chat: int) -> int:
    """A photo of the sample receipt (MYR 9.00, 2018-12-25), read: its card's message id."""
    send_photo(stack, fake, SAMPLE, chat)
    read(worker, fake, lambda f: final_card(f, chat) is not None)
    return card_id(fake, chat)


def sent(fake: FakeTelegram, chat: int) -> list[str]:
    """The texts the bot sent to the chat, as the user reads them (HTML markup dropped)."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", str(c.params.get("text", ""))))
        for c in fake.calls_for("sendMessage", chat)
    ]


def say(
    stack: LocalStack, fake: FakeTelegram, chat: int, text: str, *, reply_to: int | None = None
) -> str:
    """Send ``text`` (a reply to ``reply_to``); the bot's reply."""
    before = len(sent(fake, chat))
    update = fake.text_update(chat_id=chat, user_id=chat, text=text, reply_to=reply_to)
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: len(sent(f, chat)) > before, timeout=15)
    return sent(fake, chat)[before]


def ask(stack: LocalStack, fake: FakeTelegram, chat: int, field: str) -> tuple[int, dict]:
    """✏️ Fix, then ``field``, on the chat's card: the prompt's message id and its sendMessage
    parameters."""
    card = card_id(fake, chat)
    if "✏️ Fix" in buttons(fake, chat, card):  # else the field picker is there still
        press(stack, fake, chat=chat, message_id=card, data=buttons(fake, chat, card)["✏️ Fix"])

    def label(f: FakeTelegram) -> str:  # "Date", or "❓ Date" when doubtful
        return next((b for b in buttons(f, chat, card) if b.removeprefix("❓ ") == field), "")

    fake.wait_for(lambda f: bool(label(f)), timeout=10)
    before = len(sent(fake, chat))
    press(stack, fake, chat=chat, message_id=card, data=buttons(fake, chat, card)[label(fake)])
    fake.wait_for(lambda f: len(sent(f, chat)) > before, timeout=10)
    params = fake.calls_for("sendMessage", chat)[before].params
    prompt = max(i for i, t in fake.messages(chat).items() if t.startswith("Send me"))
    return prompt, params


def receipts_of(stack: LocalStack, chat: int) -> list[Receipt]:
    """The user's receipts, oldest first."""
    assert stack.container is not None
    with stack.container.session_factory() as s:
        user = s.scalars(select(User).where(User.telegram_user_id == chat)).one()
        query = select(Receipt).where(Receipt.user_id == user.id).order_by(Receipt.created_at)
        return list(s.scalars(query))


def the_receipt(stack: LocalStack, chat: int) -> Receipt:
    """The user's first receipt (the sample's)."""
    return receipts_of(stack, chat)[0]


def categories_of(stack: LocalStack, chat: int) -> tuple[list[str], list[str]]:
    """The user's categories and the categories remembered for merchants."""
    assert stack.container is not None
    with stack.container.session_factory() as s:
        user = s.scalars(select(User).where(User.telegram_user_id == chat)).one()
        merchants = s.scalars(
            select(MerchantCategory.category).where(MerchantCategory.user_id == user.id)
        )
        return list_categories(s, user_id=user.id), list(merchants)


def test_a_question_set_aside_by_a_photo_a_command_and_a_question_then_answered_by_reply(
    stack: LocalStack, fake: FakeTelegram, worker: LocalWorker
) -> None:
    """GIVEN Fix → Category asked WHEN a new receipt photo, /recent and, later, a question in
    plain words come THEN each is handled as what it is (the question answered) and the category
    is untouched: nothing new on the list, for the merchant or in the charts; plain text after it
    is no answer either; AND a reply to the prompt is the answer."""
    card = read_receipt(stack, fake, worker, ASIDE)
    before = the_receipt(stack, ASIDE)
    prompt, params = ask(stack, fake, ASIDE, "Category")
    assert str(params["text"]).startswith("Send me the category")
    markup = params["reply_markup"]
    assert markup["force_reply"] is True
    assert markup["input_field_placeholder"] == "A category, e.g. groceries"
    assert "groceries" in buttons(fake, ASIDE, card)  # the picker is on the card meanwhile

    file_id = fake.add_file(png("gray"), file_name="next.png", mime_type="image/png")
    replies = len(sent(fake, ASIDE))
    update = fake.photo_update(chat_id=ASIDE, user_id=ASIDE, file_id=file_id)
    assert post_update(stack, update).status_code == 200
    fake.wait_for(lambda f: len(sent(f, ASIDE)) > replies, timeout=15)
    assert "latest receipts" in say(stack, fake, ASIDE, "/recent")
    answer = say(stack, fake, ASIDE, "how many receipts in 2018-03?")
    assert answer.startswith(("You have", "I found no receipts")), answer
    assert "I took that as a question" not in answer  # the photo had set it aside already
    assert "I read receipts" in say(stack, fake, ASIDE, "pets")  # set aside: no answer now

    after = the_receipt(stack, ASIDE)
    assert after.category == before.category
    names, for_merchants = categories_of(stack, ASIDE)
    assert not any("how many" in n or n == "pets" for n in names + for_merchants)

    reply = say(stack, fake, ASIDE, "Pets", reply_to=prompt)
    assert reply.startswith("Updated ✅ Category: pets")
    assert "added it to your categories" in reply
    fake.wait_for(lambda f: "🏷 pets" in f.messages(ASIDE)[card], timeout=10)
    fixed = the_receipt(stack, ASIDE)
    assert fixed.category == "pets"
    assert fixed.confidence is not None and fixed.confidence["category"] == 1.0
    # Answered: a second reply to the same prompt is just text.
    assert "I read receipts" in say(stack, fake, ASIDE, "shopping", reply_to=prompt)
    assert the_receipt(stack, ASIDE).category == "pets"


def test_commands_and_questions_set_aside_other_fields_and_a_short_miss_is_asked_again(
    stack: LocalStack, fake: FakeTelegram, worker: LocalWorker
) -> None:
    read_receipt(stack, fake, worker, TYPED)
    original = the_receipt(stack, TYPED)

    ask(stack, fake, TYPED, "Total")
    assert "/help" in say(stack, fake, TYPED, "/help")
    say(stack, fake, TYPED, "12.50")  # the question was set aside by the command
    assert the_receipt(stack, TYPED).total == original.total

    ask(stack, fake, TYPED, "Merchant")
    answer = say(stack, fake, TYPED, "what did I spend in december 2018")
    assert "not as the merchant" in answer
    assert the_receipt(stack, TYPED).merchant_name == original.merchant_name

    ask(stack, fake, TYPED, "Date")
    assert "doesn't look right" in say(stack, fake, TYPED, "31/02/2018")  # a try: asked again
    assert say(stack, fake, TYPED, "24/12/2018").startswith("Updated ✅ Date: 2018-12-24")
    assert the_receipt(stack, TYPED).purchase_date == date(2018, 12, 24)


def test_quick_answers_apply_as_typing_would_and_end_the_question(
    stack: LocalStack, fake: FakeTelegram, worker: LocalWorker
) -> None:
    say(stack, fake, QUICK, "/settings currency EUR")
    card = read_receipt(stack, fake, worker, QUICK)
    printed = the_receipt(stack, QUICK).purchase_date
    assert printed is not None
    yesterday = datetime.now(UTC).date() - timedelta(days=1)

    # The date: today, yesterday, the date read from the receipt.
    prompt, params = ask(stack, fake, QUICK, "Date")
    assert "tap one of the buttons under the receipt" in str(params["text"])
    fake.wait_for(lambda f: "Yesterday" in buttons(f, QUICK, card), timeout=10)
    dates = buttons(fake, QUICK, card)
    assert list(dates) == ["Today", "Yesterday", f"🧾 {printed.isoformat()}", "« Back"]
    assert all(len(data.encode()) <= 64 for data in dates.values())
    answered = len(fake.calls_for("answerCallbackQuery"))
    press(stack, fake, chat=QUICK, message_id=card, data=dates["Yesterday"])
    fake.wait_for(lambda f: len(f.calls_for("answerCallbackQuery")) > answered, timeout=10)
    toast = fake.calls_for("answerCallbackQuery")[-1].params.get("text")
    assert toast == f"Updated ✅ Date: {yesterday.isoformat()}"
    fixed = the_receipt(stack, QUICK)
    assert fixed.purchase_date == yesterday
    assert fixed.confidence is not None and fixed.confidence["date"] == 1.0
    fake.wait_for(lambda f: "✏️ Fix" in buttons(f, QUICK, card), timeout=10)  # the card again
    closed = f"Updated ✅ Date: {yesterday.isoformat()}"
    fake.wait_for(lambda f: f.messages(QUICK)[prompt] == closed, timeout=10)  # the prompt too
    say(stack, fake, QUICK, printed.isoformat())  # the question ended: no answer now
    assert the_receipt(stack, QUICK).purchase_date == yesterday

    # A button's data is signed: another date under the same signature is refused.
    forged = dates["Yesterday"].replace("qdy:", "qd20200101:", 1)
    answered = len(fake.calls_for("answerCallbackQuery"))
    press(stack, fake, chat=QUICK, message_id=card, data=forged)
    fake.wait_for(lambda f: len(f.calls_for("answerCallbackQuery")) > answered, timeout=10)
    assert fake.calls_for("answerCallbackQuery")[-1].params.get("text") == (
        "This button is no longer valid."
    )
    assert the_receipt(stack, QUICK).purchase_date == yesterday

    # The currency: the user's receipts' currencies, then their default.
    ask(stack, fake, QUICK, "Currency")
    fake.wait_for(lambda f: "EUR" in buttons(f, QUICK, card), timeout=10)
    assert list(buttons(fake, QUICK, card)) == ["• MYR", "EUR", "« Back"]
    press(stack, fake, chat=QUICK, message_id=card, data=buttons(fake, QUICK, card)["EUR"])
    fake.wait_for(lambda f: the_receipt(stack, QUICK).currency == "EUR", timeout=10)
    fixed = the_receipt(stack, QUICK)
    assert fixed.confidence is not None and fixed.confidence["currency"] == 1.0

    # The category: the picker, which ends the question too (the receipt came in as
    # "shopping", the classifier's guess: the user picks another).
    prompt, _ = ask(stack, fake, QUICK, "Category")
    fake.wait_for(lambda f: "groceries" in buttons(f, QUICK, card), timeout=10)
    press(stack, fake, chat=QUICK, message_id=card, data=buttons(fake, QUICK, card)["groceries"])
    fake.wait_for(lambda f: "🏷 groceries" in f.messages(QUICK)[card], timeout=10)
    fake.wait_for(lambda f: f.messages(QUICK)[prompt].startswith("Updated ✅"), timeout=10)
    say(stack, fake, QUICK, "dining")
    fixed = the_receipt(stack, QUICK)
    assert fixed.category == "groceries"
    assert fixed.confidence is not None and fixed.confidence["category"] == 1.0


def test_the_same_file_while_the_first_is_read_points_at_where_its_card_will_be(
    stack: LocalStack, fake: FakeTelegram, worker: LocalWorker
) -> None:
    send_photo(stack, fake, SAMPLE, SAME)
    queued = "⏳ In the queue"  # and its place: "— next, about 5 s"
    fake.wait_for(
        lambda f: any(t.startswith(queued) for t in f.messages(SAME).values()), timeout=30
    )
    (status,) = [i for i, t in fake.messages(SAME).items() if t.startswith(queued)]

    send_photo(stack, fake, SAMPLE, SAME)
    fake.wait_for(
        lambda f: any(t.startswith("You sent this exact file") for t in sent(f, SAME)),
        timeout=30,
    )
    call = next(
        c
        for c in fake.calls_for("sendMessage", SAME)
        if str(c.params["text"]).startswith("You sent this exact file")
    )
    assert "still reading it" in str(call.params["text"])
    assert call.params["reply_parameters"]["message_id"] == status
    # The second photo's own status message is gone: no empty card, nothing left hanging.
    fake.wait_for(lambda f: len(f.messages(SAME)) == 2, timeout=10)
    assert not any("Unknown merchant" in t or "Total: —" in t for t in fake.messages(SAME).values())
    assert len(receipts_of(stack, SAME)) == 1

    read(worker, fake, lambda f: f.messages(SAME)[status].startswith("🧾"))
    assert "9.00" in fake.messages(SAME)[status]
