"""Shared fixtures: the database (PostgreSQL when TEST_DATABASE_URL is set), a moto server on
loopback with the product's resources, and settings pointing at them."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.aws.clients import AwsClients
from core.aws.local import provision_local_resources
from core.db.models import Base
from core.db.session import make_engine, upgrade
from core.observability.metrics import set_metrics_output
from core.settings import ApiSettings, ProcessorSettings
from devstack.stack import free_port
from tests.helpers import logged

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED_DATA = REPO.parent / "shared" / "data"
CALLBACK_KEY = "test-callback-key-" + "x" * 16


logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's access log


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return f"database: PostgreSQL at {make_url(url).host}"
    return "database: SQLite (TEST_DATABASE_URL is unset)"


@pytest.fixture(autouse=True)
def _metrics_to_stdout() -> Iterator[None]:
    """Metrics go to stdout in every test, as in the services: a CLI test (demo, extract) turns
    them off for its process, which must not silence the next test's."""
    set_metrics_output()
    yield
    set_metrics_output()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this run, migrated to head; dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"receiptsnap_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[object]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_db(db_engine: object) -> Iterator[None]:
    """Each test starts and ends with empty tables (tests may use several connections)."""
    yield
    with db_engine.begin() as conn:  # type: ignore[attr-defined]
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session_factory(db_engine: object, clean_db: None) -> sessionmaker[Session]:
    return sessionmaker(db_engine, expire_on_commit=False)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_names() -> dict[str, str]:
    """Resource names unique to one test, so tests never see each other's messages."""
    suffix = secrets.token_hex(4)
    return {
        "raw_bucket": f"raw-{suffix}",
        "processed_bucket": f"processed-{suffix}",
        "queue_name": f"jobs-{suffix}",
        "dlq_name": f"jobs-dlq-{suffix}",
    }


@pytest.fixture
def processor_settings(moto_endpoint: str, aws_names: dict[str, str]) -> ProcessorSettings:
    settings = ProcessorSettings(
        aws_endpoint_url=moto_endpoint,
        aws_local_credentials=True,
        callback_url="http://127.0.0.1:9/unused",
        **aws_names,
    )
    provision_local_resources(
        AwsClients(settings),
        **aws_names,
        visibility_timeout=30,
        max_receive_count=5,
        secrets={settings.callback_secret_id: CALLBACK_KEY},
    )
    return settings


@pytest.fixture
def api_settings(
    processor_settings: ProcessorSettings, database_url: str, aws_names: dict[str, str]
) -> ApiSettings:
    return ApiSettings(
        aws_endpoint_url=processor_settings.aws_endpoint_url,
        aws_local_credentials=True,
        database_url=database_url,
        telegram_mode="off",
        **aws_names,
    )


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    """ERROR messages of core.aws.errors: the one line an operator gets for an AWS problem."""
    with logged("core.aws.errors", logging.ERROR) as messages:
        yield messages


def sroie_dir() -> Path:
    return SHARED_DATA / "sroie"


def require_shared_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is absent: this test reads real receipts from it")
    return path
