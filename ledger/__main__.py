"""`python -m ledger` runs the same command line as `evidence`."""

from ledger.cli import main

main()
