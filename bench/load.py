"""Load on the webhook and on the receipt path (issue 14), next to a baseline measured in the same
run (absolute numbers move with the machine; the ratio much less).

    python bench/load.py [--updates 1000] [--rate 200] [--photos 200] [--photo-rate 20]
                         [--database-url URL] [--connections 40] [--photo-timeout 600] [--quick]

It starts the embedded stack (``devstack.stack.LocalStack``: moto, migrations, the worker) in
webhook mode against the fake Telegram Bot API, with the API in its own process (``receiptsnap
api``, as the image runs it: its own interpreter and GIL), and sends load from a third process
(an asyncio httpx client, open loop: each request leaves on its schedule whatever the earlier
ones are doing, over at most CONNECTIONS connections, Telegram's default ``max_connections``
being 40; a latency is counted from the scheduled time, so a late send counts against the
server). Every update comes from its own chat and user, so each reply and card is matched to
its update without doubt (and the per-user receipt limit, 30 per 10 minutes, is never reached).

  baseline  a bare FastAPI endpoint (``baseline_app`` below; its own process, served by
            ``uvicorn.run`` as ``receiptsnap api`` serves the API) doing the webhook's one INSERT
            of the payload into a table shaped like ``telegram_updates`` and its commit; the same
            N updates at the same rate. Ack p50/p99.
  phase 1   N "/help" updates at R/s to /telegram/webhook with the secret: ack p50/p95/p99/max;
            updates answered (a sendMessage in their chat) within 60 s of being sent, lost (no
            reply), duplicated (more than one); the inbox rows stored and marked handled; API
            p99 / baseline p99 (issue 14's goal: within 3x, and under 50 ms at 200/s).
  phase 2   M photos at P/s (tests/fixtures/receipts/sroie_X00016469612.jpg, each a different
            file: its own JPEG comment segment, so the same-file check keeps them apart): ack
            p50/p95/p99, receipts done per second end to end, time to the last card, the SQS
            queue depth (ApproximateNumberOfMessages) every second, receipts lost (no card) and
            duplicated (more than one receipt row or card per photo). One photo (not counted)
            warms the OCR up first.
  memory    peak RSS (VmHWM) of each process: the API, the baseline, the load generator (the
            largest of its runs) and this one (moto, the fake Telegram, the worker and its OCR).
  CPU       each server's CPU time (/proc/<pid>/stat) while its load was sent, and the API's
            from the first update (photo) to the last one handled (card): per request, the
            steadiest figure on a shared machine. The API's includes the bot's work, which runs
            in the same process and on the same event loop as the webhook.

  disk, database  while each load is sent, a 4 KB write + fsync every 50 ms timed on this
            machine's disk (``FsyncProbe``), and what the database's busy connections wait on
            (``DatabaseWaits``: pg_stat_activity every 20 ms; ``IO:WALSync`` is a commit waiting
            for the disk): a stall of a shared machine's disk holds the baseline's commits and
            the API's alike, and a round it hits says so.

The bot sends at most 30 messages a second (PTB's AIORateLimiter, Telegram's limit), which bounds
the replies of phase 1 and the 6 Bot API calls of each photo in phase 2.

Default database: TEST_DATABASE_URL, else a fresh SQLite file (.receiptsnap/load.db). Chat and
update ids are random per run, so a database can be reused; the baseline's table is dropped at
the end. --quick: 100 updates, 10 photos (``make bench`` runs that). Exit status 1 when an update
or a receipt was lost or duplicated, or a webhook call was not answered 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine, Table

    from devstack.stack import LocalStack
    from devstack.telegram import FakeTelegram

SAMPLE = REPO / "tests" / "fixtures" / "receipts" / "sroie_X00016469612.jpg"
BASELINE_TABLE = "bench_load_inbox"
CARD_MARKERS = ("🧾", "❌")  # a receipt's card: done (or needs review), or failed
REPLY_WINDOW_SECONDS = 60.0
WARM_UP_SECONDS = 1.0  # of load at the measured rate, before anything is measured
GOAL_RATIO = 3.0
GOAL_P99_MS = 50.0


@dataclass
class Options:
    updates: int = 1000
    rate: float = 200.0
    photos: int = 200
    photo_rate: float = 20.0
    database_url: str | None = None
    connections: int = 40
    photo_timeout: float = 600.0
    # The bot's handling in its own process (`receiptsnap bot`, TELEGRAM_HANDLER=process), as
    # deployed; False: in the API's event loop.
    bot_process: bool = True
    # Baseline + phase 1 this many times, one after the other: the median round's ratio.
    rounds: int = 3
    warm_up: bool = True  # one photo through the OCR before phase 2, the webhooks before timing
    verbose: bool = True
    out: TextIO | None = None  # where the figures go (default: stdout, as it was at the start)


# ---------------------------------------------------------------------------- figures


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def peak_rss_kb(pid: int | None = None) -> int | None:
    """A running process's peak resident set size (VmHWM, kB); None once it is gone."""
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


