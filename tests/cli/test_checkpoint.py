"""`evidence checkpoint` and `verify --since`: the log's C2SP checkpoint, signed with an
Ed25519 key, proves later that the log only grew, even against a history rewritten with every
hash and the tree recomputed."""

from __future__ import annotations

import base64
import json

from tests.cli.test_custody import scenario
from tests.cli.test_verify import drop_triggers, rewrite_history, sql

ENV = {"EVIDENCE_KEY_PASSPHRASE": "correct horse"}


def keys(cli, tmp_path, name):
    out = tmp_path / f"{name}.key"
    made = cli.ok("key", "generate", "--name", name, "--out", str(out), env=ENV, json_out=True)
    return out, made["verifier_key"]


def test_checkpoint_names_the_tree_of_the_log(seeded, db_url):
    scenario(seeded)
    text = seeded.ok("checkpoint")
    origin, size, root = text.splitlines()
    head = sql(db_url, "SELECT seq, root FROM chain_head")[0][0]
    assert origin.startswith("evidence-ledger/") and len(origin) == len("evidence-ledger/") + 16
    assert int(size) == head.seq and base64.b64decode(root).hex() == head.root
    report = seeded.ok("verify", json_out=True)
    assert report["checkpoint"] == text + "\n"


def test_a_signed_checkpoint_proves_the_log_only_grew(seeded, tmp_path):
    scenario(seeded)
    key, verifier = keys(seeded, tmp_path, "Auditoria")
    kept = tmp_path / "checkpoint.txt"
    seeded.ok("checkpoint", "--sign", str(key), "--out", str(kept), env=ENV)
    assert "\n\n\u2014 Auditoria " in kept.read_text(encoding="utf-8")
    seeded.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "B-1002", "--reason", "To court",
              "--at", "2021-05-01T10:00", "--by", "C-3001")
    assert seeded.ok("verify", "--since", str(kept), "--trust", verifier, json_out=True)["ok"]

    _, other = keys(seeded, tmp_path, "Otro")
    result = seeded("verify", "--since", str(kept), "--trust", other)
    assert result.exit_code == 3 and "No trusted key signed" in result.stdout


def test_a_rewritten_history_is_caught_by_an_older_checkpoint(seeded, db_url, tmp_path):
    scenario(seeded)
    kept = tmp_path / "checkpoint.txt"
    seeded.ok("checkpoint", "--out", str(kept))
    rewrite_history(db_url)
    # every hash recomputed: the officer's signature over the original event tells, and so does
    # a kept checkpoint
    assert "does not verify over this event" in seeded("verify").stdout
    result = seeded("verify", "--since", str(kept), json_out=True)
    assert result.exit_code == 3, result.stderr
    found = json.loads(result.stdout)["findings"]
    assert any("was rewritten since that checkpoint" in f["message"] for f in found), found


def test_a_checkpoint_larger_than_the_log_or_of_another_ledger(seeded, tmp_path, db_url):
    scenario(seeded)
    text = seeded.ok("checkpoint")
    origin, size, root = text.splitlines()
    bigger = tmp_path / "bigger.txt"
    bigger.write_text(f"{origin}\n{int(size) + 5}\n{root}\n", encoding="utf-8")
    result = seeded("verify", "--since", str(bigger))
    assert result.exit_code == 3 and "events were removed" in result.stdout
    other = tmp_path / "other.txt"
    other.write_text(f"evidence-ledger/0123456789abcdef\n{size}\n{root}\n", encoding="utf-8")
    result = seeded("verify", "--since", str(other))
    assert result.exit_code == 3 and "not of this ledger" in result.stdout


def test_refusals(seeded, tmp_path, cli):
    result = seeded("verify", "--trust", "X+01020304+AQ==")
    assert result.exit_code == 1 and "--since" in result.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("not a checkpoint\n", encoding="utf-8")
    result = seeded("verify", "--since", str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert seeded("verify", "--since", str(tmp_path / "missing.txt")).exit_code == 1


def _grown_since_checkpoint(seeded, tmp_path):
    """A checkpoint kept, then one transfer more: (checkpoint file, its size)."""
    scenario(seeded)
    kept = tmp_path / "checkpoint.txt"
    seeded.ok("checkpoint", "--out", str(kept))
    size = int(kept.read_text(encoding="utf-8").splitlines()[1])
    seeded.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "B-1002", "--reason", "To court",
              "--at", "2021-05-01T10:00", "--by", "C-3001")
    return kept, size


def test_new_only_checks_the_events_after_the_checkpoint(seeded, tmp_path):
    kept, size = _grown_since_checkpoint(seeded, tmp_path)
    result = seeded("verify", "--since", str(kept), "--new-only")
    assert result.exit_code == 0, result.stderr
    assert f"verify: clean. 1 event checked after the checkpoint's {size}, whose root the log still has." \
        in result.stdout
    report = seeded.ok("verify", "--since", str(kept), "--new-only", json_out=True)
    assert report["ok"] and report["events"] == 1 and report["head_seq"] == size + 1
    assert report["head"] == seeded.ok("verify", json_out=True)["head"]


def test_new_only_finds_a_changed_new_event_and_a_changed_old_one(seeded, db_url, tmp_path):
    kept, size = _grown_since_checkpoint(seeded, tmp_path)
    drop_triggers(db_url)
    sql(db_url, "UPDATE events SET body = replace(body, 'To court', 'To court!') WHERE seq = :s",
        params={"s": size + 1})
    result = seeded("verify", "--since", str(kept), "--new-only", json_out=True)
    assert result.exit_code == 3
    found = json.loads(result.stdout)["findings"]
    assert any(f["seq"] == size + 1 and "hash does not match" in f["message"] for f in found), found


def test_new_only_catches_a_rewritten_history(seeded, db_url, tmp_path):
    kept, _size = _grown_since_checkpoint(seeded, tmp_path)
    rewrite_history(db_url)
    result = seeded("verify", "--since", str(kept), "--new-only", json_out=True)
    assert result.exit_code == 3, result.stderr
    found = json.loads(result.stdout)["findings"]
    assert any("was rewritten since that checkpoint" in f["message"] for f in found), found


def test_new_only_checks_the_new_events_signatures(seeded, db_url, tmp_path):
    kept, size = _grown_since_checkpoint(seeded, tmp_path)
    drop_triggers(db_url)
    sql(db_url, "DELETE FROM event_signatures WHERE seq = :s", params={"s": size + 1})
    result = seeded("verify", "--since", str(kept), "--new-only", json_out=True)
    assert result.exit_code == 3
    found = json.loads(result.stdout)["findings"]
    assert any(f["check"] == "signature" and f["seq"] == size + 1 for f in found), found


def test_new_only_leaves_the_tables_to_the_whole_verify(seeded, db_url, tmp_path):
    """What --new-only does not do, said by its help: a changed items row is the whole
    verify's finding."""
    kept, _size = _grown_since_checkpoint(seeded, tmp_path)
    sql(db_url, "UPDATE items SET seal = 'S-FORGED' WHERE no = 1")
    assert seeded("verify", "--since", str(kept), "--new-only").exit_code == 0
    assert seeded("verify", "--since", str(kept)).exit_code == 3


def test_new_only_needs_since(seeded):
    result = seeded("verify", "--new-only")
    assert result.exit_code == 1 and "--new-only" in result.stderr and "--since" in result.stderr
