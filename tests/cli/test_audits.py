"""Inventory audits through the CLI: the sample is drawn with a seed nobody knew in advance and is
re-drawn here, from an exported copy of the log, by code that shares nothing with the ledger's;
sample sizes follow the stated method; every kind of finding; `verify` re-derives them all."""

from __future__ import annotations

import hashlib
import json
from math import comb, log

import pytest

from tests.cli.test_documents import _payload
from tests.helpers import rows

ROOM = ["--by", "C-3001"]


def stock_room(cli) -> list[str]:
    """EV-1..EV-12 documents handed to C-3001 in ER-AQP, EV-13 in VAULT-1, EV-14 disposed of from
    ER-AQP, EV-15 cash in ER-AQP deposited in the bank: only EV-1..EV-12 are expected there."""
    for n in range(1, 16):
        if n == 15:
            cli.ok("cash", "add", "SZ-1", "--amount", "100.00", "--currency", "PEN", "--counted-by", "B-1001",
                   "--verified-by", "B-1002", "--seal", "S-0015", "--by", "B-1001", "--at", "2020-10-06T06:00")
        else:
            cli.ok("document", "add", "SZ-1", "--title", f"Folder {n}", "--seal", f"S-{n:04d}", "--by", "B-1001",
                   "--at", "2020-10-06T06:00")
    cli.ok("custody", "transfer", *[f"EV-{n}" for n in range(1, 16) if n != 13], "--from", "B-1001", "--to",
           "C-3001", "--reason", "Al depósito", "--location", "ER-AQP", "--at", "2020-10-06T09:00", "--by", "B-1001")
    cli.ok("custody", "transfer", "EV-13", "--from", "B-1001", "--to", "C-3001", "--reason", "A la bóveda",
           "--location", "VAULT-1", "--at", "2020-10-06T09:00", "--by", "B-1001")
    cli.ok("custody", "dispose", "EV-14", "--action", "destroyed", "--authority", "Res. 1-2021", *ROOM)
    cli.ok("custody", "deposit", "EV-15", "--bank", "Banco de la Nación", "--account", "00-1", "--voucher", "77",
           *ROOM)
    return [f"EV-{n:06d}" for n in range(1, 13)]


