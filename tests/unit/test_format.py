"""A re-implementation of the format 2 checks written only from docs/FORMAT.md, with its own
canonical serialiser (no json.dumps) and its own tree and proofs (no ledger module), agrees
with the ledger and with the bundle's verify.py on clean and tampered bundles."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.cli.test_custody import scenario

GENESIS = "0" * 64
SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canon(value) -> str:
    """FORMAT.md 1.1, rule by rule."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in SHORT:
                out.append(SHORT[ch])
            elif ord(ch) < 0x20:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, list):
        return "[" + ",".join(canon(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(canon(k) + ":" + canon(value[k]) for k in sorted(value)) + "}"
    raise TypeError(f"not allowed in a body: {value!r}")


def check_rows(rows) -> str:
    prev = GENESIS
    for expected_seq, (seq, body, prev_hash, digest) in enumerate(rows, start=1):
        assert seq == expected_seq and prev_hash == prev
        doc = json.loads(body)
        assert set(doc) == BODY_KEYS
        assert doc["v"] in (1, 2) and doc["seq"] == seq
        assert canon(doc).encode("utf-8") == body.encode("utf-8")
        assert hashlib.sha256(prev.encode("ascii") + canon(doc).encode("utf-8")).hexdigest() == digest
        prev = digest
    return prev


BODY_KEYS = {"v", "seq", "type", "recorded_at", "occurred_at", "actor", "case", "items", "data"}


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves: list[bytes]) -> bytes:
    """FORMAT.md 1.3 / RFC 6962 2.1, straight from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def root_from_proof(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes | None:
    """RFC 6962 2.1.1 read backwards: the path splits at the largest power of two below the size."""
    if size == 1:
        return leaf if not proof else None
    if not proof:
        return None
    k = 1
    while k * 2 < size:
        k *= 2
    *inner, sibling = proof
    if index < k:
        below = root_from_proof(leaf, index, k, inner)
        return None if below is None else node(below, sibling)
    below = root_from_proof(leaf, index - k, size - k, inner)
    return None if below is None else node(sibling, below)


def bundle_is_good(folder: Path) -> bool:
    """FORMAT.md section 4.1, written from the text alone (no ledger module, no verify.py)."""
    try:
        manifest_bytes = (folder / "manifest.json").read_bytes()
        manifest = json.loads(manifest_bytes)
        assert manifest_bytes == canon(manifest).encode() + b"\n"
        kind = manifest["kind"]
        names = {"manifest.json", "checkpoint", "events.jsonl", "SHA256SUMS", "README.txt", "verify.py"}
        names |= {"HEAD"} if kind == "full" else {"case-index"} if kind == "case" else set()
        assert {p.name for p in folder.iterdir()} == names
        assert all((folder / n).is_file() and not (folder / n).is_symlink() for n in names)
        sums = (folder / "SHA256SUMS").read_text()
        assert sums == "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
                               for n in sorted(names - {"SHA256SUMS"}))
        origin, size, root64 = (folder / "checkpoint").read_text().split("\n\n")[0].split("\n")[:3]
        root = base64.b64decode(root64)
        assert (origin, int(size), root.hex()) == (manifest["origin"], manifest["tree_size"], manifest["root"])
        raw_lines = (folder / "events.jsonl").read_bytes().split(b"\n")
        assert raw_lines[-1] == b"" and len(raw_lines) - 1 == manifest["events"]
        leaves, prev, last = [], GENESIS, 0
        held = {"case": [0, 0], "ledger": [0, 0]}  # section 4.2: count and last seq below the index
        key, index = bytes(32), None
        for raw in raw_lines[:-1]:
            line = json.loads(raw)
            assert canon(line).encode() == raw
            body = line["body"].encode()
            doc = json.loads(body)
            assert canon(doc).encode() == body and set(doc) == BODY_KEYS and doc["seq"] == line["seq"] > last
            assert doc["v"] in (1, 2) and len(doc["recorded_at"]) == 20 and doc["recorded_at"].endswith("Z")
            leaf = hashlib.sha256(b"\x00" + bytes.fromhex(line["salt"]) + body).digest()
            if kind == "full":
                assert set(line) == {"seq", "salt", "body", "hash", "signatures"} and line["seq"] == last + 1
                assert hashlib.sha256(prev.encode() + body).hexdigest() == line["hash"]
                prev = line["hash"]
                leaves.append(leaf)
            else:
                assert set(line) == {"seq", "salt", "body", "proof", "signatures"}
                assert doc["case"] in (None, manifest["case"])
                proof = [bytes.fromhex(p) for p in line["proof"]]
                assert root_from_proof(leaf, line["seq"] - 1, manifest["tree_size"], proof) == root
                if line["seq"] == manifest["tree_size"]:
                    index = doc["data"] if doc["type"] == "log.case_index" and doc["case"] is None else None
                else:
                    counted = held["case" if doc["case"] else "ledger"]
                    counted[:] = [counted[0] + 1, line["seq"]]
                    if doc["type"] == "case.opened" and doc["data"]["case_no"] == manifest["case"]:
                        key = hashlib.sha256(b"evidence-ledger case index key v1\n" + bytes.fromhex(line["salt"])
                                             ).digest()
            last = line["seq"]
        if kind == "full":
            assert last == manifest["tree_size"] and mth(leaves) == root
            assert (folder / "HEAD").read_bytes() == f"{last}:{prev}\n".encode()
        if kind == "case":
            assert index is not None and last == manifest["tree_size"]
            entries = json.loads((folder / "case-index").read_bytes())
            assert (folder / "case-index").read_bytes() == canon(entries).encode() + b"\n"
            for name, entry_key, case in (("case", key, manifest["case"]), ("ledger", bytes(32), None)):
                e = entries[name]
                entry = canon({"case": case, "events": e["events"], "last": e["last"]}).encode()
                leaf = hashlib.sha256(b"\x00" + entry_key + entry).digest()
                path = [bytes.fromhex(p) for p in e["path"]]
                assert root_from_proof(leaf, e["index"], index["entries"], path) == bytes.fromhex(index["root"])
                assert [e["events"], e["last"]] == held[name]
        return True
    except (AssertionError, ValueError, KeyError, TypeError, OSError):
        return False


def test_reimplementation_agrees_with_the_ledger(seeded, db_url):
    scenario(seeded)
    seeded.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "F-2001",
              "--reason", 'Para "juicio" oral \\ sala 2, Señora Núñez 🧾', "--by", "C-3001")
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq")).all()
            head = conn.execute(text("SELECT seq, hash FROM chain_head")).one()
    finally:
        engine.dispose()
    assert check_rows(rows) == head.hash and len(rows) == head.seq
    assert "Núñez 🧾" in rows[-1].body and '\\"juicio\\"' in rows[-1].body


def _verify_py(folder: Path) -> int:
    return subprocess.run([sys.executable, "-I", str(folder / "verify.py"), str(folder)], capture_output=True,
                          timeout=60).returncode


def _tamper(folder: Path, how: str) -> None:
    events = folder / "events.jsonl"
    lines = events.read_bytes().split(b"\n")[:-1]
    if how == "amount":
        events.write_bytes(events.read_bytes().replace(b'\\"amount\\":\\"4000.00\\"', b'\\"amount\\":\\"9000.00\\"'))
    elif how == "swap":
        lines[3], lines[4] = lines[4], lines[3]
        events.write_bytes(b"".join(line + b"\n" for line in lines))
    elif how == "salt":
        line = json.loads(lines[2])
        line["salt"] = "0" * 64
        lines[2] = canon(line).encode()
        events.write_bytes(b"".join(line + b"\n" for line in lines))
    elif how == "extra":
        (folder / "extra.txt").write_text("x")
    elif how == "remove":  # a line left out, the manifest's count redone (FORMAT.md 4.2)
        events.write_bytes(b"".join(line + b"\n" for i, line in enumerate(lines) if i != 5))
        manifest = json.loads((folder / "manifest.json").read_bytes())
        manifest["events"] -= 1
        (folder / "manifest.json").write_text(canon(manifest) + "\n")
    if how != "none":
        names = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
        (folder / "SHA256SUMS").write_text("".join(
            f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names))


def test_reimplementation_agrees_with_verify_py_on_clean_and_tampered_bundles(seeded, tmp_path):
    scenario(seeded)
    seeded.ok("export", "log", "--out", str(tmp_path / "full"))
    seeded.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(tmp_path / "case"))
    for kind in ("full", "case"):
        for how in ("none", "amount", "swap", "salt", "extra", "remove"):
            folder = tmp_path / f"{kind}-{how}"
            shutil.copytree(tmp_path / kind, folder)
            _tamper(folder, how)
            mine, theirs = bundle_is_good(folder), _verify_py(folder)
            assert mine == (how == "none") and theirs == (0 if how == "none" else 3), (kind, how, mine, theirs)


def test_verify_canonical_check_agrees_with_the_writer():
    """verify proves a body canonical with the C scanner and encoder; it must accept exactly
    what events.canonical_json writes and refuse floats, NaN, whitespace and unsorted keys."""
    import pytest

    from ledger import verify
    from ledger.events import canonical_json

    doc = {"v": 1, "seq": 7, "data": {"reason": 'Para "juicio" \\ sala\n2, Señora Núñez 🧾\x01', "n": -12,
                                      "ok": True, "none": None, "list": [3, {"b": 1, "a": [""]}]}, "items": []}
    body = canonical_json(doc).decode("utf-8")
    assert body == canon(doc)
    assert verify._encode(verify._DECODE(body)) == body
    for bad in ('{"a":1.5}', '{"a":1e3}', '{"a":NaN}'):
        with pytest.raises(ValueError):
            verify._encode(verify._DECODE(bad))
    for noncanonical in ('{"b":1,"a":2}', '{"a": 1}', '{"a":"\\u00e9"}', '{"a":-0}', '{"a":1,"a":1}'):
        assert verify._encode(verify._DECODE(noncanonical)) != noncanonical
