"""pending_erasures, and the processing claim on a receipt's attempt.

``pending_erasures``: the S3 objects of deleted rows, until S3 confirmed them erased. A
deletion commits its rows and this record together, then erases; what an outage or a refusal
leaves behind is erased again by the sweeper. Deletions from before this revision are not
known here (their erasure was tried once, and logged when it failed).

``receipts.claimed_by`` / ``claimed_at``: the processing run reading the receipt's current
attempt (its "reading" progress note claims it), so a second delivery of the same job is not
read twice.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_erasures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_erasures")),
    )
    op.create_index(
        op.f("ix_pending_erasures_created_at"), "pending_erasures", ["created_at"], unique=False
    )
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
    op.drop_index(op.f("ix_pending_erasures_created_at"), table_name="pending_erasures")
    op.drop_table("pending_erasures")
