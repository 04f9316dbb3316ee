"""The forgery catalogue: for each rule of the rulebook an insider could break by writing to the
database (with their own key, a valid chain, tree and signatures, and tables made to agree),
an event that breaks it. Each is reported by the whole `verify`, by `verify --since … --new-only`
(with a saved state and with a replay), by the bundle's own verify.py (full and case bundles),
refused by `db rebuild` (nothing written) and by the court documents of its case. Both backends."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.test_custody import scenario
from tests.helpers import snapshot
from tests.rules.forger import forge

CASE = "AQP-2020-0147"
OTHER = "LIM-2021-0002"
BANK = {"bank": "Banco de la Nación", "account": "00-068-123456", "voucher": "0457812"}


def _offer(cli):
    """EV-3 (held by C-3001) offered to B-1001: in transit, the offer's seq returned."""
    done = cli.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "B-1001", "--reason", "A la fiscalía",
                  "--location", "VAULT-1", "--seal", "S-0300", "--at", "2021-05-01T10:00", "--by", "C-3001",
                  offer=True, json_out=True)
    return done["seq"]


def _other_case(cli):
    cli.ok("case", "open", OTHER, "--title", "Otro caso", "--by", "B-1002", "--at", "2021-01-01T04:00")


# name -> (setup(cli) -> context, forgery(cli, context) -> seq, the rule the finding names)
def deposit_by_non_holder(cli, _ctx):
    return forge(cli, "custody.deposited", {"from": "C-3001", **BANK}, actor="B-1002", case=CASE,
                 items=["EV-000003"])


def reseal_by_non_holder(cli, _ctx):
    return forge(cli, "custody.resealed", {"item": "EV-000003", "old_seal": "S-0003", "new_seal": "S-9999",
                                           "reason": "nueva"}, actor="B-1002", case=CASE, items=["EV-000003"])


def auditor_lends_item(cli, _ctx):
    return forge(cli, "custody.assigned", {"item": "EV-000003", "holder": "C-3001", "entity": "Municipalidad",
                                           "order": "Res. 1-2021", "until": "2021-12-31"},
                 actor="A-4001", case=CASE, items=["EV-000003"])


def registered_into_colleague(cli, _ctx):
    return forge(cli, "item.registered", {"item": "EV-000004", "kind": "document", "seizure": "SZ-000001",
                                          "holder": "C-3001", "title": "Cuaderno"},
                 actor="B-1001", case=CASE, items=["EV-000004"])


def acceptance_changes_seal(cli, offer):
    return forge(cli, "custody.accepted", {"offer": offer, "from": "C-3001", "to": "B-1001", "seal_check": "ok",
                                           "location": "VAULT-1", "seal": "S-FALSO"},
                 actor="B-1001", case=CASE, items=["EV-000003"])


def acceptance_changes_place(cli, offer):
    return forge(cli, "custody.accepted", {"offer": offer, "from": "C-3001", "to": "B-1001", "seal_check": "ok",
                                           "location": "ER-AQP", "seal": "S-0300"},
                 actor="B-1001", case=CASE, items=["EV-000003"])


def third_officer_declines(cli, offer):
    return forge(cli, "custody.declined", {"offer": offer, "from": "C-3001", "to": "B-1001", "reason": "no"},
                 actor="B-1002", case=CASE, items=["EV-000003"])


def officer_enrols_key(cli, _ctx):
    key = _key(cli, "X-9001")
    return forge(cli, "officer.key_added", {"badge": "C-3001", "key": key}, actor="B-1002")


def key_for_two_officers(cli, _ctx):
    from ledger.identity import keys, signing

    public = keys.load_key_file(cli.key_path("C-3001"), "test passphrase").public_key
    return forge(cli, "officer.key_added", {"badge": "B-1002", "key": {"key_id": signing.key_id(public),
                                                                      "public_key": public.hex()}},
                 actor="ADM-0001")


