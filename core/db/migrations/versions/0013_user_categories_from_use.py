"""user_categories from the categories users already use.

Before 0012, typed corrections and /budget took any word, so a user's receipts, budgets and
remembered merchant choices may carry names their list lacks (the default list, or their own
made since): the picker did not mark them, ``/budget coffee 50`` was refused, rename and remove
called them unknown. Each such user gets those names on their list, after the defaults when the
list is made here (as ``core.categories.service`` makes it on a first change). The data wins over the
30-category cap: such a list may hold more, and adding is refused while it does.

The downgrade keeps the rows: they cannot be told from the user's own (0012's downgrade drops
the table).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# core.reading.extraction.base.DEFAULT_CATEGORIES as of this revision, copied: a migration must not
# change when the code does.
DEFAULT_CATEGORIES = (
    "groceries",
    "dining",
    "transport",
    "fuel",
    "shopping",
    "health",
    "utilities",
    "entertainment",
    "travel",
    "services",
    "other",
)
# What summaries call receipts without a category: never a name on a list.
RESERVED_NAMES = frozenset({"uncategorised", "uncategorized"})
MAX_NAME_LENGTH = 50

user_categories = sa.table(
    "user_categories",
    sa.column("user_id", sa.BigInteger()),
    sa.column("name", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
USED = [
    sa.table(name, sa.column("user_id", sa.BigInteger()), sa.column("category", sa.String()))
    for name in ("receipts", "budgets", "merchant_categories")
]


def _name(raw: str) -> str | None:
    """A used category as a list holds it (lower case, spaces collapsed, as the bot compares
    typed names), or None for what cannot be one."""
    name = " ".join(raw.split()).lower()
    if not name or name in RESERVED_NAMES or len(name) > MAX_NAME_LENGTH:
        return None
    return name


def upgrade() -> None:
    conn = op.get_bind()
    used: dict[int, set[str]] = defaultdict(set)
    for table in USED:
        rows = conn.execute(
            sa.select(table.c.user_id, table.c.category)
            .where(table.c.category.is_not(None))
            .distinct()
        )
        for user_id, category in rows:
            if (name := _name(category)) is not None:
                used[user_id].add(name)

    listed: dict[int, set[str]] = defaultdict(set)
    for user_id, name in conn.execute(sa.select(user_categories.c.user_id, user_categories.c.name)):
        listed[user_id].add(name)

    now = datetime.now(UTC)
    rows_to_add: list[dict[str, object]] = []
    for user_id in sorted(used):
        if user_id in listed:  # their own list already: what it lacks
            names = sorted(used[user_id] - listed[user_id])
        elif used[user_id] - set(DEFAULT_CATEGORIES):  # the default list lacks some
            extra = sorted(used[user_id] - set(DEFAULT_CATEGORIES))
            names = [*DEFAULT_CATEGORIES, *extra]
        else:
            continue
        rows_to_add += [{"user_id": user_id, "name": n, "created_at": now} for n in names]
    for start in range(0, len(rows_to_add), 1000):
        conn.execute(sa.insert(user_categories), rows_to_add[start : start + 1000])


def downgrade() -> None:
    pass
