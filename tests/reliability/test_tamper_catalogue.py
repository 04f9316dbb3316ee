"""The tamper catalogue: for every table and every column of the schema, enumerated from the
metadata (so a column added later is covered without editing this file), a fabricated row
(keys 0 and -1 included), a deleted row and a changed value, each done the way an insider
with raw access would: triggers and foreign keys out of the way (SQLite also ignoring CHECK
constraints; a PostgreSQL superuser cannot). `verify` must report each one, naming the
table, key and column; or the schema itself must refuse it.

Each tampering is made inside a transaction that is rolled back afterwards, so every case
starts from the same clean ledger.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ledger.models import Base
from tests.cli.test_custody import scenario
from tests.conftest import PG_SKIP, PG_URL, create_pg_database, drop_pg_database, pg_url_for
from tests.helpers import CliHarness, seed_basic

TABLES = sorted(Base.metadata.tables)


def build_history(cli: CliHarness) -> None:
    """Two cases with seizures, items of every kind, transfers, a reseal, a disposition, a
    deposit, assignments (one returned), a closed audit with findings, review dates (one moved,
    one cleared), court orders (one final), rates (one superseded, some imported), and request
    ids on every kind of request."""
    seed_basic(cli)
    scenario(cli)
    cli.ok("case", "open", "AQP-2020-0200", "--title", "Second case", "--court", "1er Juzgado", "--by", "B-1002",
           "--at", "2020-10-07T04:00")
    cli.ok("seizure", "record", "AQP-2020-0200", "--at", "2020-10-07T05:00", "--place", "Av. Ejército 5",
           "--by", "B-1002", "--acta", "ACTA-0002")
    cli.ok("cash", "add", "SZ-2", "--amount", "250.50", "--currency", "USD", "--counted-by", "B-1002",
           "--verified-by", "B-1001", "--denominations", "100x2,50x1,0.50x1", "--seal", "S-0900",
           "--at", "2020-10-07T06:00", "--by", "B-1002")
    cli.ok("document", "add", "SZ-2", "--title", "Libreta de contactos", "--pages", "12", "--at", "2020-10-07T06:00",
           "--by", "B-1002")
    cli.ok("custody", "transfer", "EV-4", "--from", "B-1002", "--to", "C-3001", "--reason", "Al depósito",
           "--location", "ER-AQP", "--at", "2020-10-07T08:00", "--request-id", "xfer-0200-1", "--by", "B-1002")
    cli.ok("custody", "reseal", "EV-4", "--old-seal", "S-0900", "--new-seal", "S-0901", "--reason", "Recount",
           "--at", "2020-10-07T09:00", "--request-id", "reseal-0200-1", "--by", "C-3001")
    cli.ok("custody", "dispose", "EV-5", "--action", "returned", "--authority", "Res. 7-2021", "--to", "Owner",
           "--at", "2021-01-01T10:00", "--request-id", "dispose-0200-1", "--by", "F-2001")
    cli.ok("custody", "deposit", "EV-4", "--bank", "Banco de la Nación", "--account", "00-068-123456", "--voucher",
           "0457812", "--order", "Res. 12-2020", "--at", "2020-10-08T10:00", "--request-id", "deposit-0200-1",
           "--by", "C-3001")
    for start, end in (("2021-02-01", "2021-06-01"), ("2021-07-01", None)):
        cli.ok("custody", "assign", "EV-1", "--to-entity", "Municipalidad", "--order", "Res. 88-2021", "--until",
               "2021-12-31", "--at", f"{start}T10:00", "--by", "C-3001")
        if end:
            cli.ok("custody", "return", "EV-1", "--at", f"{end}T10:00", "--by", "C-3001")
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5880", "--source", "SBS", "--supersede", "--reason",
           "Typo", "--by", "B-1001")
    cli.ok("rate", "set", "2020-10-07", "USD", "PEN", "3.5900", "--source", "SBS", "--side", "buy", "--by", "B-1001")
    cli.ok("audit", "start", "ER-AQP", "--by", "A-4001")
    cli.ok("audit", "check", "AU-1", "EV-3", "--found", "--seal", "S-9999", "--note", "Seal differs", "--by", "A-4001")
    cli.ok("audit", "check", "AU-1", "EV-4", "--found", "--unexpected", "--location", "ER-AQP", "--by", "A-4001")
    cli.ok("audit", "close", "AU-1", "--by", "A-4001")
    cli.ok("item", "review", "EV-3", "--on", "2021-06-01", "--reason", "Revisión semestral", "--at",
           "2021-01-02T10:00", "--by", "F-2001")
    cli.ok("item", "review", "EV-3", "--on", "2099-09-01", "--by", "C-3001")
    cli.ok("item", "review", "EV-4", "--on", "2021-01-01", "--at", "2020-10-09T10:00", "--by", "F-2001")
    cli.ok("item", "review", "EV-4", "--clear", "--reason", "Depositado", "--at", "2020-10-10T10:00", "--by", "F-2001")
    cli.ok("case", "order", "AQP-2020-0147", "--order", "Auto 3-2021", "--at", "2021-05-01T10:00", "--by", "F-2001")
    cli.ok("case", "order", "AQP-2020-0200", "--order", "Sentencia 4-2022", "--final", "--note", "Decomiso",
           "--at", "2022-03-01T10:00", "--by", "C-3001")
    # handovers offered and answered (one accepted, one declined, one still in transit), a key
    # rotated and revoked, a database login mapped
    cli.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "F-2001", "--reason", "Para la fiscalía", "--by", "C-3001", offer=True)
    cli.ok("custody", "accept", "EV-3", "--seal-broken", "precinto despegado", "--by", "F-2001")
    cli.ok("custody", "transfer", "EV-3", "--from", "F-2001", "--to", "B-1002", "--reason", "Devolución", "--by", "F-2001", offer=True)
    cli.ok("custody", "decline", "EV-3", "--reason", "No corresponde", "--by", "B-1002")
    cli.ok("custody", "transfer", "EV-3", "--from", "F-2001", "--to", "C-3001", "--reason", "Al depósito", "--by", "F-2001", offer=True)
    old = cli.ok("officer", "list", "--keys", json_out=True)
    old = next(k["key_id"] for k in old if k["badge"] == "A-4001")
    cli.ok("officer", "key", "add", "A-4001", cli.public_key("A-4001-NEW"), "--by", "ADM-0001")
    cli.ok("officer", "key", "revoke", "A-4001", old, "--reason", "rotated", "--by", "ADM-0001")
    cli.ok("officer", "update", "A-4001", "--unit", "Inspectoría", "--by", "ADM-0001")
    cli.ok("officer", "login", "B-1001", "evidence_b1001", "--by", "ADM-0001")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history_url(request, tmp_path_factory):
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIP)
        name = create_pg_database(template=request.getfixturevalue("pg_template"))
        request.addfinalizer(lambda: drop_pg_database(name))
        url = pg_url_for(name)
    else:
        path = tmp_path_factory.mktemp("tamper") / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    cli = CliHarness(url)
    build_history(cli)
    csv = tmp_path_factory.mktemp("import") / "items.csv"
    csv.write_text("kind,make,model,imei\nphone,Nokia,105,356938035643809\n", encoding="utf-8")
    cli.ok("item", "import", "SZ-2", str(csv), "--at", "2020-10-07T07:00", "--request-id", "import-0200-1",
           "--by", "B-1002")
    cli.ok("verify")
    return url


@pytest.fixture(scope="module")
def ledger_db(history_url):
    from ledger.db import open_ledger

    lg = open_ledger(history_url)
    yield lg
    lg.dispose()


def _as_insider(session) -> None:
    """What raw access allows: no append-only triggers, no foreign keys (and on SQLite no
    CHECK constraints: the file can be rewritten at will)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.execute(text("PRAGMA ignore_check_constraints = ON"))
        for trigger in ("events_no_update", "events_no_delete", "event_signatures_no_update",
                        "event_signatures_no_delete"):
            session.execute(text(f"DROP TRIGGER {trigger}"))
    else:
        session.execute(text("SET LOCAL session_replication_role = replica"))


