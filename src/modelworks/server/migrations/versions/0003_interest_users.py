"""Moved to the interests service's own migrations (issue 16).

Revision ID: 0003
Revises: 0002

Kept, doing nothing, so the chain of databases migrated before issue 16 stays whole: the
tables are created by ``interests_0001`` in ``services/interests/migrations``.
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: see ``interests_0001``."""


def downgrade() -> None:
    """Nothing: see ``interests_0001``."""
