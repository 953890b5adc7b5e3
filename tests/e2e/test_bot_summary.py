"""/summary and /export through the real bot: the text, a valid PNG chart, CSV that parses back."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest

from receiptsnap.fake_telegram import FakeTelegram
from receiptsnap.stack import LocalStack
from tests.e2e.conftest import SAMPLE, final_card, post_update, send_photo

pytestmark = pytest.mark.e2e

CHAT = 7701


def test_summary_and_export_of_a_month(stack: LocalStack, fake: FakeTelegram) -> None:
    send_photo(stack, fake, SAMPLE, CHAT)
    fake.wait_for(lambda f: final_card(f, CHAT) is not None, timeout=120)

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendPhoto", CHAT)) == 1, timeout=30)
    text = next(
        str(c.params["text"])
        for c in fake.calls_for("sendMessage", CHAT)
        if "receipts" in str(c.params["text"])
    )
    assert "December 2018" in text and "MYR 9.00" in text
    (photo,) = fake.calls_for("sendPhoto", CHAT)
    ((_name, png),) = photo.files.values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    assert "MYR 9.00" in str(photo.params.get("caption"))

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018-12"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 2, timeout=30)
    files = {
        name: data for c in fake.calls_for("sendDocument", CHAT) for name, data in c.files.values()
    }
    receipts = list(
        csv.DictReader(io.StringIO(files["receipts-december-2018.csv"].decode("utf-8")))
    )
    assert [(r["date"], r["currency"], Decimal(r["total"])) for r in receipts] == [
        ("2018-12-25", "MYR", Decimal("9.00"))
    ]
    assert "line-items-december-2018.csv" in files

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/export 2018-12 zip"))
    fake.wait_for(lambda f: len(f.calls_for("sendDocument", CHAT)) == 5, timeout=30)
    files = {
        name: data for c in fake.calls_for("sendDocument", CHAT) for name, data in c.files.values()
    }
    with zipfile.ZipFile(io.BytesIO(files["receipts-december-2018.zip"])) as archive:
        (name,) = archive.namelist()
        assert name.startswith("2018-12-25_") and name.endswith(".jpg")
        assert archive.read(name) == SAMPLE.read_bytes()

    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary 1999-01"))
    post_update(stack, fake.text_update(chat_id=CHAT, user_id=CHAT, text="/summary someday"))
    fake.wait_for(
        lambda f: any(
            "didn't understand" in str(c.params["text"]) for c in f.calls_for("sendMessage", CHAT)
        ),
        timeout=10,
    )
    fake.wait_for(
        lambda f: any(
            "No receipts for January 1999" in str(c.params["text"])
            for c in f.calls_for("sendMessage", CHAT)
        ),
        timeout=10,
    )
