"""Waiting with news, through the real bot and the fake Telegram (issue 18): receipts waiting in
the queue show their place and about how long, refreshed (each message at most every 5 s) as
the queue moves; "typing…" while they are read; the refresh stops when they leave the queue."""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from core.aws.clients import AwsClients
from core.aws.sqs import JobQueue
from core.db.models import ProcessingAttempt, Receipt
from core.receipts.repository import ReceiptRepository
from core.users.repository import UserRepository
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from processor.bootstrap import build_pipeline
from processor.handler import make_handler
from processor.worker import LocalWorker
from tests.e2e.conftest import document_update, new_fake, post_update, receipts_of_chat
from tests.fakes import stored_receipt
from tests.samples import text_pdf

pytestmark = pytest.mark.e2e

CHAT = 8610
HISTORY_USER = 8611
PLACE = re.compile(
    r"^⏳ In the queue — (?:(\d+) ahead|next)(?:, (?:about \d+ (?:s|min)|over an hour))?$"
)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with new_fake() as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    """No worker at first: what is sent waits in the queue until the test starts one."""
    options = fake_telegram_options(
        fake.token, fake.url, database_url=database_url, run_worker=False
    )
    with LocalStack(options) as s:
        yield s


def start_worker(stack: LocalStack) -> LocalWorker:
    s = stack.worker_settings
    worker = LocalWorker(
        queue=JobQueue(AwsClients(s), queue_name=s.queue_name),
        handler=make_handler(build_pipeline(s)),
        region=s.aws_region,
        wait_seconds=1,
    )
    threading.Thread(target=worker.run, name="test-worker", daemon=True).start()
    return worker


def ahead(text: str) -> int | None:
    match = PLACE.match(text)
    if match is None:
        return None
    return int(match[1]) if match[1] else 0


def queued_before(stack: LocalStack, receipt_id: uuid.UUID) -> int:
    assert stack.container is not None
    with stack.container.session_factory() as s:
        receipt = s.get(Receipt, receipt_id)
        assert receipt is not None and receipt.queued_at is not None
        return ReceiptRepository(s).count_queued_before(receipt.queued_at)


def edits(fake: FakeTelegram, message_id: int) -> list[tuple[float, str]]:
    return [
        (c.at, str(c.params["text"]))
        for c in fake.calls_for("editMessageText", CHAT)
        if c.params.get("message_id") == message_id
    ]