@dataclass
class CpuMeter:
    """A process's CPU time from now on."""

    pid: int
    start: float = math.nan

    def __post_init__(self) -> None:
        self.start = cpu_seconds(self.pid)

    def since(self) -> float:
        return cpu_seconds(self.pid) - self.start


class FsyncProbe:
    """The disk's own latency meanwhile: a 4 KB write and its fsync every 50 ms to a temporary
    file (on this machine's disk: the database's, when the server runs here), each timed. A
    stall of the disk (a shared machine's neighbours) holds every durable commit, the
    baseline's and the API's alike: this tells a stall of the machine from one of ours."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.seconds: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fsync-probe", daemon=True)

    def __enter__(self) -> FsyncProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        block = os.urandom(4096)
        with tempfile.NamedTemporaryFile(prefix="receiptsnap-fsync-") as f:
            while not self._stop.wait(self.every):
                t = time.perf_counter()
                f.seek(0)
                f.write(block)
                f.flush()
                os.fsync(f.fileno())
                self.seconds.append(time.perf_counter() - t)

    def line(self) -> str:
        if not self.seconds:
            return "disk meanwhile: no fsync timed"
        ms = [s * 1000 for s in self.seconds]
        return (
            f"disk meanwhile (a 4 KB fsync every {self.every * 1000:.0f} ms): p50 "
            f"{pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.1f}, max {max(ms):.1f}"
        )


class DatabaseWaits:
    """What the database's busy connections wait on meanwhile (PostgreSQL): pg_stat_activity
    every 20 ms, each active backend of the database counted by its wait event (none: on the
    CPU). ``IO:WALSync`` is a commit waiting for the disk."""

    def __init__(self, database_url: str | None, every: float = 0.02) -> None:
        self.url, self.every = database_url, every
        self.waits: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="db-waits", daemon=True)

    def __enter__(self) -> DatabaseWaits:
        if self.url and self.url.startswith("postgresql"):
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        from sqlalchemy import create_engine, text

        assert self.url is not None
        engine = create_engine(self.url, pool_size=1)
        query = text(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity "
            "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
        )
        try:
            with engine.connect() as conn:
                while not self._stop.wait(self.every):
                    self.waits.update(conn.execute(query).scalars())
                    conn.rollback()
        finally:
            engine.dispose()

    def line(self) -> str:
        total = sum(self.waits.values())
        if not total:
            return ""
        top = ", ".join(f"{n / total:.0%} {event}" for event, n in self.waits.most_common(4))
        return f"database's busy connections meanwhile ({total} seen): {top}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Sent:
    """One webhook call as the load generator saw it (monotonic clock, shared by processes)."""

    scheduled: float
    lag: float  # when it actually left, after its scheduled time
    latency: float  # from the scheduled time to the response
    status: int  # 0: no response (connection error, timeout)


@dataclass
class AckRun:
    sent: list[Sent]
    generator_rss_kb: int | None
    server_cpu_s: float = math.nan  # the server's CPU time while the load was sent
    disk: str = ""  # FsyncProbe's line while the load was sent
    database: str = ""  # DatabaseWaits' line while the load was sent

    @property
    def ok_ms(self) -> list[float]:
        return [s.latency * 1000 for s in self.sent if s.status == 200]

    @property
    def errors(self) -> Counter[int]:
        return Counter(s.status for s in self.sent if s.status != 200)

    def p(self, q: float) -> float:
        values = self.ok_ms
        return pct(values, q) if values else math.nan

    def line(self) -> str:
        errors = ", ".join(f"{n}x {code or 'no answer'}" for code, n in sorted(self.errors.items()))
        lag = max((s.lag for s in self.sent), default=0.0) * 1000
        span = max(s.scheduled for s in self.sent) - min(s.scheduled for s in self.sent)
        return (
            f"ack p50 {self.p(50):.1f} ms, p95 {self.p(95):.1f}, p99 {self.p(99):.1f}, "
            f"max {self.p(100):.1f} ({len(self.ok_ms)}/{len(self.sent)} answered 200"
            f"{'; ' + errors if errors else ''}; generator late by at most {lag:.1f} ms)\n"
            f"  server CPU meanwhile (all its work): {self.server_cpu_s:.2f} s in {span:.1f} s "
            f"of sending ({self.server_cpu_s / max(span, 1e-9):.0%} of a core, "
            f"{self.server_cpu_s / len(self.sent) * 1000:.2f} ms per request)"
            + (f"\n  {self.disk}" if self.disk else "")
            + (f"\n  {self.database}" if self.database else "")
        )


@dataclass
class TextPhase:
    acks: AckRun
    answered_in_window: int = 0
    lost: int = 0
    duplicated: int = 0
    reply_s: list[float] = field(default_factory=list)
    inbox_stored: int = 0
    inbox_handled: int = 0
    api_cpu_s: float = math.nan  # the API's CPU time from the first update to the last handled
    bot_cpu_s: float | None = None  # the bot process's, when it has one


@dataclass
class PhotoPhase:
    acks: AckRun
    cards: int = 0
    lost: int = 0
    duplicated: int = 0
    not_cards: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    card_s: list[float] = field(default_factory=list)
    time_to_last_card: float = math.nan
    depth: list[tuple[float, int, int]] = field(default_factory=list)  # (t, visible, in flight)
    api_cpu_s: float = math.nan  # the API's CPU time from the first photo to the last card
    bot_cpu_s: float | None = None  # the bot process's, when it has one

    @property
    def per_second(self) -> float:
        return self.cards / self.time_to_last_card if self.time_to_last_card > 0 else math.nan


@dataclass
class Report:
    baselines: list[AckRun]  # one per round, each just before that round's phase 1
    texts: list[TextPhase]
    photos: PhotoPhase | None
    memory_kb: dict[str, int | None]

    @property
    def ratios(self) -> list[float]:
        return [t.acks.p(99) / b.p(99) for b, t in zip(self.baselines, self.texts, strict=True)]

    @property
    def ratio(self) -> float:
        """The median round's: a burst of another program's work on a shared machine moves
        one round, not the figure."""
        return statistics.median(self.ratios)

    @property
    def ok(self) -> bool:
        photos_ok = self.photos is None or (
            self.photos.lost == 0 and self.photos.duplicated == 0 and not self.photos.acks.errors
        )
        return (
            all(t.lost == 0 and t.duplicated == 0 and not t.acks.errors for t in self.texts)
            and not any(b.errors for b in self.baselines)
            and photos_ok
        )


# ---------------------------------------------------------------------------- load generator


async def _generate(
    url: str, headers: dict[str, str], bodies: list[bytes], rate: float, connections: int
) -> list[Sent]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    results: list[Sent | None] = [None] * len(bodies)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0)) as client:

        async def one(i: int, body: bytes, at: float) -> None:
            lag = time.monotonic() - at
            try:
                status = (await client.post(url, content=body, headers=headers)).status_code
            except httpx.HTTPError:
                status = 0
            results[i] = Sent(at, lag, time.monotonic() - at, status)

        start = time.monotonic() + 0.05
        tasks = []
        for i, body in enumerate(bodies):
            at = start + i / rate
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, body, at)))
        await asyncio.gather(*tasks)
    return [r for r in results if r is not None]


def generator_main() -> int:
    """The load generator's own process: a job (JSON) on stdin, the calls (JSON) on stdout."""
    job = json.loads(sys.stdin.buffer.read())
    bodies = [json.dumps(p).encode() for p in job["payloads"]]
    headers = {"Content-Type": "application/json", **job["headers"]}
    sent = asyncio.run(_generate(job["url"], headers, bodies, job["rate"], job["connections"]))
    out = {"sent": [vars(s) for s in sent], "rss_kb": peak_rss_kb()}
    sys.stdout.write(json.dumps(out))
    return 0


