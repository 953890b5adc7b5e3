"""PostgreSQL restarted while receipts are in flight (issue 14). A cluster of its own (initdb in
a temp directory, on a free port: restarting the machine's server would cut every other user of
it), the stack on it, three photos sent, and the server restarted (``pg_ctl restart -m fast``:
every connection cut) once the first is being read. Every connection the stack held is dead
then: each receipt still ends ``done`` with exactly one card.

Needs PostgreSQL's server binaries (Debian's postgresql package: /usr/lib/postgresql/N/bin) and
to be root (initdb runs as the postgres user); skipped with the reason otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.load import unique_jpeg
from core.db.models import Receipt
from core.db.session import make_engine
from devstack.stack import LocalStack, fake_telegram_options, free_port
from devstack.telegram import FakeTelegram
from tests.e2e.conftest import SAMPLE, new_fake, post_update

pytestmark = pytest.mark.e2e

# 87xx: the inbox and the outbox (see tests/e2e/conftest.py); 8757-8759 this module (own database).
CHATS = (8757, 8758, 8759)
CARD_MARKS = ("🧾", "❌")


def server_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


class Cluster:
    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin, self.data, self.port = bin_dir, root / "data", port
        self.root = root

    def run(self, *argv: str) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, fixed argv
            ["runuser", "-u", "postgres", "--", *argv],  # noqa: S607 - util-linux's, on PATH
            check=True,
            capture_output=True,
        )

    def pg_ctl(self, *argv: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        # The server's output to its log: a server holding this pipe would never let it close.
        log = str(self.root / "server.log")
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", log, "-o", options, *argv
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bin_dir = server_bin()
    if bin_dir is None or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL's server binaries (/usr/lib/postgresql/N/bin) are not here")
    if os.geteuid() != 0:
        pytest.skip("a cluster of its own needs root (initdb runs as the postgres user)")
    root = Path(tempfile.mkdtemp(prefix="receiptsnap-pg-"))
    shutil.chown(root, user="postgres")
    cluster = Cluster(bin_dir, root, free_port())
    cluster.run(str(bin_dir / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres")
    cluster.pg_ctl("start")
    try:
        yield cluster
    finally:
        cluster.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(root, ignore_errors=True)


def card_sends(fake: FakeTelegram, chat: int) -> int:
    calls = fake.calls_for("sendMessage", chat) + fake.calls_for("editMessageText", chat)
    return sum(str(c.params.get("text", "")).startswith(CARD_MARKS) for c in calls)


def test_receipts_in_flight_survive_a_database_restart(cluster: Cluster) -> None:
    engine = make_engine(cluster.url)

    def statuses() -> dict[int, list[str]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Receipt.telegram_chat_id, Receipt.status).where(
                    Receipt.telegram_chat_id.in_(CHATS)
                )
            ).all()
        found: dict[int, list[str]] = {chat: [] for chat in CHATS}
        for chat, status in rows:
            found[int(chat)].append(str(status))
        return found

    with new_fake() as fake:
        options = fake_telegram_options(
            fake.token, fake.url, database_url=cluster.url, queue_visibility_timeout=5
        )
        with LocalStack(options) as stack:
            for chat in CHATS:
                data = unique_jpeg(SAMPLE.read_bytes(), f"pg-restart-{chat}")
                file_id = fake.add_file(data, file_name="r.jpg", mime_type="image/jpeg")
                update = fake.photo_update(chat_id=chat, user_id=chat, file_id=file_id)
                assert post_update(stack, update).status_code == 200
            deadline = time.monotonic() + 60
            while not any("processing" in found for found in statuses().values()):
                assert time.monotonic() < deadline, "the worker never started reading"
                time.sleep(0.1)
            engine.dispose()
            cluster.pg_ctl("restart", "-m", "fast")  # every connection cut
            deadline = time.monotonic() + 180
            while not all(card_sends(fake, chat) for chat in CHATS):
                assert time.monotonic() < deadline, f"cards missing; receipts: {statuses()}"
                time.sleep(0.25)
            time.sleep(1.0)  # a second card would follow its first within moments
            assert statuses() == {chat: ["done"] for chat in CHATS}
            assert [card_sends(fake, chat) for chat in CHATS] == [1, 1, 1]
    engine.dispose()
