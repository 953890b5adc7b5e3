"""The client API and the Mini App (issue 15), on the local stack over real HTTP, on PostgreSQL.

    python bench/client_api.py [--database-url URL] [--files 40] [--size-kb 1024]
                               [--concurrency 8] [--users 1000] [--receipts 20000]
                               [--heavy 5000] [--runs 200]

Prints figures, asserts nothing:
1. Upload throughput, N files of SIZE (a real receipt padded to the size, each unique) with C at
   a time, until every receipt is `queued` (no worker: the reading is not measured):
   - through the backend: the bot's own path, as a photo sent in Telegram (the fake Bot API on
     loopback): the bot downloads the file and PUTs it to S3 itself (presigned), then submits;
   - straight to S3: POST /api/v1/uploads, the file POSTed to S3 with the presigned form (moto on
     loopback), POST /api/v1/receipts/{id}/submit: the API handles only small JSON bodies.
   Loopback has no network cost: the figures compare the work the backend does, not a phone's
   link. Also the bytes of files that passed through the API process in each case.
2. p50/p99 of GET /api/v1/receipts (first page; and a month) and GET /api/v1/summary?month= for
   a user with HEAVY receipts (among RECEIPTS of USERS), Authorization: tma <initData>.
3. The Mini App's transfer size: its HTML, CSS and JS as served, raw and gzip (level 6, as nginx
   is set to in infra/host/nginx.conf); Telegram's own script is loaded from telegram.org and is
   not counted.

Default URL: TEST_DATABASE_URL or the local PostgreSQL at 127.0.0.1:5432/test (a fresh database
is made next to it and dropped afterwards).
"""

from __future__ import annotations

import argparse
import gzip
import secrets
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import func, select
from summary import add_database_argument, fill, pct, scratch_database

from api.routes.webapp import WEBAPP_DIR
from core.clients.init_data import dev_init_data_for
from core.db.models import Receipt
from devstack.stack import LocalStack, fake_telegram_options
from devstack.telegram import FakeTelegram

SAMPLE = Path(__file__).resolve().parents[1] / "tests/fixtures/receipts/sroie_X00016469612.jpg"
HEAVY_TELEGRAM_ID = 10_001  # user 1 of summary.fill
NO_LIMITS = {
    "receipt_rate_limits": [(600, 1_000_000)],
    "client_rate_limit": (60, 1_000_000),
}


def files(n: int, size: int) -> list[bytes]:
    """``n`` distinct JPEGs of ``size`` bytes: the sample, then random bytes (after the JPEG's
    end, which readers ignore; the submit's checks read the first bytes)."""
    base = SAMPLE.read_bytes()
    return [base + secrets.token_bytes(max(0, size - len(base))) for _ in range(n)]


def wait_queued(stack: LocalStack, *, chats: range, count: int, timeout: float = 300) -> None:
    assert stack.container is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with stack.container.session_factory() as s:
            done = s.scalar(
                select(func.count())
                .select_from(Receipt)
                .where(Receipt.telegram_chat_id.between(chats.start, chats.stop - 1))
                .where(Receipt.status == "queued")
            )
        if done == count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"only {done} of {count} receipts queued in {timeout:g} s")


def through_backend(stack: LocalStack, fake: FakeTelegram, data: list[bytes], c: int) -> float:
    """The bot's path: a photo in Telegram, downloaded and uploaded by the backend."""
    chats = range(20_000, 20_000 + len(data))

    def send(i: int) -> None:
        file_id = fake.add_file(data[i], file_name=f"r{i}.jpg", mime_type="image/jpeg")
        update = fake.photo_update(chat_id=chats[i], user_id=chats[i], file_id=file_id)
        r = httpx.post(
            f"{stack.api_url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret},
            timeout=30,
        )
        r.raise_for_status()

    t = time.perf_counter()
    with ThreadPoolExecutor(c) as pool:
        list(pool.map(send, range(len(data))))
    wait_queued(stack, chats=chats, count=len(data))
    return time.perf_counter() - t


