"""`receiptsnap demo`: the whole path on this machine, a fake Telegram chat standing in for a user.

Each file is sent as a Telegram update to the webhook; the bot downloads it from the fake Bot API
server, uploads it to S3 (moto), queues the job, the worker processes it and calls back, and the bot
edits its status message into the summary. The replies the bot sent are printed.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from core.reading import files
from core.receipts.repository import ReceiptRepository
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "receipts"
FINAL_MARKERS = ("🧾", "❌", "⚠️")
CHAT_ID = 4242


def sample_files() -> list[Path]:
    return sorted(SAMPLES_DIR.glob("*.jpg"))


def _final_text(fake: FakeTelegram, message_id: int) -> str | None:
    text = fake.messages(CHAT_ID).get(message_id)
    if text and text.startswith(FINAL_MARKERS):
        return text
    return None


def send_through_bot(
    stack: LocalStack, fake: FakeTelegram, path: Path, *, user_id: int = 777, timeout: float = 120.0
) -> dict[str, Any]:
    """Send one file as a user would and wait for the bot's final reply."""
    data = path.read_bytes()
    ctype = files.sniff(data[:32]) or files.guess_from_name(path.name) or "application/octet-stream"
    file_id = fake.add_file(data, file_name=path.name, mime_type=ctype)
    if ctype == files.JPEG:
        update = fake.photo_update(chat_id=CHAT_ID, user_id=user_id, file_id=file_id)
    else:
        update = fake.document_update(
            chat_id=CHAT_ID, user_id=user_id, file_id=file_id, file_name=path.name, mime_type=ctype
        )
    before = set(fake.messages(CHAT_ID))
    started = time.perf_counter()
    response = httpx.post(
        f"{stack.api_url}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret},
        timeout=10,
    )
    response.raise_for_status()
    ack = time.perf_counter() - started

    def status_message_id() -> int | None:
        new = sorted(set(fake.messages(CHAT_ID)) - before)
        return new[0] if new else None

    fake.wait_for(lambda f: status_message_id() is not None, timeout=timeout)
    message_id = status_message_id()
    assert message_id is not None
    fake.wait_for(lambda f: _final_text(f, message_id) is not None, timeout=timeout)
    reply = _final_text(fake, message_id) or ""
    markup = (fake.message(CHAT_ID, message_id) or {}).get("reply_markup") or {}
    buttons = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
    return {
        "file": str(path),
        "reply": reply,
        "buttons": buttons,
        "ack_seconds": ack,
        "seconds": time.perf_counter() - started,
    }


def receipt_rows(stack: LocalStack) -> list[dict[str, Any]]:
    assert stack.container is not None
    with stack.container.session_factory() as session:
        receipts = ReceiptRepository(session).all_with_items()
        return [
            {
                "receipt_id": str(r.id),
                "status": r.status,
                "merchant": r.merchant_name,
                "date": r.purchase_date.isoformat() if r.purchase_date else None,
                "total": format(r.total, "f") if r.total is not None else None,
                "currency": r.currency,
                "tax": format(r.tax, "f") if r.tax is not None else None,
                "line_items": len(r.line_items),
                "error": r.error_message,
            }
            for r in receipts
        ]


def run(paths: list[str], *, as_json: bool = False, database_url: str | None = None) -> int:
    targets = [Path(p) for p in paths] if paths else sample_files()
    missing = [str(p) for p in targets if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    out = sys.stderr if as_json else sys.stdout
    fake = FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1)
    fake.start()
    db = database_url or "sqlite:///./.receiptsnap/demo.db"
    if db.startswith("sqlite:///./"):
        Path(db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    options = fake_telegram_options(fake.token, fake.url, database_url=db)
    print("Starting the local stack (moto S3/SQS/Secrets Manager, API + bot, worker)…", file=out)
    results: list[dict[str, Any]] = []
    try:
        with LocalStack(options) as stack:
            for path in targets:
                print(f"\n📤 {path.name}", file=out)
                result = send_through_bot(stack, fake, path)
                results.append(result)
                print(result["reply"], file=out)
                if result["buttons"]:
                    print("  ".join(f"[{b}]" for b in result["buttons"]), file=out)
                print(f"   ({result['seconds']:.2f} s end to end)", file=out)
            rows = receipt_rows(stack)
    finally:
        fake.stop()
    if as_json:
        for result, row in zip(results, rows, strict=False):
            result.update(row)
        json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    return 0
