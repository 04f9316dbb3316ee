"""The hostile acts an insider with raw access tried against the tables that show the
current state, each caught: `verify` exits 3 naming table, key and column; the readers that
make court documents (export xlsx, case totals, convert) refuse with exit 3 and write
nothing; `export xlsx --unverified` writes a workbook stamped NOT VERIFIED on every sheet.
On PostgreSQL the schema itself refuses keys below 1."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from tests.cli.test_custody import scenario
from tests.cli.test_verify import drop_triggers, sql
from tests.helpers import rows, snapshot

CASE = "AQP-2020-0147"


def insider(db_url, *statements, params=None):
    """Raw SQL with the append-only triggers dropped; on SQLite the file's CHECK constraints are
    ignored too (whoever can write the file can rewrite them)."""
    drop_triggers(db_url)
    if db_url.startswith("sqlite"):
        statements = ("PRAGMA ignore_check_constraints = ON", *statements)
    return sql(db_url, *statements, params=params)


@pytest.fixture
def history(seeded, db_url):
    scenario(seeded)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    assert seeded("verify").exit_code == 0
    return seeded


def verify_findings(cli) -> list[dict]:
    result = cli("verify", json_out=True)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)["findings"]


def assert_readers_refuse(cli, db_url, tmp_path):
    before = snapshot(db_url)
    out = tmp_path / "case.xlsx"
    for argv in (["export", "xlsx", CASE, "--out", str(out)], ["case", "totals", CASE]):
        result = cli(*argv)
        assert result.exit_code == 3, (argv, result.stdout, result.stderr)
        assert "differ from the log" in result.stderr and "evidence verify" in result.stderr
        assert "Traceback" not in result.stderr
    assert not out.exists()
    assert snapshot(db_url) == before


NEGATIVE_CASH = ("INSERT INTO items (no, id, case_no, seizure_no, kind, status, holder, registered_seq, last_seq, "
                 "last_at, currency, amount_minor, counted_by, verified_by) SELECT -1, 'EV-000099', case_no, "
                 "seizure_no, 'cash', 'in-custody', 'C-3001', registered_seq, last_seq, last_at, 'USD', 5000000, "
                 "'B-1001', 'B-1002' FROM items WHERE no = 3")


def test_a_cash_row_with_a_negative_key_is_caught(history, db_url, backend, tmp_path):
    if backend == "postgresql":
        with pytest.raises(IntegrityError, match="ck_items_keys_positive"):
            insider(db_url, NEGATIVE_CASH)
        return
    insider(db_url, NEGATIVE_CASH)
    assert history.ok("case", "list", json_out=True)  # the row is there for readers that do not check
    found = verify_findings(history)
    assert any(f["table"] == "items" and f["key"] == "EV-000099" for f in found), found
    assert_readers_refuse(history, db_url, tmp_path)

    out = tmp_path / "anyway.xlsx"
    done = history.ok("export", "xlsx", CASE, "--out", str(out), "--unverified", "--lang", "en", json_out=True)
    assert done["verified"] is False
    wb = load_workbook(out)
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == "NOT VERIFIED", ws.title
    summary = wb.worksheets[0]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("NOT VERIFIED: exported with --unverified") for t in texts)


def test_a_verified_workbook_states_the_head_it_was_checked_against(history, db_url, tmp_path):
    out = tmp_path / "case.xlsx"
    done = history.ok("export", "xlsx", CASE, "--out", str(out), "--lang", "en", json_out=True)
    head = rows(db_url, "SELECT seq FROM chain_head")[0].seq
    assert done["verified"] is True
    summary = load_workbook(out).worksheets[0]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert f"yes: the case's tables equal the replay of the log up to event {head}" in texts
    assert summary.oddHeader.center.text in (None, "")


def test_an_event_row_at_seq_minus_one_is_caught(history, db_url, backend):
    plant = ("INSERT INTO events (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, hash, salt) "
             "SELECT -1, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, "
             "'ffff' || substr(hash, 5), salt FROM events WHERE type = 'custody.transferred' ORDER BY seq LIMIT 1")
    link = "INSERT INTO event_items (seq, item_no) VALUES (-1, 3)"
    if backend == "postgresql":
        with pytest.raises(IntegrityError, match="ck_events_seq_positive"):
            insider(db_url, plant)
        return
    insider(db_url, plant, link)
    found = verify_findings(history)
    assert any(f["check"] == "chain" and f["seq"] == -1 for f in found), found
    assert any(f["table"] == "event_items" and f["seq"] == -1 for f in found), found


def test_a_changed_rate_refuses_conversion(history, db_url, tmp_path):
    insider(db_url, "UPDATE rates SET rate = '2.0000'")
    result = history("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06")
    assert result.exit_code == 3 and "differ from the log" in result.stderr, result.stderr
    assert "rates" in result.stderr and "3.5870" in result.stderr
    found = verify_findings(history)
    assert any(f["table"] == "rates" and f["column"] == "rate" for f in found), found
    assert_readers_refuse(history, db_url, tmp_path)


@pytest.mark.parametrize(("column", "value"), [
    ("place", "Somewhere else"), ("acta", "ACTA-9999"), ("witnesses", '["Nobody"]'), ("officer", "B-1002"),
    ("occurred_at", "2020-10-09T05:30:00Z"), ("from_persons", "[]"),
])
def test_a_changed_seizure_is_caught(history, db_url, tmp_path, column, value):
    insider(db_url, f"UPDATE seizures SET {column} = :v", params={"v": value})
    found = verify_findings(history)
    assert any(f["table"] == "seizures" and f["key"] == "1" and f["column"] == column for f in found), found
    assert_readers_refuse(history, db_url, tmp_path)


@pytest.mark.parametrize(("column", "value"), [("court", "Another court"), ("opened_by", "B-1002"),
                                               ("title", "Other")])
def test_a_changed_case_is_caught(history, db_url, tmp_path, column, value):
    insider(db_url, f"UPDATE cases SET {column} = :v", params={"v": value})
    found = verify_findings(history)
    assert any(f["table"] == "cases" and f["key"] == CASE and f["column"] == column for f in found), found
    assert_readers_refuse(history, db_url, tmp_path)


def test_a_cash_amount_that_no_longer_matches_the_log_refuses_the_workbook(history, db_url, tmp_path):
    insider(db_url, "UPDATE items SET amount_minor = 900000 WHERE no = 3")
    found = verify_findings(history)
    assert any(f["table"] == "items" and f["column"] == "amount_minor" and "900000" in f["message"]
               for f in found), found
    assert_readers_refuse(history, db_url, tmp_path)


def test_a_planted_request_row_never_passes_for_a_real_import(history, db_url, tmp_path):
    """A request id planted with the fingerprint a real import will have: the import is refused
    loudly (exit 3, the table was changed) instead of answering 'already imported'."""
    from ledger.requests import fingerprint

    csv = tmp_path / "items.csv"
    csv.write_text("kind,make,model,title\ndocument,,,Agenda\n", encoding="utf-8")
    from ledger.ratefiles import file_sha256

    fp = fingerprint("item.import", {"seizure": "SZ-1", "file_sha256": file_sha256(csv.read_bytes()), "by": "B-1001",
                                     "at": None})
    insider(db_url, "INSERT INTO requests (request_id, command, fingerprint, seq) VALUES ('op-1', 'item.import', "
            ":fp, 1)", params={"fp": fp})
    found = verify_findings(history)
    assert any(f["table"] == "requests" and f["key"] == "op-1" for f in found), found
    before = snapshot(db_url)
    result = history("item", "import", "SZ-1", str(csv), "--request-id", "op-1", "--by", "B-1001")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "already imported" not in result.stdout
    assert "does not carry it" in result.stderr and "evidence verify" in result.stderr
    assert snapshot(db_url) == before


def test_a_retry_is_answered_from_the_log(history, db_url, tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title\ndocument,Agenda\ndocument,Recibos\n", encoding="utf-8")
    first = history.ok("item", "import", "SZ-1", str(csv), "--request-id", "op-2", "--by", "B-1001", json_out=True)
    again = history.ok("item", "import", "SZ-1", str(csv), "--request-id", "op-2", "--by", "B-1001", json_out=True)
    assert again["replayed"] is True
    for key in ("count", "counts", "first", "last", "first_seq", "last_seq", "seizure"):
        assert again[key] == first[key], key
    assert rows(db_url, "SELECT count(*) AS n FROM items")[0].n == 5
    assert history("verify").exit_code == 0


def test_ten_thousand_imported_rows_verify_clean(seeded, tmp_path):
    from bench.data import write_items_csv

    seeded.ok("location", "add", "LOT-1", "--name", "Vehicle lot", "--kind", "vehicle-lot")
    csv = write_items_csv(tmp_path / "big.csv", 10_000)
    done = seeded.ok("item", "import", "SZ-1", str(csv), "--by", "B-1001", json_out=True)
    assert done["count"] == 10_000
    result = seeded("verify", json_out=True)
    assert result.exit_code == 0, result.stdout[:2000]
    assert json.loads(result.stdout)["items_checked"] == 10_000
