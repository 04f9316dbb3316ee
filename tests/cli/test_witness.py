"""Witnessed checkpoints: the log's own key, consistency proofs out of the ledger (`checkpoint
prove --from`, `verify --since --proof`, in bundles checked by verify.py), `checkpoint cosign`
refusing a tree the ledger does not hold, and `witness cosign` refusing a forked ledger."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil

import pytest

from tests.cli.test_bundle import add_other_case, run_verify
from tests.cli.test_custody import scenario
from tests.conftest import _pg_admin, drop_pg_database, pg_url_for
from tests.helpers import CliHarness

PASS = {"EVIDENCE_KEY_PASSPHRASE": "correct horse"}


def log_key(cli, tmp_path, name="log.key"):
    path = tmp_path / name
    done = cli.ok("key", "generate", "--log", "--out", str(path), env=PASS, json_out=True)
    return path, done["verifier_key"]


def make_key(cli, tmp_path, name):
    path = tmp_path / (name.replace("/", "_") + ".key")
    done = cli.ok("key", "generate", "--name", name, "--out", str(path), env=PASS, json_out=True)
    return path, done["verifier_key"]


def signed_checkpoint(cli, key, path):
    cli.ok("checkpoint", "--sign", str(key), "--out", str(path), env=PASS)
    return path


def grow(cli, n=1, source="SBS"):
    """`n` more events (exchange rates, ledger-wide), each of its own day."""
    grow.count = getattr(grow, "count", 0)
    for _ in range(n):
        grow.count += 1
        day = 1 + grow.count % 28
        cli.ok("rate", "set", f"2020-09-{day:02d}", "USD", "PEN", f"3.{5000 + grow.count}", "--source", source,
               "--by", "B-1001")


@pytest.fixture
def ledger_with_log_key(seeded, tmp_path):
    scenario(seeded)
    key, vkey = log_key(seeded, tmp_path)
    return seeded, key, vkey


def test_the_log_key_is_named_by_the_origin_and_signs_the_log_checkpoint(ledger_with_log_key, tmp_path):
    cli, key, vkey = ledger_with_log_key
    origin = cli.ok("checkpoint").splitlines()[0]
    assert vkey.split("+")[0] == origin
    kept = signed_checkpoint(cli, key, tmp_path / "c.txt")
    assert kept.read_text(encoding="utf-8").splitlines()[-1].startswith(f"\u2014 {origin} ")
    assert cli.ok("verify", "--since", str(kept), "--trust", vkey, json_out=True)["ok"]
    assert (key.stat().st_mode & 0o777) == 0o600
    # another ledger's log key never signs this ledger's checkpoint
    other = tmp_path / "other-log.key"
    cli.ok("key", "generate", "--name", "evidence-ledger/0000000000000000", "--out", str(other), env=PASS)
    result = cli("checkpoint", "--sign", str(other), env=PASS)
    assert result.exit_code == 1 and "not of this ledger" in result.stderr
    # a log key is made once per file; --log with --name is refused
    assert cli("key", "generate", "--log", "--out", str(key), env=PASS).exit_code == 1
    assert cli("key", "generate", "--log", "--name", "x", "--out", str(tmp_path / "x.key"), env=PASS).exit_code == 1


def test_a_consistency_proof_leaves_the_ledger_and_verify_checks_it(ledger_with_log_key, tmp_path):
    cli, key, vkey = ledger_with_log_key
    old = signed_checkpoint(cli, key, tmp_path / "old.txt")
    old_size = int(old.read_text().splitlines()[1])
    grow(cli, 3)
    proof = tmp_path / "proof.txt"
    assert cli.ok("checkpoint", "prove", "--from", str(old), "--out", str(proof)) == str(proof)
    text = proof.read_text()
    head, checkpoint = text.split("\n\n")
    assert head.splitlines()[0] == f"old {old_size}"
    assert checkpoint == cli.ok("checkpoint") + "\n"
    assert cli.ok("checkpoint", "prove", "--from", str(old)) == text.rstrip("\n")  # stdout, same text
    done = cli.ok("verify", "--since", str(old), "--proof", str(proof), "--trust", vkey, json_out=True)
    assert done["ok"] and done["since_size"] == old_size and done["size"] == old_size + 3
    assert "extends the checkpoint" in cli.ok("verify", "--since", str(old), "--proof", str(proof))

    # one hash changed: exit 3, both roots named
    lines = text.split("\n")
    lines[1] = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines))
    result = cli("verify", "--since", str(old), "--proof", str(bad))
    assert result.exit_code == 3 and "does not extend" in result.stdout
    # the log grew since the proof was made: it no longer leads to the current root
    grow(cli, 1, "Later")
    result = cli("verify", "--since", str(old), "--proof", str(proof))
    assert result.exit_code == 3 and "not to the checkpoint" in result.stdout
    assert cli("verify", "--proof", str(proof)).exit_code == 1
    assert cli("verify", "--since", str(old), "--proof", str(tmp_path / "missing")).exit_code == 1


def test_prove_refuses_an_old_checkpoint_this_ledger_does_not_contain(ledger_with_log_key, tmp_path):
    cli, _key, _vkey = ledger_with_log_key
    origin, size, root = cli.ok("checkpoint").splitlines()
    ours = base64.b64decode(root).hex()
    cases = {"random root": (size, base64.b64encode(os.urandom(32)).decode()),
             "all-zero root": (size, base64.b64encode(bytes(32)).decode()),
             "beyond the log": (str(int(size) + 10), root)}
    for what, (n, r) in cases.items():
        forged = tmp_path / f"{what}.txt"
        forged.write_text(f"{origin}\n{n}\n{r}\n")
        result = cli("checkpoint", "prove", "--from", str(forged), "--out", str(tmp_path / f"{what}.proof"))
        assert result.exit_code == 3, (what, result.stderr)
        assert "does not contain it" in result.stderr and not (tmp_path / f"{what}.proof").exists()
        if n == size:
            assert base64.b64decode(r).hex() in result.stderr and ours in result.stderr
    other = tmp_path / "other.txt"
    other.write_text(f"evidence-ledger/0000000000000000\n{size}\n{root}\n")
    result = cli("checkpoint", "prove", "--from", str(other))
    assert result.exit_code == 1 and "not of this ledger" in result.stderr


def test_checkpoint_cosign_refuses_a_checkpoint_the_ledger_does_not_contain(ledger_with_log_key, tmp_path):
    cli, key, _vkey = ledger_with_log_key
    auditor, _ = make_key(cli, tmp_path, "auditoria.example/arequipa")
    origin, size, root = cli.ok("checkpoint").splitlines()
    from ledger.identity import keys
    from ledger.log import note

    log = keys.load_key_file(key, PASS["EVIDENCE_KEY_PASSPHRASE"])
    for what, n, r in [("random root", size, base64.b64encode(os.urandom(32)).decode()),
                       ("all-zero root", size, base64.b64encode(bytes(32)).decode()),
                       ("size 999", "999", base64.b64encode(os.urandom(32)).decode()),
                       ("one beyond", str(int(size) + 1), root)]:
        path = tmp_path / f"{what}.txt"
        text = note.sign_note(f"{origin}\n{n}\n{r}\n", log.name, log.private_key)
        path.write_text(text, encoding="utf-8")
        result = cli("checkpoint", "cosign", str(path), "--key", str(auditor), "--out", str(path), env=PASS)
        assert result.exit_code == 3, (what, result.stderr)
        assert "does not contain it" in result.stderr and path.read_text(encoding="utf-8") == text
    good = signed_checkpoint(cli, key, tmp_path / "good.txt")
    grow(cli, 2)  # an older checkpoint of this ledger is still one it contains
    cli.ok("checkpoint", "cosign", str(good), "--key", str(auditor), "--out", str(good), env=PASS)
    assert good.read_text(encoding="utf-8").count("\u2014 ") == 2


def test_a_witness_cosigns_growth_with_a_proof_and_verifiers_trust_its_cosignature(ledger_with_log_key, tmp_path):
    cli, key, vkey = ledger_with_log_key
    wkey, _ = make_key(cli, tmp_path, "fiscalia.example/testigo")
    state = tmp_path / "witness-state"
    first = signed_checkpoint(cli, key, tmp_path / "c1.txt")
    done = cli.ok("witness", "cosign", str(first), "--key", str(wkey), "--state", str(state), "--log-key", vkey,
                  "--out", str(tmp_path / "c1-w.txt"), env=PASS, json_out=True)
    witness_vkey = done["witness_key"]
    assert base64.b64decode(witness_vkey.split("+", 2)[2])[0] == 0x04 and done["previous_size"] is None
    assert (state.stat().st_mode & 0o777) == 0o700
    grow(cli, 2)
    second = signed_checkpoint(cli, key, tmp_path / "c2.txt")
    refused = cli("witness", "cosign", str(second), "--key", str(wkey), "--state", str(state), env=PASS)
    assert refused.exit_code == 1 and "needs a consistency proof" in refused.stderr
    proof = tmp_path / "proof.txt"
    cli.ok("checkpoint", "prove", "--from", str(tmp_path / "c1-w.txt"), "--out", str(proof))
    out = cli.ok("witness", "cosign", str(second), "--key", str(wkey), "--state", str(state), "--proof", str(proof),
                 "--out", str(second), env=PASS)
    assert out.splitlines() == [str(second), f"witness key: {witness_vkey}"]
    cosigned = second.read_text(encoding="utf-8")
    assert cosigned.count("\u2014 ") == 2 and "\u2014 fiscalia.example/testigo " in cosigned
    # the same checkpoint again, to stdout: the cosigned note alone, its cosignature made afresh
    again = cli("witness", "cosign", str(second), "--key", str(wkey), "--state", str(state), env=PASS)
    assert again.exit_code == 0 and again.stdout.startswith(cosigned.split("\n\n")[0] + "\n\n")
    assert again.stdout.count("\u2014 ") == 2 and "witness key" not in again.stdout
    # the witness's cosignature is what verify, prove and the bundle's verify.py trust
    assert cli.ok("verify", "--since", str(second), "--trust", witness_vkey, json_out=True)["ok"]
    bundle = tmp_path / "bundle"
    cli.ok("prove", "EV-1", "--checkpoint", str(second), "--out", str(bundle))
    result = run_verify(bundle, "--trust", witness_vkey)
    assert result.returncode == 0 and "cosigned by witness 'fiscalia.example/testigo'" in result.stdout, result.stdout
    # with the witness's Ed25519 (0x01) key instead, its cosignature is not one of a trusted key
    _, as_signer = make_key(cli, tmp_path, "fiscalia.example/otro")
    assert run_verify(bundle, "--trust", as_signer).returncode == 3


def _fork(cli, db_url, tmp_path):
    """A second copy of the ledger as it stands, to diverge from the first."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "fork.db"
        shutil.copyfile(db_url.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        from sqlalchemy.engine import make_url

        name = make_url(db_url).database
        fork = f"{name}_fork"
        with _pg_admin() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (name,))
            conn.execute(f'CREATE DATABASE "{fork}" TEMPLATE "{name}"')
        url = pg_url_for(fork)
    other = CliHarness(url, keys_home=cli.keys_home)
    other.initialized = True
    return other, url


