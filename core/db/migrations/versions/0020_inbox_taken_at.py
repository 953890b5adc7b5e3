"""telegram_updates.taken_at: when a handler last took the update from the inbox.

With the bot's handling in its own process (``TELEGRAM_HANDLER=process``) the webhook only stores
updates; the bot process takes them from the inbox, and ``taken_at`` is its lease: one taken and
not handled within ``inbox_replay_after_seconds`` (the process died) is taken again. Updates the
API handles itself keep ``received_at`` as their first taking.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("telegram_updates") as batch:
        batch.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("telegram_updates") as batch:
        batch.drop_column("taken_at")
