"""receipts.thumbnail_key: a small JPEG of the receipt's first page in the processed bucket
(``thumbnails/<id>.jpg``, written by the processor), drawn by the Mini App's list instead of
the file; None where there is none (receipts read before, files read where they lie).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("thumbnail_key", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("thumbnail_key")
