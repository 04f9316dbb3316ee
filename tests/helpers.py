"""Shared test helpers: running the CLI against a test ledger, seeding it, and taking
snapshots of every table to prove a refused command wrote nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner


class CliHarness:
    def __init__(self, db_url: str):
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None, json_out: bool = False):
        from ledger.cli import main

        argv = ["--db", self.db_url] + (["--json"] if json_out else []) + [str(a) for a in args]
        base_env = {"EVIDENCE_OFFICER": None, "EVIDENCE_DB": None, "EVIDENCE_TZ": None}
        result = self.runner.invoke(main, argv, input=input, env={**base_env, **(env or {})}, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def ok(self, *args: str, **kw):
        """Run and insist on exit 0; returns stdout stripped (or parsed JSON with json_out)."""
        result = self(*args, **kw)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}{result.stdout}"
        return json.loads(result.stdout) if kw.get("json_out") else result.stdout.strip()

    def snapshot(self) -> dict:
        return snapshot(self.db_url)


def snapshot(db_url: str) -> dict:
    """Every row of every table, to compare before and after a refused command."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                out[table] = sorted(tuple("" if v is None else str(v) for v in row) for row in rows)
            return out
    finally:
        engine.dispose()


def seed_basic(cli) -> None:
    for badge, name, role in [
        ("B-1001", "Ana Quispe Mamani", "officer"),
        ("B-1002", "Luis Condori Apaza", "officer"),
        ("C-3001", "Carmen Flores Ticona", "custodian"),
        ("A-4001", "Jorge Salas Vera", "auditor"),
        ("F-2001", "Rosa Huamán Ccori", "prosecutor"),
    ]:
        cli.ok("officer", "add", badge, "--name", name, "--role", role)
    cli.ok("location", "add", "ER-AQP", "--name", "Evidence room, Arequipa", "--kind", "evidence-room")
    cli.ok("location", "add", "VAULT-1", "--name", "Vault", "--kind", "vault")
    cli.ok("case", "open", "AQP-2020-0147", "--title", "Venta de recién nacidos", "--prosecutor", "F-2001",
           "--by", "B-1001", "--at", "2020-10-06T04:00")
    cli.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30", "--place", "Calle Misti 123, Arequipa",
           "--acta", "ACTA-0001", "--by", "B-1001", "--from-person", "Persona Ficticia Uno", "--witness", "Testigo Uno")


GOOD_IMEI = "490154203237518"
GOOD_IMEI2 = "356938035643809"


def rows(db_url: str, sql: str, **params):
    """Run one SQL query on the test ledger, for assertions on database state."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()