def test_waiting_receipts_show_their_place_refreshed_then_typing_while_read(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    assert stack.container is not None
    container = stack.container
    now = datetime.now(UTC)
    with container.session_factory.begin() as s:  # recent results: 2 s readings, 2 s apart
        user = UserRepository(s).upsert_telegram_user(
            telegram_user_id=HISTORY_USER, chat_id=HISTORY_USER
        )
        done = stored_receipt(user_id=user.id, raw_bucket=container.settings.raw_bucket)
        s.add(done)
        s.flush()
        for n in range(20):
            s.add(
                ProcessingAttempt(
                    receipt_id=done.id,
                    status="done",
                    applied=True,
                    timings={"total": 2.0},
                    created_at=now - timedelta(seconds=2 * n),
                )
            )

    for n in range(3):
        lines = [f"SHOP NUMBER {n}", "DATE: 03/10/2026", f"TOTAL {n + 1}.00"]
        update_ = document_update(
            fake, text_pdf(lines), chat=CHAT, file_name=f"r{n}.pdf", mime_type="application/pdf"
        )
        assert post_update(stack, update_).status_code == 200
    fake.wait_for(lambda f: len(receipts_of_chat(stack, CHAT)) == 3, timeout=20)
    fake.wait_for(
        lambda f: all(r.status == "queued" for r in receipts_of_chat(stack, CHAT)), timeout=20
    )
    receipts = sorted(receipts_of_chat(stack, CHAT), key=lambda r: r.queued_at)  # type: ignore[arg-type, return-value]
    messages = [r.status_message_id for r in receipts]
    assert all(m is not None for m in messages)

    def shows_place(f: FakeTelegram) -> bool:
        texts = f.messages(CHAT)
        return all(
            ahead(texts[m]) == queued_before(stack, r.id)  # type: ignore[index]
            for m, r in zip(messages, receipts, strict=True)
        )

    fake.wait_for(shows_place, timeout=20)
    first, second, third = (fake.messages(CHAT)[m] for m in messages)  # type: ignore[index]
    assert ahead(second) == ahead(first) + 1 == ahead(third) - 1  # type: ignore[operator]
    # An estimate from the recent results (2 s a reading, one every 2 s): 2 ahead, about 10 s
    # at most (other results of this run may be among the latest).
    assert ", about " in third

    # The first is taken by a reader: the two after it move up, within a refresh or two.
    with container.session_factory.begin() as s:
        s.execute(update(Receipt).where(Receipt.id == receipts[0].id).values(status="processing"))
    fake.wait_for(
        lambda f: ahead(f.messages(CHAT)[messages[2]]) == ahead(third) - 1,  # type: ignore[index, operator]
        timeout=15,
    )
    fake.wait_for(
        lambda f: ahead(f.messages(CHAT)[messages[1]]) == ahead(second) - 1,  # type: ignore[index, operator]
        timeout=15,
    )
    for message_id in messages:
        times = [at for at, text in edits(fake, message_id) if text.startswith("⏳")]
        assert all(b - a >= 4.5 for a, b in itertools.pairwise(times)), times

    # A reader: "typing…" while they are read, then the cards; no refresh after.
    worker = start_worker(stack)
    try:
        fake.wait_for(
            lambda f: all(f.messages(CHAT)[m].startswith("🧾") for m in messages),  # type: ignore[index]
            timeout=90,
        )
    finally:
        worker.stop()
    actions = fake.calls_for("sendChatAction", CHAT)
    assert actions and {c.params["action"] for c in actions} == {"typing"}
    assert container.bot_app is not None
    watch = container.bot_app.bot_data["queue_watch"]
    fake.wait_for(lambda f: watch.tasks == {}, timeout=10)
    carded = {m: max(at for at, t in edits(fake, m) if t.startswith("🧾")) for m in messages}  # type: ignore[arg-type]
    for message_id, at in carded.items():
        later = [t for when, t in edits(fake, message_id) if when > at]  # type: ignore[arg-type]
        assert not any(t.startswith("⏳") for t in later)


def test_a_receipt_tried_again_shows_its_place_while_it_waits(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    # GIVEN a receipt that failed for a reason a second reading can fix (no worker running)
    chat = 8612
    update_ = document_update(
        fake,
        text_pdf(["SHOP AGAIN", "DATE: 03/10/2026", "TOTAL 4.00"]),
        chat=chat,
        file_name="again.pdf",
        mime_type="application/pdf",
    )
    assert post_update(stack, update_).status_code == 200
    fake.wait_for(
        lambda f: [r.status for r in receipts_of_chat(stack, chat)] == ["queued"], timeout=20
    )
    (receipt,) = receipts_of_chat(stack, chat)
    assert stack.container is not None
    with stack.container.session_factory.begin() as s:
        s.execute(
            update(Receipt)
            .where(Receipt.id == receipt.id)
            .values(status="failed", error_code="timeout", error_message="Took too long.")
        )
    post_update(
        stack, fake.text_update(chat_id=chat, user_id=chat, text=f"/receipt {receipt.id.hex[:8]}")
    )
    fake.wait_for(lambda f: any(t.startswith("❌") for t in f.messages(chat).values()), timeout=10)
    card_id = next(m for m, t in fake.messages(chat).items() if t.startswith("❌"))
    markup = fake.message(chat, card_id)["reply_markup"]  # type: ignore[index]
    (retry,) = [
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if "Try" in b["text"]
    ]

    # WHEN the user presses Try again
    press = fake.callback_query_update(chat_id=chat, user_id=chat, message_id=card_id, data=retry)
    assert post_update(stack, press).status_code == 200

    # THEN the card becomes its place in the queue, as a new receipt's status does
    fake.wait_for(lambda f: ahead(f.messages(chat)[card_id]) is not None, timeout=20)
