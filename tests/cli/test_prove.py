"""`prove`: one item's events and the ledger-wide ones, with inclusion proofs that verify.py
checks, against the current checkpoint or one the court already holds."""

from __future__ import annotations

import json

from tests.cli.test_bundle import add_other_case, run_verify
from tests.cli.test_custody import scenario
from tests.helpers import rows


def test_one_item_bundle_verifies_and_holds_only_its_events(seeded, tmp_path):
    scenario(seeded)
    out = tmp_path / "proof"
    done = seeded.ok("prove", "EV-2", "--out", str(out), json_out=True)
    result = run_verify(out)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    bodies = [json.loads(line["body"]) for line in lines]
    named = {seq for seq, no in rows(seeded.db_url, "SELECT seq, item_no FROM event_items") if no == 2}
    wide = {seq for seq, case in rows(seeded.db_url, "SELECT seq, case_no FROM events") if case is None}
    provenance = {seq for seq, kind in rows(seeded.db_url, "SELECT seq, type FROM events")
                  if kind in ("case.opened", "seizure.recorded")}
    assert provenance and {b["seq"] for b in bodies} == named | wide | provenance
    assert done["events"] == len(named | wide | provenance)
    assert all("EV-000002" in b["items"] or b["case"] is None or b["type"] in ("case.opened", "seizure.recorded")
               for b in bodies)
    assert json.loads((out / "manifest.json").read_text())["items"] == ["EV-000002"]


def test_prove_against_a_checkpoint_the_court_holds(seeded, tmp_path):
    scenario(seeded)
    court = tmp_path / "court-checkpoint"
    seeded.ok("export", "log", "--out", str(tmp_path / "then"))
    court.write_bytes((tmp_path / "then" / "checkpoint").read_bytes())
    size = int(court.read_text().split("\n")[1])
    add_other_case(seeded)
    out = tmp_path / "proof"
    seeded.ok("prove", "EV-1", "EV-3", "--checkpoint", str(court), "--out", str(out))
    assert (out / "checkpoint").read_bytes() == court.read_bytes()
    assert run_verify(out, "--since", str(court)).returncode == 0
    assert max(json.loads(line)["seq"] for line in (out / "events.jsonl").read_text().splitlines()) <= size
    late = seeded("prove", "EV-4", "--checkpoint", str(court), "--out", str(tmp_path / "late"))
    assert late.exit_code == 1 and "EV-000004" in late.stderr and not (tmp_path / "late").exists()
    # A checkpoint whose root is not this log's root at its size is refused.
    origin, count, _root, _ = court.read_text().split("\n")
    forged = tmp_path / "forged"
    forged.write_text(f"{origin}\n{count}\n{'A' * 43}=\n")
    refused = seeded("prove", "EV-1", "--checkpoint", str(forged), "--out", str(tmp_path / "f"))
    assert refused.exit_code == 3 and "no longer extends" in refused.stderr and not (tmp_path / "f").exists()
    other = tmp_path / "other"
    other.write_text(f"evidence-ledger/0000000000000000\n{count}\n{'A' * 43}=\n")
    assert seeded("prove", "EV-1", "--checkpoint", str(other), "--out", str(tmp_path / "o")).exit_code == 1
    assert seeded("prove", "EV-999", "--out", str(tmp_path / "n")).exit_code == 1
