"""An album (several receipts sent at once): each is processed, one progress message shows them
all, and each gets its own summary card."""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.conftest import FIXTURES
from tests.e2e.conftest import post_update, receipts_of_chat

pytestmark = pytest.mark.e2e

CHAT = 7501
PHOTOS = [
    FIXTURES / "receipts" / "sroie_X00016469612.jpg",
    FIXTURES / "receipts" / "sroie_X00016469623.jpg",
]


def test_album_gets_one_progress_message_and_a_card_each(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    for path in PHOTOS:
        file_id = fake.add_file(path.read_bytes(), file_name=path.name, mime_type="image/jpeg")
        update = fake.photo_update(chat_id=CHAT, user_id=CHAT, file_id=file_id)
        update["message"]["media_group_id"] = "13791379"
        assert post_update(stack, update).status_code == 200

    def cards(f: FakeTelegram) -> list[str]:
        return [t for t in f.messages(CHAT).values() if t.startswith("🧾")]

    fake.wait_for(lambda f: len(cards(f)) == 2, timeout=180)
    fake.wait_for(lambda f: any("(2 done)" in t for t in f.messages(CHAT).values()), timeout=30)
    texts = list(fake.messages(CHAT).values())
    albums = [t for t in texts if "receipts" in t and "done" in t]
    assert len(albums) == 1, texts
    assert albums[0].count("✅") == 2
    assert not any(t.startswith("📥 Receipt received") for t in texts)  # no per-photo status
    assert sorted("9.00" in c or "30.90" in c for c in cards(fake)) == [True, True]
    rows = receipts_of_chat(stack, CHAT)
    assert {r.media_group_id for r in rows} == {"13791379"}
    assert len(rows) == 2
