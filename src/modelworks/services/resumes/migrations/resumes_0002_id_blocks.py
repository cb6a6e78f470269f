"""Prediction ids taken in blocks, so a process can answer with an id before its commit.

Revision ID: resumes_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "resumes_0002"
down_revision = "resumes_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Like resumes_0001, safe where the table exists already (a database whose version rows
    # were lost is migrated again from the branch's start).
    if sa.inspect(op.get_bind()).has_table("resume_id_blocks"):
        return
    blocks = op.create_table(
        "resume_id_blocks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("next_id", sa.Integer, nullable=False),
    )
    last = op.get_bind().execute(sa.text("SELECT MAX(id) FROM resume_predictions")).scalar()
    op.bulk_insert(blocks, [{"name": "resume_predictions", "next_id": int(last or 0) + 1}])


def downgrade() -> None:
    op.drop_table("resume_id_blocks")
