"""Alembic versions of the resumes service's own tables, a branch of their own."""
