"""The client API on the whole local stack, over real HTTP: a token from the bot's /token, a
Mini App's initData signed with the bot's token, a receipt uploaded straight to (moto's) S3
through the presigned POST, read by the worker, corrected, summarised, deleted; the card still
comes in the chat. Chats 90xx."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from bot import texts
from core.clients.init_data import sign
from devstack.stack import LocalStack
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, final_card, post_update

pytestmark = pytest.mark.e2e

CHAT = 9001


def replies(fake: FakeTelegram, chat: int = CHAT) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_for("sendMessage", chat)]


def ask(stack: LocalStack, fake: FakeTelegram, text: str, chat: int = CHAT) -> str:
    before = len(replies(fake, chat))
    post_update(stack, fake.text_update(chat_id=chat, user_id=CHAT, text=text))
    fake.wait_for(lambda f: len(replies(f, chat)) > before, timeout=15)
    return replies(fake, chat)[before]


def tma(fake: FakeTelegram, user_id: int = CHAT) -> dict[str, str]:
    fields = {
        "user": json.dumps({"id": user_id, "first_name": "Ana"}, separators=(",", ":")),
        "auth_date": str(int(datetime.now(UTC).timestamp())),
        "chat_type": "private",
    }
    return {"Authorization": f"tma {sign(fields, bot_token=fake.token)}"}


def test_a_token_from_the_bot_opens_the_api_until_revoked(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    reply = ask(stack, fake, "/token")
    found = re.search(r"<code>(rs_[A-Za-z0-9_-]+)</code>", reply)
    assert found, reply
    headers = {"Authorization": f"Bearer {found[1]}"}
    me = httpx.get(f"{stack.api_url}/api/v1/me", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["telegram_user_id"] == CHAT

    assert "1 token revoked" in ask(stack, fake, "/token revoke")
    assert "no token to revoke" in ask(stack, fake, "/token revoke")
    me = httpx.get(f"{stack.api_url}/api/v1/me", headers=headers, timeout=10)
    assert me.status_code == 401 and me.json()["error"] == "invalid_token"

    assert "private chat" in ask(stack, fake, "/token", chat=-9002)


def test_a_mini_app_upload_goes_straight_to_s3_and_is_read(
    stack: LocalStack, fake: FakeTelegram
) -> None:
    api, h = stack.api_url, tma(fake)
    body = SAMPLE.read_bytes()
    created = httpx.post(
        f"{api}/api/v1/uploads",
        json={"content_type": "image/jpeg", "size": len(body), "file_name": SAMPLE.name},
        headers=h,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    rid, upload = created.json()["receipt_id"], created.json()["upload"]
    sent = httpx.post(
        upload["url"],
        data=upload["fields"],
        files={"file": (SAMPLE.name, body, "image/jpeg")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    submitted = httpx.post(f"{api}/api/v1/receipts/{rid}/submit", headers=h, timeout=10)
    assert submitted.status_code == 202 and submitted.json()["status"] == "queued"

    status, deadline = "queued", time.monotonic() + 120
    while status not in ("done", "failed") and time.monotonic() < deadline:
        event = httpx.get(
            f"{api}/api/v1/receipts/{rid}/events",
            params={"after": status, "wait": 20},
            headers=h,
            timeout=30,
        )
        assert event.status_code == 200, event.text
        status = event.json()["status"]
    assert status == "done"

    receipt = httpx.get(f"{api}/api/v1/receipts/{rid}", headers=h, timeout=10).json()
    assert receipt["total"] == "9.00" and receipt["status"] == "done"
    image = httpx.get(receipt["image_url"], timeout=10)
    assert image.status_code == 200 and image.content == body
    # The list draws the worker's small JPEG of it, not the file.
    listed = httpx.get(f"{api}/api/v1/receipts", headers=h, timeout=10).json()["data"]
    (item,) = [r for r in listed if r["id"] == rid]
    thumbnail = httpx.get(item["image_url"], timeout=10)
    assert thumbnail.status_code == 200
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320
    assert len(thumbnail.content) < len(body) / 10
    fake.wait_for(lambda f: final_card(f, CHAT) is not None, timeout=30)  # the card in the chat

    month = (receipt["purchase_date"] or receipt["created_at"])[:7]
    fixed = httpx.patch(
        f"{api}/api/v1/receipts/{rid}", json={"merchant": "Corner Shop"}, headers=h, timeout=10
    )
    assert fixed.status_code == 200 and fixed.json()["merchant"] == "Corner Shop"
    summary = httpx.get(f"{api}/api/v1/summary", params={"month": month}, headers=h, timeout=10)
    assert summary.json()["receipts"] == 1
    assert [m["merchant"] for m in summary.json()["top_merchants"]] == ["Corner Shop"]
    # the card in the chat follows the change made in the app (the same message, edited)
    (card_id,) = [m for m, t in fake.messages(CHAT).items() if t.startswith("🧾")]
    fake.wait_for(lambda f: "Corner Shop" in f.messages(CHAT)[card_id], timeout=15)

    gone = httpx.delete(f"{api}/api/v1/receipts/{rid}", headers=h, timeout=10)
    assert gone.status_code == 200
    deleted = texts.DELETED.format(short_id=rid[:8]).replace("<code>", "").replace("</code>", "")
    fake.wait_for(lambda f: f.messages(CHAT)[card_id] == deleted, timeout=15)
    summary = httpx.get(f"{api}/api/v1/summary", params={"month": month}, headers=h, timeout=10)
    assert summary.json()["receipts"] == 0


def test_forged_initdata_is_401(stack: LocalStack, fake: FakeTelegram) -> None:
    forged = tma(fake)["Authorization"].replace(str(CHAT), "9003")
    r = httpx.get(f"{stack.api_url}/api/v1/me", headers={"Authorization": forged}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "invalid_init_data"
