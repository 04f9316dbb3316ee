"""Who acted: every event signed with its officer's own key, officer management by an admin,
handovers completed by the receiver's signature, disposals witnessed, and `verify` checking
every signature (docs/THREATS.md). Both backends; the harness keeps each test's keys."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.cli.test_verify import drop_triggers, sql
from tests.helpers import ADMIN, GOOD_IMEI, PASSPHRASE, rows


def cash(cli, by="B-1001", amount="100.00"):
    return cli.ok("cash", "add", "SZ-1", "--amount", amount, "--currency", "PEN", "--counted-by", by,
                  "--verified-by", "B-1002", "--seal", "S-0001", "--by", by, "--at", "2020-10-06T06:00")


def refused(cli, *args, words=(), code=1, **kw):
    """Run a command that must be refused with `code`, naming `words`, writing nothing."""
    before = cli.snapshot()
    result = cli(*args, **kw)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert cli.snapshot() == before
    return result


def signatures(db_url, seq):
    return {r.signer: r.key_id for r in rows(db_url, "SELECT signer, key_id FROM event_signatures WHERE seq = :s",
                                             s=seq)}


# -- the three acts of the issue ---------------------------------------------------------------
def test_the_receiver_cannot_take_items_without_the_holder(seeded):
    cash(seeded)
    refused(seeded, "custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r",
            "--by", "C-3001", words=("is not the sender (B-1001)", "custody accept"))


def test_officer_management_needs_an_admin(seeded):
    refused(seeded, "officer", "add", "X-666", "--name", "Nadie", "--role", "custodian", "--by", "C-3001",
            words=("C-3001 is registered as custodian", "an admin"))
    refused(seeded, "officer", "add", "X-666", "--name", "Nadie", "--role", "custodian", "--by", "",
            words=("--by is required",))
    refused(seeded, "location", "add", "X-1", "--name", "Nowhere", "--by", "B-1001", words=("register locations",))
    refused(seeded, "officer", "key", "add", "B-1001", seeded.public_key("X-777"), "--by", "B-1002",
            words=("B-1002 is registered as officer",))
    refused(seeded, "officer", "update", "B-1001", "--role", "admin", "--by", "B-1001", words=("an admin",))


def test_every_event_names_an_actor_and_is_signed(seeded, db_url):
    cash(seeded)
    actors = rows(db_url, "SELECT seq, actor FROM events ORDER BY seq")
    assert all(actor for _, actor in actors), actors
    for seq, actor in actors:
        assert actor in signatures(db_url, seq)
    first = json.loads(rows(db_url, "SELECT body FROM events WHERE seq = 1")[0][0])
    assert first["type"] == "identity.initialized" and first["actor"] == ADMIN
    assert first["data"]["signatures_from"] == 1
    assert seeded.ok("verify", json_out=True)["ok"]


def test_a_new_ledger_starts_with_init_only(cli):
    refused(cli, "case", "open", "C-1", "--title", "t", "--by", "B-1001", words=("no officers yet", "evidence init"))
    cli.ok("init", "--admin", "ADM-9", "--name", "Otra Admin")
    assert cli.key_path("ADM-9").exists() and os.stat(cli.key_path("ADM-9")).st_mode & 0o777 == 0o600
    # a ledger is started once, and no key is made for an admin it refuses
    refused(cli, "init", "--admin", "ADM-8", "--name", "Otra", words=("already has an admin (ADM-9)",))
    assert not cli.key_path("ADM-8").exists()


# -- keys -----------------------------------------------------------------------------------
def test_acting_as_another_badge_needs_its_key(seeded):
    cash(seeded)
    os.remove(seeded.key_path("B-1002"))
    refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
            "--by", "B-1002", words=("needs B-1002's own key", "none was found"))


def test_a_stolen_badge_cannot_be_signed_with_another_officers_key(seeded):
    """Officer B-1001's key, given as the key of --by B-1002: refused, nothing written."""
    refused(seeded, "--key", str(seeded.key_path("B-1001")), "seizure", "record", "AQP-2020-0147", "--at",
            "2020-10-06T07:00", "--place", "x", "--by", "B-1002", words=("holds the key of B-1001, not of B-1002",))
    # and a key file renamed to the other badge's name says whose it is
    shutil.copyfile(seeded.key_path("B-1001"), seeded.key_path("B-1002"))
    os.chmod(seeded.key_path("B-1002"), 0o600)
    refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
            "--by", "B-1002", words=("holds the key of B-1001",))


