"""The machine a training job runs on, for the per-machine limit of running jobs.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("host", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "host")
