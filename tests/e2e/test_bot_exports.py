"""/export ... zip is bounded: one at a time for a user (the second is refused politely), and an
archive larger than EXPORT_ZIP_MAX_BYTES is cut, with a message saying how to get the rest."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date

import pytest

from core.users.repository import UserRepository
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import post_update
from tests.fakes import stored_receipt

pytestmark = pytest.mark.e2e

CHAT = 8101
MAX_BYTES = 25_000  # two files of 10 kB fit, not three


@pytest.fixture(scope="module")
def stack(fake: FakeTelegram, database_url: str) -> Iterator[LocalStack]:
    options = fake_telegram_options(
        fake.token,
        fake.url,
        database_url=database_url,
        run_worker=False,  # the receipts are put in the database as read
        extra_api={"export_zip_max_bytes": MAX_BYTES},
    )
    with LocalStack(options) as s:
        yield s


def receipts_with_files(stack: LocalStack, chat: int, days: list[date], size: int) -> None:
    """A user (chat = Telegram id) with a done receipt on each day, its file in the raw bucket."""
    assert stack.container is not None
    bucket = stack.container.settings.raw_bucket
    with stack.container.session_factory.begin() as s:
        user = UserRepository(s).upsert_telegram_user(telegram_user_id=chat, chat_id=chat)
        for n, day in enumerate(days):
            receipt = stored_receipt(user_id=user.id, raw_bucket=bucket, purchase_date=day)
            s.add(receipt)
            stack.container.store.put(
                bucket=bucket,
                key=receipt.raw_key,
                body=bytes([n]) * size,
                content_type="image/jpeg",
            )


def zips(fake: FakeTelegram, chat: int) -> list[bytes]:
    return [
        data
        for c in fake.calls_for("sendDocument", chat)
        for name, data in c.files.values()
        if name.endswith(".zip")
    ]


def test_a_second_zip_export_while_the_first_is_made_is_refused_politely(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    receipts_with_files(stack, CHAT, [date(2026, 10, 1), date(2026, 10, 2)], 1_000)
    for _ in range(2):
        update = fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export all zip")
        assert post_update(stack, update).status_code == 200

    def refusals(f: FakeTelegram) -> list[str]:
        return [
            t
            for t in f.messages(CHAT).values()
            if "still being made" in t or "One ZIP of original files every 10 minutes" in t
        ]

    fake.wait_for(lambda f: len(zips(f, CHAT)) == 1 and len(refusals(f)) == 1, timeout=30)
    with zipfile.ZipFile(io.BytesIO(zips(fake, CHAT)[0])) as archive:
        assert len(archive.namelist()) == 2
    # The CSV files came once: the refused export did nothing else.
    assert len(fake.calls_for("sendDocument", CHAT)) == 3
    assert "went wrong" not in "\n".join(fake.messages(CHAT).values())

    # And a third, later, while the interval runs: told when to come back.
    update = fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2026-10 zip")
    assert post_update(stack, update).status_code == 200
    fake.wait_for(
        lambda f: (
            any("please ask again in 10 minutes" in t for t in f.messages(CHAT).values())
            or any("please ask again in 9 minutes" in t for t in f.messages(CHAT).values())
        ),
        timeout=10,
    )
    assert len(zips(fake, CHAT)) == 1


def test_an_export_larger_than_the_bound_is_cut_with_a_message(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    chat = CHAT + 1
    days = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 2)]
    receipts_with_files(stack, chat, days, 10_000)
    post_update(stack, fake.text_update(chat_id=chat, user_id=chat, text="/export all zip"))

    def cut(f: FakeTelegram) -> list[str]:
        return [t for t in f.messages(chat).values() if "was cut" in t]

    fake.wait_for(lambda f: len(zips(f, chat)) == 1 and len(cut(f)) == 1, timeout=30)
    (data,) = zips(fake, chat)
    assert len(data) <= MAX_BYTES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert [n[:10] for n in names] == ["2026-09-30", "2026-10-01"]
        assert archive.read(names[1]) == b"\1" * 10_000
    (caption,) = [
        str(c.params.get("caption"))
        for c in fake.calls_for("sendDocument", chat)
        if "original files" in str(c.params.get("caption"))
    ]
    assert "(2)" in caption
    assert cut(fake) == [
        "✂️ The ZIP was cut at 24 KB: it holds the first 2 files, up to 2026-10-01. Ask for one "
        "month at a time for the rest, e.g. /export 2026-11 zip."
    ]