# -- an independent re-draw, from the exported bundle alone --------------------------------
def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def redraw_from_bundle(folder, audit_id: str) -> tuple[str, list[str]]:
    """The seed and the sample of an audit, from a full log bundle: the root of the tree whose
    last leaf is the audit's start event; the items the log puts at the location then, still in
    custody; the n smallest SHA-256(seed || evidence id)."""
    lines = [json.loads(x) for x in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    leaves, where, status = [], {}, {}
    for line in lines:
        body = json.loads(line["body"])
        leaves.append(hashlib.sha256(b"\x00" + bytes.fromhex(line["salt"]) + line["body"].encode()).digest())
        data = body["data"]
        if body["type"] == "item.registered":
            where[data["item"]], status[data["item"]] = data.get("location"), "in-custody"
        elif body["type"] == "custody.transferred":
            for item in body["items"]:
                where[item] = data.get("location") or where[item]
        elif body["type"] in ("custody.disposed", "custody.deposited"):
            for item in body["items"]:
                status[item] = "gone"
        elif body["type"] == "audit.started" and data["audit"] == audit_id:
            seed = _mth(leaves)
            population = [i for i in where if where[i] == data["location"] and status[i] == "in-custody"]
            size = data["sample"] if data["sample"] is not None else len(population)
            drawn = sorted(population, key=lambda i: hashlib.sha256(seed + i.encode()).digest())[:size]
            return seed.hex(), sorted(drawn)
    raise AssertionError(f"no start event of {audit_id} in the bundle")


def test_the_sample_is_redrawn_from_an_exported_copy_of_the_log(seeded, tmp_path):
    expected = stock_room(seeded)
    started = seeded.ok("audit", "start", "ER-AQP", "--sample", "5", "--by", "A-4001", json_out=True)
    assert started["id"] == "AU-000001" and started["population"] == 12 and started["sample_size"] == 5
    assert set(started["sample"]) <= set(expected)
    # Later events do not change an audit's sample: its seed is the root at its start.
    seeded.ok("audit", "check", "AU-1", started["sample"][0], "--found", "--by", "A-4001")
    seeded.ok("export", "log", "--out", str(tmp_path / "bundle"))
    seed, sample = redraw_from_bundle(tmp_path / "bundle", "AU-000001")
    shown = seeded.ok("audit", "show", "AU-000001", json_out=True)["audit"]
    assert (shown["seed"], shown["sample"]) == (seed, sample) == (started["seed"], started["sample"])
    # The seed is the checkpoint's root right after the start event, which nobody could know earlier.
    assert seeded.ok("verify", json_out=True)["ok"]


def test_a_second_audit_draws_with_another_seed_and_a_full_count_expects_everything(seeded):
    expected = stock_room(seeded)

    def start(*args):
        done = seeded.ok("audit", "start", "ER-AQP", *args, "--by", "A-4001", json_out=True)
        seeded.ok("audit", "close", done["id"], "--by", "A-4001")  # one open audit of a room at a time
        return done

    first = start("--sample", "5")
    second = start("--sample", "5")
    assert first["seed"] != second["seed"]
    full = start()
    assert full["sample"] == expected and full["requested"] is None
    big = start("--sample", "50")
    assert big["sample"] == expected  # a sample larger than the room is the whole room
    sized = start("--confidence", "95", "--tolerance", "5")
    assert sized["sample_size"] == 12 and (sized["confidence"], sized["tolerance"]) == (95, 5)


# -- sample sizes ---------------------------------------------------------------------------
def _zero_miss_probability(population: int, defects: int, n: int) -> float:
    return comb(population - defects, n) / comb(population, n)


# (population, confidence %, tolerance %) -> sample size, hypergeometric discovery sampling.
SIZES = [
    (10, 95, 5, 10), (50, 95, 5, 31), (100, 95, 5, 45), (500, 95, 5, 56), (1000, 95, 5, 57), (5000, 95, 5, 59),
    (100, 95, 2, 78), (500, 95, 2, 129), (1000, 95, 2, 138), (100000, 95, 2, 149),
    (500, 99, 1, 300), (1000, 99, 1, 368), (100000, 99, 1, 458),
    (100, 90, 10, 20), (1000, 90, 10, 22), (1, 95, 5, 1), (0, 95, 5, 0),
]


@pytest.mark.parametrize(("population", "confidence", "tolerance", "size"), SIZES)
def test_sample_sizes_against_the_table(population, confidence, tolerance, size):
    from ledger.rules.sampling import sample_size

    assert sample_size(population, confidence, tolerance) == size
    if population < 2:
        return
    defects = max(1, -(-population * tolerance // 100))
    risk = 1 - confidence / 100
    # The size is the smallest n that misses every tolerated defect with probability <= risk.
    assert _zero_miss_probability(population, defects, size) <= risk + 1e-12
    assert size == population or _zero_miss_probability(population, defects, size - 1) > risk


def test_large_populations_approach_the_binomial_table():
    from ledger.rules.sampling import sample_size

    for confidence, tolerance in ((95, 5), (95, 2), (90, 10)):
        binomial = -(-log(1 - confidence / 100) // log(1 - tolerance / 100))
        assert binomial - 1 <= sample_size(1_000_000, confidence, tolerance) <= binomial


# -- checks and findings ------------------------------------------------------------------------
def test_every_kind_of_finding_and_verify_rederives_them(seeded, db_url):
    stock_room(seeded)
    seeded.ok("audit", "start", "ER-AQP", "--by", "A-4001")  # a full count: EV-1..EV-12
    by = ["--by", "A-4001"]
    seeded.ok("audit", "check", "AU-1", "EV-1", "--found", "--seal", "S-0001", *by)  # as on record
    seeded.ok("audit", "check", "AU-1", "EV-2", "--found", "--seal", "S-9999", "--note", "Seal changed", *by)
    seeded.ok("audit", "check", "AU-1", "EV-3", "--missing", *by)
    seeded.ok("audit", "check", "AU-1", "EV-4", "--found", "--location", "VAULT-1", *by)
    seeded.ok("audit", "check", "AU-1", "EV-13", "--found", "--unexpected", *by)
    seeded.ok("audit", "check", "AU-1", _payload(seeded, "EV-5"), "--found", *by)  # a scanned label as ITEM
    so_far = seeded.ok("audit", "show", "AU-1", json_out=True)
    assert not so_far["final"] and {f["kind"] for f in so_far["findings"]} >= {"missing", "not-checked"}

    closed = seeded.ok("audit", "close", "AU-1", *by, json_out=True)
    assert closed["final"]
    kinds = sorted((f["item"], f["kind"]) for f in closed["findings"])
    assert kinds == [
        ("EV-000002", "seal-mismatch"), ("EV-000003", "missing"), ("EV-000004", "wrong-location"),
        *[(f"EV-{n:06d}", "not-checked") for n in range(6, 13)], ("EV-000013", "unexpected")]
    details = {f["kind"]: f["detail"] for f in closed["findings"]}
    assert "S-9999" in details["seal-mismatch"] and "S-0002" in details["seal-mismatch"]
    assert "VAULT-1" in details["unexpected"]
    text = seeded.ok("audit", "show", "AU-1")
    assert "seal-mismatch" in text and "Seal changed" in text and "findings:" in text
    stored = rows(db_url, "SELECT item_no, kind FROM audit_findings ORDER BY item_no, kind")
    assert [(r.item_no, r.kind) for r in stored] == [(int(i[3:]), k) for i, k in kinds]
    history = seeded.ok("item", "history", "EV-3", json_out=True)["events"]
    assert history[-1]["type"] == "audit.checked" and history[-1]["reason"] == "audit AU-000001: missing"
    assert seeded.ok("verify", json_out=True)["ok"]


def test_verify_redraws_the_sample_and_rederives_the_findings(seeded, db_url):
    from sqlalchemy import create_engine, text

    stock_room(seeded)
    started = seeded.ok("audit", "start", "ER-AQP", "--sample", "3", "--by", "A-4001", json_out=True)
    seeded.ok("audit", "check", "AU-1", started["sample"][0], "--missing", "--by", "A-4001")
    seeded.ok("audit", "close", "AU-1", "--by", "A-4001")
    others = [f"EV-{n:06d}" for n in range(1, 13) if f"EV-{n:06d}" not in started["sample"]]
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:  # an insider swaps a drawn item for one they prefer, and drops a finding
            conn.execute(text("UPDATE audits SET sample = :s"),
                         {"s": json.dumps(sorted([others[0], *started["sample"][1:]]))})
            conn.execute(text("DELETE FROM audit_findings WHERE kind = 'missing'"))
    finally:
        engine.dispose()
    result = seeded("verify", json_out=True)
    assert result.exit_code == 3
    found = json.loads(result.stdout)["findings"]
    assert {(f["table"], f["column"]) for f in found} >= {("audits", "sample"), ("audit_findings", None)}


def test_refusals_write_nothing(seeded):
    stock_room(seeded)
    started = seeded.ok("audit", "start", "ER-AQP", "--sample", "3", "--by", "A-4001", json_out=True)
    outside = next(f"EV-{n:06d}" for n in range(1, 13) if f"EV-{n:06d}" not in started["sample"])
    seeded.ok("audit", "check", "AU-1", started["sample"][0], "--found", "--by", "A-4001")
    before = seeded.snapshot()
    cases = [
        (["audit", "start", "NOWHERE", "--by", "A-4001"], "NOWHERE"),
        (["audit", "start", "ER-AQP", "--by", "C-3001"], "C-3001"),
        (["audit", "start", "ER-AQP", "--sample", "3", "--confidence", "95", "--by", "A-4001"], "--sample"),
        (["audit", "start", "ER-AQP", "--confidence", "95", "--by", "A-4001"], "--tolerance"),
        (["audit", "start", "ER-AQP", "--confidence", "100", "--tolerance", "2", "--by", "A-4001"], "--confidence"),
        (["audit", "start", "ER-AQP", "--sample", "0", "--by", "A-4001"], "--sample"),
        (["audit", "check", "AU-1", outside, "--found", "--by", "A-4001"], "--unexpected"),
        (["audit", "check", "AU-1", started["sample"][1], "--found", "--unexpected", "--by", "A-4001"],
         "drop --unexpected"),
        (["audit", "check", "AU-1", started["sample"][0], "--missing", "--by", "A-4001"], "already checked"),
        (["audit", "check", "AU-1", started["sample"][1], "--by", "A-4001"], "--found or --missing"),
        (["audit", "check", "AU-1", started["sample"][1], "--missing", "--seal", "S-1", "--by", "A-4001"],
         "--missing"),
        (["audit", "check", "AU-9", "EV-1", "--found", "--by", "A-4001"], "AU-9"),
        (["audit", "check", "AU-1", "EV-999", "--found", "--by", "A-4001"], "EV-999"),
        (["audit", "close", "AU-9", "--by", "A-4001"], "AU-9"),
        (["audit", "show", "AU-9"], "AU-9"),
    ]
    for argv, needle in cases:
        result = seeded(*argv)
        assert result.exit_code == 1, (argv, result.stderr)
        assert needle in result.stderr and "Traceback" not in result.stderr, (argv, result.stderr)
    assert seeded.snapshot() == before
    seeded.ok("audit", "close", "AU-1", "--by", "A-4001")
    after_close = seeded.snapshot()
    twice = seeded("audit", "close", "AU-1", "--by", "A-4001")
    assert twice.exit_code == 1 and "already closed" in twice.stderr
    late = seeded("audit", "check", "AU-1", started["sample"][1], "--found", "--by", "A-4001")
    assert late.exit_code == 1 and "closed" in late.stderr
    assert seeded.snapshot() == after_close


def test_documents_of_a_case_are_made_after_its_items_were_audited(seeded, tmp_path):
    """A case's documents check the case's events; an audit's checks are among them."""
    stock_room(seeded)
    seeded.ok("audit", "start", "ER-AQP", "--sample", "2", "--by", "A-4001")
    drawn = seeded.ok("audit", "show", "AU-1", json_out=True)["audit"]["sample"]
    seeded.ok("audit", "check", "AU-1", drawn[0], "--found", "--by", "A-4001")
    seeded.ok("audit", "close", "AU-1", "--by", "A-4001")
    assert seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN", json_out=True)["per_currency"]
    seeded.ok("export", "xlsx", "AQP-2020-0147", "--in", "PEN", "--out", str(tmp_path / "case.xlsx"))
    assert seeded.ok("verify", "--case", "AQP-2020-0147", json_out=True)["ok"]


def test_the_audit_workbook_shows_its_findings_and_checks(seeded, tmp_path):
    from openpyxl import load_workbook

    stock_room(seeded)
    seeded.ok("audit", "start", "ER-AQP", "--by", "A-4001")
    seeded.ok("audit", "check", "AU-1", "EV-2", "--found", "--seal", "S-0999", "--note", "=HYPERLINK(\"x\")",
              "--by", "A-4001")
    seeded.ok("audit", "check", "AU-1", "EV-3", "--missing", "--by", "A-4001")
    seeded.ok("audit", "close", "AU-1", "--by", "A-4001")
    done = seeded.ok("export", "audit", "AU-1", "--out", str(tmp_path / "au.xlsx"), "--lang", "en", json_out=True)
    assert (done["items"], done["findings"]) == (12, 12)  # 1 seal mismatch, 1 missing, 10 not checked
    wb = load_workbook(tmp_path / "au.xlsx")
    assert wb.sheetnames == ["Audit", "Items"]
    first = [[c.value for c in r] for r in wb["Audit"].iter_rows()]
    assert ["Audit", "AU-000001", None] in first
    assert ["missing", "EV-000003", "not found at ER-AQP"] in first
    items = [[c.value for c in r] for r in wb["Items"].iter_rows()]
    assert items[0][:3] == ["Item", "Kind", "Result"]
    row = next(r for r in items if r[0] == "EV-000002")
    assert row[2:5] == ["found", "S-0999", "S-0002"] and row[8] == '=HYPERLINK("x")'
    assert wb["Items"]["I3"].data_type == "s"  # a note that looks like a formula stays text
    spanish = seeded.ok("export", "audit", "AU-1", "--out", str(tmp_path / "au-es.xlsx"), json_out=True)
    assert load_workbook(spanish["path"]).sheetnames == ["Auditoría", "Bienes"]
    again = seeded("export", "audit", "AU-1", "--out", str(tmp_path / "au.xlsx"))
    assert again.exit_code == 1 and "already exists" in again.stderr
    unknown = seeded("export", "audit", "AU-9", "--out", str(tmp_path / "x.xlsx"))
    assert unknown.exit_code == 1 and "AU-9" in unknown.stderr and not (tmp_path / "x.xlsx").exists()


def test_the_ledger_redraws_a_sample_from_a_bundle_and_refuses_what_is_not_one(seeded, tmp_path):
    from ledger.errors import InputError, NotFound
    from ledger.operations.audits import redraw_from_bundle as ledger_redraw

    stock_room(seeded)
    started = seeded.ok("audit", "start", "ER-AQP", "--sample", "4", "--by", "A-4001", json_out=True)
    seeded.ok("export", "log", "--out", str(tmp_path / "bundle"))
    again = ledger_redraw(tmp_path / "bundle", "au-000001")
    assert (again["seed"], again["sample"]) == (started["seed"], started["sample"])
    assert (again["seed"], again["sample"]) == redraw_from_bundle(tmp_path / "bundle", "AU-000001")
    with pytest.raises(NotFound, match="no audit AU-000002"):
        ledger_redraw(tmp_path / "bundle", "AU-000002")
    with pytest.raises(InputError, match="not the events file of a full log bundle"):
        ledger_redraw(tmp_path / "nothing", "AU-000001")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "events.jsonl").write_text('{"body": "not json"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not the events file"):
        ledger_redraw(tmp_path / "broken", "AU-000001")


def test_a_room_is_audited_by_one_open_audit_at_a_time(seeded):
    stock_room(seeded)
    opened = seeded.ok("audit", "start", "ER-AQP", "--sample", "3", "--by", "A-4001", json_out=True)
    before = seeded.snapshot()
    again = seeded("audit", "start", "ER-AQP", "--sample", "3", "--by", "A-4001")
    assert again.exit_code == 1 and opened["id"] in again.stderr and "audit close" in again.stderr, again.stderr
    assert seeded.snapshot() == before
    seeded.ok("audit", "close", opened["id"], "--by", "A-4001")
    seeded.ok("audit", "start", "ER-AQP", "--sample", "3", "--by", "A-4001")
