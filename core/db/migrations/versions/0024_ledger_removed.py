"""ledgers.removed_at: when the bot was removed from the group (my_chat_member: left or kicked);
None while it is in it. A removed ledger stays readable by its members (a private /balance) and
nothing is sent to its group any more; adding the bot back clears it.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledgers") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledgers") as batch:
        batch.drop_column("removed_at")
