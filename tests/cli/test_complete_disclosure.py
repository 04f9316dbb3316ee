"""Complete disclosure (docs/FORMAT.md 4.2): a case bundle is cut at a case index the log
commits, and its own verify.py refuses it with any one event removed, of its case or
ledger-wide, even when the remover recounts the manifest and the sums as an insider would; a
forged case index in the log is a finding of `evidence verify`; a ledger that cannot be written
gives no case bundle at all."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.cli.test_bundle import OTHER_CASE, add_other_case, run_verify
from tests.cli.test_custody import scenario
from tests.helpers import ADMIN, rows
from tests.reliability.test_pg_roles import roles  # noqa: F401, F811 - a fixture

CASE = "AQP-2020-0147"


@pytest.fixture
def history(seeded, tmp_path):
    """The custody scenario, another case, and ledger-wide events of every kind a bundle's
    rules read: a rate, a key enrolled and revoked."""
    scenario(seeded)
    add_other_case(seeded)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--side", "sell",
              "--by", "B-1001")
    made = seeded.ok("key", "generate", "--badge", "A-4001", "--out", str(tmp_path / "A-4001-2.key"), json_out=True)
    kid = seeded.ok("officer", "key", "add", "A-4001", made["public_key"], "--by", ADMIN, json_out=True)["key_id"]
    seeded.ok("officer", "key", "revoke", "A-4001", kid, "--reason", "lost", "--by", ADMIN)
    return seeded


def _recount(out: Path, lines: list[bytes]) -> None:
    """What an insider does after removing a line: the manifest's count and every sum redone."""
    (out / "events.jsonl").write_bytes(b"".join(lines))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["events"] = len(lines)
    (out / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, separators=(",", ":")) + "\n")
    names = sorted(p.name for p in out.iterdir() if p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256((out / n).read_bytes()).hexdigest()}  {n}\n" for n in names))


def test_a_case_bundle_with_any_event_removed_is_refused_by_its_verify(history, tmp_path):
    out = tmp_path / "case"
    done = history.ok("export", "log", "--case", CASE, "--out", str(out), json_out=True)
    intact = run_verify(out)
    assert intact.returncode == 0, intact.stdout
    size = done["tree_size"]
    lines = (out / "events.jsonl").read_bytes().splitlines(keepends=True)
    bodies = [json.loads(json.loads(line)["body"]) for line in lines]
    assert bodies[-1]["type"] == "log.case_index" and bodies[-1]["seq"] == size
    ours = sum(1 for b in bodies if b["case"] == CASE)
    wide = sum(1 for b in bodies[:-1] if b["case"] is None)
    assert f"all {ours} events of case {CASE} and all {wide} ledger-wide events below the case index at seq " \
           f"{size}" in intact.stdout
    assert ours > 5 and wide > 5
    kinds = {b["type"] for b in bodies}
    assert {"officer.added", "location.added", "case.opened", "officer.key_added", "officer.key_revoked",
            "rate.set", "custody.transferred"} <= kinds
    for at, body in enumerate(bodies):
        cut = tmp_path / f"without-{body['seq']}"
        shutil.copytree(out, cut)
        _recount(cut, lines[:at] + lines[at + 1:])
        result = run_verify(cut)
        assert result.returncode == 3, (body, result.stdout)
        if at == len(lines) - 1:
            expected = "its last event is not a log.case_index event"
        elif body["case"] == CASE:
            expected = f"case {CASE} has {ours} events below seq {size} but the bundle holds {ours - 1}"
            if body["type"] == "case.opened":
                expected = f"no case.opened event of case {CASE}"
        else:
            expected = f"the ledger has {wide} ledger-wide events below seq {size} but the bundle holds {wide - 1}"
        assert expected in result.stdout, (body["type"], body["seq"], result.stdout)
        shutil.rmtree(cut)


