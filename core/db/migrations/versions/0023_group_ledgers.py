"""Shared ledgers in group chats: ledgers (one per group chat), ledger_members,
receipt_shares (weights), ledger_settlements; receipts.ledger_id (None: the person's own),
paid_by_user_id (None: the sender) and split ('equal' / 'only_payer').

Receipts of before this revision stay the sender's own (ledger_id NULL), as they were counted.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledgers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("telegram_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("configured_by", _ID, nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ledgers_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["configured_by"], ["users.id"], name=op.f("fk_ledgers_configured_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledgers")),
        sa.UniqueConstraint("telegram_chat_id", name=op.f("uq_ledgers_telegram_chat_id")),
    )  # fmt: skip
    op.create_table(
        "ledger_members",
        sa.Column("ledger_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("joined_at", _WHEN, nullable=False),
        sa.Column("left_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["ledgers.id"], name=op.f("fk_ledger_members_ledger_id_ledgers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ledger_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ledger_id", "user_id", name=op.f("pk_ledger_members")),
    )  # fmt: skip
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("ledger_id", _ID, nullable=True))
        batch.add_column(sa.Column("paid_by_user_id", _ID, nullable=True))
        batch.add_column(sa.Column("split", sa.String(12), nullable=True))
        batch.create_foreign_key(
            op.f("fk_receipts_ledger_id_ledgers"), "ledgers", ["ledger_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.create_foreign_key(
            op.f("fk_receipts_paid_by_user_id_users"), "users", ["paid_by_user_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch.create_index("ix_receipts_ledger_id_purchase_date", ["ledger_id", "purchase_date"])
    op.create_table(
        "receipt_shares",
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("share", sa.Numeric(12, 4), nullable=False),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_receipt_shares_receipt_id_receipts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_receipt_shares_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("receipt_id", "user_id", name=op.f("pk_receipt_shares")),
    )  # fmt: skip
    op.create_index(op.f("ix_receipt_shares_user_id"), "receipt_shares", ["user_id"])
    op.create_table(
        "ledger_settlements",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("ledger_id", _ID, nullable=False),
        sa.Column("from_user_id", _ID, nullable=False),
        sa.Column("to_user_id", _ID, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["ledgers.id"], name=op.f("fk_ledger_settlements_ledger_id_ledgers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"],
            name=op.f("fk_ledger_settlements_from_user_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_ledger_settlements_to_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_settlements")),
        sa.UniqueConstraint(
            "ledger_id", "telegram_message_id", name=op.f("uq_ledger_settlements_ledger_id")
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_ledger_settlements_ledger_id"), "ledger_settlements", ["ledger_id"]
    )


def downgrade() -> None:
    op.drop_table("ledger_settlements")
    op.drop_table("receipt_shares")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_index("ix_receipts_ledger_id_purchase_date")
        batch.drop_constraint(op.f("fk_receipts_paid_by_user_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_receipts_ledger_id_ledgers"), type_="foreignkey")
        batch.drop_column("split")
        batch.drop_column("paid_by_user_id")
        batch.drop_column("ledger_id")
    op.drop_table("ledger_members")
    op.drop_table("ledgers")
