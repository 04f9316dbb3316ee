"""The hash chain's building blocks: canonical bytes, the chain hash, and appending."""

from __future__ import annotations

import hashlib
import json
from secrets import token_hex

import pytest
from sqlalchemy import select, text

from ledger.events import GENESIS_HASH, append_event, canonical_json, chain_hash, head_of
from ledger.models import Event
from tests.helpers import ADMIN, start_ledger


def test_canonical_json_is_sorted_compact_utf8():
    body = canonical_json({"b": 1, "a": {"n": "José", "z": None, "list": ["x", 2]}})
    assert body == '{"a":{"list":["x",2],"n":"José","z":null},"b":1}'.encode()


@pytest.mark.parametrize("bad", [{"ñ": 1}, {1: "x"}, 2**53, -(2**53), {"x": [2**60]}, b"x", {"x": {1, 2}}])
def test_canonical_json_refuses_what_jcs_would_write_differently(bad):
    with pytest.raises(TypeError):
        canonical_json(bad)


@pytest.mark.parametrize("bad", [1.5, {"x": 0.1}, [1, float("nan")]])
def test_canonical_json_refuses_floats(bad):
    with pytest.raises(TypeError):
        canonical_json(bad)


def test_chain_hash_is_sha256_of_prev_hex_and_body():
    body = b'{"seq":1}'
    assert chain_hash(GENESIS_HASH, body) == hashlib.sha256(b"0" * 64 + body).hexdigest()


def test_append_event_builds_a_gapless_chain(ledger, tmp_path):
    start_ledger(ledger, tmp_path)  # seq 1: the admin, who signs the events below

    def write(session):
        for i in range(3):
            append_event(session, "location.added", {"code": f"L-{token_hex(4).upper()}", "name": f"Sala {i}",
                                                     "kind": "other"}, actor=ADMIN)

    ledger.write(write)
    ledger.write(write)
    with ledger.read() as session:
        events = [(e.seq, e.type, e.occurred_at, e.body, e.prev_hash, e.hash)
                  for e in session.scalars(select(Event).order_by(Event.seq))]
        head = head_of(session)
    assert [e[0] for e in events] == [1, 2, 3, 4, 5, 6, 7]
    prev = GENESIS_HASH
    for seq, type_, occurred_at, raw, prev_hash, digest in events:
        body = json.loads(raw)
        assert prev_hash == prev
        assert digest == chain_hash(prev, raw.encode("utf-8"))
        assert body["seq"] == seq and body["type"] == type_ and body["occurred_at"] == occurred_at
        assert canonical_json(body) == raw.encode("utf-8")
        prev = digest
    assert head == (7, prev)


def test_a_refused_write_leaves_no_event(ledger):
    from ledger.errors import RuleError

    def write(session):
        append_event(session, "test.event", {}, actor=None)
        raise RuleError("refused")

    with pytest.raises(RuleError):
        ledger.write(write)
    with ledger.read() as session:
        assert session.scalar(select(Event.seq)) is None
        assert head_of(session) == (0, GENESIS_HASH)


def test_sqlite_connections_use_wal_full_sync_and_foreign_keys(backend, ledger):
    if backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with ledger.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_an_unsigned_event_is_refused_and_leaves_nothing(ledger):
    from ledger.errors import RuleError

    def write(session):
        append_event(session, "test.event", {}, actor=None)

    with pytest.raises(RuleError, match="no admin yet"):
        ledger.write(write)
    with ledger.read() as session:
        assert head_of(session) == (0, GENESIS_HASH)


def test_sqlite_writes_begin_immediate(backend, ledger, tmp_path):
    """A write transaction holds the write lock from its first statement, so a second
    writer waits instead of reading a stale head and forking the chain."""
    if backend != "sqlite":
        pytest.skip("SQLite locking")
    import sqlite3

    start_ledger(ledger, tmp_path)
    path = ledger.engine.url.database
    seen = {}

    def write(session):
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            seen["error"] = str(exc)
        finally:
            other.close()
        append_event(session, "location.added", {"code": "L-1", "name": "Sala", "kind": "other"}, actor=ADMIN)

    ledger.write(write)
    assert "locked" in seen.get("error", "")
