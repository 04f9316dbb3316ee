"""Bulk import validated by a second process while this one writes, chunk by chunk, in one
transaction: the same items, warnings and refusals as validating everything first in line,
and nothing written when a row late in the file is bad. Small chunks make a 40-row file take
the multi-chunk, two-process path that a 100,000-row file takes."""

from __future__ import annotations

import pytest

from ledger import bulk
from tests.cli.test_import import HEADER, item_row, mixed_rows, rows, write_csv
from tests.helpers import GOOD_IMEI


@pytest.fixture
def pipelined(monkeypatch):
    """Chunks of 4 rows, validated by a second process for any file, however busy the machine."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 4)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "spare_core", lambda: True)


def in_line(monkeypatch):
    """One chunk, validated in this process before anything is written (the order of old)."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 1_000_000)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 10_000_000)


def test_multi_chunk_import_registers_every_row_once_in_order(seeded, db_url, tmp_path, pipelined, monkeypatch):
    seeded.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Nokia", "--model", "105", "--by", "B-1001")
    table = mixed_rows(38)
    table.append(item_row(kind="phone", imei=GOOD_IMEI, make="Samsung", model="A10"))  # registered before
    table.append(table[3])  # row 4's phone again: its IMEI appears twice in the file
    path = write_csv(tmp_path / "items.csv", table)
    used = []
    real = bulk.Plan.start

    def spy(plan):
        real(plan)
        used.append(plan._pool is not None)

    monkeypatch.setattr(bulk.Plan, "start", spy)
    result = seeded("item", "import", "SZ-1", str(path), "--by", "B-1001", "--at", "2020-10-06T09:00")
    assert result.exit_code == 0, result.stderr
    assert used and all(used), "the rows were not validated by a second process"
    assert result.stdout.splitlines()[1] == "first EV-000002, last EV-000041"
    assert f"row 40: IMEI {GOOD_IMEI} is already registered as EV-000001" in result.stderr
    assert "row 41: IMEI" in result.stderr and "appears more than once in this registration" in result.stderr
    items = rows(db_url, "SELECT no, id, kind, registered_seq, last_seq FROM items ORDER BY no")
    assert [r["no"] for r in items] == list(range(1, 42))
    kinds = [r[0] for r in table[1:]]
    assert [r["kind"] for r in items[1:]] == kinds
    seqs = [r["registered_seq"] for r in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == 41
    links = rows(db_url, "SELECT seq, item_no FROM event_items ORDER BY seq")
    assert [(r["seq"], r["item_no"]) for r in links[-41:]] == [(s, n) for s, n in zip(seqs, range(1, 42), strict=True)]
    assert seeded("verify").exit_code == 0


def test_import_pipelined_and_in_line_write_the_same_items(seeded, db_url, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "items.csv", mixed_rows(30))
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 7)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "spare_core", lambda: True)
    first = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", "--at", "2020-10-06T09:00",
                      json_out=True)
    in_line(monkeypatch)
    second = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", "--at", "2020-10-06T09:00",
                       json_out=True)
    assert first["count"] == second["count"] == 30 and first["counts"] == second["counts"]
    skip = {"no", "id", "registered_seq", "last_seq"}
    items = [{k: v for k, v in r.items() if k not in skip} for r in rows(db_url, "SELECT * FROM items ORDER BY no")]
    assert items[:30] == items[30:]


def refused(seeded, path, *extra):
    before = seeded.snapshot()
    result = seeded("item", "import", "SZ-1", str(path), "--by", "B-1001", *extra)
    assert result.exit_code == 1 and result.stdout == ""
    assert seeded.snapshot() == before, "a refused import wrote something"
    return result.stderr