def test_a_wrong_passphrase_is_refused(seeded):
    refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
            "--by", "B-1001", env={"EVIDENCE_KEY_PASSPHRASE": "not it"}, words=("passphrase does not open",))


def test_a_key_file_others_can_read_is_refused_with_the_chmod(seeded):
    path = seeded.key_path("B-1001")
    os.chmod(path, 0o644)
    result = refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
                     "--by", "B-1001", words=("mode 0644", f"chmod 600 {path}"))
    assert "Traceback" not in result.stderr


def test_a_key_not_enrolled_is_refused(seeded):
    seeded.public_key("B-1003")  # a key exists on this machine, but no admin enrolled it
    seeded.ok("officer", "add", "B-1003", "--name", "Sin Llave", "--role", "officer", "--by", ADMIN)
    refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
            "--by", "B-1003", words=("is not enrolled for B-1003", "officer key add B-1003"))
    seeded.ok("officer", "key", "add", "B-1003", seeded.public_key("B-1003"), "--by", ADMIN)
    seeded.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x", "--by", "B-1003")
    # one key answers for one officer
    refused(seeded, "officer", "key", "add", "B-1002", seeded.public_key("B-1003"), "--by", ADMIN,
            words=("already enrolled for B-1003",))


def test_rotation_and_revocation_at_a_seq(seeded, db_url, tmp_path):
    cash(seeded)
    old = rows(db_url, "SELECT key_id FROM officer_keys WHERE badge = 'B-1001'")[0][0]
    # a new key, enrolled beside the old one
    new_path = tmp_path / "B-1001-2.key"
    made = seeded.ok("key", "generate", "--badge", "B-1001", "--out", str(new_path), json_out=True)
    new = seeded.ok("officer", "key", "add", "B-1001", made["public_key"], "--by", ADMIN, json_out=True)["key_id"]
    revoked = seeded.ok("officer", "key", "revoke", "B-1001", old, "--reason", "laptop lost", "--by", ADMIN,
                        json_out=True)
    # the old key signs nothing after its revocation
    refused(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
            "--by", "B-1001", words=(f"revoked at seq {revoked['revoked_seq']}", "laptop lost"))
    # the new one does
    done = seeded.ok("--key", str(new_path), "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00",
                     "--place", "x", "--by", "B-1001", json_out=True)
    assert signatures(db_url, done["seq"]) == {"B-1001": new}
    # events the old key signed before stay valid
    registered = rows(db_url, "SELECT registered_seq FROM items WHERE id = 'EV-000001'")[0][0]
    assert signatures(db_url, registered) == {"B-1001": old}
    assert seeded.ok("verify", json_out=True)["ok"]
    listed = seeded.ok("officer", "list", "--keys", json_out=True)
    assert {(k["key_id"], k["revoked_seq"]) for k in listed if k["badge"] == "B-1001"} == {
        (old, revoked["revoked_seq"]), (new, None)}
    refused(seeded, "officer", "key", "revoke", "B-1001", old, "--reason", "again", "--by", ADMIN,
            words=("already revoked",))