def send_load(
    url: str,
    secret: str | None,
    payloads: list[dict[str, Any]],
    *,
    rate: float,
    connections: int,
    server_pid: int | None = None,
    database_url: str | None = None,
) -> AckRun:
    """POST ``payloads`` to ``url`` at ``rate`` per second from a fresh process; its figures
    (with the CPU time ``server_pid`` used meanwhile)."""
    job = {
        "url": url,
        "headers": {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {},
        "payloads": payloads,
        "rate": rate,
        "connections": connections,
    }
    cpu_before = cpu_seconds(server_pid) if server_pid else math.nan
    with FsyncProbe() as disk, DatabaseWaits(database_url) as waits:
        done = subprocess.run(  # noqa: S603 - this file, fixed argv
            [sys.executable, __file__, "--generate"],
            input=json.dumps(job).encode(),
            capture_output=True,
            check=True,
            timeout=len(payloads) / rate + 90,
        )
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else math.nan
    data = json.loads(done.stdout)
    return AckRun([Sent(**s) for s in data["sent"]], data["rss_kb"], cpu, disk.line(), waits.line())


# ---------------------------------------------------------------------------- baseline


def inbox_table() -> Table:
    """A table shaped like ``telegram_updates`` (same columns, same indexes)."""
    from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, Table, text

    from core.db.models import UtcDateTime

    table = Table(
        BASELINE_TABLE,
        MetaData(),
        Column("update_id", BigInteger, primary_key=True, autoincrement=False),
        Column("received_at", UtcDateTime, nullable=False, index=True),
        Column("payload", JSON),
        Column("handled_at", UtcDateTime),
        Column("attempts", Integer, nullable=False, server_default="0"),
    )
    Index(
        f"ix_{BASELINE_TABLE}_unhandled",
        table.c.received_at,
        postgresql_where=text("handled_at IS NULL"),
        sqlite_where=text("handled_at IS NULL"),
    )
    return table


def baseline_app(database_url: str) -> FastAPI:
    """The least an inbox webhook can do: the update's one INSERT and its commit, then 200."""
    from datetime import UTC, datetime

    from fastapi import Body, FastAPI, Response

    from core.db.session import make_engine

    engine = make_engine(database_url)  # the API's engine settings (pool, pre-ping)
    table = inbox_table()
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/telegram/webhook")
    def webhook(update: dict[str, Any] = Body()) -> Response:  # noqa: B008 - FastAPI's way
        with engine.begin() as conn:
            conn.execute(
                table.insert().values(
                    update_id=int(update["update_id"]),
                    received_at=datetime.now(UTC),
                    payload=update,
                )
            )
        return Response(status_code=200)

    return app


def serve_baseline_main(port: int, database_url: str) -> int:
    import uvicorn

    uvicorn.run(baseline_app(database_url), host="127.0.0.1", port=port, proxy_headers=True)
    return 0


@contextlib.contextmanager
def baseline_server(database_url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    from devstack.stack import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, __file__, "--serve-baseline", str(port)]
    with log.open("ab") as out:
        child = subprocess.Popen(  # noqa: S603 - this file, fixed argv
            [*argv, "--database-url", database_url],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"the baseline exited at start; see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the baseline did not start; see {log}")
            time.sleep(0.1)
        yield url, child
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


# ---------------------------------------------------------------------------- phases


def random_base() -> int:
    """The first chat id of a run: random, so runs sharing a database never meet."""
    return 10**9 + secrets.randbelow(10**6) * 10**6


def text_updates(fake: FakeTelegram, count: int, *, base: int) -> list[dict[str, Any]]:
    return [
        fake.text_update(chat_id=base + i, user_id=base + i, text="/help") for i in range(count)
    ]


def chat_of(update: dict[str, Any]) -> int:
    return int(update["message"]["chat"]["id"])


def calls_by_chat(fake: FakeTelegram, method: str, chats: set[int]) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}
    for call in fake.calls_for(method):
        chat = call.params.get("chat_id")
        if chat in chats:
            found.setdefault(int(chat), []).append(call.at)
    return found