def test_the_case_index_file_cannot_be_recounted_either(history, tmp_path):
    """Lowering the counts of case-index to match a removed event breaks its path to the root."""
    out = tmp_path / "case"
    history.ok("export", "log", "--case", CASE, "--out", str(out))
    lines = (out / "events.jsonl").read_bytes().splitlines(keepends=True)
    mine = [i for i, line in enumerate(lines) if json.loads(json.loads(line)["body"])["case"] == CASE]
    gone = mine[-1]  # the case's last event: count and last seq both change
    index = json.loads((out / "case-index").read_text())
    index["case"]["events"] -= 1
    index["case"]["last"] = json.loads(lines[mine[-2]])["seq"]
    (out / "case-index").write_text(json.dumps(index, sort_keys=True, separators=(",", ":")) + "\n")
    _recount(out, lines[:gone] + lines[gone + 1:])
    result = run_verify(out)
    assert result.returncode == 3 and f"the entry of case {CASE}" in result.stdout \
        and "does not lead to the root of the case index" in result.stdout, result.stdout
    (out / "case-index").unlink()
    _recount(out, lines[:gone] + lines[gone + 1:])
    missing = run_verify(out)
    assert missing.returncode == 3 and "case-index: missing" in missing.stdout, missing.stdout


def test_the_bundle_reveals_no_other_case(history, tmp_path):
    out = tmp_path / "case"
    history.ok("export", "log", "--case", CASE, "--out", str(out))
    everything = b"".join(p.read_bytes() for p in out.iterdir())
    assert OTHER_CASE.encode() not in everything and CASE.encode() in everything
    # The other case's entry is only a sibling hash: SHA-256(0x00 || key || entry), its key
    # made from the salt of its case.opened event, which the bundle does not hold.
    (salt,) = rows(history.db_url, "SELECT salt FROM events WHERE case_no = :c AND type = 'case.opened'",
                   c=OTHER_CASE)[0]
    key = hashlib.sha256(b"evidence-ledger case index key v1\n" + bytes.fromhex(salt)).hexdigest()
    assert salt.encode() not in everything and key.encode() not in everything


def test_an_export_appends_one_case_index_and_reuses_it(history, tmp_path):
    before = rows(history.db_url, "SELECT max(seq) FROM events")[0][0]
    first = history.ok("export", "log", "--case", CASE, "--out", str(tmp_path / "a"), json_out=True)
    second = history.ok("export", "log", "--case", OTHER_CASE, "--out", str(tmp_path / "b"), json_out=True)
    assert first["tree_size"] == second["tree_size"] == before + 1
    assert rows(history.db_url, "SELECT type, actor, case_no FROM events WHERE seq = :s", s=before + 1) == [
        ("log.case_index", None, None)]
    assert not rows(history.db_url, "SELECT * FROM event_signatures WHERE seq = :s", s=before + 1)
    assert run_verify(tmp_path / "b").returncode == 0
    history.ok("verify")
    # An event after it: the next case bundle gets a new index; the log only grew.
    history.ok("location", "add", "ALM-09", "--name", "Anexo", "--kind", "other")
    third = history.ok("export", "log", "--case", CASE, "--out", str(tmp_path / "c"), json_out=True)
    assert third["tree_size"] == before + 3
    assert run_verify(tmp_path / "c").returncode == 0
    history.ok("verify")


def test_a_forged_case_index_in_the_log_is_found_by_verify(history):
    from tests.rules.forger import forge

    seq = forge(history, "log.case_index", {"root": "ab" * 32, "entries": 3}, actor=None, unsigned=True)
    result = history("verify")
    assert result.exit_code == 3 and "log.case_index says root abab" in result.output, result.output
    assert "the index is forged" in result.output, result.output
    report = json.loads(history("verify", json_out=True).stdout)
    assert [(f["seq"], f["rule"]) for f in report["findings"]] == [(seq, "case-index")], report


def test_a_stale_case_index_is_found_by_verify(history, tmp_path):
    """An index copied from before the last event: right once, stale now."""
    from tests.rules.forger import forge

    history.ok("export", "log", "--case", CASE, "--out", str(tmp_path / "a"))
    (body,) = rows(history.db_url, "SELECT body FROM events ORDER BY seq DESC LIMIT 1")[0]
    history.ok("location", "add", "ALM-09", "--name", "Anexo", "--kind", "other")
    forge(history, "log.case_index", json.loads(body)["data"], actor=None, unsigned=True)
    result = history("verify")
    assert result.exit_code == 3 and "the index is forged" in result.output, result.output