def test_a_forked_pair_of_ledgers_is_refused_by_one_witness_state(ledger_with_log_key, db_url, tmp_path, backend):
    cli, key, vkey = ledger_with_log_key
    wkey, _ = make_key(cli, tmp_path, "fiscalia.example/testigo")
    state = tmp_path / "witness-state"
    base = signed_checkpoint(cli, key, tmp_path / "base.txt")
    cli.ok("witness", "cosign", str(base), "--key", str(wkey), "--state", str(state), "--log-key", vkey,
           "--out", str(base), env=PASS)
    fork, fork_url = _fork(cli, db_url, tmp_path)
    try:
        assert fork.ok("checkpoint") == cli.ok("checkpoint")
        grow(cli, 1, "To court")
        grow(fork, 1, "Quietly elsewhere")
        a = signed_checkpoint(cli, key, tmp_path / "a.txt")
        b = signed_checkpoint(fork, key, tmp_path / "b.txt")
        a_root = base64.b64decode(a.read_text().splitlines()[2]).hex()
        b_root = base64.b64decode(b.read_text().splitlines()[2]).hex()
        assert a.read_text().splitlines()[1] == b.read_text().splitlines()[1] and a_root != b_root
        # each copy proves its growth from the common checkpoint; the witness takes the first
        for copy, checkpoint in ((cli, a), (fork, b)):
            copy.ok("checkpoint", "prove", "--from", str(base), "--out", str(checkpoint) + ".proof")
        cli.ok("witness", "cosign", str(a), "--key", str(wkey), "--state", str(state),
               "--proof", str(a) + ".proof", "--out", str(a), env=PASS)
        before = {p.name: p.read_bytes() for p in state.iterdir() if p.suffix == ".json"}
        # the other copy at the same size: a second root, refused and named
        result = fork("witness", "cosign", str(b), "--key", str(wkey), "--state", str(state), env=PASS)
        assert result.exit_code == 3 and "second root" in result.stderr
        assert a_root in result.stderr and b_root in result.stderr
        # grown further, with its own proof from the common checkpoint: not from the witnessed size
        grow(fork, 2, "More")
        c = signed_checkpoint(fork, key, tmp_path / "c.txt")
        fork.ok("checkpoint", "prove", "--from", str(base), "--out", str(tmp_path / "c.proof"))
        result = fork("witness", "cosign", str(c), "--key", str(wkey), "--state", str(state),
                      "--proof", str(tmp_path / "c.proof"), env=PASS)
        assert result.exit_code == 1 and "starts at size" in result.stderr
        # the copy cannot prove it extends the witnessed checkpoint: it does not contain it
        result = fork("checkpoint", "prove", "--from", str(a))
        assert result.exit_code == 3 and a_root in result.stderr
        # a proof from its own checkpoint at the witnessed size, passed off as one from the witness's
        fork.ok("checkpoint", "prove", "--from", str(b), "--out", str(tmp_path / "bc.proof"))
        result = fork("witness", "cosign", str(c), "--key", str(wkey), "--state", str(state),
                      "--proof", str(tmp_path / "bc.proof"), env=PASS)
        assert result.exit_code == 3 and "does not extend" in result.stderr and a_root in result.stderr
        assert {p.name: p.read_bytes() for p in state.iterdir() if p.suffix == ".json"} == before
        assert len([p for p in state.iterdir() if p.name.startswith("refused-")]) == 2
    finally:
        if backend == "postgresql":
            from sqlalchemy.engine import make_url

            drop_pg_database(make_url(fork_url).database)


