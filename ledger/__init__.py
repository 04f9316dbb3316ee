"""evidence: a ledger for seized assets and financial evidence.

The package holds the domain and its storage; `ledger.cli` is the command line and
`ledger.migrations` the Alembic environment. Importing `ledger` stays cheap on purpose.
"""

__version__ = "0.1.0"
