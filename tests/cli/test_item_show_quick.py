"""`item show` on SQLite answers through the standard library's read-only path
(ledger.quickread); it must print exactly what the SQLAlchemy path prints, refuse the same
things with the same words and exit codes, and stay out of the way on PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from ledger import quickread
from ledger.itemview import label_payload
from tests.helpers import GOOD_IMEI, GOOD_IMEI2, CliHarness, rows, seed_basic


def register_every_kind(cli, tmp_path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 fictitious scan\n")
    cli.ok("cash", "add", "SZ-000001", "--amount", "4,000.00", "--currency", "PEN", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--denominations", "200x10,100x20", "--seal", "S-0001",
           "--location", "ER-AQP", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("vehicle", "add", "SZ-000001", "--make", "Toyota", "--model", "Yaris", "--plate", "v1a-123",
           "--vin", "1HGCM82633A004352", "--year", "2016", "--value", "45000 PEN", "--by", "B-1001",
           "--at", "2020-10-06T06:10")
    cli.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--imei2", GOOD_IMEI2, "--make", "Samsung",
           "--model", "Galaxy A10", "--number", "+51 959 000 001", "--by", "B-1001", "--at", "2020-10-06T06:20")
    cli.ok("document", "add", "SZ-000001", "--title", "Cuaderno de cuentas «Señora Ñ»", "--pages", "48",
           "--file", str(scan), "--by", "B-1001", "--at", "2020-10-06T06:30")
    cli.ok("cash", "add", "SZ-000001", "--amount", "1200", "--currency", "USD", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--by", "B-1001", "--at", "2020-10-06T06:40")
    cli.ok("custody", "transfer", "EV-1", "EV-3", "--from", "B-1001", "--to", "C-3001", "--reason", "Into the room",
           "--location", "VAULT-1", "--seal", "S-0101", "--at", "2020-10-06T09:00", "--by", "B-1001")
    cli.ok("custody", "dispose", "EV-5", "--action", "returned", "--authority", "Resolución 45-2021",
           "--to", "Propietaria", "--at", "2021-03-01T10:00", "--by", "F-2001")


def payload(db_url: str, item_id: str) -> str:
    [(case_no, digest)] = rows(db_url, "SELECT i.case_no, e.hash FROM items i JOIN events e ON e.seq = i.registered_seq "
                                       "WHERE i.id = :id", id=item_id)
    return label_payload(item_id, case_no, digest)


def refs(db_url: str) -> list[str]:
    ids = [r.id for r in rows(db_url, "SELECT id FROM items ORDER BY no")]
    return ids + ["ev-2", "3", " EV-000004 "] + [payload(db_url, i) for i in ids]


def run_both(cli, monkeypatch, *args: str, json_out: bool = False):
    """(result through the quick path, result through SQLAlchemy), insisting the quick path answered."""
    answered = []
    real = quickread.show_item

    def spy(url, ref):
        data = real(url, ref)
        answered.append(data is not None)
        return data

    with monkeypatch.context() as m:
        m.setattr(quickread, "show_item", spy)
        quick = cli(*args, json_out=json_out)
    with monkeypatch.context() as m:
        m.setattr(quickread, "show_item", lambda url, ref: None)
        slow = cli(*args, json_out=json_out)
    return quick, slow, answered


def same(quick, slow) -> None:
    assert (quick.exit_code, quick.stdout, quick.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


def test_quick_path_prints_what_sqlalchemy_prints(seeded, db_url, backend, tmp_path, monkeypatch):
    register_every_kind(seeded, tmp_path)
    for ref in refs(db_url):
        for json_out in (False, True):
            quick, slow, answered = run_both(seeded, monkeypatch, "item", "show", ref, json_out=json_out)
            assert quick.exit_code == 0, quick.stderr
            same(quick, slow)
            # PostgreSQL keeps the SQLAlchemy path; a SQLite ledger is answered by sqlite3.
            assert answered == ([False] if backend == "postgresql" else [True])
    shown = seeded.ok("item", "show", "EV-5", json_out=True)
    assert shown["status"] == "disposed" and shown["disposed_to"] == "Propietaria" and shown["amount"] == "1200.00"
    quick, slow, _ = run_both(seeded, monkeypatch, "--tz", "UTC", "item", "show", "EV-1")
    same(quick, slow)
    assert "last_at:" in quick.stdout and "+00:00" in quick.stdout


@pytest.mark.parametrize("ref, code, words", [
    ("EV-424242", 1, "no item 'EV-424242' is registered"),
    ("nonsense'; DROP TABLE items;--", 1, "is registered"),
    ("EV-000001/LIM-2020-0001/000000000000", 3, "names case LIM-2020-0001"),
    ("EV-000001/AQP-2020-0147/000000000000", 3, "carries the hash 000000000000"),
    ("EV-999999/AQP-2020-0147/ABCDEF012345", 1, "EV-999999"),
])
def test_quick_path_refuses_as_sqlalchemy_refuses(seeded, db_url, backend, tmp_path, monkeypatch, ref, code, words):
    register_every_kind(seeded, tmp_path)
    before = seeded.snapshot()
    quick, slow, _ = run_both(seeded, monkeypatch, "item", "show", ref)
    same(quick, slow)
    assert quick.exit_code == code and words in quick.stderr and quick.stdout == ""
    assert seeded.snapshot() == before


def sqlite_copy(db_url: str, sqlite_template, tmp_path) -> str:
    """The test ledger's rows copied into a migrated SQLite file, whichever backend made them."""
    from sqlalchemy import create_engine, text

    from ledger.models import Base

    path = tmp_path / "copy.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(db_url)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("BEGIN")
        with engine.connect() as src:
            for table in Base.metadata.sorted_tables:
                cols = [c.name for c in table.columns]
                data = src.execute(text(f"SELECT {', '.join(cols)} FROM {table.name}")).all()
                if con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]:  # rows the migration made
                    con.execute(f"DELETE FROM {table.name}")
                con.executemany(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [tuple(r) for r in data])
        con.execute("COMMIT")
    finally:
        con.close()
        engine.dispose()
    return f"sqlite:///{path}"


