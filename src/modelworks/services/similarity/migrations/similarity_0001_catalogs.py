"""Product catalogues of the similarity service: products with their vectors, and revisions.

The similarity service's own migrations (a branch of their own, found through its entry point).
Until issue 16 the core chain's 0006 created these tables, so a database
migrated then has them already; this creates them only where they are missing.

Revision ID: similarity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "similarity_0001"
down_revision = None
branch_labels = ("similarity",)
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("catalogs"):
        return
    op.create_table(
        "catalogs",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "catalog_products",
        sa.Column("catalog", sa.String(100), primary_key=True),
        sa.Column("product_id", sa.String(200), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("encoder_id", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("catalog_products")
    op.drop_table("catalogs")
