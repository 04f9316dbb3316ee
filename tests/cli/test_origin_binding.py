"""Signatures bound to one ledger (docs/FORMAT.md 1.6): an officer's signature names the
ledger's origin, so an event signed in a training ledger and moved into the real one at the
same seq (its body, salt and signature rows, the chain and the tree recomputed) is reported by
`verify`, `verify --since --new-only` and a bundle's verify.py. A ledger whose signatures
predate the binding keeps verifying, and signs every event after `db upgrade` names the origin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ledger.events import chain_hash
from tests.cli.test_bundle import run_verify
from tests.cli.test_verify import drop_triggers, recompute_tree, sql
from tests.helpers import ADMIN, CliHarness, rows, seed_basic

TRAINING_TITLE = "Caso de práctica"


@pytest.fixture
def training_url(backend, tmp_path, request):
    """A second, separately started ledger on the same backend: the training ledger."""
    if backend == "sqlite":
        path = tmp_path / "training.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    from tests.conftest import create_pg_database, drop_pg_database, pg_url_for

    name = create_pg_database(template=request.getfixturevalue("pg_template"))
    request.addfinalizer(lambda: drop_pg_database(name))
    return pg_url_for(name)


def _twin_ledgers(db_url, training_url, tmp_path, checkpoint=None):
    """The real ledger and a training ledger with the same officers, whose keys are the same
    files (the officers' own keys; each ledger has its own admin key), the same history up to
    one seq; then each appends a different case, opened by B-1001 with his one key."""
    real = CliHarness(db_url)
    seed_basic(real)
    training = CliHarness(training_url, keys_home=str(tmp_path / "training-keys"))
    folder = Path(training.keys_home) / "evidence" / "keys"
    folder.mkdir(parents=True)
    for key in (Path(real.keys_home) / "evidence" / "keys").glob("*.key"):
        if key.stem != ADMIN:
            shutil.copy2(key, folder / key.name)
    seed_basic(training)
    if checkpoint is not None:
        real.ok("checkpoint", "--out", str(checkpoint))
    args = ["case", "open", "AQP-2021-0001", "--by", "B-1001", "--at", "2021-01-04T09:00"]
    seq = real.ok(*args, "--title", "Caso real", json_out=True)["seq"]
    assert training.ok(*args, "--title", TRAINING_TITLE, json_out=True)["seq"] == seq
    return real, training, seq


def _transplant(training_url, db_url, seq):
    """Move the training ledger's event `seq` into the real ledger in its place: the body, the
    salt and the signature rows, with its chain hash, the head and the tree recomputed."""
    [(ev,)] = [sql(training_url, "SELECT body, salt, type, actor, case_no, occurred_at, recorded_at FROM events "
                                 "WHERE seq = :s", params={"s": seq})[0]]
    signatures = sql(training_url, "SELECT signer, key_id, signature FROM event_signatures WHERE seq = :s",
                     params={"s": seq})[0]
    drop_triggers(db_url)
    prev = sql(db_url, "SELECT prev_hash FROM events WHERE seq = :s", params={"s": seq})[0][0][0]
    digest = chain_hash(prev, ev.body.encode())
    sql(db_url,
        "UPDATE events SET body = :b, salt = :salt, hash = :h, type = :t, actor = :a, case_no = :c, "
        "occurred_at = :o, recorded_at = :r WHERE seq = :s",
        "DELETE FROM event_signatures WHERE seq = :s",
        "UPDATE chain_head SET hash = :h",
        params={"b": ev.body, "salt": ev.salt, "h": digest, "t": ev.type, "a": ev.actor, "c": ev.case_no,
                "o": ev.occurred_at, "r": ev.recorded_at, "s": seq})
    for signer, key_id, signature in signatures:
        sql(db_url, "INSERT INTO event_signatures (seq, signer, key_id, signature) VALUES (:s, :n, :k, :g)",
            params={"s": seq, "n": signer, "k": key_id, "g": signature})
    sql(db_url, "UPDATE cases SET title = :t WHERE case_no = 'AQP-2021-0001'", params={"t": TRAINING_TITLE})
    recompute_tree(db_url)


def _findings(cli, *args):
    result = cli("verify", *args, json_out=True)
    assert result.exit_code == 3, result.stdout + result.stderr
    return json.loads(result.stdout)["findings"]


def test_an_event_signed_in_a_training_ledger_does_not_verify_in_the_real_one(db_url, training_url, tmp_path):
    checkpoint = tmp_path / "checkpoint"
    real, training, seq = _twin_ledgers(db_url, training_url, tmp_path, checkpoint)
    assert real.ok("verify", json_out=True)["ok"] and training.ok("verify", json_out=True)["ok"]
    assert rows(db_url, "SELECT key_id FROM officer_keys WHERE badge = 'B-1001'") == \
        rows(training_url, "SELECT key_id FROM officer_keys WHERE badge = 'B-1001'")
    _transplant(training_url, db_url, seq)

    for args in ((), ("--since", str(checkpoint), "--new-only")):
        found = _findings(real, *args)
        assert [(f["check"], f["seq"]) for f in found] == [("signature", seq)], found
        assert "B-1001" in found[0]["message"] and "does not verify" in found[0]["message"]

    for kind, extra in (("full", ()), ("case", ("--case", "AQP-2021-0001"))):
        bundle = tmp_path / f"{kind}-bundle"
        real.ok("export", "log", "--out", str(bundle), *extra)
        checked = run_verify(bundle)
        assert checked.returncode == 3, checked.stdout + checked.stderr
        assert f"(seq {seq}): the signature of 'B-1001' does not verify" in checked.stdout
        assert checked.stdout.count("FINDING") == 1, checked.stdout


def test_a_new_ledger_names_its_origin_from_its_first_event(seeded, db_url):
    body = rows(db_url, "SELECT body FROM events WHERE seq = 1")[0].body
    assert json.loads(body)["data"]["signatures_name_origin"] is True
    assert rows(db_url, "SELECT value, seq FROM settings WHERE name = 'signatures_name_origin_from'") == [("1", 1)]
    assert seeded.ok("db", "upgrade", json_out=True)["signatures_name_origin"] is None
    assert signed_over(db_url, 1) == "v2"


def signed_over(db_url, seq):
    """Which message the signature of event `seq` verifies over: 'v2' (naming the origin), 'v1',
    or None."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ledger.log.checkpoints import origin_from_leaf
    from ledger.log.merkle import leaf_commitment
    from ledger.log.signatures import event_message

    def leaf(n):
        row = rows(db_url, "SELECT salt, body FROM events WHERE seq = :s", s=n)[0]
        return leaf_commitment(bytes.fromhex(row.salt), row.body.encode())

    [sig] = rows(db_url, "SELECT s.signature, k.public_key FROM event_signatures s JOIN officer_keys k "
                         "ON k.key_id = s.key_id WHERE s.seq = :s", s=seq)
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sig.public_key))
    for name, message in (("v2", event_message(leaf(seq), origin_from_leaf(leaf(1)))), ("v1", event_message(leaf(seq)))):
        try:
            key.verify(bytes.fromhex(sig.signature), message)
            return name
        except InvalidSignature:
            pass
    return None


