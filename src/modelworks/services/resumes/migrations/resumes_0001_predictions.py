"""Every resume classified by the resumes service.

The resumes service's own migrations (a branch of their own, found through its entry point).
Until issue 16 the core chain's 0004 created these tables, so a database
migrated then has them already; this creates them only where they are missing.

Revision ID: resumes_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "resumes_0001"
down_revision = None
branch_labels = ("resumes",)
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("resume_predictions"):
        return
    op.create_table(
        "resume_predictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("text_preview", sa.String(200), nullable=False),
        sa.Column("text_chars", sa.Integer, nullable=False),
        sa.Column("label", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_resume_predictions_created_at", "resume_predictions", ["created_at"])
    op.create_index("ix_resume_predictions_text_sha256", "resume_predictions", ["text_sha256"])
    op.create_index("ix_resume_predictions_category", "resume_predictions", ["category"])


def downgrade() -> None:
    op.drop_table("resume_predictions")
