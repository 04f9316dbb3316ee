"""`export log` (format 2): full and case bundles verify with their own standard-library
verify.py, signatures are checked against --trust keys, a forged case bundle is refused, a
case bundle holds nothing derived from another case, and the folder is written atomically."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_custody import scenario
from tests.helpers import GOOD_IMEI2, rows

PASS = {"EVIDENCE_KEY_PASSPHRASE": "correct horse"}
OTHER_CASE = "AQP-2020-0200"
OTHER_PLACE = "Jirón Secreto 77, Cayma"


def run_verify(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    # -I: isolated mode, so the script cannot lean on this project's packages
    return subprocess.run([sys.executable, "-I", str(bundle / "verify.py"), str(bundle), *args],
                          capture_output=True, text=True, timeout=120)


def make_key(cli, tmp_path: Path, name: str) -> tuple[Path, str]:
    path = tmp_path / f"{name}.key"
    done = cli.ok("key", "generate", "--name", name, "--out", str(path), env=PASS, json_out=True)
    return path, done["verifier_key"]


def add_other_case(cli) -> None:
    cli.ok("case", "open", OTHER_CASE, "--title", "Otro caso reservado", "--by", "B-1001", "--at", "2020-11-01T08:00")
    cli.ok("seizure", "record", OTHER_CASE, "--at", "2020-11-01T09:00", "--place", OTHER_PLACE, "--by", "B-1001")
    cli.ok("phone", "add", "SZ-2", "--imei", GOOD_IMEI2, "--make", "Nokia", "--model", "105", "--by", "B-1001")


@pytest.fixture
def history(seeded):
    scenario(seeded)
    return seeded


def test_full_bundle_verifies_offline_and_matches_the_ledger(history, tmp_path):
    out = tmp_path / "bundle"
    done = history.ok("export", "log", "--out", str(out), json_out=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "HEAD", "README.txt", "SHA256SUMS", "checkpoint", "events.jsonl", "manifest.json", "verify.py"]
    result = run_verify(out)
    assert result.returncode == 0, result.stdout + result.stderr
    head = history.ok("verify", json_out=True)["head"]
    assert (out / "HEAD").read_text() == f"{head}\n" and done["head"] == head
    assert f"head {head}" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    seq, root = rows(history.db_url, "SELECT seq, root FROM chain_head")[0]
    assert manifest == {"format": 2, "kind": "full", "case": None, "tree_size": seq, "events": seq,
                        "origin": manifest["origin"], "root": root}
    assert (out / "checkpoint").read_text() == (
        f"{manifest['origin']}\n{seq}\n{base64.b64encode(bytes.fromhex(root)).decode()}\n")
    salts = {s: salt for s, salt in rows(history.db_url, "SELECT seq, salt FROM events")}
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, seq + 1))
    assert all(line["salt"] == salts[line["seq"]] for line in lines)
    verifier = (out / "verify.py").read_text()
    imports = {line.split()[1] for line in verifier.splitlines() if line.startswith(("import ", "from "))}
    assert not any(name.startswith("ledger") for name in imports)
    assert run_verify(out, "--expect-head", head).returncode == 0
    wrong = run_verify(out, "--expect-head", f"{seq - 2}:{'0' * 64}")
    assert wrong.returncode == 3 and "--expect-head" in wrong.stdout
    assert run_verify(out, "--expect-head", "nonsense").returncode == 2


def test_case_bundle_verifies_and_discloses_only_its_case(history, tmp_path):
    add_other_case(history)
    out = tmp_path / "case"
    done = history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out), json_out=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.txt", "SHA256SUMS", "case-index", "checkpoint", "events.jsonl", "manifest.json", "verify.py"]
    result = run_verify(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "complete: the bundle holds all" in result.stdout, result.stdout
    total = rows(history.db_url, "SELECT count(*) FROM events")[0][0]
    assert done["tree_size"] == total and done["events"] == total - 3
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert {json.loads(line["body"])["case"] for line in lines} == {None, "AQP-2020-0147"}
    assert all(set(line) == {"seq", "salt", "body", "proof", "signatures"} for line in lines)


def test_signed_checkpoint_verifies_with_trust_and_fails_with_another_key(history, tmp_path):
    key, vkey = make_key(history, tmp_path, "auditoria.example")
    _, other = make_key(history, tmp_path, "otra.example")
    out = tmp_path / "signed"
    history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out), "--sign", str(key), env=PASS)
    assert "\n\n\u2014 auditoria.example " in (out / "checkpoint").read_text()
    good = run_verify(out, "--trust", vkey)
    assert good.returncode == 0 and "signed by trusted auditoria.example" in good.stdout, good.stdout
    bad = run_verify(out, "--trust", other)
    assert bad.returncode == 3 and "no trusted key signed it" in bad.stdout
    assert run_verify(out, "--trust", "not-a-key").returncode == 2
    unsigned = tmp_path / "unsigned"
    history.ok("export", "log", "--out", str(unsigned))
    assert run_verify(unsigned, "--trust", vkey).returncode == 3
    wrong = history("export", "log", "--out", str(tmp_path / "x"), "--sign", str(key),
                    env={"EVIDENCE_KEY_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 1 and "passphrase" in wrong.stderr and not (tmp_path / "x").exists()


def _rewrite_sums(out: Path) -> None:
    names = sorted(p.name for p in out.iterdir() if p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256((out / n).read_bytes()).hexdigest()}  {n}\n" for n in names))


def test_forged_case_bundle_is_refused(history, tmp_path):
    """An attacker changes a disclosed amount and recomputes all he can: the line, the salt
    is kept, the sums are rewritten; the proof no longer leads to the checkpoint's root, and
    a recomputed root no longer matches a checkpoint the auditor holds."""
    out = tmp_path / "case"
    history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out))
    kept_checkpoint = tmp_path / "kept-checkpoint"
    kept_checkpoint.write_bytes((out / "checkpoint").read_bytes())
    text = (out / "events.jsonl").read_text()
    assert '\\"amount\\":\\"4000.00\\"' in text
    (out / "events.jsonl").write_text(text.replace('\\"amount\\":\\"4000.00\\"', '\\"amount\\":\\"9000.00\\"'))
    _rewrite_sums(out)
    result = run_verify(out)
    assert result.returncode == 3 and "inclusion proof leads to root" in result.stdout, result.stdout
    # He also recomputes the leaf's path and the root, and rewrites checkpoint and manifest.
    from ledger.log.merkle import Tree, leaf_commitment

    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    manifest = json.loads((out / "manifest.json").read_text())
    size = manifest["tree_size"]
    known = {line["seq"]: leaf_commitment(bytes.fromhex(line["salt"]), line["body"].encode()) for line in lines}
    leaves = [known.get(seq, hashlib.sha256(b"filler %d" % seq).digest()) for seq in range(1, size + 1)]
    tree = Tree(leaves)
    for line in lines:
        line["proof"] = [p.hex() for p in tree.inclusion_proof(line["seq"] - 1)]
    from ledger.events import canonical_json

    (out / "events.jsonl").write_bytes(b"".join(canonical_json(line) + b"\n" for line in lines))
    manifest["root"] = tree.root().hex()
    (out / "manifest.json").write_bytes(canonical_json(manifest) + b"\n")
    (out / "checkpoint").write_text(f"{manifest['origin']}\n{size}\n{base64.b64encode(tree.root()).decode()}\n")
    _rewrite_sums(out)
    # Self-consistent, as any forgery of the tree can be made; but the officer's signature was
    # over the original event, and a signature over the changed one needs the officer's key.
    forged = run_verify(out)
    assert forged.returncode == 3 and "does not verify over the event" in forged.stdout, forged.stdout
    refused = run_verify(out, "--since", str(kept_checkpoint))
    assert refused.returncode == 3 and "another root" in refused.stdout, refused.stdout
    assert history("verify", "--help").exit_code == 0


def _hex_and_base64_strings(folder: Path) -> set[str]:
    found = set()
    for path in folder.iterdir():
        text = path.read_bytes().decode("utf-8", "replace")
        found.update(m.lower() for m in re.findall(r"[0-9a-fA-F]{16,}", text))
        for match in re.findall(r"[A-Za-z0-9+/]{20,}={0,2}", text):
            try:
                found.add(base64.b64decode(match + "=" * (-len(match) % 4)).hex())
            except ValueError:
                pass
    return found


def test_case_bundle_holds_nothing_derived_from_another_case(history, tmp_path):
    add_other_case(history)
    from ledger.log.merkle import leaf_commitment

    events = rows(history.db_url, "SELECT seq, case_no, body, salt, hash, prev_hash FROM events ORDER BY seq")
    leaves = [leaf_commitment(bytes.fromhex(e.salt), e.body.encode()) for e in events]
    secret, b_leaves = set(), set()
    for event, leaf in zip(events, leaves, strict=True):
        if event.case_no == OTHER_CASE:
            secret |= {event.hash, hashlib.sha256(event.body.encode()).hexdigest(), event.salt,
                       hashlib.sha256(event.prev_hash.encode() + event.body.encode()).hexdigest()}
            b_leaves.add(leaf.hex())
    out = tmp_path / "case"
    history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out))
    assert run_verify(out).returncode == 0
    found = _hex_and_base64_strings(out)
    assert secret and not {s for s in secret for f in found if s in f}
    # A leaf of the other case appears only where RFC 6962 needs it, as a sibling in a proof:
    # it is SHA-256(0x00 || salt || body) with the salt withheld, so it discloses nothing.
    lines = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    outside_proofs = _hex_and_base64_strings(out) - {p for line in lines for p in line["proof"]}
    assert not b_leaves & outside_proofs
    assert not {s for s in b_leaves for line in lines if s in line["body"] + line["salt"]}
    everything = b"".join(p.read_bytes() for p in out.iterdir()).decode("utf-8")
    item_b = rows(history.db_url, "SELECT id FROM items WHERE imei = :i", i=GOOD_IMEI2)[0][0]
    for leak in (OTHER_CASE, item_b, OTHER_PLACE, "SZ-000002", GOOD_IMEI2, "reservado"):
        assert leak not in everything and leak not in everything.replace("\\", ""), leak


def test_existing_folder_refused_unless_forced(history, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / "bundle"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = history("export", "log", "--out", str(out))
    assert result.exit_code == 1 and "not empty" in result.stderr and "--force" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    # --force replaces an earlier bundle only, never a folder with anything else in it.
    forced = history("export", "log", "--out", str(out), "--force")
    assert forced.exit_code == 1 and "notes.txt" in forced.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    (out / "notes.txt").unlink()
    history.ok("export", "log", "--out", str(out))
    history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out), "--force")
    history.ok("export", "log", "--out", str(out), "--force")
    assert run_verify(out).returncode == 0
    assert [p.name for p in exports.iterdir()] == ["bundle"]  # no temporary folders left behind
    assert history("export", "log", "--out", str(tmp_path / "no" / "such")).exit_code == 1
    assert history("export", "log", "--case", "NOPE-1", "--out", str(tmp_path / "x")).exit_code == 1
