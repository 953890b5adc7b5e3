"""Every amount in the ledger's home currency: receipts.home_total, home_currency, fx_rate and
fx_rate_date; fx_rates, the ECB reference rates loaded by the refresher (core/fx/ecb.py).

A user's home currency is their currency setting (users.default_currency). Receipts of before
this revision printed in it get their home amount here (the same amount, rate 1); the others are
converted by the code (core/fx/service.py ``catch_up``: on the user's next summary, budget,
question or export, or when they change their currency), as a migration does not know the rates.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("home_currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("home_total", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("fx_rate", sa.Numeric(24, 12), nullable=True))
        batch.add_column(sa.Column("fx_rate_date", sa.Date(), nullable=True))
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("per_euro", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("currency", "day", name=op.f("pk_fx_rates")),
    )
    receipts = sa.table(
        "receipts",
        sa.column("user_id", sa.BigInteger()),
        sa.column("status", sa.String()),
        sa.column("currency", sa.String()),
        sa.column("total", sa.Numeric(14, 2)),
        sa.column("home_currency", sa.String()),
        sa.column("home_total", sa.Numeric(14, 2)),
        sa.column("fx_rate", sa.Numeric(24, 12)),
    )
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("default_currency"))
    home = (
        sa.select(users.c.default_currency)
        .where(users.c.id == receipts.c.user_id)
        .scalar_subquery()
    )
    op.get_bind().execute(
        sa.update(receipts)
        .where(
            receipts.c.status == "done",
            receipts.c.total.is_not(None),
            receipts.c.currency.is_not(None),
            receipts.c.currency == home,
        )
        .values(home_currency=receipts.c.currency, home_total=receipts.c.total, fx_rate=1)
    )


def downgrade() -> None:
    op.drop_table("fx_rates")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("fx_rate_date")
        batch.drop_column("fx_rate")
        batch.drop_column("home_total")
        batch.drop_column("home_currency")