def test_bad_rows_late_in_the_file_refuse_it_after_chunks_were_written(seeded, tmp_path, monkeypatch, pipelined):
    table = mixed_rows(40)
    table[3] = item_row(kind="phone", imei="490154203237519", make="Samsung", model="A10")  # Luhn fails
    table[30] = item_row(kind="cash", amount="10.505", currency="PEN", counted_by="B-1001", verified_by="B-1002")
    table[35] = item_row(kind="cash", amount="10", currency="PEN", counted_by="B-9999", verified_by="B-1002")
    table[38] = item_row(kind="document", title="Cuaderno", location="NOWHERE")
    path = write_csv(tmp_path / "items.csv", table)
    pipelined_err = refused(seeded, path)
    in_line(monkeypatch)
    assert refused(seeded, path) == pipelined_err
    assert "items.csv has 4 errors; nothing was imported" in pipelined_err
    lines = pipelined_err.splitlines()
    assert [n for n in (4, 31, 36, 39) if any(line.strip().startswith(f"row {n}") for line in lines)] == [4, 31, 36, 39]
    assert "no officer with badge B-9999" in pipelined_err and "no location NOWHERE" in pipelined_err


def test_only_the_last_chunk_bad_still_writes_nothing(seeded, tmp_path, pipelined):
    table = mixed_rows(21)
    table[-1] = item_row(kind="vehicle", make="Kia")  # no model
    stderr = refused(seeded, write_csv(tmp_path / "items.csv", table))
    assert "row 22" in stderr and "model" in stderr


@pytest.mark.parametrize("at, words", [
    ("2020-10-06T05:00", "is before seizure SZ-000001 took place"),
    ("2020-13-06T05:00", "--at"),
])
def test_a_bad_time_refuses_after_the_rows_and_writes_nothing(seeded, tmp_path, monkeypatch, pipelined, at, words):
    path = write_csv(tmp_path / "items.csv", mixed_rows(17))
    pipelined_err = refused(seeded, path, "--at", at)
    in_line(monkeypatch)
    assert refused(seeded, path, "--at", at) == pipelined_err
    assert words in pipelined_err
    # Row errors come before a bad time, as when every row was validated first.
    table = mixed_rows(17)
    table[15] = item_row(kind="cash", amount="abc", currency="PEN", counted_by="B-1001", verified_by="B-1002")
    assert "row 16" in refused(seeded, write_csv(tmp_path / "bad.csv", table), "--at", at)


def test_request_id_retry_of_a_multi_chunk_import_imports_nothing_twice(seeded, db_url, tmp_path, pipelined):
    path = write_csv(tmp_path / "items.csv", mixed_rows(14))
    args = ("item", "import", "SZ-1", str(path), "--by", "B-1001", "--request-id", "op-1")
    first = seeded.ok(*args, json_out=True)
    again = seeded.ok(*args, json_out=True)
    assert again["replayed"] and (again["first"], again["last"], again["count"]) == ("EV-000001", "EV-000014", 14)
    assert (first["first"], first["last"]) == ("EV-000001", "EV-000014")
    assert rows(db_url, "SELECT count(*) AS n FROM items")[0]["n"] == 14


def test_header_only_and_too_many_rows_are_refused_before_the_ledger_is_opened(tmp_path, monkeypatch):
    from tests.helpers import CliHarness

    ledger = tmp_path / "new.db"
    cli = CliHarness(f"sqlite:///{ledger}")
    path = write_csv(tmp_path / "header.csv", [HEADER])
    result = cli("item", "import", "SZ-1", str(path), "--by", "B-1001")
    assert result.exit_code == 1 and "has a header (row 1) but no rows of items" in result.stderr
    monkeypatch.setattr(bulk, "MAX_ROWS", 3)
    result = cli("item", "import", "SZ-1", str(write_csv(tmp_path / "four.csv", mixed_rows(4))), "--by", "B-1001")
    assert result.exit_code == 1 and "has more than 3 rows" in result.stderr
    assert not ledger.exists()


def test_validated_chunks_cross_between_processes_unchanged(tmp_path):
    import pickle

    plan = bulk.open_file(write_csv(tmp_path / "items.csv", mixed_rows(12)), parallel=False)
    [checked] = list(plan.checked())
    assert len(checked.specs) == 12
    assert pickle.loads(pickle.dumps(checked)) == checked


def test_a_busy_machine_validates_in_line(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(bulk.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    with bulk.open_file(write_csv(tmp_path / "items.csv", mixed_rows(12))) as plan:
        assert plan._pool is None and len(list(plan.checked())[0].specs) == 12
    monkeypatch.setattr(bulk.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 2)
    assert bulk.spare_core()
