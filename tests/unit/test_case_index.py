"""docs/FORMAT.md 6.2: the case index's vector, recomputed from the text with the standard
library (an RFC 6962 tree written here), and given by the rulebook and the bundle's verify.py."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

FORMAT = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"
CONTEXT = b"evidence-ledger case index key v1\n"


def _vector() -> dict[str, str]:
    text = FORMAT.read_text(encoding="utf-8")
    block = re.findall(r"```\n(.*?)```", text[text.index("### 6.2 A case index"):], re.S)[0]
    out = {}
    for line in block.splitlines():
        if line.startswith(("key", "leaf", "entry")):
            words = line.split(" ", 2)
            out[f"{words[0]} {words[1]}"] = words[2]
        else:
            name, value = line.split(" ", 1)
            out[name] = value
    return out


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(leaves: list[bytes], m: int) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return _path(leaves[:k], m) + [_mth(leaves[k:])]
    return _path(leaves[k:], m - k) + [_mth(leaves[:k])]


CASES = {"AQP-2020-0147": ("03" * 32, 1, 3), "AQP-2020-0200": ("05" * 32, 2, 6)}
LEDGER = (3, 4)


def test_the_vector_recomputes_from_the_text():
    v = _vector()
    leaves = {}
    for case, (salt, count, last) in CASES.items():
        key = hashlib.sha256(CONTEXT + bytes.fromhex(salt)).digest()
        assert v[f"key {case}"] == key.hex()
        entry = json.dumps({"case": case, "events": count, "last": last}, separators=(",", ":"), sort_keys=True)
        assert v[f"entry {case}"] == entry
        leaves[case] = hashlib.sha256(b"\x00" + key + entry.encode()).digest()
    entry = json.dumps({"case": None, "events": LEDGER[0], "last": LEDGER[1]}, separators=(",", ":"), sort_keys=True)
    assert v["entry ledger"] == entry
    leaves[None] = hashlib.sha256(b"\x00" + bytes(32) + entry.encode()).digest()
    for name, leaf in leaves.items():
        assert v[f"leaf {name or 'ledger'}"] == leaf.hex()
    ordered = sorted(leaves.values())
    assert json.loads(v["data"]) == {"entries": 3, "root": _mth(ordered).hex()}
    index = json.loads(v["case-index"])
    for name, case in (("case", "AQP-2020-0147"), ("ledger", None)):
        at = ordered.index(leaves[case])
        assert index[name]["index"] == at
        assert index[name]["path"] == [p.hex() for p in _path(ordered, at)]


def test_the_rulebook_and_the_log_kernel_give_the_vector():
    from ledger.log.merkle import Tree
    from ledger.rules.disclosure import case_key, index_leaves, tree_root

    v = _vector()
    keys = {case: case_key(salt) for case, (salt, _, _) in CASES.items()}
    leaves = index_leaves({c: (n, last) for c, (_, n, last) in CASES.items()}, LEDGER, keys)
    assert json.loads(v["data"]) == {"entries": len(leaves), "root": tree_root(leaves).hex()}
    assert Tree(leaves).root() == tree_root(leaves)
    index = json.loads(v["case-index"])
    assert [p.hex() for p in Tree(leaves).inclusion_proof(index["case"]["index"])] == index["case"]["path"]


def test_the_bundle_checker_accepts_the_entries_and_refuses_a_recount():
    from ledger import bundle_verify as bv

    v = _vector()
    index = json.loads(v["case-index"])
    root = bytes.fromhex(json.loads(v["data"])["root"])
    key = hashlib.sha256(bv.INDEX_KEY_CONTEXT + bytes.fromhex("03" * 32)).digest()
    for name, k, case in (("case", key, "AQP-2020-0147"), ("ledger", bv.LEDGER_KEY, None)):
        entry = index[name]
        leaf = bv.index_entry_leaf(k, case, entry["events"], entry["last"])
        assert bv.inclusion_root(leaf, entry["index"], 3, [bytes.fromhex(p) for p in entry["path"]]) == root
        fewer = bv.index_entry_leaf(k, case, entry["events"] - 1, entry["last"])
        assert bv.inclusion_root(fewer, entry["index"], 3, [bytes.fromhex(p) for p in entry["path"]]) != root
