"""Summaries and exports at scale, on PostgreSQL.

    python bench/summary.py [--database-url URL] [--users 1000] [--receipts 200000]
                            [--heavy 5000] [--runs 50]

Fills a fresh database (created next to the one in the URL and dropped afterwards) with USERS
users and RECEIPTS receipts with line items over 2 years, one heavy user holding HEAVY of them,
then prints p50/p99 of the heavy user's monthly summary (the /summary query set) and the CSV
export rate of all the heavy user's receipts. Default URL: TEST_DATABASE_URL or the local
PostgreSQL at 127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db.session import make_engine, upgrade
from core.summaries.export import export_receipts_csv
from core.summaries.months import Month
from core.summaries.service import summarize

CATEGORIES = ["groceries", "dining", "transport", "fuel", "shopping", "health", "other"]
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "MYR"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill(url: str, *, users: int, receipts: int, heavy: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    raw = create_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        buf = io.StringIO()
        now = datetime(2026, 11, 1, tzinfo=UTC)
        for uid in range(1, users + 1):
            buf.write(f"{uid}\t{10_000 + uid}\t{10_000 + uid}\tEurope/Berlin\t{now}\t{now}\n")
        buf.seek(0)
        cur.copy_expert(
            "COPY users (id, telegram_user_id, telegram_chat_id, timezone, created_at, updated_at)"
            " FROM STDIN",
            buf,
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('users','id'), %s)", (users,))
        rbuf, ibuf = io.StringIO(), io.StringIO()
        for n in range(receipts):
            uid = 1 if n < heavy else rng.randint(2, users)
            rid = uuid.UUID(int=rng.getrandbits(128))
            day = date(2024, 11, 1) + timedelta(days=rng.randrange(730))
            total = f"{rng.uniform(1, 250):.2f}"
            sent = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
            undated = rng.random() < 0.05
            rbuf.write(
                "\t".join(
                    [
                        str(rid),
                        str(uid),
                        "done",
                        "telegram",
                        "image/jpeg",
                        "raw",
                        f"users/{uid}/{rid}.jpg",
                        f"Shop {rng.randrange(300)}",
                        r"\N" if undated else day.isoformat(),
                        rng.choice(CURRENCIES),
                        total,
                        rng.choice(CATEGORIES),
                        str(sent),
                        str(sent),
                        "0",
                        "1",
                    ]
                )
                + "\n"
            )
            for pos in range(rng.randint(1, 4)):
                ibuf.write(f"{rid}\t{pos}\titem {pos}\t{rng.uniform(0.5, 50):.2f}\n")
        for buffer, sql in (
            (
                rbuf,
                "COPY receipts (id, user_id, status, source, content_type, raw_bucket, raw_key,"
                " merchant_name, purchase_date, currency, total, category, created_at, updated_at,"
                " requeue_count, attempt) FROM STDIN",
            ),
            (ibuf, "COPY line_items (receipt_id, position, description, amount) FROM STDIN"),
        ):
            buffer.seek(0)
            cur.copy_expert(sql, buffer)
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--receipts", type=int, default=200_000)
    parser.add_argument("--heavy", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    base = make_url(args.database_url)
    if not base.drivername.startswith("postgresql"):
        print("this benchmark needs PostgreSQL", file=sys.stderr)
        return 2
    name = f"receiptsnap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        t0 = time.perf_counter()
        heavy_user = fill(url, users=args.users, receipts=args.receipts, heavy=args.heavy)
        filled = time.perf_counter() - t0
        print(f"filled {args.users} users, {args.receipts} receipts in {filled:.1f} s")
        engine = make_engine(url)
        months = [Month(2025, m) for m in range(1, 13)] + [Month(2026, m) for m in range(1, 11)]
        times = []
        with Session(engine) as session:
            for n in range(args.runs):
                month = months[n % len(months)]
                t = time.perf_counter()
                out = summarize(session, user_id=heavy_user, month=month, timezone="Europe/Berlin")
                times.append(time.perf_counter() - t)
                assert out.count > 0
            t = time.perf_counter()
            size = rows = 0
            for chunk in export_receipts_csv(
                session, user_id=heavy_user, month=None, timezone="Europe/Berlin"
            ):
                size += len(chunk)
                rows += chunk.count("\n")
            export_s = time.perf_counter() - t
        engine.dispose()
        print(
            f"/summary of the heavy user ({args.heavy} receipts), {args.runs} runs over 22 months:"
        )
        p50, p99, mean = pct(times, 50), pct(times, 99), statistics.mean(times)
        print(f"  p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, mean {mean * 1000:.1f} ms")
        print(
            f"CSV export of all the heavy user's receipts: {rows - 1} rows, {size / 1e6:.2f} MB "
            f"in {export_s:.2f} s = {(rows - 1) / export_s:,.0f} receipts/s"
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
