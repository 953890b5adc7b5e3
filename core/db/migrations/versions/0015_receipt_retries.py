"""receipt_retries (a "Try again" counts toward the receipt rate limit); a group's chat id no
longer stands for a user's own chat.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "receipt_retries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_receipt_retries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipts.id"],
            name=op.f("fk_receipt_retries_receipt_id_receipts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_retries")),
    )
    op.create_index(
        "ix_receipt_retries_user_id_created_at",
        "receipt_retries",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_receipt_retries_receipt_id"), "receipt_retries", ["receipt_id"], unique=False
    )
    # Before, every message set users.telegram_chat_id, a group's too (a negative id): personal
    # messages went to the group. Only a private chat sets it now; a group's id is forgotten
    # (the user's next private message or /start sets it again).
    op.execute("UPDATE users SET telegram_chat_id = NULL WHERE telegram_chat_id < 0")


def downgrade() -> None:
    op.drop_index(op.f("ix_receipt_retries_receipt_id"), table_name="receipt_retries")
    op.drop_index("ix_receipt_retries_user_id_created_at", table_name="receipt_retries")
    op.drop_table("receipt_retries")
