"""Custody through the CLI: transfers, reseals, dispositions, holdings at past moments and
item history, with every refusal leaving the database untouched."""

from __future__ import annotations

import pytest

from tests.helpers import GOOD_IMEI, rows


def holder(db_url, item):
    return rows(db_url, "SELECT holder FROM items WHERE id = :i", i=item)[0][0]


def register_three(cli):
    """EV-000001 phone (seal S-0001), EV-000002 document, EV-000003 cash; all held by B-1001."""
    cli.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--seal", "S-0001",
           "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("document", "add", "SZ-1", "--title", "Cuaderno", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("cash", "add", "SZ-1", "--amount", "4000.00", "--currency", "PEN", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--seal", "S-0003", "--by", "B-1001", "--at", "2020-10-06T06:00")


def scenario(cli):
    register_three(cli)
    cli.ok("custody", "transfer", "EV-1", "EV-2", "EV-3", "--from", "B-1001", "--to", "C-3001",
           "--reason", "Into the evidence room", "--location", "ER-AQP", "--at", "2020-10-06T09:00", "--by", "B-1001")
    cli.ok("custody", "transfer", "EV-1", "--from", "C-3001", "--to", "B-1002", "--reason", "To the lab",
           "--at", "2020-10-07T10:00", "--by", "C-3001")
    cli.ok("custody", "reseal", "EV-1", "--old-seal", "S-0001", "--new-seal", "S-0101", "--reason", "Lab extraction",
           "--at", "2020-10-07T15:00", "--by", "B-1002")
    cli.ok("custody", "transfer", "EV-1", "--from", "B-1002", "--to", "C-3001", "--reason", "Back from the lab",
           "--location", "VAULT-1", "--at", "2020-10-08T09:00", "--by", "B-1002")
    cli.ok("custody", "dispose", "EV-2", "--action", "returned", "--authority", "Resolución 45-2021",
           "--to", "Propietaria", "--at", "2021-03-01T10:00", "--by", "F-2001")


def test_scenario_history_holdings_and_projections(seeded, db_url):
    scenario(seeded)
    items = {r.id: r for r in rows(db_url, "SELECT * FROM items")}
    assert items["EV-000001"].holder == "C-3001" and items["EV-000001"].seal == "S-0101"
    assert items["EV-000001"].location == "VAULT-1"
    assert items["EV-000002"].holder is None and items["EV-000002"].status == "disposed"
    assert (items["EV-000002"].disposition, items["EV-000002"].authority, items["EV-000002"].disposed_to) == (
        "returned", "Resolución 45-2021", "Propietaria")
    assert items["EV-000003"].holder == "C-3001" and items["EV-000003"].location == "ER-AQP"
    assert items["EV-000001"].last_at == "2020-10-08T14:00:00Z"

    history = seeded.ok("item", "history", "EV-000001", json_out=True)
    assert [e["type"] for e in history["events"]] == [
        "item.registered", "custody.transferred", "custody.transferred", "custody.resealed", "custody.transferred"]
    assert [(e["from"], e["to"]) for e in history["events"]][:3] == [
        (None, "B-1001"), ("B-1001", "C-3001"), ("C-3001", "B-1002")]
    assert history["events"][3]["seal"] == "S-0001 -> S-0101"
    seqs = [e["seq"] for e in history["events"]]
    assert seqs == sorted(seqs)
    plain = seeded.ok("item", "history", "EV-000001")
    assert "2020-10-07 10:00 -05:00" in plain and "To the lab" in plain

    def held(badge, at=None):
        args = ["custody", "holdings", badge] + (["--at", at] if at else [])
        return [h["item"] for h in seeded.ok(*args, json_out=True)["items"]]

    assert held("B-1001", "2020-10-06T07:00") == ["EV-000001", "EV-000002", "EV-000003"]
    assert held("B-1001", "2020-10-06T05:00") == []
    assert held("C-3001", "2020-10-06T09:00") == ["EV-000001", "EV-000002", "EV-000003"]
    assert held("B-1002", "2020-10-07T12:00") == ["EV-000001"]
    assert held("C-3001", "2020-10-07T12:00") == ["EV-000002", "EV-000003"]
    assert held("C-3001") == ["EV-000001", "EV-000003"]
    assert seeded("verify").exit_code == 0