def _other_value(session, table, column, current):
    """A value different from `current` that a reader would take for a real one: another key
    of the referenced table for a foreign key, else a changed copy."""
    for fk in column.foreign_keys:
        ref = fk.column
        values = session.execute(text(f"SELECT {ref.name} FROM {ref.table.name} ORDER BY 1")).scalars().all()
        others = [v for v in values if v != current]
        if others:
            return others[0]
    python_type = column.type.python_type
    if current is None:
        return 7 if python_type is int else "ZZZZ"[:getattr(column.type, "length", None) or 4]
    if python_type is int:
        return current + 1
    text_ = str(current)
    if len(text_) == 64:  # a hash: another hash
        return ("1" if text_[0] != "1" else "2") + text_[1:]
    return text_[:-1] + ("Z" if text_[-1:] != "Z" else "Y")


def _sample(session, table):
    cols = [c.name for c in table.columns]
    order = ", ".join(f"{c.name} DESC" for c in table.primary_key.columns)
    row = session.execute(text(f"SELECT {', '.join(cols)} FROM {table.name} ORDER BY {order} LIMIT 1")).one()
    return dict(zip(cols, row, strict=True))


def _where(table, row) -> tuple[str, dict]:
    keys = [c.name for c in table.primary_key.columns]
    return " AND ".join(f"{k} = :k_{k}" for k in keys), {f"k_{k}": row[k] for k in keys}