def run_text_phase(
    stack: LocalStack, fake: FakeTelegram, engine: Engine, updates: list[dict[str, Any]], o: Options
) -> TextPhase:
    from sqlalchemy import func, select

    from core.db.models import TelegramUpdate

    assert stack.api_child is not None
    pid = stack.api_child.pid
    cpu_before = cpu_seconds(pid)
    bot_cpu = CpuMeter(stack.bot_child.pid) if stack.bot_child else None
    acks = send_load(
        f"{stack.api_url}/telegram/webhook",
        stack.webhook_secret,
        updates,
        rate=o.rate,
        connections=o.connections,
        server_pid=pid,
        database_url=stack.options.database_url,
    )
    phase = TextPhase(acks)
    chats = {chat_of(u) for u in updates}
    scheduled = {chat_of(u): s.scheduled for u, s in zip(updates, acks.sent, strict=True)}
    deadline = max(scheduled.values()) + REPLY_WINDOW_SECONDS
    while True:
        replies = calls_by_chat(fake, "sendMessage", chats)
        if len(replies) == len(chats) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    ids = [int(u["update_id"]) for u in updates]

    def inbox() -> tuple[int, int]:
        with engine.connect() as conn:
            stored, handled = conn.execute(
                select(func.count(), func.count(TelegramUpdate.handled_at)).where(
                    TelegramUpdate.update_id.in_(ids)
                )
            ).one()
        return int(stored), int(handled)

    handled_by = time.monotonic() + 15  # marked handled just after the reply
    phase.inbox_stored, phase.inbox_handled = inbox()
    while phase.inbox_handled < len(replies) and time.monotonic() < handled_by:
        time.sleep(0.25)
        phase.inbox_stored, phase.inbox_handled = inbox()
    phase.api_cpu_s = cpu_seconds(pid) - cpu_before
    phase.bot_cpu_s = bot_cpu.since() if bot_cpu else None
    replies = calls_by_chat(fake, "sendMessage", chats)
    phase.reply_s = [min(times) - scheduled[chat] for chat, times in replies.items()]
    phase.answered_in_window = sum(1 for s in phase.reply_s if s <= REPLY_WINDOW_SECONDS)
    phase.lost = len(chats) - len(replies)
    phase.duplicated = sum(len(times) - 1 for times in replies.values())
    return phase


