"""Receipts: requeue count for the sweeper, index on (status, queued_at).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requeue_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_receipts_status_queued_at", ["status", "queued_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_receipts_status_queued_at")
        batch_op.drop_column("requeue_count")
