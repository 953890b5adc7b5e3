"""Run N receipts through the local path and print per-stage times and throughput.

    python bench/pipeline.py [-n 20] [--database-url URL] [--burst]

Receipts come from ../shared/data/sroie/img when present, else from tests/fixtures/receipts.
Stages (from the database's timestamps and the fake Telegram server's clock, all on one machine):
  webhook ack     POST /telegram/webhook answered
  upload          update received -> receipt queued (download from Telegram, presign, PUT, submit)
  queue wait      queued -> the worker starts processing it
  ocr, extraction inside the processor
  callback        processor done -> API stored the result
  reply           result stored -> the bot's summary edit reached Telegram
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db.models import ProcessingAttempt, Receipt
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
SROIE = REPO.parent / "shared" / "data" / "sroie" / "img"
FIXTURES = REPO / "tests" / "fixtures" / "receipts"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20, help="number of receipts")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    source = SROIE if SROIE.is_dir() else FIXTURES
    files = sorted(source.glob("*.jpg"))
    if not files:
        print(f"no receipt images in {source}", file=sys.stderr)
        return 2
    files = [files[i % len(files)] for i in range(args.n)]
    db = args.database_url or "sqlite:///./.receiptsnap/bench.db"
    if db.startswith("sqlite:///./"):
        Path(db.removeprefix("sqlite:///")).unlink(missing_ok=True)

    fake = FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1)
    fake.start()
    clock_offset = time.time() - time.monotonic()
    options = fake_telegram_options(fake.token, fake.url, database_url=db, worker_wait_seconds=1)
    print(
        f"{args.n} receipts from {source} through the local path (one at a time)…", file=sys.stderr
    )
    stages: dict[str, list[float]] = {
        k: [] for k in ("ack", "upload", "queue", "ocr", "extraction", "callback", "reply", "e2e")
    }
    with LocalStack(options) as stack, httpx.Client(timeout=10) as http:
        assert stack.container is not None
        # Warm-up: the OCR model loads on first use (a Lambda cold start); not counted.
        warm_id = fake.add_file(files[0].read_bytes(), file_name="warm.jpg", mime_type="image/jpeg")
        warm = fake.photo_update(chat_id=1, user_id=1, file_id=warm_id)
        http.post(
            f"{stack.api_url}/telegram/webhook",
            json=warm,
            headers={"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret},
        )
        fake.wait_for(
            lambda f: any(t.startswith(("🧾", "❌")) for t in f.messages(1).values()), timeout=120
        )

        wall_start = time.perf_counter()
        for n, path in enumerate(files, start=2):
            chat = 1000 + n
            file_id = fake.add_file(path.read_bytes(), file_name=path.name, mime_type="image/jpeg")
            update = fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)
            t0 = time.time()
            r = http.post(
                f"{stack.api_url}/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret},
            )
            r.raise_for_status()
            stages["ack"].append(time.time() - t0)
            fake.wait_for(
                lambda f, c=chat: any(t.startswith(("🧾", "❌")) for t in f.messages(c).values()),
                timeout=120,
            )
            final = [
                c
                for c in fake.calls_for("editMessageText", chat)
                if c.params.get("text", "").startswith(("🧾", "❌"))
            ][-1]
            replied = final.at + clock_offset
            with stack.container.session_factory() as s:
                receipt = s.scalars(select(Receipt).where(Receipt.telegram_chat_id == chat)).one()
                attempt = s.scalars(
                    select(ProcessingAttempt).where(ProcessingAttempt.receipt_id == receipt.id)
                ).one()
            ts = lambda d: d.timestamp() if isinstance(d, datetime) else float(d)  # noqa: E731
            timings = attempt.timings or {}
            started = ts(attempt.processed_at) - timings.get("total", 0.0)
            stages["upload"].append(ts(receipt.queued_at) - t0)
            stages["queue"].append(started - ts(receipt.queued_at))
            stages["ocr"].append(timings.get("ocr", 0.0))
            stages["extraction"].append(timings.get("extraction", 0.0))
            stages["callback"].append(ts(attempt.created_at) - ts(attempt.processed_at))
            stages["reply"].append(replied - ts(attempt.created_at))
            stages["e2e"].append(replied - t0)
        wall = time.perf_counter() - wall_start
    fake.stop()

    def ms(values: list[float], p: float) -> float:
        return pct(values, p) * 1000

    print(f"\n{'stage':<12}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in stages.items():
        mean = statistics.mean(values) * 1000
        print(f"{name:<12}{ms(values, 50):>10.1f}{ms(values, 99):>10.1f}{mean:>10.1f}")
    e2e = stages["e2e"]
    overhead = [e - o - x for e, o, x in zip(e2e, stages["ocr"], stages["extraction"], strict=True)]
    print(f"\nend to end per receipt: p50 {pct(e2e, 50):.2f} s, p99 {pct(e2e, 99):.2f} s")
    print(
        "pipeline overhead (end to end minus OCR and extraction): "
        f"p50 {ms(overhead, 50):.0f} ms, p99 {ms(overhead, 99):.0f} ms"
    )
    print(f"throughput, one at a time: {len(files) / wall:.2f} receipts/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
