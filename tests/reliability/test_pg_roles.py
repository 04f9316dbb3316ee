"""Append-only under the application's own database role on PostgreSQL (docs/postgresql.md).

An owner role creates the schema with `evidence db upgrade`; officers' CLI connects as an
application role granted only what the commands need. That role cannot UPDATE, DELETE or
TRUNCATE events, cannot disable or drop the triggers, cannot switch them off with
session_replication_role, and the whole CLI still works under it.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import PG_SKIP, PG_URL, _pg_admin, drop_pg_database
from tests.helpers import GOOD_IMEI, CliHarness, seed_basic

# The grants of docs/postgresql.md, run by the owner role after 'evidence db upgrade'.
GRANTS = """
REVOKE ALL ON DATABASE "{db}" FROM PUBLIC;
GRANT CONNECT ON DATABASE "{db}" TO "{app}";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO "{app}";
GRANT SELECT ON alembic_version TO "{app}";
GRANT SELECT, INSERT ON events, event_items TO "{app}";
GRANT SELECT, INSERT, UPDATE ON chain_head, officers, locations, cases, seizures, items, rates, requests,
    deposits, assignments, audits, audit_checks, audit_findings, item_reviews, case_orders TO "{app}";
GRANT SELECT, INSERT ON event_signatures TO "{app}";
GRANT SELECT, INSERT, UPDATE ON officer_keys, officer_logins, settings, offers TO "{app}";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app}";
"""


def _url(role: str, db: str) -> str:
    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    return base.set(drivername="postgresql+psycopg", username=role, password=None, database=db).render_as_string(
        hide_password=False)


def _connect(role: str, db: str):
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    return psycopg.connect(host=base.host or "127.0.0.1", port=base.port or 5432, user=role, dbname=db,
                           autocommit=True)


@pytest.fixture
def roles():
    """A fresh database owned by an owner role, with the schema made by the owner through the
    CLI and the application role granted as documented."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    tag = uuid.uuid4().hex[:8]
    owner, app, db = f"evidence_owner_{tag}", f"evidence_app_{tag}", f"evidence_roles_{tag}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'CREATE ROLE "{app}" LOGIN')
        conn.execute(f'CREATE DATABASE "{db}" OWNER "{owner}"')
    try:
        with _connect(owner, db) as conn:  # PostgreSQL 15 no longer lets PUBLIC create in public
            conn.execute("SELECT 1")
        result = CliHarness(_url(owner, db))("db", "upgrade")
        assert result.exit_code == 0, result.stderr
        with _connect(owner, db) as conn:
            for statement in filter(str.strip, GRANTS.format(db=db, app=app).split(";")):
                conn.execute(statement)
        yield {"owner": owner, "app": app, "db": db, "cli": CliHarness(_url(app, db))}
    finally:
        drop_pg_database(db)
        with _pg_admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{app}"')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')


def test_the_whole_cli_works_under_the_application_role(roles, tmp_path):
    cli = roles["cli"]
    seed_basic(cli)
    cli.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--seal", "S-1",
           "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("cash", "add", "SZ-1", "--amount", "4000.00", "--currency", "PEN", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("vehicle", "add", "SZ-1", "--make", "Toyota", "--model", "Yaris", "--plate", "V1A-123",
           "--by", "B-1001", "--at", "2020-10-06T06:00")
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title,pages\ndocument,Cuaderno,3\ndocument,Agenda,1\n", encoding="utf-8")
    cli.ok("item", "import", "SZ-1", str(csv), "--by", "B-1001", "--at", "2020-10-06T06:30", "--request-id", "imp-1")
    cli.ok("item", "import", "SZ-1", str(csv), "--by", "B-1001", "--at", "2020-10-06T06:30", "--request-id", "imp-1")
    cli.ok("custody", "transfer", "EV-1", "EV-2", "--from", "B-1001", "--to", "C-3001", "--reason", "Depósito",
           "--location", "ER-AQP", "--at", "2020-10-06T09:00", "--by", "B-1001", "--request-id", "t-1")
    cli.ok("custody", "reseal", "EV-1", "--old-seal", "S-1", "--new-seal", "S-2", "--reason", "Peritaje",
           "--at", "2020-10-07T09:00", "--by", "C-3001")
    cli.ok("custody", "dispose", "EV-3", "--action", "returned", "--authority", "Res. 1", "--by", "F-2001")
    cli.ok("item", "review", "EV-1", "--on", "2099-01-01", "--by", "F-2001")
    cli.ok("item", "review", "EV-1", "--on", "2099-06-01", "--by", "F-2001")  # an UPDATE of its row
    cli.ok("case", "order", "AQP-2020-0147", "--order", "Sentencia 4-2022", "--final", "--by", "F-2001")
    cli.ok("due", "--within", "30")
    cli.ok("custody", "holdings", "C-3001")
    cli.ok("item", "history", "EV-1")
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.6000", "--source", "SBS", "--supersede",
           "--reason", "typo", "--by", "B-1001")
    rates = tmp_path / "rates.csv"
    rates.write_text("date,base,quote,rate\n2020-10-05,USD,PEN,3.5800\n", encoding="utf-8")
    cli.ok("rate", "import", str(rates), "--source", "BCRP", "--by", "B-1001")
    cli.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", "--source", "SBS")
    cli.ok("case", "totals", "AQP-2020-0147", "--in", "USD", "--source", "SBS")
    assert cli.ok("verify", json_out=True)["ok"]
    cli.ok("export", "xlsx", "AQP-2020-0147", "--out", str(tmp_path / "case.xlsx"), "--source", "SBS")
    cli.ok("export", "log", "--out", str(tmp_path / "bundle"))
    refused = cli("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "B-1002", "--reason", "x",
                  "--by", "B-1001")
    assert refused.exit_code == 1 and "held by C-3001" in refused.stderr


