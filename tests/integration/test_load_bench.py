"""bench/load.py (issue 14) with tiny counts: the API in its own process, the bot in its own (as
deployed) or in the API's, the baseline, the load generator; every update answered once, every
photo one receipt and one card."""

from __future__ import annotations

import pytest

from bench import load


@pytest.mark.e2e
@pytest.mark.timeout(90)
@pytest.mark.parametrize("bot_process", [True, False], ids=["bot-process", "bot-in-api"])
def test_load_bench_loses_and_duplicates_nothing(database_url: str, bot_process: bool) -> None:
    report = load.run(
        load.Options(
            updates=20,
            rate=50,
            photos=2,
            photo_rate=4,
            database_url=database_url,
            photo_timeout=60,
            warm_up=False,
            verbose=False,
            bot_process=bot_process,
            rounds=1,
        )
    )
    [text], [baseline], photos = report.texts, report.baselines, report.photos
    assert photos is not None
    assert (text.lost, text.duplicated, text.answered_in_window) == (0, 0, 20)
    assert (text.inbox_stored, text.inbox_handled) == (20, 20)
    assert not text.acks.errors and not baseline.errors
    assert len(baseline.ok_ms) == 20
    assert (photos.lost, photos.duplicated, photos.cards) == (0, 0, 2)
    assert not photos.acks.errors
    assert report.ok
    assert report.memory_kb["API (receiptsnap api)"]
    assert bool(report.memory_kb.get("bot (receiptsnap bot)")) is bot_process