def unique_jpeg(data: bytes, tag: str) -> bytes:
    """The same picture as another file: a JPEG comment (COM segment) right after SOI."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    comment = f"receiptsnap load {tag}".encode()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def photo_update(fake: FakeTelegram, data: bytes, chat: int) -> dict[str, Any]:
    file_id = fake.add_file(data, file_name=f"load-{chat}.jpg", mime_type="image/jpeg")
    return fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)


def is_card(text: object) -> bool:
    return isinstance(text, str) and text.startswith(CARD_MARKERS)


def card_calls(fake: FakeTelegram, chats: set[int]) -> dict[int, list[float]]:
    """When each chat got a card: the status message edited into it, or sent anew."""
    found: dict[int, list[float]] = {}
    for call in list(fake.calls):  # a copy: the server's threads append to it
        if call.method not in ("editMessageText", "sendMessage"):
            continue
        chat = call.params.get("chat_id")
        if chat in chats and is_card(call.params.get("text")):
            found.setdefault(int(chat), []).append(call.at)
    return found


class DepthSampler(threading.Thread):
    """The work queue's depth every second (SQS ApproximateNumberOfMessages and NotVisible)."""

    def __init__(self, stack: LocalStack) -> None:
        super().__init__(name="queue-depth", daemon=True)
        self.settings = stack.worker_settings
        self.samples: list[tuple[float, int, int]] = []
        self.stopped = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        from core.aws.clients import AwsClients
        from core.aws.sqs import JobQueue

        queue = JobQueue(AwsClients(self.settings), queue_name=self.settings.queue_name)
        tick = self.started_at
        while not self.stopped.is_set():
            depth = queue.depth()
            self.samples.append((tick - self.started_at, depth["visible"], depth["in_flight"]))
            tick += 1.0
            self.stopped.wait(max(0.0, tick - time.monotonic()))

    def stop(self) -> list[tuple[float, int, int]]:
        self.stopped.set()
        self.join(timeout=10)
        return self.samples


def wait_for_card(fake: FakeTelegram, chat: int, timeout: float) -> None:
    fake.wait_for(lambda f: any(is_card(t) for t in f.messages(chat).values()), timeout=timeout)