def _report(session):
    from ledger.verify import verify_log

    return verify_log(session)


def _tamper_and_verify(ledger_db, action):
    """Run `action(session)` as an insider, then verify in the same transaction; roll back.
    Returns the report, or None when the database itself refused the act."""
    with ledger_db.read() as session:
        _as_insider(session)
        try:
            with session.begin_nested():
                action(session)
        except IntegrityError:
            if session.get_bind().dialect.name == "sqlite":
                raise  # the insider switched SQLite's constraints off: nothing may refuse
            return None
        return _report(session)


def _named(report, table, column=None, seq=None):
    assert not report.ok
    if table == "events":
        assert report.first_bad_seq is not None and report.log_findings, [f.render() for f in report.findings]
        if seq is not None:
            assert any(f.seq == seq or f.key == str(seq) for f in report.findings), [f.render() for f in report.findings]
        return
    hits = [f for f in report.findings if f.table == table and (column is None or f.column == column)]
    assert hits, f"no finding names {table}.{column}: {[f.render() for f in report.findings]}"


UPDATES = [(t, c.name) for t in TABLES for c in Base.metadata.tables[t].columns]


@pytest.mark.parametrize(("table_name", "column_name"), UPDATES, ids=[f"{t}.{c}" for t, c in UPDATES])
def test_every_changed_column_is_a_finding(ledger_db, table_name, column_name):
    table = Base.metadata.tables[table_name]
    column = table.columns[column_name]
    holder = {}

    def act(session):
        row = _sample(session, table)
        holder["row"] = row
        where, params = _where(table, row)
        session.execute(text(f"UPDATE {table_name} SET {column_name} = :v WHERE {where}"),
                        {"v": _other_value(session, table, column, row[column_name]), **params})

    report = _tamper_and_verify(ledger_db, act)
    if report is None:
        return  # the schema refused it
    in_key = column.primary_key or column.unique
    _named(report, table_name, None if in_key else column_name, holder["row"].get("seq"))


@pytest.mark.parametrize("key", ["fresh", 0, -1])
@pytest.mark.parametrize("table_name", TABLES)
def test_every_fabricated_row_is_a_finding(ledger_db, table_name, key):
    table = Base.metadata.tables[table_name]

    def act(session):
        row = _sample(session, table)
        for column in table.columns:
            if column.primary_key or column.unique:
                if isinstance(key, int) and column.type.python_type is int:
                    row[column.name] = key
                else:
                    row[column.name] = _other_value(session, table, column, row[column.name])
        cols = list(row)
        session.execute(text(f"INSERT INTO {table_name} ({', '.join(cols)}) VALUES "
                             f"({', '.join(':' + c for c in cols)})"), row)

    report = _tamper_and_verify(ledger_db, act)
    if report is None:
        assert key in (0, -1) or table_name == "chain_head", f"{table_name}: a plausible row was refused"
        return
    _named(report, table_name)


@pytest.mark.parametrize("table_name", TABLES)
def test_every_deleted_row_is_a_finding(ledger_db, table_name):
    table = Base.metadata.tables[table_name]

    def act(session):
        row = _sample(session, table)
        where, params = _where(table, row)
        session.execute(text(f"DELETE FROM {table_name} WHERE {where}"), params)

    report = _tamper_and_verify(ledger_db, act)
    assert report is not None
    _named(report, table_name)


def test_the_catalogue_covers_every_table_of_the_schema(ledger_db):
    """Every table has rows in the history, so no case above tampers with an empty table."""
    with ledger_db.read() as session:
        for name in TABLES:
            assert session.execute(text(f"SELECT count(*) FROM {name}")).scalar() > 0, name