# -- handover with acceptance ---------------------------------------------------------------------
def test_offer_accept_and_the_in_transit_state(seeded, db_url, tmp_path):
    cash(seeded)
    offer = seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "Al depósito",
                      "--location", "ER-AQP", "--by", "B-1001", "--at", "2020-10-06T08:00", offer=True, json_out=True)
    assert offer["accepted"] is False
    assert signatures(db_url, offer["seq"]).keys() == {"B-1001"}
    # in transit: still the holder's, everywhere
    item = seeded.ok("item", "show", "EV-1", json_out=True)
    assert item["status"] == "in-transit" and item["holder"] == "B-1001"
    held = seeded.ok("custody", "holdings", "B-1001", json_out=True)["items"]
    assert held[0]["item"] == "EV-000001" and held[0]["in_transit_to"] == "C-3001"
    assert "in transit to C-3001" in seeded.ok("custody", "holdings", "B-1001")
    assert seeded.ok("custody", "holdings", "C-3001", json_out=True)["items"] == []
    assert seeded.ok("verify", json_out=True)["ok"]
    # nobody else accepts it, and it does not move on meanwhile
    refused(seeded, "custody", "accept", "EV-1", "--by", "B-1002", words=("offered to C-3001, not to B-1002",))
    refused(seeded, "custody", "transfer", "EV-1", "--from", "B-1001", "--to", "B-1002", "--reason", "r",
            "--by", "B-1001", words=("is in transit",))
    refused(seeded, "custody", "reseal", "EV-1", "--old-seal", "S-0001", "--new-seal", "S-2", "--reason", "r",
            "--by", "B-1001", words=("is in transit",))
    done = seeded.ok("custody", "accept", "EV-1", "--seal-broken", "precinto roto en una esquina", "--by", "C-3001",
                     "--at", "2020-10-06T09:00", json_out=True)
    assert signatures(db_url, done["seq"]).keys() == {"C-3001"}
    item = seeded.ok("item", "show", "EV-1", json_out=True)
    assert (item["status"], item["holder"], item["location"]) == ("in-custody", "C-3001", "ER-AQP")
    refused(seeded, "custody", "accept", "EV-1", "--by", "C-3001", words=("no handover of it is waiting",))
    history = seeded.ok("item", "history", "EV-1", json_out=True)["events"]
    assert [e["type"] for e in history] == ["item.registered", "custody.offered", "custody.accepted"]
    assert "seals broken: precinto roto en una esquina" in history[-1]["reason"]
    offer_row = rows(db_url, "SELECT outcome, seal_check FROM offers")[0]
    assert tuple(offer_row) == ("accepted", "broken: precinto roto en una esquina")
    assert seeded.ok("verify", json_out=True)["ok"]


def test_decline_returns_the_items_and_the_workbook_shows_the_transit(seeded, db_url, tmp_path):
    from openpyxl import load_workbook

    cash(seeded)
    seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r", "--by", "B-1001",
              "--at", "2020-10-06T08:00", offer=True)
    out = tmp_path / "case.xlsx"
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    seeded.ok("export", "xlsx", "AQP-2020-0147", "--out", str(out))
    cells = [c.value for ws in load_workbook(out).worksheets for row in ws.iter_rows() for c in row]
    assert "in-transit" in cells or any(isinstance(v, str) and "transit" in v for v in cells)
    refused(seeded, "custody", "decline", "EV-1", "--reason", "no", "--by", "B-1002", words=("only they can",))
    seeded.ok("custody", "decline", "EV-1", "--reason", "El precinto no coincide", "--by", "C-3001",
              "--at", "2020-10-06T08:30")
    item = seeded.ok("item", "show", "EV-1", json_out=True)
    assert (item["status"], item["holder"]) == ("in-custody", "B-1001")
    assert seeded.ok("verify", json_out=True)["ok"]


def test_a_handover_at_one_terminal_carries_both_signatures(seeded, db_url):
    cash(seeded)
    done = seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r",
                     "--by", "B-1001", "--receiver-key", str(seeded.key_path("C-3001")), json_out=True)
    assert done["accepted"] is True
    assert signatures(db_url, done["seq"]).keys() == {"B-1001", "C-3001"}
    # the receiver's key must be the receiver's
    cash(seeded, amount="5.00")
    refused(seeded, "custody", "transfer", "EV-2", "--from", "B-1001", "--to", "C-3001", "--reason", "r",
            "--by", "B-1001", "--receiver-key", str(seeded.key_path("B-1002")), words=("holds the key of B-1002",))


def test_a_disposal_needs_a_witness_who_signs(seeded, db_url):
    cash(seeded)
    seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r", "--by", "B-1001")
    refused(seeded, "custody", "dispose", "EV-1", "--action", "returned", "--authority", "Res. 1", "--witness", "C-3001",
            "--by", "C-3001", words=("a second officer witnesses",))
    os.remove(seeded.key_path("F-2001"))
    refused(seeded, "custody", "dispose", "EV-1", "--action", "returned", "--authority", "Res. 1",
            "--witness", "F-2001", "--by", "C-3001", words=("needs F-2001's own key",))
    done = seeded.ok("custody", "dispose", "EV-1", "--action", "returned", "--authority", "Res. 1",
                     "--witness", "B-1002", "--by", "C-3001", json_out=True)
    assert signatures(db_url, done["seq"]).keys() == {"C-3001", "B-1002"}
    assert seeded.ok("verify", json_out=True)["ok"]


