"""A re-implementation of the hash check written only from docs/FORMAT.md, with its own
canonical serialiser (no json.dumps), agrees with the ledger and with an exported bundle."""

from __future__ import annotations

import hashlib
import json

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
        assert set(doc) == {"v", "seq", "type", "recorded_at", "occurred_at", "actor", "case", "items", "data"}
        assert doc["v"] == 1 and doc["seq"] == seq
        assert canon(doc).encode("utf-8") == body.encode("utf-8")
        assert hashlib.sha256(prev.encode("ascii") + canon(doc).encode("utf-8")).hexdigest() == digest
        prev = digest
    return prev


def test_reimplementation_agrees_with_the_ledger_and_the_bundle(seeded, db_url, tmp_path):
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

    out = tmp_path / "bundle"
    seeded.ok("export", "log", "--out", str(out))
    lines = (out / "events.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    prev = GENESIS
    for seq, line in enumerate(lines[:-1], start=1):
        body, tail = line[8:-75], line[-75:]
        assert line[:8] == b'{"body":' and tail[:9] == b',"hash":"' and tail[-2:] == b'"}'
        digest = tail[9:73].decode("ascii")
        assert hashlib.sha256(prev.encode("ascii") + body).hexdigest() == digest
        assert json.loads(body)["seq"] == seq
        assert canon({"body": json.loads(body), "hash": digest}).encode("utf-8") == line
        prev = digest
    assert (out / "HEAD").read_text() == f"{len(lines) - 1}:{prev}\n"
    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == ["HEAD", "README.txt", "events.jsonl", "verify.py"]
    for name, digest in sums.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


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
    assert verify._fields_digest(doc) == hashlib.sha256(canonical_json(doc)).digest()
    for bad in ('{"a":1.5}', '{"a":1e3}', '{"a":NaN}'):
        with pytest.raises(ValueError):
            verify._encode(verify._DECODE(bad))
    for noncanonical in ('{"b":1,"a":2}', '{"a": 1}', '{"a":"\\u00e9"}', '{"a":-0}', '{"a":1,"a":1}'):
        assert verify._encode(verify._DECODE(noncanonical)) != noncanonical
