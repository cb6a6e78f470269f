"""Moved to the similarity service's own migrations (issue 16).

Revision ID: 0006
Revises: 0005

Kept, doing nothing, so the chain of databases migrated before issue 16 stays whole: the
tables are created by ``similarity_0001`` in ``services/similarity/migrations``.
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: see ``similarity_0001``."""


def downgrade() -> None:
    """Nothing: see ``similarity_0001``."""
