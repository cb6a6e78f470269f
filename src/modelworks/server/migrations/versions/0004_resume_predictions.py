"""Every resume classified by the resumes service: now in the resumes service's migrations.

Revision ID: 0004
Revises: 0003

Kept, doing nothing, so the chain of databases migrated before issue 16 stays whole: the
tables are created by ``resumes_0001`` in ``services/resumes/migrations``.
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: see ``resumes_0001``."""


def downgrade() -> None:
    """Nothing: see ``resumes_0001``."""
