"""Users added through the interests service's API (their profile and consumed titles).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
