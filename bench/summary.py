"""Summaries and exports at scale, on PostgreSQL.

    python bench/summary.py [--database-url URL] [--users 1000] [--receipts 200000]
                            [--heavy 5000] [--runs 50] [--members 10] [--ledger 20000]

Fills a fresh database (created next to the one in the URL and dropped afterwards) with USERS
users and RECEIPTS receipts with line items over 2 years, one heavy user holding HEAVY of them,
then prints p50/p99 of the heavy user's monthly summary (the /summary query set) and the CSV
export rate of all the heavy user's receipts. Then a group ledger (issue 16) of MEMBERS of those
users with LEDGER receipts over the same 2 years, each paid by one member and split equally among
all of them (a receipt_shares row each), a third in other currencies with their EUR home amount:
p50/p99 of the group's /summary (the summary's queries plus each member's paid and share) and of
/balance (every receipt since the start, the fewest transfers), and the rate of the group's CSV
export (each receipt's shares split exactly to the cent). Default URL: TEST_DATABASE_URL or
the local PostgreSQL at 127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db.models import Ledger
from core.db.session import make_engine, upgrade
from core.ledgers.service import balance, members_of_period
from core.summaries.export import export_ledger_csv, export_receipts_csv
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


def fill_ledger(url: str, *, members: int, receipts: int, seed: int = 11) -> int:
    """A ledger (id 1, currency EUR) of users 1..members, with ``receipts`` receipts."""
    rng = random.Random(seed)
    raw = create_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        now = datetime(2026, 11, 1, tzinfo=UTC)
        cur.execute(
            "INSERT INTO ledgers (id, telegram_chat_id, title, currency, timezone, created_by,"
            " created_at) VALUES (1, -100123, 'bench', 'EUR', 'Europe/Berlin', 1, %s)",
            (now,),
        )
        for uid in range(1, members + 1):
            cur.execute(
                "INSERT INTO ledger_members (ledger_id, user_id, joined_at) VALUES (1, %s, %s)",
                (uid, now),
            )
        rbuf, sbuf = io.StringIO(), io.StringIO()
        for _ in range(receipts):
            rid = uuid.UUID(int=rng.getrandbits(128))
            day = date(2024, 11, 1) + timedelta(days=rng.randrange(730))
            sender = rng.randint(1, members)
            total = f"{rng.uniform(1, 250):.2f}"
            currency = rng.choice(CURRENCIES)
            home = total if currency == "EUR" else f"{float(total) * 0.9:.2f}"
            sent = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
            fields = [
                str(rid), str(sender), "done", "telegram", "image/jpeg", "raw",
                f"users/{sender}/{rid}.jpg", f"Shop {rng.randrange(300)}", day.isoformat(),
                currency, total, "EUR", home, rng.choice(CATEGORIES), str(sent), str(sent), "0",
                "1", "1", str(rng.randint(1, members)), "equal",
            ]  # fmt: skip
            rbuf.write("\t".join(fields) + "\n")
            for uid in range(1, members + 1):
                sbuf.write(f"{rid}\t{uid}\t1\n")
        for buffer, sql in (
            (
                rbuf,
                "COPY receipts (id, user_id, status, source, content_type, raw_bucket, raw_key,"
                " merchant_name, purchase_date, currency, total, home_currency, home_total,"
                " category, created_at, updated_at, requeue_count, attempt, ledger_id,"
                " paid_by_user_id, split) FROM STDIN",
            ),
            (sbuf, "COPY receipt_shares (receipt_id, user_id, share) FROM STDIN"),
        ):
            buffer.seek(0)
            cur.copy_expert(sql, buffer)
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return 1


def bench_ledger(url: str, *, members: int, receipts: int, runs: int) -> None:
    t0 = time.perf_counter()
    ledger_id = fill_ledger(url, members=members, receipts=receipts)
    print(f"filled a group ledger of {members} members, {receipts} receipts in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    engine = make_engine(url)
    months = [Month(2025, m) for m in range(1, 13)] + [Month(2026, m) for m in range(1, 11)]
    summary_times, balance_times = [], []
    with Session(engine) as session:
        ledger = session.get(Ledger, ledger_id)
        assert ledger is not None
        for n in range(runs):
            month = months[n % len(months)]
            t = time.perf_counter()
            out = summarize(
                session,
                user_id=None,
                ledger_id=ledger.id,
                period=month,
                timezone=ledger.timezone,
                home=ledger.currency,
            )
            rows, _ = members_of_period(session, ledger=ledger, period=month)
            summary_times.append(time.perf_counter() - t)
            assert out.count > 0 and len(rows) == members
            t = time.perf_counter()
            result = balance(session, ledger=ledger)
            balance_times.append(time.perf_counter() - t)
            assert result is not None and len(result.transfers) < members
        # The ledger's CSV (/export all in the group): each receipt's shares split exactly
        # (core.ledgers.shares.split_amount), once
        t = time.perf_counter()
        lines = sum(
            chunk.count("\n") for chunk in export_ledger_csv(session, ledger=ledger, period=None)
        )
        export_seconds = time.perf_counter() - t
    engine.dispose()
    for what, times in (("/summary", summary_times), ("/balance", balance_times)):
        p50, p99, mean = pct(times, 50), pct(times, 99), statistics.mean(times)
        print(
            f"  group {what} ({runs} runs): p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"mean {mean * 1000:.1f} ms"
        )
    print(
        f"  group /export all: {lines - 1} receipts in {export_seconds:.2f} s "
        f"({(lines - 1) / export_seconds:.0f} receipts/s)"
    )


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server's database; the bench works in a database of its own there",
    )


@contextlib.contextmanager
def scratch_database(database_url: str) -> Iterator[str]:
    """A new database on ``database_url``'s PostgreSQL server, migrated, dropped at the end;
    its URL. SystemExit(2) for another database."""
    base = make_url(database_url)
    if not base.drivername.startswith("postgresql"):
        print("this benchmark needs PostgreSQL", file=sys.stderr)
        raise SystemExit(2)
    name = f"receiptsnap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_database_argument(parser)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--receipts", type=int, default=200_000)
    parser.add_argument("--heavy", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--ledger", type=int, default=20_000)
    args = parser.parse_args()

    with scratch_database(args.database_url) as url:
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
                out = summarize(session, user_id=heavy_user, period=month, timezone="Europe/Berlin")
                times.append(time.perf_counter() - t)
                assert out.count > 0
            t = time.perf_counter()
            size = rows = 0
            for chunk in export_receipts_csv(
                session, user_id=heavy_user, period=None, timezone="Europe/Berlin"
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
        if args.ledger:
            bench_ledger(
                url, members=min(args.members, args.users), receipts=args.ledger, runs=args.runs
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
