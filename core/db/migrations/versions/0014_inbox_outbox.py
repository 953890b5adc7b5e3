"""The inbox and the outbox: nothing acknowledged or stored is lost when the API dies.

``telegram_updates`` keeps each update's payload from before the webhook's 200 until the bot
has handled it (``handled_at``); an update acknowledged but never handled is replayed.
``receipts.notified_at`` says when Telegram accepted the receipt's card; a finished receipt
without it is sent again. ``receipts.telegram_message_id`` is the chat message the receipt came
from, unique per chat, so a replayed update finds its receipt instead of making a second one.

Rows from before this revision are taken as handled and notified (their updates' payloads were
never kept; their cards were sent, or are too old to send now).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telegram_updates") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE telegram_updates SET handled_at = received_at")
    op.create_index(
        "ix_telegram_updates_unhandled",
        "telegram_updates",
        ["received_at"],
        postgresql_where=sa.text("handled_at IS NULL"),
        sqlite_where=sa.text("handled_at IS NULL"),
    )
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(
            "uq_receipts_telegram_message", ["telegram_chat_id", "telegram_message_id"]
        )
    op.execute(
        "UPDATE receipts SET notified_at = COALESCE(completed_at, updated_at) "
        "WHERE status IN ('done', 'failed')"
    )
    op.create_index(
        "ix_receipts_unnotified",
        "receipts",
        ["completed_at"],
        postgresql_where=sa.text("notified_at IS NULL AND status IN ('done', 'failed')"),
        sqlite_where=sa.text("notified_at IS NULL AND status IN ('done', 'failed')"),
    )


def downgrade() -> None:
    op.drop_index("ix_receipts_unnotified", table_name="receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_constraint("uq_receipts_telegram_message", type_="unique")
        batch.drop_column("notified_at")
        batch.drop_column("telegram_message_id")
    op.drop_index("ix_telegram_updates_unhandled", table_name="telegram_updates")
    with op.batch_alter_table("telegram_updates") as batch:
        batch.drop_column("attempts")
        batch.drop_column("handled_at")
        batch.drop_column("payload")
