"""Alembic versions of the interests service's own tables, a branch of their own."""
