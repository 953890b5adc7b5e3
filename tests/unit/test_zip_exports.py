"""ZIP exports' bounds: one at a time per user and per instance, a user's next one after the
interval, an archive cut before its size bound, built on threads of its own."""

from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from datetime import date

import pytest

from bot.exports import Refused, ZipExports, build_zip
from core.aws.s3 import ObjectNotFound
from core.summaries.export import ExportFile


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeStore:
    """S3Store.get as it behaves: ObjectNotFound, or ValueError for an object over max_bytes
    (known from its length, before its bytes are read)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.read: list[str] = []

    def get(self, *, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
        if key not in self.objects:
            raise ObjectNotFound(key)
        data = self.objects[key]
        if max_bytes is not None and len(data) > max_bytes:
            raise ValueError(f"object is {len(data)} bytes, over {max_bytes}")
        self.read.append(key)
        return data


def files(n: int) -> list[ExportFile]:
    return [
        ExportFile(f"{i:08x}-rest", date(2026, 9, 1 + i % 28), "raw", f"k{i}.jpg") for i in range(n)
    ]


class TestZipExports:
    def test_one_per_user_at_a_time_then_one_per_interval(self) -> None:
        clock = Clock()
        gate = ZipExports(concurrency=2, interval_seconds=600, clock=clock)
        assert gate.acquire(1) is None
        assert gate.acquire(1) == Refused("running")
        gate.release(1)
        clock.now += 60
        assert gate.acquire(1) == Refused("too_soon", 540)
        clock.now += 540
        assert gate.acquire(1) is None

    def test_every_slot_taken_refuses_others_until_one_is_free(self) -> None:
        gate = ZipExports(concurrency=1, interval_seconds=600, clock=Clock())
        assert gate.acquire(1) is None
        assert gate.acquire(2) == Refused("busy")
        gate.release(1)
        assert gate.acquire(2) is None

    def test_an_export_that_built_nothing_does_not_start_the_interval(self) -> None:
        gate = ZipExports(concurrency=1, interval_seconds=600, clock=Clock())
        assert gate.acquire(1) is None
        gate.release(1, counted=False)
        assert gate.acquire(1) is None

    def test_builds_run_on_their_own_threads_not_the_default_pool(self) -> None:
        gate = ZipExports(concurrency=1, interval_seconds=0)
        name = asyncio.run(gate.run(lambda: threading.current_thread().name))
        assert name.startswith("zip-export")


class TestBuildZip:
    def test_cut_before_the_file_that_would_pass_the_bound(self) -> None:
        store = FakeStore({f"k{i}.jpg": bytes([i]) * 10_000 for i in range(4)})
        archive = build_zip(store, files(4), max_bytes=25_000)  # type: ignore[arg-type]
        with archive.file:
            data = archive.file.read()
        assert len(data) == archive.size <= 25_000
        assert (archive.count, archive.last_day, archive.left_out) == (
            2,
            date(2026, 9, 2),
            date(2026, 9, 3),
        )
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert [z.read(n) for n in z.namelist()] == [b"\0" * 10_000, b"\1" * 10_000]
        assert store.read == ["k0.jpg", "k1.jpg"]  # the third was never downloaded

    def test_everything_that_fits_and_files_gone_from_s3_are_skipped(self) -> None:
        store = FakeStore({"k0.jpg": b"a" * 100, "k2.jpg": b"c" * 100})
        archive = build_zip(store, files(3), max_bytes=10_000)  # type: ignore[arg-type]
        with archive.file, zipfile.ZipFile(archive.file) as z:
            assert len(z.namelist()) == 2
        assert (archive.count, archive.left_out) == (2, None)

    @pytest.mark.parametrize("size", [1, 500, 9_000])
    def test_the_bound_holds_whatever_the_sizes(self, size: int) -> None:
        store = FakeStore({f"k{i}.jpg": b"x" * size for i in range(40)})
        archive = build_zip(store, files(40), max_bytes=20_000)  # type: ignore[arg-type]
        with archive.file:
            assert len(archive.file.read()) <= 20_000
        assert archive.count >= 1