def second_admin(cli, _ctx):
    return forge(cli, "identity.initialized", {"badge": "B-1001", "name": "Ana", "role": "admin", "unit": None,
                                               "key": _key(cli, "B-1001-2"), "signatures_from": 1},
                 actor="B-1001")


def demoted_receiver_accepts(cli, offer):
    cli.ok("officer", "update", "B-1001", "--role", "auditor", "--by", "ADM-0001")
    return forge(cli, "custody.accepted", {"offer": offer, "from": "C-3001", "to": "B-1001", "seal_check": "ok",
                                           "location": "VAULT-1", "seal": "S-0300"},
                 actor="B-1001", case=CASE, items=["EV-000003"])


def other_case_label(cli, _ctx):
    return forge(cli, "custody.offered", {"from": "C-3001", "to": "B-1001", "reason": "x", "location": None,
                                          "seal": None}, actor="C-3001", case=OTHER, items=["EV-000003"])


def transfer_by_non_holder(cli, _ctx):
    return forge(cli, "custody.offered", {"from": "B-1002", "to": "B-1001", "reason": "x", "location": None,
                                          "seal": None}, actor="B-1002", case=CASE, items=["EV-000003"])


def handover_unsigned_by_receiver(cli, _ctx):
    return forge(cli, "custody.transferred", {"from": "C-3001", "to": "B-1001", "reason": "x", "location": None,
                                              "seal": None}, actor="C-3001", case=CASE, items=["EV-000003"])


def disposal_unwitnessed(cli, _ctx):
    return forge(cli, "custody.disposed", {"item": "EV-000003", "action": "destroyed", "authority": "Res. 9",
                                           "to": None, "holder": "C-3001"},
                 actor="C-3001", case=CASE, items=["EV-000003"])


def moved_after_disposal(cli, _ctx):
    return forge(cli, "custody.offered", {"from": "F-2001", "to": "B-1001", "reason": "x", "location": None,
                                          "seal": None}, actor="F-2001", case=CASE, items=["EV-000002"])


def prosecutor_registers(cli, _ctx):
    return forge(cli, "item.registered", {"item": "EV-000004", "kind": "document", "seizure": "SZ-000001",
                                          "holder": "F-2001", "title": "Cuaderno"},
                 actor="F-2001", case=CASE, items=["EV-000004"])


def revoke_someone_elses_key(cli, _ctx):
    from ledger.identity import keys, signing

    public = keys.load_key_file(cli.key_path("C-3001"), "test passphrase").public_key
    return forge(cli, "officer.key_revoked", {"badge": "B-1002", "key_id": signing.key_id(public),
                                              "reason": "x"}, actor="ADM-0001")


def seizure_recorded_again(cli, _ctx):
    return forge(cli, "seizure.recorded", {"seizure": "SZ-000001", "case_no": CASE, "place": "otro lugar",
                                           "officer": "B-1001", "acta": None, "from_persons": [], "witnesses": []},
                 actor="B-1001", case=CASE)


def _open_audit(cli):
    return cli.ok("audit", "start", "ER-AQP", "--by", "A-4001", json_out=True)["id"]


def second_open_audit(cli, _opened):
    return forge(cli, "audit.started", {"audit": "AU-000099", "location": "ER-AQP", "sample": None,
                                        "confidence": None, "tolerance": None}, actor="A-4001")


def unsigned_handover(cli, _ctx):
    return forge(cli, "custody.offered", {"from": "C-3001", "to": "B-1001", "reason": "x", "location": None,
                                          "seal": None}, actor="C-3001", case=CASE, items=["EV-000003"],
                 unsigned=True)


def _key(cli, name):
    import base64

    from ledger.identity import signing

    public = base64.b64decode(cli.public_key(name))
    return {"key_id": signing.key_id(public), "public_key": public.hex()}


