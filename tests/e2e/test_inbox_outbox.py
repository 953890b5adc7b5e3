"""Nothing acknowledged or stored is lost, and nothing is answered twice: the inbox (updates
stored before the webhook's 200, replayed when never handled), the outbox (cards Telegram never
accepted, sent by the sweeper once), and bursts (the same update three times at once, more photos
than the rate limit allows, identical files) through the real bot and the fake Bot API.

A crash is the state it leaves in the database: the rows a killed API had written are seeded
before a new stack starts on the same database."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from core.contracts import ProcessingJob
from core.db.models import ProcessingAttempt, TelegramUpdate, User
from core.db.session import make_engine
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, new_fake, png, post_update, receipts_of_chat
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

# 81xx: this module's chats (see tests/e2e/conftest.py).
FRESH, PARTIAL, UNSENT, SENT, REPEATED, BURST, SAME = 8701, 8702, 8703, 8704, 8705, 8706, 8707
JOB_REPEATED = 8708


def cards(fake: FakeTelegram, chat: int) -> list[str]:
    return [t for t in fake.messages(chat).values() if t.startswith(("🧾", "❌"))]


def card_sends(fake: FakeTelegram, chat: int) -> int:
    """Cards the bot sent or edited into place in ``chat`` (a repeat would add one)."""
    calls = fake.calls_for("sendMessage", chat) + fake.calls_for("editMessageText", chat)
    return sum(str(c.params.get("text", "")).startswith(("🧾", "❌")) for c in calls)


def photo_update(fake: FakeTelegram, chat: int, data: bytes | None = None) -> dict[str, Any]:
    file_id = fake.add_file(data or SAMPLE.read_bytes(), file_name="r.jpg", mime_type="image/jpeg")
    return fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)


def seed(database_url: str, *rows_of: Any) -> None:
    """Rows a killed API left behind, written before the new stack starts."""
    engine = make_engine(database_url)
    with Session(engine) as s, s.begin():
        for rows in rows_of:
            rows(s)
    engine.dispose()


def user_of(s: Session, chat: int) -> User:
    user = s.scalar(select(User).where(User.telegram_user_id == chat))
    if user is None:
        user = User(telegram_user_id=chat, telegram_chat_id=chat)
        s.add(user)
        s.flush()
    return user


def test_updates_acknowledged_but_never_handled_are_handled_after_a_restart(
    database_url: str,
) -> None:
    """GIVEN two photo updates the dead API had acknowledged (stored, 200 sent) but not handled,
    one of them after it had already reserved the receipt (the download was under way)
    WHEN a new API starts on the same database
    THEN both are read, each chat has exactly one receipt and one card, and the inbox rows are
    marked handled with their payloads dropped."""
    with new_fake() as fake:
        fresh, partial = photo_update(fake, FRESH), photo_update(fake, PARTIAL)

        def dead_api(s: Session) -> None:
            for update in (fresh, partial):
                s.add(
                    TelegramUpdate(
                        update_id=update["update_id"], received_at=datetime.now(UTC), payload=update
                    )
                )
            reserved = stored_receipt(
                user_id=user_of(s, PARTIAL).id,
                status="awaiting_upload",
                raw_bucket="receiptsnap-raw",
                telegram_chat_id=PARTIAL,
                telegram_message_id=partial["message"]["message_id"],
            )
            s.add(reserved)

        seed(database_url, dead_api)
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            for chat in (FRESH, PARTIAL):
                fake.wait_for(lambda f, c=chat: bool(cards(f, c)), timeout=90)
            time.sleep(0.5)  # nothing more may come
            for chat in (FRESH, PARTIAL):
                (receipt,) = receipts_of_chat(stack, chat)
                assert receipt.status == "done" and receipt.notified_at is not None
                assert card_sends(fake, chat) == 1, fake.messages(chat)
            assert stack.container is not None
            with stack.container.session_factory() as s:
                rows = s.scalars(
                    select(TelegramUpdate).where(
                        TelegramUpdate.update_id.in_([fresh["update_id"], partial["update_id"]])
                    )
                ).all()
            assert [(r.handled_at is not None, r.payload, r.attempts) for r in rows] == [
                (True, None, 1),
                (True, None, 1),
            ]


def test_a_card_telegram_never_accepted_is_sent_by_the_sweeper_once(database_url: str) -> None:
    """GIVEN a receipt the dead API had stored as done but whose card it never sent, and one
    whose card Telegram accepted
    WHEN a new API's sweeper runs (every half second here)
    THEN the missing card is sent once and marked, the delivered one is not sent again."""
    with new_fake() as fake:
        long_ago = datetime.now(UTC) - timedelta(minutes=10)

        def dead_api(s: Session) -> None:
            for chat, notified in ((UNSENT, None), (SENT, long_ago)):
                s.add(
                    stored_receipt(
                        user_id=user_of(s, chat).id,
                        telegram_chat_id=chat,
                        merchant_name="Kedai Ali",
                        total=12,
                        currency="MYR",
                        completed_at=long_ago,
                        notified_at=notified,
                    )
                )

        seed(database_url, dead_api)
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"sweep_interval_seconds": 0.5, "outbox_resend_after_seconds": 60},
        )
        with LocalStack(options) as stack:
            fake.wait_for(lambda f: bool(cards(f, UNSENT)), timeout=30)
            time.sleep(2)  # four more sweeps
            assert card_sends(fake, UNSENT) == 1
            assert "Kedai Ali" in cards(fake, UNSENT)[0]
            assert fake.calls_for("sendMessage", SENT) == []
            (receipt,) = receipts_of_chat(stack, UNSENT)
            assert receipt.notified_at is not None


def test_the_same_update_three_times_at_once_makes_one_receipt_and_one_card(
    database_url: str,
) -> None:
    with new_fake() as fake:
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            update = photo_update(fake, REPEATED)
            with ThreadPoolExecutor(3) as pool:
                codes = list(pool.map(lambda _: post_update(stack, update).status_code, range(3)))
            assert codes == [200, 200, 200]
            fake.wait_for(lambda f: bool(cards(f, REPEATED)), timeout=90)
            time.sleep(0.5)
            assert len(receipts_of_chat(stack, REPEATED)) == 1
            assert card_sends(fake, REPEATED) == 1
            assert len(fake.calls_for("sendMessage", REPEATED)) == 1, "one status message"


def test_the_same_job_three_times_after_its_card_sends_nothing_more(database_url: str) -> None:
    """GIVEN a receipt read and its card sent WHEN its job is delivered three more times at once
    (SQS is at least once; the sweeper may requeue a slow one) THEN each repeat only repeats the
    callback (recorded, not applied) and the user gets no second card."""
    with new_fake() as fake:
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            assert post_update(stack, photo_update(fake, JOB_REPEATED)).status_code == 200
            fake.wait_for(lambda f: bool(cards(f, JOB_REPEATED)), timeout=90)
            (receipt,) = receipts_of_chat(stack, JOB_REPEATED)
            job = ProcessingJob(
                receipt_id=receipt.id,
                bucket=receipt.raw_bucket,
                key=receipt.raw_key,
                content_type=receipt.content_type,
                size=receipt.size_bytes or 1,
                attempt=receipt.attempt,
            )
            assert stack.container is not None
            queue = stack.container.queue
            with ThreadPoolExecutor(3) as pool:
                list(pool.map(lambda _: queue.send_job(job), range(3)))

            def attempts() -> int:
                assert stack.container is not None
                with stack.container.session_factory() as s:
                    return len(
                        s.scalars(
                            select(ProcessingAttempt).where(
                                ProcessingAttempt.receipt_id == receipt.id
                            )
                        ).all()
                    )

            fake.wait_for(lambda f: attempts() == 4, timeout=60)
            time.sleep(0.5)
            assert card_sends(fake, JOB_REPEATED) == 1


def test_a_burst_cannot_pass_the_rate_limit_or_the_same_file_check(database_url: str) -> None:
    """GIVEN a limit of 3 receipts per 10 minutes WHEN 8 different photos arrive at once THEN
    exactly 3 receipts are made and 5 senders are told to wait; AND WHEN 3 copies of one file
    arrive at once THEN one receipt is made and the other two are told it is the same file."""
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"receipt_rate_limits": [(600, 3), (86_400, 300)]},
        )
        with LocalStack(options) as stack:
            colours = ["white", "ivory", "linen", "snow", "beige", "azure", "honeydew", "seashell"]
            burst = [photo_update(fake, BURST, png(c)) for c in colours]
            # A real receipt (a failed one is no "same file"); 3 copies: each holds a slot of the
            # limit from its arrival until its file proves to be a copy.
            same = [photo_update(fake, SAME) for _ in range(3)]
            with ThreadPoolExecutor(len(burst + same)) as pool:
                codes = list(pool.map(lambda u: post_update(stack, u).status_code, burst + same))
            assert set(codes) == {200}

            def told(chat: int, start: str) -> int:
                return sum(t.startswith(start) for t in fake.messages(chat).values())

            limited = texts.RATE_LIMITED.split("{")[0]
            fake.wait_for(lambda f: told(BURST, limited) == 5, timeout=60)
            assert len(receipts_of_chat(stack, BURST)) == 3
            same_file = texts.SAME_FILE.split("{")[0]
            fake.wait_for(lambda f: told(SAME, same_file) == 2, timeout=60)
            assert len(receipts_of_chat(stack, SAME)) == 1


def is_card(params: dict[str, Any]) -> bool:
    return str(params.get("text", "")).startswith("🧾")


def test_telegram_429_5xx_and_a_blocked_user_on_the_card(database_url: str) -> None:
    """Telegram refusing the card: two 429s are waited out (the rate limiter, retry_after); a
    502 leaves it unsent and the sweeper sends it; a user who blocked the bot (403) is not tried
    again. Each ends with exactly one accepted card, or none for the blocked one."""
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={"sweep_interval_seconds": 0.5, "outbox_resend_after_seconds": 1},
        )
        with LocalStack(options) as stack:
            for _ in range(2):
                fake.fail_next(
                    "editMessageText", when=lambda p: is_card(p) and p["chat_id"] == 8709
                )
            fake.fail_next(
                "editMessageText",
                error_code=502,
                description="Bad Gateway",
                when=lambda p: is_card(p) and p["chat_id"] == 8710,
            )
            for _ in range(3):  # the card's edit, then its send, then the budget check's
                fake.fail_next(
                    "editMessageText",
                    error_code=403,
                    description="Forbidden: bot was blocked by the user",
                    when=lambda p: is_card(p) and p["chat_id"] == 8711,
                )
                fake.fail_next(
                    "sendMessage",
                    error_code=403,
                    description="Forbidden: bot was blocked by the user",
                    when=lambda p: is_card(p) and p["chat_id"] == 8711,
                )
            for chat in (8709, 8710, 8711):
                assert post_update(stack, photo_update(fake, chat)).status_code == 200
            for chat in (8709, 8710):
                fake.wait_for(lambda f, c=chat: bool(cards(f, c)), timeout=90)

            def notified(chat: int) -> bool:
                (receipt,) = receipts_of_chat(stack, chat)
                return receipt.notified_at is not None

            fake.wait_for(lambda f: all(notified(c) for c in (8709, 8710, 8711)), timeout=30)
            time.sleep(2)  # four more sweeps: nothing is sent again
            tries = {
                c: sum(is_card(x.params) for x in fake.calls_for("editMessageText", c))
                for c in (8709, 8710, 8711)
            }
            assert tries == {8709: 3, 8710: 2, 8711: 1}, "429 twice then ok; 502 then the sweeper"
            assert fake.calls_for("sendMessage", 8709)[1:] == [], "one status message, no resend"
            assert not cards(fake, 8711)


def test_s3_and_sqs_unreachable_then_back(database_url: str) -> None:
    """GIVEN the S3/SQS endpoint down WHEN a photo arrives THEN the sender is told to send it
    again and no receipt is left waiting; AND WHEN the endpoint is back THEN the worker (which
    kept polling) reads the next photo to its card."""
    from moto.server import ThreadedMotoServer

    with new_fake() as fake:
        options = fake_telegram_options(fake.token, fake.url, database_url=database_url)
        with LocalStack(options) as stack:
            assert stack.moto is not None
            port = stack.moto._port
            stack.moto.stop()  # moto's state lives in this process: a restart keeps it
            assert post_update(stack, photo_update(fake, 8712)).status_code == 200
            failed = texts.UPLOAD_FAILED.split("{")[0][:30]
            fake.wait_for(
                lambda f: any(t.startswith(failed) for t in f.messages(8712).values()), timeout=60
            )
            assert receipts_of_chat(stack, 8712) == []

            stack.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            stack.moto.start()
            assert post_update(stack, photo_update(fake, 8712)).status_code == 200
            fake.wait_for(lambda f: bool(cards(f, 8712)), timeout=90)
            (receipt,) = receipts_of_chat(stack, 8712)
            assert receipt.status == "done"


def test_database_connections_dropped_while_receipts_are_in_flight(database_url: str) -> None:
    """What a PostgreSQL restart does to the clients, without restarting the server other tests
    share: every connection to this database is terminated, again and again for two seconds,
    while six photos are taken in and read. Each ends done with one receipt and one card (an
    update whose handling failed on the database is handled again by the sweeper)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating connections needs PostgreSQL (CI runs on it)")
    from sqlalchemy import create_engine, text

    chats = list(range(8720, 8726))
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            extra_api={
                "sweep_interval_seconds": 0.5,
                "inbox_replay_after_seconds": 1,
                "outbox_resend_after_seconds": 1,
            },
        )
        with LocalStack(options) as stack:
            killer = create_engine(database_url, poolclass=None)
            name = killer.url.database
            with ThreadPoolExecutor(len(chats)) as pool:
                sent = pool.map(lambda c: post_update(stack, photo_update(fake, c)), chats)
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    with killer.connect() as conn:
                        conn.execute(
                            text(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :db AND pid <> pg_backend_pid()"
                            ),
                            {"db": name},
                        )
                    time.sleep(0.2)
                codes = [r.status_code for r in sent]
            killer.dispose()
            # An update whose INSERT met a dropped connection got a 5xx: Telegram sends it
            # again. The fake does not, so this test does (as Telegram would).
            for chat, code in zip(chats, codes, strict=True):
                if code != 200:
                    assert post_update(stack, photo_update(fake, chat)).status_code == 200
            for chat in chats:
                fake.wait_for(lambda f, c=chat: bool(cards(f, c)), timeout=120)
            time.sleep(1)
            for chat in chats:
                (receipt,) = receipts_of_chat(stack, chat)
                assert receipt.status == "done", (chat, receipt.status, receipt.error_message)
                assert card_sends(fake, chat) == 1, fake.messages(chat)
