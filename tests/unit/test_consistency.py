"""Consistency proofs out of the ledger, and witnesses' cosignatures, against independent code.

The oracle for proofs is RFC 9162 section 2.1.4.1's SUBPROOF, written here recursively from the
leaf hashes, and a transliteration of Go's sumdb/tlog CheckTree; both the ledger's verifier and
the bundle's standalone verify.py must agree with them for every pair of sizes up to 70, and
refuse every proof with one hash changed. Cosignatures are checked with `cryptography` directly
against c2sp.org/tlog-cosignature's signed message.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import bundle_verify
from ledger.errors import InputError, VerificationFailed
from ledger.log import consistency, note, witness
from ledger.log.merkle import ProofError, Tree, verify_consistency
from ledger.log.note import Checkpoint

MAX = 70


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


LEAVES = [h(b"\x00" + f"leaf {i}".encode()) for i in range(MAX)]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 2.1 MTH, literally."""
    n = len(leaves)
    if n == 0:
        return h(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D_n, b), literally."""
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def go_check_tree(proof: list[bytes], n: int, th: bytes, m: int, mh: bytes) -> bool:
    """golang.org/x/mod/sumdb/tlog CheckTree(p, n, h, m, th), transliterated: does the tree of
    size n with hash th contain as a prefix the tree of size m with hash mh?"""
    if m < 1 or n < m:
        return False
    if m == n:
        return not proof and th == mh

    def run(p: list[bytes], lo: int, hi: int, n: int, old: bytes | None):
        # Go's runTreeProof: returns (hash of [lo,n), hash of [lo,hi)) or None.
        if n == hi:
            if lo == 0:
                return None if p else (old, old)
            if len(p) != 1:
                return None
            return p[0], p[0]
        if not p:
            return None
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        if n <= lo + k:
            inner = run(p[:-1], lo, lo + k, n, old)
            if inner is None:
                return None
            oh, th_ = inner
            return oh, h(b"\x01" + th_ + p[-1])
        inner = run(p[:-1], lo + k, hi, n, old)
        if inner is None:
            return None
        oh, th_ = inner
        return h(b"\x01" + p[-1] + oh), h(b"\x01" + p[-1] + th_)

    got = run(proof, 0, n, m, mh)
    return got is not None and got == (mh, th)


TREE = Tree(LEAVES)
ROOTS = [mth(LEAVES[:n]) for n in range(MAX + 1)]


def test_proofs_for_every_pair_of_sizes_match_rfc_9162_and_verify_everywhere():
    for n in range(1, MAX + 1):
        assert TREE.root(n) == ROOTS[n]
        for m in range(1, n + 1):
            proof = TREE.consistency_proof(m, n)
            assert proof == subproof(m, LEAVES[:n], True), (m, n)
            verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)
            assert go_check_tree(proof, n, ROOTS[n], m, ROOTS[m]), (m, n)
            if m < n:
                assert bundle_verify.consistency_roots(m, n, ROOTS[m], proof) == (ROOTS[m], ROOTS[n])


def test_every_changed_hash_and_every_wrong_size_is_refused():
    for n in range(2, MAX + 1, 3):
        for m in range(1, n):
            proof = TREE.consistency_proof(m, n)
            for i in range(len(proof)):
                bad = list(proof)
                bad[i] = h(bad[i])
                with pytest.raises(ProofError):
                    verify_consistency(m, n, ROOTS[m], ROOTS[n], bad)
                assert not go_check_tree(bad, n, ROOTS[n], m, ROOTS[m])
                try:
                    roots = bundle_verify.consistency_roots(m, n, ROOTS[m], bad)
                except bundle_verify.Bad:
                    roots = None
                assert roots != (ROOTS[m], ROOTS[n]), (m, n, i)
            # the right proof for a neighbouring size, or against another old root
            with pytest.raises(ProofError):
                verify_consistency(m, n, ROOTS[m - 1] if m > 1 else ROOTS[m + 1], ROOTS[n], proof)


def _proof_file(m: int, n: int, origin: str = "evidence-ledger/0123456789abcdef") -> consistency.ConsistencyProof:
    return consistency.ConsistencyProof(m, tuple(TREE.consistency_proof(m, n)), Checkpoint(origin, n, ROOTS[n]))


def test_the_proof_file_is_the_tlog_witness_request_body_and_reads_back():
    proof = _proof_file(5, 12)
    text = proof.to_text()
    head, checkpoint_text = text.split("\n\n")
    lines = head.split("\n")
    assert lines[0] == "old 5" and [base64.b64decode(x) for x in lines[1:]] == list(proof.hashes)
    assert checkpoint_text == proof.checkpoint.to_text()
    assert consistency.parse_proof(text) == proof
    # a signed checkpoint after the blank line is read too (its signatures are not the proof's business)
    key = Ed25519PrivateKey.generate()
    signed = note.sign_note(proof.checkpoint.to_text(), "evidence-ledger/0123456789abcdef", key)
    assert consistency.parse_proof(head + "\n\n" + signed) == proof
    consistency.check_extends(Checkpoint(proof.checkpoint.origin, 5, ROOTS[5]), proof.checkpoint, proof)


@pytest.mark.parametrize("text", [
    "", "old 5\n", "old 05\n\nx\n1\nAAAA\n", "new 5\n\n" + Checkpoint("o", 3, ROOTS[3]).to_text(),
    "old 5\nnot base64!\n\n" + Checkpoint("o", 12, ROOTS[12]).to_text(),
    "old 5\n" + base64.b64encode(b"short").decode() + "\n\n" + Checkpoint("o", 12, ROOTS[12]).to_text(),
    "old 5\n" + "".join(base64.b64encode(ROOTS[1]).decode() + "\n" for _ in range(64)) + "\n"
    + Checkpoint("o", 12, ROOTS[12]).to_text(),
    "old 5\n\nnot a checkpoint\n",
])
def test_a_malformed_proof_file_is_refused(text):
    with pytest.raises(consistency.MalformedProof):
        consistency.parse_proof(text)


def test_check_extends_names_both_roots():
    proof = _proof_file(5, 12)
    wrong_old = Checkpoint(proof.checkpoint.origin, 5, ROOTS[6])
    with pytest.raises(VerificationFailed) as caught:
        consistency.check_extends(wrong_old, proof.checkpoint, proof)
    assert ROOTS[6].hex() in caught.value.message and ROOTS[12].hex() in caught.value.message
    with pytest.raises(VerificationFailed, match="starts at size 5"):
        consistency.check_extends(Checkpoint(proof.checkpoint.origin, 4, ROOTS[4]), proof.checkpoint, proof)
    with pytest.raises(VerificationFailed, match="not to the checkpoint"):
        consistency.check_extends(Checkpoint(proof.checkpoint.origin, 5, ROOTS[5]),
                                  Checkpoint(proof.checkpoint.origin, 13, ROOTS[13]), proof)
    with pytest.raises(VerificationFailed, match="no proof links two logs"):
        consistency.check_extends(Checkpoint("other/log", 5, ROOTS[5]), proof.checkpoint, proof)


# --- cosignatures (c2sp.org/tlog-cosignature, type 0x04) ----------------------------------------

SEED = bytes(range(32))


def test_a_cosignature_is_the_c2sp_timestamped_signature_and_verifies():
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public = key.public_key().public_bytes_raw()
    text = Checkpoint("evidence-ledger/d7470879b5d204d9", 3, ROOTS[3]).to_text()
    log = note.sign_note(text, "evidence-ledger/d7470879b5d204d9", key)
    cosigned = note.add_cosignature(log, "witness.example/w1", key, 1700000000)
    line = cosigned.splitlines()[-1]
    name, blob = line.removeprefix("\u2014 ").split(" ")
    raw = base64.b64decode(blob)
    assert name == "witness.example/w1"
    assert raw[:4] == h(b"witness.example/w1\n\x04" + public)[:4]
    assert int.from_bytes(raw[4:12], "big") == 1700000000
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], b"cosignature/v1\ntime 1700000000\n" + text.encode())
    vkey = note.verifier_key("witness.example/w1", public, note.COSIGNATURE_V1)
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    opened = note.open_note(cosigned, [note.parse_verifier_key(vkey)])
    assert opened.verified == ["witness.example/w1"] and opened.cosigned == [("witness.example/w1", 1700000000)]
    # the same key as an Ed25519 (0x01) signer is another key id: its vkey does not verify the cosignature
    as_signer = note.parse_verifier_key(note.verifier_key("witness.example/w1", public))
    with pytest.raises(note.UnverifiedNote):
        note.open_note(cosigned.replace(log.splitlines()[-1] + "\n", ""), [as_signer])
    # a later cosignature by the same witness replaces its earlier one
    again = note.add_cosignature(cosigned, "witness.example/w1", key, 1700000100)
    assert again.count("witness.example/w1") == 1 and again.count("\u2014 ") == 2
    # a changed time is a signature that does not verify
    forged = bytearray(raw)
    forged[11] ^= 1
    bad = cosigned.replace(blob, base64.b64encode(bytes(forged)).decode())
    with pytest.raises(note.BadSignature):
        note.open_note(bad, [note.parse_verifier_key(vkey)])
    assert bundle_verify.signature_verifies(
        lambda pub, msg, sig: _ok(pub, msg, sig), public, 0x04, text, raw[4:])
    assert not bundle_verify.signature_verifies(
        lambda pub, msg, sig: _ok(pub, msg, sig), public, 0x04, text, bytes(forged)[4:])


def _ok(public, message, signature) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except Exception:  # noqa: BLE001
        return False


def test_unknown_signature_types_are_ignored_and_extension_lines_accepted():
    key = Ed25519PrivateKey.generate()
    origin = "evidence-ledger/0123456789abcdef"
    text = Checkpoint(origin, 12, ROOTS[12], ("extension line one", "and two")).to_text()
    signed = note.sign_note(text, origin, key)
    # an ML-DSA-44 sized cosignature (type 0x06) and an ECDSA-like one of unknown witnesses
    for size in (4 + 8 + 2420, 4 + 71):
        signed += "\u2014 witness.example/pq " + base64.b64encode(os.urandom(size)).decode() + "\n"
    vkey = note.parse_verifier_key(note.verifier_key(origin, key.public_key().public_bytes_raw()))
    opened = note.open_note(signed, [vkey])
    assert opened.verified == [origin] and len(opened.unknown) == 2
    assert note.parse_checkpoint(opened.text).extensions == ("extension line one", "and two")
    body, signatures = bundle_verify.split_note(signed, "checkpoint")
    assert bundle_verify.parse_checkpoint(body, "checkpoint") == (origin, 12, ROOTS[12])
    assert len(signatures) == 3


# --- the witness's state -----------------------------------------------------------------------

class _Key:
    def __init__(self, name: str, seed: bytes):
        self.name = name
        self.private_key = Ed25519PrivateKey.from_private_bytes(seed)

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()


ORIGIN = "evidence-ledger/0123456789abcdef"
LOG = _Key(ORIGIN, bytes(32))
WITNESS = _Key("fiscalia.example/testigo", bytes([7]) * 32)
LOG_VKEY = note.verifier_key(ORIGIN, LOG.public_key)


def _signed(size: int, roots=ROOTS) -> str:
    return note.sign_note(Checkpoint(ORIGIN, size, roots[size]).to_text(), ORIGIN, LOG.private_key)


def test_the_witness_keeps_its_last_checkpoint_privately_and_only_goes_forward(tmp_path):
    state = tmp_path / "state"
    first = witness.cosign(_signed(5), WITNESS, state, log_keys=[LOG_VKEY], proof=None, now=1000)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.state_file.stat().st_mode) == 0o600
    assert witness.read_last(state, ORIGIN).size == 5
    opened = note.open_note(first.note, [note.parse_verifier_key(first.witness_key)])
    assert opened.cosigned == [(WITNESS.name, 1000)]
    # the log's key is kept: the next cosigning needs no --log-key, but a proof from 5
    with pytest.raises(InputError, match="needs a consistency proof"):
        witness.cosign(_signed(12), WITNESS, state, log_keys=[], proof=None, now=1001)
    with pytest.raises(InputError, match="starts at size 4"):
        witness.cosign(_signed(12), WITNESS, state, log_keys=[], proof=_proof_file(4, 12), now=1001)
    done = witness.cosign(_signed(12), WITNESS, state, log_keys=[], proof=_proof_file(5, 12), now=1002)
    assert done.previous.size == 5 and witness.read_last(state, ORIGIN).root == ROOTS[12]
    # the same checkpoint again: cosigned afresh
    assert witness.cosign(_signed(12), WITNESS, state, log_keys=[], proof=None, now=1003).time == 1003
    # never back
    with pytest.raises(VerificationFailed, match="never goes back") as caught:
        witness.cosign(_signed(7), WITNESS, state, log_keys=[], proof=None, now=1004)
    assert ROOTS[7].hex() in caught.value.message and ROOTS[12].hex() in caught.value.message
    assert witness.read_last(state, ORIGIN).time == 1003


def test_the_witness_refuses_a_second_root_and_a_fork_and_keeps_the_evidence(tmp_path):
    state = tmp_path / "state"
    witness.cosign(_signed(20), WITNESS, state, log_keys=[LOG_VKEY], proof=None, now=1000)
    before = witness.read_last(state, ORIGIN)
    forked_leaves = LEAVES[:17] + [h(b"other " + bytes([i])) for i in range(MAX - 17)]
    forked = Tree(forked_leaves)
    forked_roots = [forked.root(n) for n in range(MAX + 1)]
    with pytest.raises(VerificationFailed, match="A second root at size 20") as caught:
        witness.cosign(_signed(20, forked_roots), WITNESS, state, log_keys=[], proof=None, now=1001)
    assert ROOTS[20].hex() in caught.value.message and forked_roots[20].hex() in caught.value.message
    # the fork's own proof from its size 20 does not start from the witnessed root
    fork_proof = consistency.ConsistencyProof(20, tuple(forked.consistency_proof(20, 30)),
                                              Checkpoint(ORIGIN, 30, forked_roots[30]))
    with pytest.raises(VerificationFailed, match="does not extend"):
        witness.cosign(_signed(30, forked_roots), WITNESS, state, log_keys=[], proof=fork_proof, now=1002)
    assert witness.read_last(state, ORIGIN) == before
    kept = sorted(p.name for p in state.iterdir() if p.name.startswith("refused-"))
    assert len(kept) == 2 and all(stat.S_IMODE((state / k).stat().st_mode) == 0o600 for k in kept)


def test_the_witness_checks_the_log_signature_and_its_own_folder(tmp_path):
    state = tmp_path / "state"
    with pytest.raises(InputError, match="knows no key of that log"):
        witness.cosign(_signed(5), WITNESS, state, log_keys=[], proof=None)
    other = _Key(ORIGIN, bytes([9]) * 32)
    with pytest.raises(note.UnverifiedNote):
        witness.cosign(_signed(5), WITNESS, state, log_keys=[note.verifier_key(ORIGIN, other.public_key)],
                       proof=None)
    with pytest.raises(InputError, match="named by its origin"):
        witness.cosign(_signed(5), WITNESS, state, log_keys=[note.verifier_key("x.example/log", LOG.public_key)],
                       proof=None)
    assert not any(p.name.endswith(".json") for p in state.iterdir())
    open_folder = tmp_path / "open"
    open_folder.mkdir(mode=0o755)
    open_folder.chmod(0o755)
    with pytest.raises(InputError, match="read or written by others") as caught:
        witness.cosign(_signed(5), WITNESS, open_folder, log_keys=[LOG_VKEY], proof=None)
    assert "chmod 700" in caught.value.hint
    damaged = tmp_path / "damaged"
    witness.cosign(_signed(5), WITNESS, damaged, log_keys=[LOG_VKEY], proof=None)
    witness.state_file(damaged, ORIGIN).write_text("{}")
    with pytest.raises(InputError, match="damaged"):
        witness.cosign(_signed(5), WITNESS, damaged, log_keys=[], proof=None)


# --- docs/FORMAT.md section 6.1 ------------------------------------------------------------------

def _vectors():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    section = text[text.index("### 6.1 A consistency proof and a cosignature"):]
    import re

    proof, pair, cosigned = re.findall(r"```\n(.*?)```", section, re.S)[:3]
    vkey = re.search(r"verifier\s+key is `([^`]+)`", section).group(1)
    return proof, pair, cosigned, vkey


def test_format_vectors_for_a_proof_and_a_cosignature_recompute():
    import ast

    from ledger.identity.keys import private_key_from_seed

    proof_text, pair, cosigned, vkey = _vectors()
    proof = consistency.parse_proof(proof_text)
    # leaf 3 of section 5 is the one hash: the tree of 2 is a perfect subtree, joined by it
    assert proof.old_size == 2 and proof.checkpoint.size == 3
    assert proof.hashes[0].hex() == "e08b3030d7739a79013c118398606f6d36fdb69cc4f9b966f3dad17e61798234"
    root2 = bytes.fromhex("6cc4b43b1edbda2fe5a2bb2631d5f9dc2e947004e78fd9c5c8410d4be7646e9c")
    assert h(b"\x01" + root2 + proof.hashes[0]) == proof.checkpoint.root
    consistency.check_extends(Checkpoint(proof.checkpoint.origin, 2, root2), proof.checkpoint, proof)
    assert proof.to_text() == proof_text

    values = dict(line.split(" ", 1) if not line.startswith("consistency") else
                  (line[:line.index(")") + 1], line[line.index(")") + 2:]) for line in pair.splitlines())
    leaves = [h(b"\x00" + f"leaf {i}".encode()) for i in range(7)]
    assert mth(leaves[:3]).hex() == values["root(3)"] and mth(leaves).hex() == values["root(7)"]
    hashes = [bytes.fromhex(x) for x in ast.literal_eval(values["consistency(3 -> 7)"])]
    assert hashes == subproof(3, leaves, True) == Tree(leaves).consistency_proof(3, 7)
    assert go_check_tree(hashes, 7, mth(leaves), 3, mth(leaves[:3]))

    witness_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    public = witness_key.public_key().public_bytes_raw()
    name, key_id_hex, encoded = vkey.split("+", 2)
    assert base64.b64decode(encoded) == b"\x04" + public and h(name.encode() + b"\n\x04" + public)[:4].hex() == key_id_hex
    text = cosigned.split("\n\n")[0] + "\n"
    line = cosigned.splitlines()[-1]
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4].hex() == key_id_hex and int.from_bytes(raw[4:12], "big") == 1700000000
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], b"cosignature/v1\ntime 1700000000\n" + text.encode())
    log_signed = cosigned[:cosigned.index(line)]
    assert note.add_cosignature(log_signed, name, private_key_from_seed(bytes(range(32, 64))), 1700000000) == cosigned
    assert note.open_note(cosigned, [note.parse_verifier_key(vkey)]).cosigned == [(name, 1700000000)]
