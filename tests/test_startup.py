"""`evidence --help` stays instant: no database, spreadsheet or money library is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ["sqlalchemy", "alembic", "openpyxl", "xlsxwriter", "babel", "moneyed", "psycopg"]

PROBE = """
import sys
from ledger.cli import main
try:
    main({args!r}, standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
print('HEAVY:' + ','.join(heavy))
"""


def _all_help_invocations():
    from ledger.cli import main

    yield ["--help"]
    for name in sorted(main.commands):
        yield [name, "--help"]
        sub = main.commands[name]
        for child in sorted(getattr(sub, "commands", {})):
            yield [name, child, "--help"]


@pytest.mark.parametrize("args", list(_all_help_invocations()), ids=" ".join)
def test_help_imports_nothing_heavy(args):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    heavy_line = [line for line in out.splitlines() if line.startswith("HEAVY:")][-1]
    assert heavy_line == "HEAVY:", f"{args} imported {heavy_line[6:]}"