def run_photo_phase(
    stack: LocalStack, fake: FakeTelegram, engine: Engine, count: int, o: Options
) -> PhotoPhase:
    from sqlalchemy import select

    from core.db.models import Receipt

    data = SAMPLE.read_bytes()
    base = random_base()
    if o.warm_up:  # the OCR's models load on first use (a cold start): not counted
        warm = base + count
        photo = photo_update(fake, unique_jpeg(data, f"{warm}"), warm)
        httpx.post(
            f"{stack.api_url}/telegram/webhook",
            json=photo,
            headers={"X-Telegram-Bot-Api-Secret-Token": stack.webhook_secret},
            timeout=30,
        ).raise_for_status()
        wait_for_card(fake, warm, timeout=180)
    updates = [photo_update(fake, unique_jpeg(data, f"{base + i}"), base + i) for i in range(count)]
    chats = {chat_of(u) for u in updates}
    assert stack.api_child is not None
    pid = stack.api_child.pid
    sampler = DepthSampler(stack)
    sampler.start()
    cpu_before = cpu_seconds(pid)
    bot_cpu = CpuMeter(stack.bot_child.pid) if stack.bot_child else None
    try:
        acks = send_load(
            f"{stack.api_url}/telegram/webhook",
            stack.webhook_secret,
            updates,
            rate=o.photo_rate,
            connections=o.connections,
            server_pid=pid,
            database_url=stack.options.database_url,
        )
        deadline = time.monotonic() + o.photo_timeout
        while len(card_calls(fake, chats)) < len(chats) and time.monotonic() < deadline:
            time.sleep(0.5)
        api_cpu = cpu_seconds(pid) - cpu_before
        bot_cpu_s = bot_cpu.since() if bot_cpu else None
        time.sleep(1.0)  # a duplicate card would follow its first within moments
    finally:
        depth = sampler.stop()
    phase = PhotoPhase(acks, depth=depth, api_cpu_s=api_cpu, bot_cpu_s=bot_cpu_s)
    cards = card_calls(fake, chats)
    first_sent = min(s.scheduled for s in acks.sent)
    scheduled = {chat_of(u): s.scheduled for u, s in zip(updates, acks.sent, strict=True)}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Receipt.telegram_chat_id, Receipt.telegram_message_id, Receipt.status).where(
                Receipt.telegram_chat_id.in_(chats)
            )
        ).all()
    per_photo = Counter((int(r.telegram_chat_id), int(r.telegram_message_id)) for r in rows)
    phase.statuses = Counter(r.status for r in rows)
    for update in updates:
        chat, message_id = chat_of(update), int(update["message"]["message_id"])
        times = cards.get(chat, [])
        receipts = per_photo.get((chat, message_id), 0)
        if not times:
            phase.lost += 1
            shown = [t for t in fake.messages(chat).values() if t]
            phase.not_cards[(shown[-1] if shown else "(nothing)")[:40]] += 1
        phase.duplicated += max(0, len(times) - 1) + max(0, receipts - 1)
    phase.cards = len(cards)
    phase.card_s = [min(t) - scheduled[chat] for chat, t in cards.items()]
    if cards:
        phase.time_to_last_card = max(min(t) for t in cards.values()) - first_sent
    return phase


# ---------------------------------------------------------------------------- the run


def warm_up(stack: LocalStack, fake: FakeTelegram, baseline_url: str, o: Options) -> None:
    """A second of the same load on both servers, the bot's replies awaited: database pools
    grown, connections to the fake Telegram open, lazy imports done; not counted."""
    count = max(10, min(o.updates, round(o.rate * WARM_UP_SECONDS)))
    warm = text_updates(fake, count, base=random_base())
    send_load(
        f"{baseline_url}/telegram/webhook", None, warm, rate=o.rate, connections=o.connections
    )
    send_load(
        f"{stack.api_url}/telegram/webhook",
        stack.webhook_secret,
        warm,
        rate=o.rate,
        connections=o.connections,
    )
    chats = {chat_of(u) for u in warm}
    deadline = time.monotonic() + REPLY_WINDOW_SECONDS
    while len(calls_by_chat(fake, "sendMessage", chats)) < len(chats):
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not answer the warm-up updates")
        time.sleep(0.25)
    time.sleep(1.0)  # their inbox rows marked handled


def default_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    path = REPO / ".receiptsnap" / "load.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def say(o: Options, text: str = "") -> None:
    if o.verbose:
        print(text, file=o.out or sys.stdout, flush=True)


