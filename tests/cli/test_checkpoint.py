"""`evidence checkpoint` and `verify --since`: the log's C2SP checkpoint, signed with an
Ed25519 key, proves later that the log only grew, even against a history rewritten with every
hash and the tree recomputed."""

from __future__ import annotations

import base64
import json

from tests.cli.test_custody import scenario
from tests.cli.test_verify import rewrite_history, sql

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
