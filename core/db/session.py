"""Engine and session factory; migrations run programmatically with Alembic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
logger = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


VERIFYING_SSLMODES = ("verify-ca", "verify-full")


def url_from_secret(secret: dict[str, Any], *, sslmode: str, sslrootcert: str | None = None) -> URL:
    """The PostgreSQL URL described by an RDS secret (its password included). A verifying
    ``sslmode`` needs ``sslrootcert``, the CA bundle the server's certificate is checked against;
    a missing file is refused here, not at the first connection."""
    query = {"sslmode": sslmode}
    if sslmode in VERIFYING_SSLMODES:
        if not sslrootcert or not Path(sslrootcert).is_file():
            raise ValueError(
                f"sslmode={sslmode} needs the RDS CA bundle, not found at {sslrootcert!r}: set "
                "DATABASE_SSLROOTCERT to global-bundle.pem (docs/deploy.md)"
            )
        query["sslrootcert"] = sslrootcert
    return URL.create(
        "postgresql+psycopg2",
        username=str(secret["username"]),
        password=str(secret["password"]) if secret.get("password") else None,
        host=str(secret["host"]),
        port=int(secret.get("port") or 5432),
        database=str(secret.get("dbname") or "postgres"),
        query=query,
    )


def make_engine(
    url: str | URL, *, password: Callable[[bool], str | None] | None = None, **kwargs: Any
) -> Engine:
    """``password(fresh)``, when given, is asked for each new connection, and asked again with
    ``fresh=True`` when a connection is refused: a rotated secret is picked up at once."""
    if password is not None:
        engine = _make_engine(url, **kwargs)

        @event.listens_for(engine, "do_connect")
        def _connect(dialect: Any, _rec: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
            return connect_with_current_password(dialect, cargs, cparams, password)

        return engine
    return _make_engine(url, **kwargs)


def connect_with_current_password(
    dialect: Any, cargs: Any, cparams: dict[str, Any], password: Callable[[bool], str | None]
) -> Any:
    """Connect with the cached password; if refused and the secret now holds another one (it
    was rotated), once more with that."""
    value = password(False)
    if value:
        cparams["password"] = value
    try:
        return dialect.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.OperationalError as refused:
        try:
            current = password(True)
        except Exception:  # the secret could not be read: the database's error stands
            logger.warning("db.password_refresh_failed", exc_info=True)
            raise refused from None
        if not current or current == value:
            raise  # not a rotation: the server is down, or the password is wrong everywhere
        logger.info("db.password_rotated reconnecting with the secret's new password")
        cparams["password"] = current
        return dialect.connect(*cargs, **cparams)


def _make_engine(url: str | URL, **kwargs: Any) -> Engine:
    if isinstance(url, URL):
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        return create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def run_in_session(factory: sessionmaker[Session], fn: Callable[[Session], T]) -> T:
    """Run ``fn`` in a unit of work on a worker thread (async callers, sync SQLAlchemy)."""

    def run() -> T:
        with session_scope(factory) as session:
            return fn(session)

    return await asyncio.to_thread(run)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