def run(o: Options) -> Report:
    """Everything above, in order; the figures printed as they come (unless not verbose)."""
    from core.db.session import make_engine, upgrade
    from devstack.stack import LocalStack, fake_telegram_options
    from devstack.telegram import FakeTelegram

    o = dataclasses.replace(o, out=o.out or sys.stdout)
    database_url = o.database_url or default_database_url()
    logs = Path(tempfile.mkdtemp(prefix="receiptsnap-load-"))
    upgrade(database_url)
    engine = make_engine(database_url)
    table = inbox_table()
    table.drop(engine, checkfirst=True)
    table.create(engine)
    memory: dict[str, int | None] = {}
    fake = FakeTelegram(first_update_id=secrets.randbelow(2**40) + 1)
    fake.start()
    options = fake_telegram_options(
        fake.token,
        fake.url,
        database_url=database_url,
        api_process=True,
        api_log=str(logs / "api.log"),
        bot_process=o.bot_process,
        bot_log=str(logs / "bot.log"),
        worker_wait_seconds=1,
    )
    try:
        with (
            # What the worker prints (Powertools' EMF lines) goes to a log, not amid the figures.
            (logs / "worker.log").open("w") as worker_log,
            contextlib.redirect_stdout(worker_log),
            LocalStack(options) as stack,
            baseline_server(database_url, logs / "baseline.log") as (baseline_url, baseline),
        ):
            assert stack.api_child is not None
            say(o, f"API: its own process (receiptsnap api, pid {stack.api_child.pid})")
            if stack.bot_child is not None:
                say(o, f"bot: its own process (receiptsnap bot, pid {stack.bot_child.pid})")
            else:
                say(o, "bot: in the API's process and event loop (TELEGRAM_HANDLER=api)")
            say(o, f"baseline: its own process (uvicorn, pid {baseline.pid}); logs in {logs}")
            say(o, f"database: {engine.url.render_as_string(hide_password=True)}")
            generator_rss: list[int | None] = []
            if o.warm_up:
                warm_up(stack, fake, baseline_url, o)
            base_runs, texts = [], []
            for round_ in range(1, o.rounds + 1):
                updates = text_updates(fake, o.updates, base=random_base())
                of = f" (round {round_} of {o.rounds})" if o.rounds > 1 else ""
                say(o, f"\nbaseline{of}: {o.updates} updates at {o.rate:g}/s (INSERT + commit)")
                base_run = send_load(
                    f"{baseline_url}/telegram/webhook",
                    None,
                    updates,
                    rate=o.rate,
                    connections=o.connections,
                    server_pid=baseline.pid,
                    database_url=database_url,
                )
                generator_rss.append(base_run.generator_rss_kb)
                say(o, f"  {base_run.line()}")
                base_runs.append(base_run)

                say(o, f"\nphase 1{of}: {o.updates} /help updates at {o.rate:g}/s to the API")
                text = run_text_phase(stack, fake, engine, updates, o)
                generator_rss.append(text.acks.generator_rss_kb)
                print_text_phase(o, text, base_run)
                texts.append(text)
            memory["baseline"] = peak_rss_kb(baseline.pid)
            if o.rounds > 1:
                ratios = ", ".join(
                    f"{t.acks.p(99) / b.p(99):.2f}x" for b, t in zip(base_runs, texts, strict=True)
                )
                median = Report(base_runs, texts, None, {}).ratio
                met = (
                    median <= GOAL_RATIO
                    and statistics.median(t.acks.p(99) for t in texts) < GOAL_P99_MS
                )
                say(
                    o,
                    f"\nphase 1 over {o.rounds} rounds: API p99 / baseline p99 {ratios}; median "
                    f"{median:.2f}x, median API p99 "
                    f"{statistics.median(t.acks.p(99) for t in texts):.1f} ms "
                    f"(goal: within {GOAL_RATIO:g}x and under {GOAL_P99_MS:g} ms: "
                    f"{'met' if met else 'not met'})",
                )

            photos = None
            if o.photos:
                say(o, f"\nphase 2: {o.photos} receipt photos at {o.photo_rate:g}/s")
                photos = run_photo_phase(stack, fake, engine, o.photos, o)
                generator_rss.append(photos.acks.generator_rss_kb)
                print_photo_phase(o, photos)
            memory["API (receiptsnap api)"] = peak_rss_kb(stack.api_child.pid)
            if stack.bot_child is not None:
                memory["bot (receiptsnap bot)"] = peak_rss_kb(stack.bot_child.pid)
            memory["load generator"] = max((r for r in generator_rss if r), default=None)
            memory["this process (moto, fake Telegram, worker + OCR)"] = peak_rss_kb()
    finally:
        fake.stop()
        table.drop(engine, checkfirst=True)
        engine.dispose()
    report = Report(base_runs, texts, photos, memory)
    say(o, "\npeak RSS (VmHWM):")
    for name, kb in memory.items():
        say(o, f"  {name}: {kb / 1024:.0f} MB" if kb else f"  {name}: unknown")
    if report.ok:
        say(o, "\nOK: nothing lost or duplicated, every webhook call answered 200")
    else:
        say(o, "\nFAILED: updates or receipts lost or duplicated, or webhook errors (above)")
    return report


