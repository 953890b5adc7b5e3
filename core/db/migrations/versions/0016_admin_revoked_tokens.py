"""admin_revoked_tokens: admin API tokens refused before their expiry, by their jti.

A row is kept until the token would have expired anyway (``expires_at``, indexed for pruning).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_admin_revoked_tokens")),
    )
    op.create_index(
        op.f("ix_admin_revoked_tokens_expires_at"), "admin_revoked_tokens", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_revoked_tokens_expires_at"), table_name="admin_revoked_tokens")
    op.drop_table("admin_revoked_tokens")
