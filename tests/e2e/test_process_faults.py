"""Faults with real processes (issue 14): the worker and the API as children of the stack
(`receiptsnap worker`, `receiptsnap api`), killed with SIGKILL in the middle of a receipt and
started again. Each case ends with every receipt ``done``, exactly one card per receipt, no
duplicate rows.

- The worker killed while it reads a batch: SQS redelivers the records after the visibility
  timeout (5 s here), the dead reader's claim on each receipt has expired by then (just under
  the timeout), and a new worker reads them.
- The API killed while the processor works: the processor's calls back (progress, result) fail,
  the record goes back to SQS, and succeeds once the API is back; the result is stored once and
  its card sent once (by the new API).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bench.load import unique_jpeg
from core.contracts import ReceiptStatus
from core.db.models import Receipt
from core.db.session import make_engine
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, new_fake, post_update

pytestmark = pytest.mark.e2e

# 87xx: the inbox and the outbox (see tests/e2e/conftest.py); 8753-8756 this module.
WORKER_KILLED = (8753, 8754, 8755)
API_KILLED = 8756
CARD_MARKS = ("🧾", "❌")
VISIBILITY = 5


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def card_sends(fake: FakeTelegram, chat: int) -> int:
    calls = fake.calls_for("sendMessage", chat) + fake.calls_for("editMessageText", chat)
    return sum(str(c.params.get("text", "")).startswith(CARD_MARKS) for c in calls)


def statuses(engine: Engine, chats: tuple[int, ...]) -> dict[int, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Receipt.telegram_chat_id, Receipt.status).where(
                Receipt.telegram_chat_id.in_(chats)
            )
        ).all()
    found: dict[int, list[str]] = {chat: [] for chat in chats}
    for chat, status in rows:
        found[int(chat)].append(str(status))
    return found


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def send_photo(stack: LocalStack, fake: FakeTelegram, chat: int) -> None:
    # Each chat its own file: the same-file check keeps them apart.
    data = unique_jpeg(SAMPLE.read_bytes(), f"fault-{chat}")
    file_id = fake.add_file(data, file_name="r.jpg", mime_type="image/jpeg")
    update = fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)
    assert post_update(stack, update).status_code == 200


@contextlib.contextmanager
def stack_of(database_url: str, **children: bool) -> Iterator[tuple[LocalStack, FakeTelegram]]:
    """A fresh fake Telegram and a stack on it, with ``children`` (api_process=True, ...)."""
    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token,
            fake.url,
            database_url=database_url,
            queue_visibility_timeout=VISIBILITY,
            **children,
        )
        with LocalStack(options) as stack:
            yield stack, fake


def test_a_worker_killed_mid_batch_loses_nothing(database_url: str, engine: Engine) -> None:
    with stack_of(database_url, worker_process=True) as (stack, fake):
        for chat in WORKER_KILLED:
            send_photo(stack, fake, chat)
        wait_until(
            lambda: any(
                ReceiptStatus.PROCESSING in s for s in statuses(engine, WORKER_KILLED).values()
            ),
            timeout=60,
            what="the worker to start reading",
        )
        stack.kill("worker")
        stack.restart("worker")
        wait_until(
            lambda: all(card_sends(fake, chat) for chat in WORKER_KILLED),
            timeout=120,
            what="every card",
        )
        time.sleep(1.0)  # a second card would follow its first within moments
        assert statuses(engine, WORKER_KILLED) == {chat: ["done"] for chat in WORKER_KILLED}
        assert [card_sends(fake, chat) for chat in WORKER_KILLED] == [1, 1, 1]


def test_the_api_killed_while_the_processor_works_loses_nothing(
    database_url: str, engine: Engine
) -> None:
    with stack_of(database_url, api_process=True) as (stack, fake):
        send_photo(stack, fake, API_KILLED)
        wait_until(
            lambda: statuses(engine, (API_KILLED,))[API_KILLED] == ["processing"],
            timeout=60,
            what="the processor to start reading",
        )
        stack.kill("api")
        time.sleep(VISIBILITY)  # the processor's calls back fail meanwhile
        stack.restart("api")
        wait_until(lambda: card_sends(fake, API_KILLED) >= 1, timeout=120, what="the card")
        time.sleep(1.0)
        assert statuses(engine, (API_KILLED,)) == {API_KILLED: ["done"]}
        assert card_sends(fake, API_KILLED) == 1