def print_text_phase(o: Options, text: TextPhase, baseline: AckRun) -> None:
    n = len(text.acks.sent)
    say(o, f"  {text.acks.line()}")
    if text.reply_s:
        say(
            o,
            f"  replies: {text.answered_in_window}/{n} within {REPLY_WINDOW_SECONDS:.0f} s "
            f"(p50 {pct(text.reply_s, 50):.2f} s, p99 {pct(text.reply_s, 99):.2f} s after the "
            f"update; the bot sends 30 messages/s at most); lost {text.lost}, duplicated "
            f"{text.duplicated}",
        )
    else:
        say(o, f"  replies: none; lost {text.lost}")
    say(o, f"  inbox: {text.inbox_stored}/{n} stored, {text.inbox_handled} marked handled")
    say(
        o,
        f"  API CPU from the first update to the last handled: {text.api_cpu_s:.2f} s "
        f"({text.api_cpu_s / n * 1000:.2f} ms per update: "
        f"{'the webhook' if text.bot_cpu_s is not None else 'webhook and bot'})",
    )
    if text.bot_cpu_s is not None:
        say(
            o,
            f"  bot process CPU meanwhile: {text.bot_cpu_s:.2f} s "
            f"({text.bot_cpu_s / n * 1000:.2f} ms per update: inbox, handlers, replies)",
        )
    ratio = text.acks.p(99) / baseline.p(99)
    met = ratio <= GOAL_RATIO and text.acks.p(99) < GOAL_P99_MS
    say(
        o,
        f"  API p99 / baseline p99: {text.acks.p(99):.1f} / {baseline.p(99):.1f} ms = "
        f"{ratio:.2f}x (goal: within {GOAL_RATIO:g}x and under {GOAL_P99_MS:g} ms: "
        f"{'met' if met else 'not met'})",
    )


def print_photo_phase(o: Options, p: PhotoPhase) -> None:
    n = len(p.acks.sent)
    say(o, f"  {p.acks.line()}")
    if p.card_s:
        say(
            o,
            f"  cards: {p.cards}/{n}; last {p.time_to_last_card:.1f} s after the first photo "
            f"({p.per_second:.2f} receipts/s end to end); per photo p50 "
            f"{pct(p.card_s, 50):.1f} s, p99 {pct(p.card_s, 99):.1f} s",
        )
    say(
        o,
        f"  API CPU from the first photo to the last card: {p.api_cpu_s:.2f} s "
        f"({p.api_cpu_s / n * 1000:.1f} ms per photo: webhook, "
        f"{'' if p.bot_cpu_s is not None else 'download, S3, SQS, '}edits, card)",
    )
    if p.bot_cpu_s is not None:
        say(
            o,
            f"  bot process CPU meanwhile: {p.bot_cpu_s:.2f} s "
            f"({p.bot_cpu_s / n * 1000:.1f} ms per photo: inbox, download, S3, SQS, status)",
        )
    say(o, f"  receipts: {dict(sorted(p.statuses.items()))}")
    say(o, f"  lost {p.lost}, duplicated {p.duplicated}")
    for shown, k in p.not_cards.most_common(5):
        say(o, f"    {k} ended at: {shown!r}")
    if p.depth:
        peak = max(p.depth, key=lambda s: s[1])
        say(
            o,
            f"  queue depth (visible, every 1 s): peak {peak[1]} at {peak[0]:.0f} s; "
            f"in flight at most {max(s[2] for s in p.depth)}",
        )
        row = 30
        for i in range(0, len(p.depth), row):
            values = " ".join(f"{v:3d}" for _, v, _ in p.depth[i : i + row])
            say(o, f"    {i:4d}s {values}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=None, help="phase 1 updates (1000)")
    parser.add_argument("--rate", type=float, default=200.0, help="updates per second (200)")
    parser.add_argument("--photos", type=int, default=None, help="phase 2 photos (200; 0: none)")
    parser.add_argument("--photo-rate", type=float, default=20.0, help="photos per second (20)")
    parser.add_argument("--database-url", default=None, help="TEST_DATABASE_URL, else SQLite")
    parser.add_argument("--connections", type=int, default=40, help="at most at once (40)")
    parser.add_argument("--photo-timeout", type=float, default=600.0, help="seconds for cards")
    parser.add_argument("--quick", action="store_true", help="100 updates, 10 photos")
    parser.add_argument(
        "--rounds", type=int, default=None, help="baseline + phase 1 rounds (3; --quick: 1)"
    )
    parser.add_argument(
        "--handler",
        choices=["process", "api"],
        default="process",
        help="where the bot handles updates: its own process (as deployed) or the API's",
    )
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        return generator_main()
    if args.serve_baseline:
        return serve_baseline_main(args.serve_baseline, args.database_url)
    updates = args.updates if args.updates is not None else (100 if args.quick else 1000)
    photos = args.photos if args.photos is not None else (10 if args.quick else 200)
    report = run(
        Options(
            updates=updates,
            rate=args.rate,
            photos=photos,
            photo_rate=args.photo_rate,
            database_url=args.database_url,
            connections=args.connections,
            photo_timeout=args.photo_timeout,
            bot_process=args.handler == "process",
            rounds=args.rounds or (1 if args.quick else 3),
        )
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
