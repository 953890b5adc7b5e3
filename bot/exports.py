"""ZIP exports of the original files (/export ... zip), bounded: how many are built at once, how
often one user may ask, how large one archive grows.

An archive is built from S3 into a spooled temporary file (memory, then the host's /tmp, a small
tmpfs), so each is capped below that; it is built on threads of its own, never on the pool that
every database call of the bot runs on (``asyncio.to_thread``'s default executor). The limits are
kept in this process: the webhook is served by one API instance.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import IO, Literal, TypeVar

from core.aws.s3 import ObjectNotFound, S3Store
from core.settings import ApiSettings
from core.summaries.export import ExportFile

T = TypeVar("T")

SPOOL_BYTES = 8 * 1024 * 1024  # past this an archive spills from memory to /tmp
# What the ZIP format adds besides the files' bytes, with room to spare: per file a local header
# (30 bytes and the name) and a central directory entry (46 and the name); the end record (22).
_HEADER = 64
_END = 64


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a ZIP export cannot start now: ``running`` (this user's is being built), ``too_soon``
    (this user had one less than the interval ago; ``wait_seconds`` until the next), ``busy``
    (every slot of this instance is taken)."""

    reason: Literal["running", "too_soon", "busy"]
    wait_seconds: int = 0


class ZipExports:
    """At most ``concurrency`` archives built at once, each user once per ``interval_seconds``.
    ``acquire`` and ``release`` are called on the event loop (no await between the check and the
    take), so two updates handled concurrently never both get in."""

    def __init__(
        self,
        *,
        concurrency: int,
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._running: set[int] = set()
        self._started: dict[int, float] = {}
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> ZipExports:
        return cls(
            concurrency=settings.export_zip_concurrency,
            interval_seconds=settings.export_zip_interval_seconds,
        )

    def acquire(self, user: int) -> Refused | None:
        """Take a slot for ``user`` (None), or say why not."""
        now = self._clock()
        self._started = {u: t for u, t in self._started.items() if now - t < self.interval_seconds}
        if user in self._running:
            return Refused("running")
        started = self._started.get(user)
        if started is not None:
            return Refused("too_soon", max(1, math.ceil(self.interval_seconds - (now - started))))
        if len(self._running) >= self.concurrency:
            return Refused("busy")
        self._running.add(user)
        self._started[user] = now
        return None

    def release(self, user: int, *, counted: bool = True) -> None:
        """Free ``user``'s slot; unless ``counted``, the interval does not start from this one
        (nothing was built)."""
        self._running.discard(user)
        if not counted:
            self._started.pop(user, None)

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn`` on one of this gate's own threads (as many as slots: it never queues)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="zip-export"
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)


@dataclass(slots=True)
class ZipArchive:
    """An archive ready to send (``file`` at 0, closed by the caller): ``count`` files in it, the
    last of ``last_day``; ``left_out`` the date of the first file it stopped before (the size
    bound), if any."""

    file: IO[bytes]
    count: int
    size: int
    last_day: date | None
    left_out: date | None


def build_zip(store: S3Store, files: Sequence[ExportFile], *, max_bytes: int) -> ZipArchive:
    """The files, in order, in one uncompressed ZIP of at most ``max_bytes``: it stops before the
    first file that would pass the bound (its size is known before its bytes are read). Files
    gone from S3 are skipped."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned or closed
    count: int = 0
    last_day: date | None = None
    left_out: date | None = None
    directory = _END  # what closing the archive will write: the central directory and its end
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for f in files:
                extension = f.key.rsplit(".", 1)[-1] if "." in f.key else "bin"
                name = f"{f.day.isoformat()}_{f.receipt_id[:8]}.{extension}"
                header = _HEADER + len(name.encode("utf-8"))  # each of the two
                room = max_bytes - out.tell() - directory - 2 * header
                try:
                    if room <= 0:
                        raise ValueError("no room left")
                    data = store.get(bucket=f.bucket, key=f.key, max_bytes=room)
                except ObjectNotFound:
                    continue
                except ValueError:  # over the room left: the archive ends here
                    left_out = f.day
                    break
                archive.writestr(name, data)
                directory += header
                count += 1
                last_day = f.day
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return ZipArchive(out, count, size, last_day, left_out)