def test_unknown_signature_types_and_extension_lines_are_accepted_by_every_verifier(ledger_with_log_key, tmp_path):
    cli, key, vkey = ledger_with_log_key
    from ledger.identity import keys
    from ledger.log import note

    log = keys.load_key_file(key, PASS["EVIDENCE_KEY_PASSPHRASE"])
    text = cli.ok("checkpoint") + "\nexample.org/extension some opaque line\n"
    signed = note.sign_note(text, log.name, log.private_key)
    # a timestamped cosignature (0x04) and an ML-DSA-sized one (0x06) of witnesses nobody here trusts
    for name, size in (("witness.example/w1", 4 + 8 + 64), ("witness.example/pq", 4 + 8 + 2420)):
        signed += f"\u2014 {name} {base64.b64encode(os.urandom(size)).decode()}\n"
    kept = tmp_path / "kept.txt"
    kept.write_text(signed, encoding="utf-8")
    assert cli.ok("verify", "--since", str(kept), "--trust", vkey, json_out=True)["ok"]
    grow(cli, 1)
    bundle = tmp_path / "bundle"
    cli.ok("prove", "EV-1", "--checkpoint", str(kept), "--out", str(bundle))
    assert (bundle / "checkpoint").read_text(encoding="utf-8") == signed
    result = run_verify(bundle, "--trust", vkey, "--since", str(kept))
    assert result.returncode == 0, result.stdout + result.stderr
    proof = tmp_path / "proof.txt"
    cli.ok("checkpoint", "prove", "--from", str(kept), "--out", str(proof))
    assert cli.ok("verify", "--since", str(kept), "--proof", str(proof), "--trust", vkey, json_out=True)["ok"]
    case = tmp_path / "case"
    cli.ok("export", "log", "--case", "AQP-2020-0147", "--from", str(kept), "--sign", str(key), "--out", str(case),
           env=PASS)
    result = run_verify(case, "--since", str(kept), "--trust", vkey)
    assert result.returncode == 0 and "consistency proof checked" in result.stdout, result.stdout