def test_a_ledger_that_cannot_be_written_gives_no_case_bundle(history, tmp_path, monkeypatch):
    from ledger import db
    from ledger.errors import EnvironmentProblem

    def read_only(self, fn, *args, **kwargs):
        raise EnvironmentProblem("The ledger database cannot be used: attempt to write a readonly database.")

    monkeypatch.setattr(db.Ledger, "write", read_only)
    out = tmp_path / "case"
    result = history("export", "log", "--case", CASE, "--out", str(out))
    assert result.exit_code == 4 and not out.exists()
    assert "could not be written" in result.stderr and "no bundle was written" in result.stderr, result.stderr
    assert "export log --out DIR" in result.stderr
    # The full bundle needs no index.
    history.ok("export", "log", "--out", str(tmp_path / "full"))
    assert run_verify(tmp_path / "full").returncode == 0
    # Once the log ends with a case index, a read-only copy cuts complete case bundles at it.
    monkeypatch.undo()
    history.ok("export", "log", "--case", OTHER_CASE, "--out", str(tmp_path / "first"))
    monkeypatch.setattr(db.Ledger, "write", read_only)
    history.ok("export", "log", "--case", CASE, "--out", str(out))
    assert run_verify(out).returncode == 0


def test_a_refused_export_appends_no_case_index(history, tmp_path):
    before = rows(history.db_url, "SELECT max(seq) FROM events")[0][0]
    assert history("export", "log", "--case", "NOPE-1", "--out", str(tmp_path / "a")).exit_code == 1
    missing = history("export", "log", "--case", CASE, "--from", str(tmp_path / "none.txt"), "--out", str(tmp_path / "b"))
    assert missing.exit_code == 1 and "none.txt" in missing.stderr
    other = tmp_path / "other.txt"
    other.write_text("evidence-ledger/0000000000000000\n3\n" + "A" * 43 + "=\n")
    assert history("export", "log", "--case", CASE, "--from", str(other), "--out", str(tmp_path / "c")).exit_code == 1
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep")
    assert history("export", "log", "--case", CASE, "--out", str(tmp_path / "full")).exit_code == 1
    assert rows(history.db_url, "SELECT max(seq) FROM events")[0][0] == before


def test_an_officers_database_login_gets_no_case_bundle_but_the_owner_does(roles, tmp_path):  # noqa: F811
    """PostgreSQL with one login per officer (docs/postgresql.md): the database lets a login write
    only as its own badge, and the case index has no actor, so the export is refused, plainly and
    with nothing written; the tables' owner cuts the bundle."""
    from tests.conftest import _pg_admin
    from tests.helpers import CliHarness, seed_basic, snapshot
    from tests.reliability.test_pg_roles import _url

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
        as_admin.ok("officer", "login", ADMIN, admin_login, "--by", ADMIN)
        as_admin.ok("officer", "login", "B-1001", ana_login, "--by", ADMIN)
        before = snapshot(cli.db_url)
        refused = as_ana("export", "log", "--case", CASE, "--out", str(tmp_path / "ana"))
        assert refused.exit_code == 1 and "could not be written" in refused.stderr, refused.stderr
        assert "tables' owner" in refused.stderr and not (tmp_path / "ana").exists()
        assert snapshot(cli.db_url) == before
        owner = CliHarness(_url(roles["owner"], roles["db"]), keys_home=cli.keys_home)
        owner.ok("export", "log", "--case", CASE, "--out", str(tmp_path / "owner"))
        assert run_verify(tmp_path / "owner").returncode == 0
        # Now the log ends with an index: the officer's login cuts its bundle there, writing nothing.
        as_ana.ok("export", "log", "--case", CASE, "--out", str(tmp_path / "ana"))
        assert run_verify(tmp_path / "ana").returncode == 0
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP OWNED BY "{admin_login}", "{ana_login}"')
            conn.execute(f'DROP ROLE IF EXISTS "{admin_login}"')
            conn.execute(f'DROP ROLE IF EXISTS "{ana_login}"')
