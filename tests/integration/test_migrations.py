"""Migrations run both ways and leave the schema exactly as the models describe it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.categories.service import (
    MAX_CATEGORIES,
    CategoryError,
    add_category,
    list_categories,
    rename_category,
)
from core.db.models import Base, Budget, MerchantCategory, Receipt, User, UserCategory
from core.db.session import downgrade, make_engine, upgrade
from core.reading.extraction.base import DEFAULT_CATEGORIES
from tests.fakes import stored_receipt


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


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (PostgreSQL when TEST_DATABASE_URL is set), for migrating
    step by step; the shared test database keeps its schema."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path}/scratch.db"
        return
    name = f"receiptsnap_scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0014_takes_earlier_rows_as_handled_and_notified(scratch_url: str) -> None:
    """GIVEN updates and finished receipts of before the inbox and the outbox THEN none of them
    is replayed or sent again; a receipt still being read is left to be notified."""
    upgrade(scratch_url, "0013")
    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        s.add(User(telegram_user_id=1))
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO telegram_updates (update_id, received_at) VALUES (7, :t)"),
            {"t": "2026-11-01 10:00:00+00:00"},
        )
        for n, status in enumerate(("done", "failed", "queued")):
            conn.execute(
                text(
                    "INSERT INTO receipts (id, user_id, status, source, content_type, raw_bucket,"
                    " raw_key, created_at, updated_at, completed_at, requeue_count, attempt)"
                    " VALUES (:id, (SELECT id FROM users), :status, 'telegram', 'image/jpeg',"
                    " 'raw', :key, :t, :t, :done, 0, 1)"
                ),
                {
                    "id": uuid.UUID(int=n + 1).hex
                    if engine.dialect.name == "sqlite"
                    else str(uuid.UUID(int=n + 1)),
                    "status": status,
                    "key": f"k{n}",
                    "t": "2026-11-01 10:00:00+00:00",
                    "done": None if status == "queued" else "2026-11-01 10:01:00+00:00",
                },
            )
    engine.dispose()

    upgrade(scratch_url, "0014")

    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        handled = conn.execute(text("SELECT handled_at IS NOT NULL FROM telegram_updates"))
        assert [bool(v) for (v,) in handled] == [True]
        rows = conn.execute(text("SELECT status, notified_at IS NOT NULL FROM receipts"))
        assert sorted((s, bool(n)) for s, n in rows) == [
            ("done", True),
            ("failed", True),
            ("queued", False),
        ]
    engine.dispose()


def test_0013_lists_the_categories_users_already_use(scratch_url: str) -> None:
    """GIVEN data of before 0012, when /budget and typed corrections took any word (0013 adds
    no column: the models describe the schema at 0012 too)."""
    upgrade(scratch_url, "0012")
    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        typed, defaults_only, own_list, many = users = [
            User(telegram_user_id=n, telegram_chat_id=n) for n in (1, 2, 3, 4)
        ]
        s.add_all(users)
        s.flush()
        ids = [u.id for u in users]

        at_0012 = {c["name"] for c in inspect(s.connection()).get_columns("receipts")}

        def receipt(user: User, category: str | None) -> None:
            # The columns of 0012 only (the models have the head's).
            row = stored_receipt(user_id=user.id, category=category, id=uuid.uuid4())
            values = {k: v for k, v in vars(row).items() if k in at_0012 and v is not None}
            s.execute(Receipt.__table__.insert().values(**values))

        for category in ("Coffee", "coffee", "groceries", "uncategorised", None):
            receipt(typed, category)
        s.add(Budget(user_id=typed.id, category="pets", currency="EUR", amount=Decimal(50)))
        s.add(MerchantCategory(user_id=typed.id, merchant_key="lidl", category="snacks"))
        receipt(defaults_only, "dining")
        s.add(Budget(user_id=defaults_only.id, category="groceries", currency="EUR", amount=1))
        # A list of their own already (made after 0012): it gets what it lacks, no default back.
        own = [n for n in DEFAULT_CATEGORIES if n != "fuel"] + ["books"]
        s.add_all(UserCategory(user_id=own_list.id, name=n) for n in own)
        receipt(own_list, "vinyl")
        receipt(own_list, "books")
        for n in range(25):
            receipt(many, f"hobby {n:02}")
    engine.dispose()

    upgrade(scratch_url)

    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        lists = [list_categories(s, user_id=i) for i in ids]
        assert lists[0] == ["coffee", "pets", "snacks", *DEFAULT_CATEGORIES]
        assert s.query(UserCategory).filter_by(user_id=ids[1]).count() == 0  # the default list
        assert lists[1] == list(DEFAULT_CATEGORIES)
        assert sorted(lists[2]) == sorted([*own, "vinyl"]) and "fuel" not in lists[2]
        # The data wins over the cap: 36 categories; adding is refused while over it.
        assert len(lists[3]) == len(DEFAULT_CATEGORIES) + 25 > MAX_CATEGORIES
        with pytest.raises(CategoryError) as refused:
            add_category(s, user_id=ids[3], name="one more")
        assert refused.value.code == "too_many"
        assert rename_category(s, user_id=ids[3], old="hobby 00", new="chess").receipts == 1
    engine.dispose()


def test_0015_forgets_a_groups_chat_id_kept_as_a_users_chat(scratch_url: str) -> None:
    """GIVEN users of before 0015, when every message (a group's too) set users.telegram_chat_id:
    a group's id (negative) is forgotten, a private chat's (the user's own id) kept."""
    upgrade(scratch_url, "0014")
    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        users = [  # in a group, in a private chat, unknown
            User(telegram_user_id=1, telegram_chat_id=-1001234),
            User(telegram_user_id=2, telegram_chat_id=2),
            User(telegram_user_id=3, telegram_chat_id=None),
        ]
        s.add_all(users)
        s.flush()
        ids = [u.id for u in users]
    engine.dispose()

    upgrade(scratch_url)

    engine = make_engine(scratch_url)
    with Session(engine) as s:
        assert [s.get_one(User, i).telegram_chat_id for i in ids] == [None, 2, None]
        assert "receipt_retries" in inspect(engine).get_table_names()
    engine.dispose()


def test_0019_gives_earlier_receipts_their_merchant_key(scratch_url: str) -> None:
    """GIVEN receipts of before 0019 THEN each gets the loose key of its merchant's name, by which
    other users' receipts of the merchant are found; one without a name gets none."""
    upgrade(scratch_url, "0018")
    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        user = User(telegram_user_id=1, telegram_chat_id=1)
        s.add(user)
        s.flush()
        at_0018 = {c["name"] for c in inspect(s.connection()).get_columns("receipts")}
        assert "merchant_key" not in at_0018
        ids = []
        for name in ("Kedai 88 (Taman Jaya)", None, "药房 A"):
            row = stored_receipt(user_id=user.id, merchant_name=name, id=uuid.uuid4())
            values = {k: v for k, v in vars(row).items() if k in at_0018 and v is not None}
            s.execute(Receipt.__table__.insert().values(**values))
            ids.append(row.id)
    engine.dispose()

    upgrade(scratch_url)

    engine = make_engine(scratch_url)
    with Session(engine) as s:
        keys = [s.get_one(Receipt, i).merchant_key for i in ids]
        assert keys == ["KEDAI88TAMANJAYA", None, "药房A"]
    engine.dispose()


def test_0021_gives_earlier_receipts_in_the_users_currency_their_home_amount(
    scratch_url: str,
) -> None:
    """GIVEN receipts of before 0021 THEN those printed in their owner's currency get it as
    their home amount (rate 1); the others wait for the code's conversion (no rate is known to
    a migration)."""
    upgrade(scratch_url, "0020")
    engine = make_engine(scratch_url)
    with Session(engine) as s, s.begin():
        user = User(telegram_user_id=1, telegram_chat_id=1, default_currency="MYR")
        other = User(telegram_user_id=2, telegram_chat_id=2)
        s.add_all([user, other])
        s.flush()
        at_0020 = {c["name"] for c in inspect(s.connection()).get_columns("receipts")}
        ids = []
        for owner, currency in ((user, "MYR"), (user, "EUR"), (other, "MYR")):
            row = stored_receipt(
                user_id=owner.id, id=uuid.uuid4(), total=Decimal("9.00"), currency=currency
            )
            values = {k: v for k, v in vars(row).items() if k in at_0020 and v is not None}
            s.execute(Receipt.__table__.insert().values(**values))
            ids.append(row.id)
    engine.dispose()

    upgrade(scratch_url)

    engine = make_engine(scratch_url)
    with Session(engine) as s:
        got = [
            (r.home_currency, r.home_total, r.fx_rate) for r in (s.get_one(Receipt, i) for i in ids)
        ]
        assert got == [("MYR", Decimal("9.00"), Decimal(1)), (None, None, None), (None, None, None)]
    engine.dispose()