def straight_to_s3(stack: LocalStack, token: str, data: list[bytes], c: int) -> float:
    """The Mini App's path: presigned POST to S3, the API sees JSON only."""
    users = range(30_000, 30_000 + len(data))
    headers = [{"Authorization": f"tma {dev_init_data_for(u, bot_token=token)}"} for u in users]
    api = stack.api_url

    def send(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            created = client.post(
                f"{api}/api/v1/uploads",
                json={"content_type": "image/jpeg", "size": len(data[i]), "file_name": "r.jpg"},
                headers=headers[i],
            )
            created.raise_for_status()
            body = created.json()
            upload = body["upload"]
            sent = client.post(
                upload["url"],
                data=upload["fields"],
                files={"file": ("r.jpg", data[i], "image/jpeg")},
            )
            sent.raise_for_status()
            submitted = client.post(
                f"{api}/api/v1/receipts/{body['receipt_id']}/submit", headers=headers[i]
            )
            submitted.raise_for_status()
            assert submitted.json()["status"] == "queued", submitted.text

    t = time.perf_counter()
    with ThreadPoolExecutor(c) as pool:
        list(pool.map(send, range(len(data))))
    return time.perf_counter() - t


def latencies(url: str, headers: dict[str, str], runs: int) -> tuple[float, float, float]:
    times = []
    with httpx.Client(timeout=30) as client:
        client.get(url, headers=headers).raise_for_status()  # warm
        for _ in range(runs):
            t = time.perf_counter()
            client.get(url, headers=headers).raise_for_status()
            times.append(time.perf_counter() - t)
    return pct(times, 50), pct(times, 99), statistics.mean(times)


def page_weight(api_url: str | None) -> None:
    paths = ["index.html", "app.css", *sorted(f"js/{p.name}" for p in WEBAPP_DIR.glob("js/*.js"))]
    raw = zipped = 0
    for rel in paths:
        body = (
            httpx.get(f"{api_url}/app/{'' if rel == 'index.html' else rel}", timeout=10).content
            if api_url
            else (WEBAPP_DIR / rel).read_bytes()
        )
        packed = len(gzip.compress(body, compresslevel=6))
        raw, zipped = raw + len(body), zipped + packed
        print(f"  {rel:<16} {len(body):>7,} B raw {packed:>7,} B gzip")
    print(f"  all {len(paths)} files: {raw:,} B raw, {zipped:,} B gzip")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_database_argument(parser)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--size-kb", type=int, default=1024)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--receipts", type=int, default=20_000)
    parser.add_argument("--heavy", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    with scratch_database(args.database_url) as url:
        t0 = time.perf_counter()
        fill(url, users=args.users, receipts=args.receipts, heavy=args.heavy)
        print(f"filled {args.users} users, {args.receipts} receipts in "
              f"{time.perf_counter() - t0:.1f} s (user 1: {args.heavy})")  # fmt: skip
        with FakeTelegram() as fake:
            options = fake_telegram_options(
                fake.token, fake.url, database_url=url, run_worker=False, extra_api=NO_LIMITS
            )
            with LocalStack(options) as stack:
                data = files(args.files, args.size_kb * 1024)
                total_mb = sum(map(len, data)) / 1e6
                print(
                    f"\nupload of {args.files} files of {args.size_kb} KiB ({total_mb:.1f} MB), "
                    f"{args.concurrency} at a time, until queued:"
                )
                for label, run in (
                    ("through the backend (bot)", lambda: through_backend(
                        stack, fake, data, args.concurrency)),
                    ("straight to S3 (presigned POST)", lambda: straight_to_s3(
                        stack, fake.token, data, args.concurrency)),
                ):  # fmt: skip
                    seconds = run()
                    passed = total_mb if "backend" in label else 0.0
                    print(
                        f"  {label:<32} {seconds:6.2f} s  {args.files / seconds:6.1f} files/s  "
                        f"{total_mb / seconds:6.1f} MB/s  ({passed:.1f} MB through the API "
                        "process)"
                    )
                heavy = dev_init_data_for(HEAVY_TELEGRAM_ID, bot_token=fake.token)
                h = {"Authorization": f"tma {heavy}"}
                print(f"\nthe user with {args.heavy} receipts, {args.runs} requests each:")
                for label, path in (
                    ("GET /api/v1/receipts", "/api/v1/receipts"),
                    ("GET /api/v1/receipts?month=", "/api/v1/receipts?month=2025-06"),
                    ("GET /api/v1/receipts?q=", "/api/v1/receipts?q=shop%2012"),
                    ("GET /api/v1/summary?month=", "/api/v1/summary?month=2025-06"),
                ):
                    p50, p99, mean = latencies(stack.api_url + path, h, args.runs)
                    print(f"  {label:<30} p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
                          f"mean {mean * 1000:6.1f} ms")  # fmt: skip
                print("\nthe Mini App's page (HTML + CSS + JS modules as served at /app/):")
                page_weight(stack.api_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