FORGERIES = {
    "deposit-by-non-holder": (None, deposit_by_non_holder, "holder-acts"),
    "reseal-by-non-holder": (None, reseal_by_non_holder, "holder-acts"),
    "auditor-lends-item": (None, auditor_lends_item, "role"),
    "registered-into-colleague": (None, registered_into_colleague, "first-holder"),
    "acceptance-changes-seal": (_offer, acceptance_changes_seal, "accepts-offer"),
    "acceptance-changes-place": (_offer, acceptance_changes_place, "accepts-offer"),
    "third-officer-declines": (_offer, third_officer_declines, "party-declines"),
    "officer-enrols-key": (None, officer_enrols_key, "role"),
    "key-for-two-officers": (None, key_for_two_officers, "one-key-one-officer"),
    "second-admin": (None, second_admin, "admin-bootstrap"),
    "demoted-receiver-accepts": (_offer, demoted_receiver_accepts, "may-hold"),
    "other-case-label": (_other_case, other_case_label, "same-case"),
    "transfer-by-non-holder": (None, transfer_by_non_holder, "holder-hands-over"),
    "handover-unsigned-by-receiver": (None, handover_unsigned_by_receiver, "receiver-signs"),
    "disposal-unwitnessed": (None, disposal_unwitnessed, "witnessed"),
    "moved-after-disposal": (None, moved_after_disposal, "not-disposed"),
    "prosecutor-registers": (None, prosecutor_registers, "role"),
    "revoke-someone-elses-key": (None, revoke_someone_elses_key, "known-key"),
    "seizure-recorded-again": (None, seizure_recorded_again, "new-seizure"),
    "second-open-audit": (_open_audit, second_open_audit, "one-open-audit"),
    "unsigned-handover": (None, unsigned_handover, None),  # a signature finding, not a rule
}


def _bundle_findings(cli, tmp_path, name, *args):
    out = tmp_path / name
    cli.ok("export", "log", "--out", str(out), *args)
    run = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out)], capture_output=True, text=True,
                         timeout=120)
    return run


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_every_verifier_and_reader_refuses_the_forgery(seeded, tmp_path, name):
    cli = seeded
    setup, forgery, rule = FORGERIES[name]
    scenario(cli)
    context = setup(cli) if setup else None
    assert cli("verify").exit_code == 0
    checkpoint, state = tmp_path / "kept.txt", tmp_path / "state.json"
    cli.ok("verify", "--save-state", str(state))
    cli.ok("checkpoint", "--out", str(checkpoint))

    seq = forgery(cli, context)

    def found(argv) -> list[dict]:
        result = cli(*argv, json_out=True)
        assert result.exit_code == 3, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        findings = [f for f in json.loads(result.stdout)["findings"] if f["seq"] == seq]
        assert findings, (argv, result.stdout)
        if rule is not None:
            assert rule in {f["rule"] for f in findings}, (argv, findings)
        else:
            assert {f["check"] for f in findings} == {"signature"}, findings
        return findings

    found(["verify"])
    found(["verify", "--since", str(checkpoint), "--new-only"])
    found(["verify", "--since", str(checkpoint), "--new-only", "--state", str(state)])

    full = _bundle_findings(cli, tmp_path, "full")
    assert full.returncode == 3 and f"(seq {seq})" in full.stdout, full.stdout
    case = _bundle_findings(cli, tmp_path, "case", "--case", CASE)
    assert case.returncode == 3 or name in ("other-case-label",), case.stdout  # labelled B: in B's bundle

    before = snapshot(cli.db_url)
    rebuilt = cli("db", "rebuild")
    assert rebuilt.exit_code == 3 and f"seq {seq}" in rebuilt.stderr, rebuilt.stderr
    assert snapshot(cli.db_url) == before

    out = tmp_path / "case.xlsx"
    for argv in (["export", "xlsx", CASE, "--out", str(out)], ["case", "totals", CASE],
                 ["export", "custody-form", "EV-3", "--out", str(tmp_path / "form.pdf")]):
        if name == "other-case-label" and argv[0] == "case":
            continue
        result = cli(*argv)
        assert result.exit_code == 3, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    assert not out.exists() and not (tmp_path / "form.pdf").exists()
