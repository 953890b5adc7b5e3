"""Migrations run both ways and leave the schema exactly as the models describe it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db.models import Base
from core.db.session import downgrade, make_engine, upgrade


def test_models_match_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back(tmp_path: object, database_url: str) -> None:
    # On a scratch SQLite file, so the shared test database keeps its schema.
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert {"users", "receipts", "line_items", "telegram_updates", "processing_attempts"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
