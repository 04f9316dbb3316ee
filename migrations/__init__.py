"""Alembic environment and versions, installed as `ledger.migrations`."""
