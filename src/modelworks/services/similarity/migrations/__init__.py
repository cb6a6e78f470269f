"""Alembic versions of the similarity service's own tables, a branch of their own."""
