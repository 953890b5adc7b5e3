"""pending_edits: the question's own message, and when it was set aside.

``prompt_message_id``: the force-reply message that asked the question; a reply to it is its
answer. ``set_aside_at``: when a message that was clearly no answer (a command, a file, a
question in plain words) set the question aside; only a reply to the prompt answers it then.
Pending edits of before this revision have neither: they stay open, as they were.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_edits") as batch:
        batch.add_column(sa.Column("prompt_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_edits") as batch:
        batch.drop_column("set_aside_at")
        batch.drop_column("prompt_message_id")