def _resum(bundle):
    sums = (bundle / "SHA256SUMS").read_text().splitlines()
    new = []
    for line in sums:
        digest, name = line.split("  ")
        if (bundle / name).exists():
            digest = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
        new.append(f"{digest}  {name}")
    (bundle / "SHA256SUMS").write_text("".join(x + "\n" for x in new))


def test_bundles_carry_a_consistency_proof_that_verify_py_checks(ledger_with_log_key, tmp_path):
    cli, key, vkey = ledger_with_log_key
    court = signed_checkpoint(cli, key, tmp_path / "court.txt")
    add_other_case(cli)
    grow(cli, 2)
    case = tmp_path / "case"
    cli.ok("export", "log", "--case", "AQP-2020-0147", "--from", str(court), "--out", str(case))
    assert "consistency-proof" in (case / "SHA256SUMS").read_text()
    result = run_verify(case, "--since", str(court), "--trust", vkey)
    # --trust asks for a signature on the bundle's own checkpoint too, and this one is not signed
    assert result.returncode == 3 and "checkpoint: no trusted key signed it" in result.stdout
    result = run_verify(case, "--since", str(court))
    assert result.returncode == 0 and "consistency proof checked" in result.stdout, result.stdout
    result = run_verify(case)
    assert result.returncode == 0 and "not checked: give --since" in result.stdout
    # the bundle's checkpoint alone, with the proof given on the command line
    loose = tmp_path / "loose.proof"
    loose.write_bytes((case / "consistency-proof").read_bytes())
    plain = tmp_path / "plain"
    cli.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(plain))
    assert run_verify(plain, "--since", str(court), "--proof", str(loose)).returncode == 0
    assert run_verify(plain, "--since", str(court)).returncode == 2  # a smaller checkpoint and no proof
    # a wrong proof is refused, in the bundle (sums recounted) and on the command line
    lines = loose.read_text().split("\n")
    lines[1] = base64.b64encode(bytes(32)).decode()
    wrong = tmp_path / "wrong.proof"
    wrong.write_text("\n".join(lines))
    result = run_verify(plain, "--since", str(court), "--proof", str(wrong))
    assert result.returncode == 3 and "does not lead from the --since root" in result.stdout
    (case / "consistency-proof").write_text("\n".join(lines))
    _resum(case)
    result = run_verify(case, "--since", str(court))
    assert result.returncode == 3 and "consistency-proof: it does not lead" in result.stdout
    # removed from the bundle: SHA256SUMS still lists it
    (case / "consistency-proof").unlink()
    result = run_verify(case, "--since", str(court))
    assert result.returncode == 3 and "consistency-proof" in result.stdout
    # `prove --from` and a full bundle carry one too
    items = tmp_path / "items"
    cli.ok("prove", "EV-1", "--from", str(court), "--out", str(items))
    assert run_verify(items, "--since", str(court)).returncode == 0
    full = tmp_path / "full"
    cli.ok("export", "log", "--from", str(court), "--out", str(full))
    result = run_verify(full, "--since", str(court))
    assert result.returncode == 0 and "consistency proof checked" in result.stdout
    # an old checkpoint this ledger does not hold: no bundle at all
    origin, size, _root = court.read_text().splitlines()[:3]
    forged = tmp_path / "forged.txt"
    forged.write_text(f"{origin}\n{size}\n{base64.b64encode(bytes(32)).decode()}\n")
    result = cli("export", "log", "--case", "AQP-2020-0147", "--from", str(forged), "--out", str(tmp_path / "no"))
    assert result.exit_code == 3 and not (tmp_path / "no").exists()
    assert json.loads((case / "manifest.json").read_text())["kind"] == "case"
