"""docs/FORMAT.md section 6: its test vectors recomputed from the text with the standard
library (leaves, an RFC 6962 tree written here from the RFC, proofs checked by hand) and
`cryptography` for the signature, and reproduced by the ledger's own code."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"


def _section():
    text = FORMAT.read_text(encoding="utf-8")
    section = text[text.index("## 6. Test vectors"):]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    return blocks[0], blocks[1]


def _values():
    block, note = _section()
    events, values = [], {}
    for line in block.splitlines():
        if line.startswith("seq "):
            events.append({"seq": int(line.split()[1])})
        elif line.startswith(" "):
            key, value = line.strip().split(None, 1)
            events[-1][key] = value
        else:
            key, value = line.rsplit(" ", 1) if not line.startswith(("inclusion", "consistency")) else \
                (line[:line.index(")") + 1], line[line.index(")") + 2:])
            values[key] = value
    return events, values, note


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written there."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return _sha(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def test_the_vectors_recompute_from_the_text():
    events, values, note = _values()
    leaves = []
    for ev in events:
        body = ev["body"].encode("utf-8")
        doc = json.loads(body)
        assert json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == body
        assert doc["seq"] == ev["seq"] and doc["v"] == 2 and len(doc) == 9
        leaf = _sha(b"\x00" + bytes.fromhex(ev["salt"]) + body)
        assert leaf.hex() == ev["leaf"]
        leaves.append(leaf)
    assert _mth(leaves[:2]).hex() == values["root(2)"]
    assert _mth(leaves).hex() == values["root(3)"]
    # inclusion of leaf 0 in the tree of 3: its sibling leaf 1, then the right subtree (leaf 2)
    proof = [bytes.fromhex(h) for h in ast.literal_eval(values["inclusion(index 0, size 3)"])]
    assert _sha(b"\x01" + _sha(b"\x01" + leaves[0] + proof[0]) + proof[1]).hex() == values["root(3)"]
    # consistency 2 -> 3: the old tree is a perfect subtree, so the proof is what joins it
    proof = [bytes.fromhex(h) for h in ast.literal_eval(values["consistency(2 -> 3)"])]
    assert _sha(b"\x01" + bytes.fromhex(values["root(2)"]) + proof[0]).hex() == values["root(3)"]

    text, _, signature_line = note.partition("\n\n")
    origin, size, root = text.splitlines()
    assert origin == "evidence-ledger/" + leaves[0].hex()[:16]
    assert int(size) == 3 and base64.b64decode(root).hex() == values["root(3)"]
    name, key_id_hex, key_b64 = values["verifier_key"].split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 1 and _sha(name.encode() + b"\n" + key)[:4].hex() == key_id_hex
    dash, signer, sig_b64 = signature_line.strip("\n").split(" ")
    assert dash == "\u2014" and signer == name
    sig = base64.b64decode(sig_b64)
    assert sig[:4].hex() == key_id_hex
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(sig[4:], (text + "\n").encode())
    seed_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    assert seed_key.public_key().public_bytes_raw() == key[1:]


def test_the_ledger_gives_the_same_values():
    from ledger.events import build_body
    from ledger.identity.keys import private_key_from_seed
    from ledger.log.checkpoints import origin_from_leaf
    from ledger.log.merkle import Tree, leaf_commitment, verify_consistency, verify_inclusion
    from ledger.log.note import Checkpoint, sign_note

    events, values, note = _values()
    leaves = []
    for ev in events:
        doc = json.loads(ev["body"])
        body = build_body(seq=doc["seq"], type=doc["type"], recorded_at=doc["recorded_at"],
                          occurred_at=doc["occurred_at"], actor=doc["actor"], case_no=doc["case"],
                          items=doc["items"], data=doc["data"])
        assert body.decode("utf-8") == ev["body"]
        leaves.append(leaf_commitment(bytes.fromhex(ev["salt"]), body))
    tree = Tree(leaves)
    root = tree.root(3)
    assert root.hex() == values["root(3)"]
    inclusion = tree.inclusion_proof(0, 3)
    assert [h.hex() for h in inclusion] == ast.literal_eval(values["inclusion(index 0, size 3)"])
    verify_inclusion(leaves[0], 0, 3, inclusion, root)
    consistency = tree.consistency_proof(2, 3)
    assert [h.hex() for h in consistency] == ast.literal_eval(values["consistency(2 -> 3)"])
    verify_consistency(2, 3, tree.root(2), root, consistency)
    signed = sign_note(Checkpoint(origin_from_leaf(leaves[0]), 3, root).to_text(), "vectors",
                       private_key_from_seed(bytes(range(32))))
    assert signed == note


@pytest.mark.parametrize("field", ["salt", "body"])
def test_a_changed_vector_no_longer_recomputes(field):
    events, _, _ = _values()
    ev = events[0]
    changed = ev[field].replace("1", "2", 1) if field == "salt" else ev[field].replace("Ana", "Ada")
    salt = bytes.fromhex(changed if field == "salt" else ev["salt"])
    body = (changed if field == "body" else ev["body"]).encode()
    assert _sha(b"\x00" + salt + body).hex() != ev["leaf"]


# -- section 1.6: an officer's signature of an event ------------------------------------------
def _signature_vector() -> dict:
    text = FORMAT.read_text(encoding="utf-8")
    section = text[text.index("### 1.6 Officers' signatures"):text.index("### 1.6.1 Acts")]
    block = re.findall(r"```\n(.*?)```", section, re.S)[-1]
    return dict(line.split(None, 1) for line in block.splitlines())


def test_the_signature_vector_recomputes_from_the_text():
    vector = _signature_vector()
    events, _values_, note = _values()
    leaf = bytes.fromhex(vector["leaf"])
    assert leaf.hex() == events[2]["leaf"] and vector["origin"] == note.splitlines()[0]  # section 5's log
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    # the messages as section 1.6 writes them
    v2 = b"evidence-ledger event signature v2\n" + vector["origin"].encode("ascii") + b"\n" + leaf
    v1 = b"evidence-ledger event signature v1\n" + leaf
    assert key.sign(v2).hex() == vector["v2"] and key.sign(v1).hex() == vector["v1"]
    public = key.public_key()
    public.verify(bytes.fromhex(vector["v2"]), v2)
    with pytest.raises(InvalidSignature):  # a signature naming this origin is not one over the old message
        public.verify(bytes.fromhex(vector["v2"]), v1)
    with pytest.raises(InvalidSignature):  # nor one naming another ledger
        public.verify(bytes.fromhex(vector["v2"]), v2.replace(b"d7470879", b"d7470878"))


def test_the_writer_verify_and_verify_py_give_the_same_signature_messages():
    from ledger import bundle_verify
    from ledger.identity.keys import private_key_from_seed
    from ledger.identity.signing import verify_event_signature
    from ledger.log import signatures

    vector = _signature_vector()
    leaf, origin = bytes.fromhex(vector["leaf"]), vector["origin"]
    key = private_key_from_seed(bytes(range(32)))
    assert key.sign(signatures.event_message(leaf, origin)).hex() == vector["v2"]
    assert key.sign(signatures.event_message(leaf)).hex() == vector["v1"]
    public = key.public_key().public_bytes_raw()
    assert verify_event_signature(public, leaf, bytes.fromhex(vector["v2"]), origin)
    assert verify_event_signature(public, leaf, bytes.fromhex(vector["v1"]))
    assert not verify_event_signature(public, leaf, bytes.fromhex(vector["v1"]), origin)
    assert not verify_event_signature(public, leaf, bytes.fromhex(vector["v2"]))
    # the bundle's standalone checker keeps its own copy of the contexts: byte for byte the same
    assert bundle_verify.EVENT_SIGNATURE_CONTEXT == signatures.CONTEXT_V1
    assert bundle_verify.EVENT_SIGNATURE_CONTEXT_V2 == signatures.CONTEXT_V2
    checker = bundle_verify.Signatures(bundle_verify.Report(), origin)
    assert checker.message(3, leaf) == signatures.event_message(leaf)  # nothing fixed the seq yet
    body = {"type": "identity.initialized", "data": {"signatures_name_origin": True}}
    checker.learn(1, body)
    assert checker.message(3, leaf) == signatures.event_message(leaf, origin)
    later = bundle_verify.Signatures(bundle_verify.Report(), origin)
    later.learn(5, {"type": "identity.signatures_name_origin", "data": {"from": 6}})
    assert later.message(5, leaf) == signatures.event_message(leaf)
    assert later.message(6, leaf) == signatures.event_message(leaf, origin)


def _act_vector() -> dict:
    text = FORMAT.read_text(encoding="utf-8")
    section = text[text.index("### 1.6.1 Acts"):text.index("## 2. What `evidence verify` checks")]
    block = re.findall(r"```\n(.*?)```", section, re.S)[-1]
    return dict(line.split(None, 1) for line in block.splitlines())


def test_the_act_vector_recomputes_from_the_text():
    """FORMAT.md 1.6.1, recomputed with hashlib and the RFC 6962 split written out here."""
    import hashlib

    vector = _act_vector()
    events, _values_, note = _values()
    leaves = [bytes.fromhex(e["leaf"]) for e in events]
    assert vector["origin"] == note.splitlines()[0] and (vector["first"], vector["last"]) == ("1", "3")

    def mth(hashes):
        if len(hashes) == 1:
            return hashes[0]
        k = 1 << ((len(hashes) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:])).digest()

    root = mth(leaves)
    assert root.hex() == vector["root"]
    message = (b"evidence-ledger act signature v3\n" + vector["origin"].encode("ascii") + b"\n"
               + (1).to_bytes(8, "big") + (3).to_bytes(8, "big") + root)
    assert message.hex() == vector["message"]
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    assert key.sign(message).hex() == vector["v3"]
    # event 3's path within the act leads to the act's root
    path = bytes.fromhex(vector["path3"])
    assert hashlib.sha256(b"\x01" + mth(leaves[:2]) + leaves[2]).digest() == root and path == mth(leaves[:2])


def test_the_writer_verify_and_verify_py_give_the_same_act_message():
    from ledger import bundle_verify
    from ledger.identity.keys import verify_signature
    from ledger.log.merkle import Tree
    from ledger.rules.acts import act_message, act_root

    vector = _act_vector()
    events, _values_, _note = _values()
    leaves = [bytes.fromhex(e["leaf"]) for e in events]
    message = act_message(vector["origin"], 1, 3, act_root(leaves))
    assert message.hex() == vector["message"]
    assert [n.hex() for n in Tree(leaves).inclusion_proof(2)] == vector["path3"].split()
    assert bundle_verify.inclusion_root(leaves[2], 2, 3, [bytes.fromhex(vector["path3"])]).hex() == vector["root"]
    public = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw()
    assert verify_signature(public, message, bytes.fromhex(vector["v3"]))
    assert not verify_signature(public, act_message(vector["origin"], 1, 2, act_root(leaves)),
                                bytes.fromhex(vector["v3"]))