def test_transfer_refusals_write_nothing(seeded, db_url):
    register_three(seeded)
    seeded.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "r",
              "--at", "2020-10-06T09:00", "--by", "B-1001")
    seeded.ok("custody", "dispose", "EV-2", "--action", "destroyed", "--authority", "Res 1",
              "--at", "2020-10-06T10:00", "--by", "C-3001")
    before = seeded.snapshot()
    cases = [
        (["EV-1", "--from", "B-1001", "--to", "B-1002"],
         "item EV-000001: held by C-3001, not B-1001; transfer it from C-3001, or see 'evidence item history EV-000001'"),
        (["EV-3", "EV-1", "--from", "B-1001", "--to", "B-1002"], "EV-000001: held by C-3001"),
        (["EV-3", "--from", "B-1001", "--to", "B-9999"], "--to: no officer with badge B-9999"),
        (["EV-3", "--from", "B-1001", "--to", "A-4001"], "may not hold evidence"),
        (["EV-3", "--from", "B-1001", "--to", "B-1001"], "both B-1001"),
        (["EV-2", "--from", "B-1001", "--to", "B-1002"], "EV-000002: was disposed of"),
        (["EV-99", "--from", "B-1001", "--to", "B-1002"], "EV-000099"),
        (["EV-3", "--from", "B-1001", "--to", "B-1002", "--at", "2020-10-06T05:59"], "before its last recorded event"),
        (["EV-3", "--from", "B-1001", "--to", "B-1002", "--at", "2999-01-01T00:00"], "in the future"),
        (["EV-3", "--from", "B-1001", "--to", "B-1002", "--location", "NOWHERE"], "no location with code NOWHERE"),
        (["EV-3", "EV-3", "--from", "B-1001", "--to", "B-1002"], "named twice"),
    ]
    for args, message in cases:
        result = seeded("custody", "transfer", *args, "--reason", "r", "--by", "B-1001")
        assert result.exit_code == 1, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    # --by is the holder who offers the handover; auditors record nothing
    result = seeded("custody", "transfer", "EV-3", "--from", "B-1001", "--to", "F-2001", "--reason", "r", "--by", "B-1002")
    assert result.exit_code == 1 and "is not the sender (B-1001)" in result.stderr
    result = seeded("custody", "transfer", "EV-3", "--from", "B-1001", "--to", "B-1002", "--reason", "r", "--by", "A-4001")
    assert result.exit_code == 1 and "auditor" in result.stderr
    result = seeded("custody", "transfer", "EV-3", "--from", "B-1001", "--to", "B-1002", "--reason", " ", "--by", "B-1001")
    assert result.exit_code == 1 and "--reason" in result.stderr
    assert seeded.snapshot() == before


def test_reseal_and_dispose_refusals(seeded):
    register_three(seeded)
    before = seeded.snapshot()
    bad = [
        (["reseal", "EV-1", "--old-seal", "S-9999", "--new-seal", "S-2", "--reason", "r", "--by", "B-1001"],
         "item EV-000001: its seal on record is S-0001, not S-9999"),
        (["reseal", "EV-1", "--old-seal", "S-0001", "--new-seal", "S-2", "--reason", "r", "--by", "B-1002"],
         "held by B-1001"),
        (["reseal", "EV-2", "--old-seal", "S-1", "--new-seal", "S-2", "--reason", "r", "--by", "B-1001"],
         "never sealed"),
        (["dispose", "EV-1", "--action", "destroyed", "--by", "C-3001"], "--authority is required"),
        (["dispose", "EV-1", "--action", "destroyed", "--authority", "  ", "--by", "C-3001"], "--authority is required"),
        (["dispose", "EV-1", "--action", "destroyed", "--authority", "R", "--by", "B-1001"], "may not dispose"),
    ]
    for args, message in bad:
        result = seeded("custody", *args)
        assert result.exit_code == 1, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    assert seeded("custody", "dispose", "EV-1", "--action", "melted", "--authority", "R", "--by", "C-3001").exit_code == 2
    assert seeded.snapshot() == before
    seeded.ok("custody", "reseal", "EV-2", "--old-seal", "none", "--new-seal", "S-0200", "--reason", "Bagged",
              "--by", "B-1001")
    seeded.ok("custody", "dispose", "EV-1", "--action", "destroyed", "--authority", "R-1", "--by", "C-3001")
    again = seeded("custody", "dispose", "EV-1", "--action", "destroyed", "--authority", "R-1", "--by", "C-3001")
    assert again.exit_code == 1 and "disposed" in again.stderr
    assert seeded("verify").exit_code == 0


