"""Users added through the interests service's API (their profile and consumed titles).

The interests service's own migrations (a branch of their own, found through its entry point).
Until issue 16 the core chain's 0003 created these tables, so a database
migrated then has them already; this creates them only where they are missing.

Revision ID: interests_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "interests_0001"
down_revision = None
branch_labels = ("interests",)
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("interest_users"):
        return
    op.create_table(
        "interest_users",
        sa.Column("handle", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account_type", sa.String(3), nullable=False),
        sa.Column("consumed", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_interest_users_updated_at", "interest_users", ["updated_at"])


def downgrade() -> None:
    op.drop_table("interest_users")
