"""receipts.merchant_key: the merchant's name compared loosely, indexed.

A receipt's category may come from what other users' receipts of the same merchant got (a clear
majority of them, the category name alone); they are found by this key, which the model keeps
with ``merchant_name`` (``core.db.models.merchant_key_of``). Rows from before this revision get
theirs here.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 1000


def _key(name: str | None) -> str | None:
    # As core.db.models.merchant_key_of at this revision (a migration does not follow the code).
    return "".join(ch for ch in (name or "").upper() if ch.isalnum())[:200] or None


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("merchant_key", sa.String(200), nullable=True))
    op.create_index(op.f("ix_receipts_merchant_key"), "receipts", ["merchant_key"], unique=False)
    receipts = sa.table(
        "receipts",
        sa.column("id", sa.Uuid()),
        sa.column("merchant_name", sa.String()),
        sa.column("merchant_key", sa.String()),
    )
    conn = op.get_bind()
    last = None
    while True:
        query = sa.select(receipts.c.id, receipts.c.merchant_name).where(
            receipts.c.merchant_name.is_not(None)
        )
        if last is not None:
            query = query.where(receipts.c.id > last)
        rows = conn.execute(query.order_by(receipts.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            conn.execute(
                sa.update(receipts)
                .where(receipts.c.id == row.id)
                .values(merchant_key=_key(row.merchant_name))
            )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index(op.f("ix_receipts_merchant_key"), table_name="receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("merchant_key")