@pytest.mark.parametrize("json_out", [False, True])
def test_request_id_retry_applies_once(seeded, db_url, json_out):
    register_three(seeded)
    args = ["custody", "transfer", "EV-1", "EV-2", "--from", "B-1001", "--to", "C-3001", "--reason", "Room",
            "--request-id", "handover-0001", "--by", "B-1001"]
    first = seeded(*args, json_out=json_out)
    second = seeded(*args, json_out=json_out)
    assert first.exit_code == 0 and second.exit_code == 0, second.stderr
    transfers = rows(db_url, "SELECT seq FROM events WHERE type = 'custody.transferred'")
    assert len(transfers) == 1
    if json_out:
        import json

        a, b = json.loads(first.stdout), json.loads(second.stdout)
        assert b["replayed"] is True and a["seq"] == b["seq"] == transfers[0][0]
    else:
        assert "already applied" in second.stdout
    other = seeded("custody", "transfer", "EV-3", "--from", "B-1001", "--to", "C-3001", "--reason", "Room",
                   "--request-id", "handover-0001", "--by", "B-1001")
    assert other.exit_code == 1 and "already used" in other.stderr
    assert holder(db_url, "EV-000003") == "B-1001"


def test_event_data_fields(seeded, db_url):
    import json

    scenario(seeded)
    bodies = {r.type: json.loads(r.body) for r in rows(db_url, "SELECT type, body FROM events ORDER BY seq")}
    assert bodies["custody.transferred"]["data"] == {"from": "B-1002", "to": "C-3001", "reason": "Back from the lab",
                                                     "location": "VAULT-1", "seal": None, "request_id": None,
                                                     "cosigners": ["C-3001"]}
    assert bodies["custody.resealed"]["data"] == {"item": "EV-000001", "old_seal": "S-0001", "new_seal": "S-0101",
                                                  "reason": "Lab extraction"}
    assert bodies["custody.disposed"]["data"] == {"item": "EV-000002", "action": "returned",
                                                  "authority": "Resolución 45-2021", "to": "Propietaria",
                                                  "holder": "C-3001", "witness": "B-1001",
                                                  "cosigners": ["C-3001", "B-1001"]}
    links = rows(db_url, "SELECT COUNT(*) FROM event_items ei JOIN events e ON e.seq = ei.seq "
                         "WHERE e.type = 'custody.transferred'")
    assert links[0][0] == 5


def test_reseal_and_dispose_retry_with_a_request_id(seeded):
    item = seeded.ok("document", "add", "SZ-1", "--title", "Contrato", "--seal", "S-1", "--at",
                     "2020-10-06T09:00", "--by", "B-1001")
    args = ["custody", "reseal", item, "--old-seal", "S-1", "--new-seal", "S-2", "--reason", "Lab", "--by", "B-1001",
            "--request-id", "reseal-1"]
    first = seeded.ok(*args, json_out=True)
    before = seeded.snapshot()
    again = seeded(*args)
    assert again.exit_code == 0 and "already applied" in again.stdout
    assert seeded.snapshot() == before
    other = seeded("custody", "reseal", item, "--old-seal", "S-2", "--new-seal", "S-3", "--reason", "Lab",
                   "--by", "B-1001", "--request-id", "reseal-1")
    assert other.exit_code == 1 and "--request-id reseal-1 was already used" in other.stderr
    assert seeded.snapshot() == before

    dispose = ["custody", "dispose", item, "--action", "destroyed", "--authority", "Res. 1-2021", "--by", "C-3001",
               "--request-id", "dispose-1"]
    done = seeded.ok(*dispose, json_out=True)
    assert done["seq"] == first["seq"] + 1
    again = seeded(*dispose, json_out=True)
    assert again.exit_code == 0
    import json

    assert json.loads(again.stdout)["seq"] == done["seq"] and json.loads(again.stdout)["replayed"] is True