# -- verify reads every signature ---------------------------------------------------------------
@pytest.fixture
def signed(seeded, db_url):
    cash(seeded)
    seeded.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--by", "B-1001",
              "--at", "2020-10-06T06:00")
    seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r", "--by", "B-1001")
    drop_triggers(db_url)
    return seeded


def _seq(db_url, type_):
    return rows(db_url, "SELECT max(seq) FROM events WHERE type = :t", t=type_)[0][0]


def _sig_findings(cli):
    result = cli("verify", json_out=True)
    assert result.exit_code == 3, result.stdout
    return [f for f in json.loads(result.stdout)["findings"] if f["check"] == "signature"]


def test_verify_reports_a_signature_copied_from_another_event(signed, db_url):
    a, b = _seq(signed.db_url, "item.registered"), _seq(db_url, "case.opened")
    [(sig,)] = sql(db_url, "SELECT signature FROM event_signatures WHERE seq = :s", params={"s": b})[0]
    sql(db_url, "UPDATE event_signatures SET signature = :g WHERE seq = :s", params={"g": sig, "s": a})
    found = _sig_findings(signed)
    assert [f["seq"] for f in found] == [a] and "does not verify" in found[0]["message"]


def test_verify_reports_a_mis_attributed_signature(signed, db_url):
    seq = _seq(db_url, "item.registered")
    other = rows(db_url, "SELECT key_id FROM officer_keys WHERE badge = 'B-1002'")[0][0]
    sql(db_url, "UPDATE event_signatures SET key_id = :k WHERE seq = :s", params={"k": other, "s": seq})
    found = _sig_findings(signed)
    assert found[0]["seq"] == seq and "a key of B-1002" in found[0]["message"]


def test_verify_reports_a_removed_or_added_signature(signed, db_url):
    seq = _seq(db_url, "custody.transferred")
    sql(db_url, "DELETE FROM event_signatures WHERE seq = :s AND signer = 'C-3001'", params={"s": seq})
    found = _sig_findings(signed)
    assert found[0]["seq"] == seq and "no signature by C-3001" in found[0]["message"]


def test_verify_reports_an_event_inserted_in_another_officers_name(signed, db_url):
    """An insider rewrites an event's actor (and every hash after it): the signature no longer
    belongs to the named officer."""
    from ledger.events import chain_hash
    from tests.cli.test_verify import recompute_tree

    seq = _seq(db_url, "item.registered")
    body, prev = sql(db_url, "SELECT body, prev_hash FROM events WHERE seq = :s", params={"s": seq})[0][0]
    forged = body.replace('"actor":"B-1001"', '"actor":"B-1002"')
    sql(db_url, "UPDATE events SET body = :b, actor = 'B-1002', hash = :h WHERE seq = :s",
        params={"b": forged, "h": chain_hash(prev, forged.encode()), "s": seq})
    recompute_tree(db_url)
    found = _sig_findings(signed)
    assert any(f["seq"] == seq and "no signature by B-1002" in f["message"] for f in found), found


# -- a ledger made before signatures -----------------------------------------------------------
def test_an_upgraded_ledger_signs_from_the_seq_it_records(tmp_path):
    from click.testing import CliRunner

    from ledger.cli import main

    db = tmp_path / "old.db"
    shutil.copyfile(os.path.join(os.path.dirname(__file__), "..", "data", "format1-demo.db"), db)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "EVIDENCE_KEY_PASSPHRASE": PASSPHRASE, "EVIDENCE_DB": None,
           "EVIDENCE_OFFICER": None}

    def run(*args):
        return CliRunner().invoke(main, ["--db", str(db), *args], env=env)

    up = run("--json", "db", "upgrade")
    assert up.exit_code == 0, up.stderr
    start = json.loads(up.stdout)["signatures_required"]["signatures_from"]
    blocked = run("case", "open", "X-1", "--title", "t", "--by", "DEMO-101")
    assert blocked.exit_code == 1 and "not enrolled" in blocked.stderr or "own key" in blocked.stderr
    done = run("--json", "init", "--admin", "ADM-1", "--name", "Admin")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["signatures_from"] == start
    report = run("--json", "verify")
    assert report.exit_code == 0, report.stdout