@pytest.mark.parametrize("statement", [
    "UPDATE events SET actor = 'B-9999' WHERE seq = 1",
    "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",
    "TRUNCATE events CASCADE",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "ALTER TABLE events DISABLE TRIGGER events_no_update_delete",
    "DROP TRIGGER events_no_update_delete ON events",
    "DROP TRIGGER events_no_truncate ON events",
    "DROP TABLE events CASCADE",
    "SET session_replication_role = replica",
    "ALTER TABLE events OWNER TO CURRENT_USER",
    "CREATE OR REPLACE FUNCTION evidence_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RETURN OLD; END $$",
    "UPDATE event_items SET item_no = item_no WHERE seq = 1",
    "DELETE FROM event_items",
])
def test_the_application_role_cannot_rewrite_the_log(roles, statement):
    import psycopg

    seed_basic(roles["cli"])
    with _connect(roles["app"], roles["db"]) as conn:
        before = conn.execute("SELECT seq, hash, body FROM events ORDER BY seq").fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        assert conn.execute("SELECT seq, hash, body FROM events ORDER BY seq").fetchall() == before
    assert roles["cli"].ok("verify", json_out=True)["ok"]


def test_even_the_owner_meets_the_triggers(roles):
    import psycopg

    seed_basic(roles["cli"])
    with _connect(roles["owner"], roles["db"]) as conn:
        for statement in ("UPDATE events SET actor = 'B-9999' WHERE seq = 1", "DELETE FROM events", "TRUNCATE events CASCADE"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
    assert roles["cli"].ok("verify", json_out=True)["ok"]


def test_an_officers_login_cannot_write_as_another_badge(roles, tmp_path):
    """docs/postgresql.md section 5: one login per officer, mapped to a badge; the database
    refuses an event whose actor is not the connected login's badge."""
    from tests.helpers import ADMIN, snapshot

    tag = roles["app"].rsplit("_", 1)[1]
    admin_login, ana_login = f"evidence_adm_{tag}", f"evidence_b1001_{tag}"
    cli = roles["cli"]
    seed_basic(cli)
    with _pg_admin() as conn:
        for login in (admin_login, ana_login):
            conn.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{roles["app"]}"')
    try:
        as_admin = CliHarness(_url(admin_login, roles["db"]), keys_home=cli.keys_home)
        as_ana = CliHarness(_url(ana_login, roles["db"]), keys_home=cli.keys_home)
        cli.ok("cash", "add", "SZ-1", "--amount", "10.00", "--currency", "PEN", "--counted-by", "B-1001",
               "--verified-by", "B-1002", "--by", "B-1001", "--at", "2020-10-06T06:00")
        as_admin.ok("officer", "login", ADMIN, admin_login, "--by", ADMIN)
        as_admin.ok("officer", "login", "B-1001", ana_login, "--by", ADMIN)
        before = snapshot(cli.db_url)
        # Ana's login, acting as another badge (with that officer's key, even): refused by the database
        stolen = as_ana("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
                        "--by", "B-1002")
        assert stolen.exit_code == 1, stolen.stderr
        assert f"database login {ana_login} writes as badge B-1001, not as B-1002" in stolen.stderr
        # officer management from a login that is not an admin's
        rogue = as_ana("officer", "add", "X-666", "--name", "Nadie", "--role", "custodian", "--by", ADMIN)
        assert rogue.exit_code == 1 and "writes as badge B-1001" in rogue.stderr
        # the application role, mapped to no badge, writes nothing once logins are in use
        shared = cli("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
                     "--by", "B-1001")
        assert shared.exit_code == 1 and "is not mapped to a badge" in shared.stderr
        assert snapshot(cli.db_url) == before
        # Ana's own acts go through
        as_ana.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
                  "--by", "B-1001")
        assert as_ana.ok("verify", json_out=True)["ok"]
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP OWNED BY "{admin_login}", "{ana_login}"')
            conn.execute(f'DROP ROLE IF EXISTS "{admin_login}"')
            conn.execute(f'DROP ROLE IF EXISTS "{ana_login}"')