def test_a_ledger_signed_before_keeps_verifying_and_names_its_origin_after_db_upgrade(db_url, tmp_path,
                                                                                       monkeypatch):
    from ledger.identity import signing

    cli = CliHarness(db_url)
    with monkeypatch.context() as old_release:  # what the release before this one wrote: v1 signatures
        old_release.setattr(signing, "bind_new_ledger", lambda session, data: None)
        seed_basic(cli)
    head = rows(db_url, "SELECT max(seq) AS n FROM events")[0].n
    assert "signatures_name_origin" not in rows(db_url, "SELECT body FROM events WHERE seq = 1")[0].body
    assert {signed_over(db_url, seq) for seq in range(1, head + 1)} == {"v1"}
    assert cli.ok("verify", json_out=True)["ok"]
    checkpoint = tmp_path / "checkpoint"
    cli.ok("checkpoint", "--out", str(checkpoint))

    out = cli.ok("db", "upgrade", json_out=True)
    bound = out["signatures_name_origin"]
    assert bound["seq"] == head + 1 and bound["from"] == head + 2 and bound["origin"].startswith("evidence-ledger/")
    assert cli.ok("db", "upgrade", json_out=True)["signatures_name_origin"] is None  # once
    event = rows(db_url, "SELECT type, actor, body FROM events WHERE seq = :s", s=head + 1)[0]
    assert (event.type, event.actor) == ("identity.signatures_name_origin", None)
    assert json.loads(event.body)["data"] == {"from": head + 2}
    assert rows(db_url, "SELECT count(*) AS n FROM event_signatures WHERE seq = :s", s=head + 1)[0].n == 0
    bound_checkpoint = tmp_path / "bound-checkpoint"  # proves the binding event: --new-only learns it there
    cli.ok("checkpoint", "--out", str(bound_checkpoint))

    opened = cli.ok("case", "open", "AQP-2021-0002", "--title", "Caso nuevo", "--by", "B-1001", json_out=True)
    assert opened["seq"] == head + 2 and signed_over(db_url, head + 2) == "v2"
    assert {signed_over(db_url, seq) for seq in range(1, head + 1)} == {"v1"}
    assert cli.ok("verify", json_out=True)["ok"]
    for kept in (checkpoint, bound_checkpoint):
        assert cli.ok("verify", "--since", str(kept), "--new-only", json_out=True)["ok"]
    bundle = tmp_path / "bundle"
    cli.ok("export", "log", "--out", str(bundle))
    checked = run_verify(bundle)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    case_bundle = tmp_path / "case-bundle"
    cli.ok("export", "log", "--case", "AQP-2021-0002", "--out", str(case_bundle))
    checked = run_verify(case_bundle)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_verify_holds_the_binding_event_to_once_and_to_the_next_seq(seeded, db_url):
    """The program's own unsigned event can only be recorded once, naming the seq after it; one
    written outside `db upgrade` (here a second one, after init fixed seq 1) is a rule finding."""
    import pytest

    from ledger.db import open_ledger
    from ledger.errors import RuleError
    from ledger.events import append_event
    from tests.rules.forger import forge

    lg = open_ledger(db_url)
    try:  # the program itself refuses it, through the rulebook
        with pytest.raises(RuleError, match="fixed once"):
            lg.write(lambda s: append_event(s, "identity.signatures_name_origin", {"from": 7}, actor=None))
    finally:
        lg.dispose()
    seq = forge(seeded, "identity.signatures_name_origin", {"from": 0}, actor=None, unsigned=True)
    found = _findings(seeded)
    rules = [f for f in found if f["check"] == "rule" and f["seq"] == seq]
    assert rules and "fixed once" in rules[0]["message"], found
    assert not [f for f in found if f["check"] == "signature"], found
