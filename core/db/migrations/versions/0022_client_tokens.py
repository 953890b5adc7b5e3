"""client_tokens: personal tokens for the client API (/api/v1), asked for in the bot (/token).

Only the token's SHA-256 is stored (the token is shown once); ``revoked_at`` set: refused.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "client_tokens",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_client_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_client_tokens_token_hash")),
    )
    op.create_index(op.f("ix_client_tokens_user_id"), "client_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_client_tokens_user_id"), table_name="client_tokens")
    op.drop_table("client_tokens")