def test_quick_path_on_either_backends_rows(seeded, db_url, tmp_path, sqlite_template):
    """The rows each backend stored, read by sqlite3, give what SQLAlchemy gives on that backend."""
    from ledger import items
    from ledger.db import open_ledger

    register_every_kind(seeded, tmp_path)
    copy_url = sqlite_copy(db_url, sqlite_template, tmp_path)
    copy = CliHarness(copy_url)
    lg = open_ledger(db_url)
    try:
        for ref in refs(db_url):
            with lg.read() as session:
                expected = items.show_item(session, ref)
            assert quickread.show_item(copy_url, ref) == expected
            assert copy.ok("item", "show", ref, json_out=True) == seeded.ok("item", "show", ref, json_out=True)
            assert copy.ok("item", "show", ref) == seeded.ok("item", "show", ref)
    finally:
        lg.dispose()


def test_quick_path_leaves_stale_schema_and_missing_ledger_to_the_usual_refusal(tmp_path, sqlite_template,
                                                                                monkeypatch):
    path = tmp_path / "old.db"
    shutil.copyfile(sqlite_template, path)
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0003'")
    con.commit()
    con.close()
    url = f"sqlite:///{path}"
    assert quickread.show_item(url, "EV-1") is None
    quick, slow, answered = run_both(CliHarness(url), monkeypatch, "item", "show", "EV-1")
    same(quick, slow)
    assert quick.exit_code == 4 and "revision 0003" in quick.stderr and answered == [False]

    missing = CliHarness(f"sqlite:///{tmp_path / 'nowhere.db'}")
    quick, slow, answered = run_both(missing, monkeypatch, "item", "show", "EV-1")
    same(quick, slow)
    assert quick.exit_code == 4 and "No ledger exists" in quick.stderr and answered == [False]
    assert not (tmp_path / "nowhere.db").exists()

    not_ledger = tmp_path / "items.csv"
    not_ledger.write_text("kind,amount\ncash,10\n")
    quick, slow, _ = run_both(CliHarness(str(not_ledger)), monkeypatch, "item", "show", "EV-1")
    same(quick, slow)
    assert quick.exit_code == 4 and not_ledger.read_text() == "kind,amount\ncash,10\n"


def test_item_show_on_sqlite_does_not_import_sqlalchemy_or_write(tmp_path, sqlite_template):
    path = tmp_path / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    db_url = f"sqlite:///{path}"
    cli = CliHarness(db_url)
    seed_basic(cli)
    register_every_kind(cli, tmp_path)
    before = open(path, "rb").read()
    script = textwrap.dedent(f"""
        import sys
        from ledger.cli import main
        try:
            main(["--db", {db_url!r}, "item", "show", "EV-1"])
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        assert "sqlalchemy" not in sys.modules, "item show imported SQLAlchemy"
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "amount:" in done.stdout and "4,000.00" in done.stdout
    assert open(path, "rb").read() == before
