"""`verify` on a clean ledger and after each kind of raw tampering done with the triggers
dropped; and the triggers themselves refusing UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ledger.events import chain_hash
from tests.cli.test_custody import scenario


def sql(db_url, *statements, params=None):
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            out = [conn.execute(text(s), params or {}) for s in statements]
            return [r.all() if r.returns_rows else None for r in out]
    finally:
        engine.dispose()


def drop_triggers(db_url):
    if db_url.startswith("sqlite"):
        sql(db_url, "DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete",
            "DROP TRIGGER event_signatures_no_update", "DROP TRIGGER event_signatures_no_delete")
    else:
        sql(db_url, "DROP TRIGGER events_no_update_delete ON events",
            "DROP TRIGGER event_signatures_no_update_delete ON event_signatures")


def event(db_url, seq):
    return sql(db_url, "SELECT * FROM events WHERE seq = :s", params={"s": seq})[0][0]


def transfer_seqs(db_url):
    return [r[0] for r in sql(db_url, "SELECT seq FROM events WHERE type = 'custody.transferred' ORDER BY seq")[0]]


def rewrite_history(db_url):
    """What a forger who knows the format does: edit the first transfer's body, recompute every
    later chain hash, the head and the tree, so that the log alone looks intact."""
    target = transfer_seqs(db_url)[0]
    drop_triggers(db_url)
    rows = sql(db_url, "SELECT seq, body, prev_hash FROM events WHERE seq >= :s ORDER BY seq",
               params={"s": target})[0]
    prev = rows[0].prev_hash
    for r in rows:
        body = r.body.replace("Into the evidence room", "Into the vault") if r.seq == target else r.body
        digest = chain_hash(prev, body.encode())
        sql(db_url, "UPDATE events SET body = :b, prev_hash = :p, hash = :h WHERE seq = :s",
            params={"b": body, "p": prev, "h": digest, "s": r.seq})
        prev = digest
    sql(db_url, "UPDATE chain_head SET hash = :h", params={"h": prev})
    recompute_tree(db_url)


def recompute_tree(db_url):
    """What a forger who knows the format does after rewriting bodies: rebuild the tree."""
    from ledger.log.merkle import RightEdge, leaf_commitment

    edge = RightEdge()
    for salt, body in sql(db_url, "SELECT salt, body FROM events ORDER BY seq")[0]:
        edge.append(leaf_commitment(bytes.fromhex(salt), body.encode()))
    sql(db_url, "UPDATE chain_head SET root = :r, edge = :e", params={"r": edge.root().hex(), "e": edge.to_text()})


def findings(cli):
    result = cli("verify", json_out=True)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert not report["ok"] and report["findings"]
    return report


@pytest.fixture
def ledger_with_history(seeded, db_url):
    scenario(seeded)
    return seeded


def test_clean_ledger_verifies(ledger_with_history, db_url):
    result = ledger_with_history("verify")
    assert result.exit_code == 0, result.stdout + result.stderr
    head = sql(db_url, "SELECT seq, hash FROM chain_head")[0][0]
    assert f"head: {head.seq}:{head.hash}" in result.stdout
    assert f"{head.seq} events checked" in result.stdout
    report = ledger_with_history.ok("verify", "--case", "AQP-2020-0147", json_out=True)
    assert report["ok"] and report["items_checked"] == 3 and report["head"] == f"{head.seq}:{head.hash}"
    ok = ledger_with_history("verify", "--expect-head", f"{head.seq - 3}:{event(db_url, head.seq - 3).hash}")
    assert ok.exit_code == 0
    bad = ledger_with_history("verify", "--expect-head", "3:" + "ab" * 32)
    assert bad.exit_code == 3 and "rewritten" in bad.stdout
    assert ledger_with_history("verify", "--expect-head", "nonsense").exit_code == 1


def test_edited_body(ledger_with_history, db_url):
    seq = transfer_seqs(db_url)[1]
    ev = event(db_url, seq)
    drop_triggers(db_url)
    sql(db_url, "UPDATE events SET body = :b WHERE seq = :s",
        params={"b": ev.body.replace('"to":"B-1002"', '"to":"F-2001"'), "s": seq})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == seq
    assert any(f["seq"] == seq and "hash does not match" in f["message"] for f in report["findings"])
    plain = ledger_with_history("verify")
    assert plain.exit_code == 3 and f"the first bad event is seq {seq}" in plain.stderr
    assert f"seq {seq}" in plain.stdout


def test_deleted_event(ledger_with_history, db_url):
    seq = transfer_seqs(db_url)[1]
    drop_triggers(db_url)
    sql(db_url, "DELETE FROM event_items WHERE seq = :s", "DELETE FROM event_signatures WHERE seq = :s",
        "DELETE FROM events WHERE seq = :s", params={"s": seq})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == seq
    assert any("missing" in f["message"] for f in report["findings"] if f["seq"] == seq)


def test_swapped_bodies(ledger_with_history, db_url):
    a, b = transfer_seqs(db_url)[1:3]
    ea, eb = event(db_url, a), event(db_url, b)
    drop_triggers(db_url)
    sql(db_url, "UPDATE events SET body = :b WHERE seq = :s", params={"b": eb.body, "s": a})
    sql(db_url, "UPDATE events SET body = :b WHERE seq = :s", params={"b": ea.body, "s": b})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == a
    assert {f["seq"] for f in report["findings"]} >= {a, b}


def test_forged_event_with_correct_hash(ledger_with_history, db_url):
    """A forger who knows the format appends a transfer with a valid hash and moves the head,
    but cannot make it a lawful handover: the cash was never held by the sender."""
    from ledger.events import build_body

    head = sql(db_url, "SELECT seq, hash FROM chain_head")[0][0]
    seq = head.seq + 1
    body = build_body(seq=seq, type="custody.transferred", recorded_at="2021-04-01T00:00:00Z",
                      occurred_at="2021-04-01T00:00:00Z", actor="B-1001", case_no="AQP-2020-0147",
                      items=["EV-000003"], data={"from": "B-1001", "to": "B-1002", "reason": "x", "location": None,
                                                 "seal": None, "request_id": None})
    digest = chain_hash(head.hash, body)
    sql(db_url, "INSERT INTO events (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, hash, "
        "salt) VALUES (:seq, '2021-04-01T00:00:00Z', '2021-04-01T00:00:00Z', 'B-1001', 'custody.transferred', "
        "'AQP-2020-0147', :body, :prev, :hash, :salt)", params={"seq": seq, "body": body.decode(), "prev": head.hash,
                                                              "hash": digest, "salt": "5a" * 32})
    sql(db_url, "UPDATE chain_head SET seq = :s, hash = :h", params={"s": seq, "h": digest})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == seq
    messages = " ".join(f["message"] for f in report["findings"] if f["seq"] == seq)
    assert "C-3001 held it" in messages and "event_items" in messages


def test_forged_event_without_moving_head(ledger_with_history, db_url):
    head = sql(db_url, "SELECT seq, hash FROM chain_head")[0][0]
    sql(db_url, "INSERT INTO events (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, hash, "
        "salt) VALUES (:seq, '2021-04-01T00:00:00Z', '2021-04-01T00:00:00Z', NULL, 'officer.added', NULL, "
        "'{}', :prev, :hash, :salt)", params={"seq": head.seq + 1, "prev": head.hash, "hash": "f" * 64,
                                              "salt": "00" * 32})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == head.seq + 1


def test_edited_projection(ledger_with_history, db_url):
    """Editing only the tables leaves the log intact: the findings say which table differs
    from the log, and the summary names no "first bad event"."""
    sql(db_url, "UPDATE items SET holder = 'B-1002' WHERE id = 'EV-000003'")
    sql(db_url, "UPDATE items SET amount_minor = 100 WHERE id = 'EV-000003'")
    report = findings(ledger_with_history)
    assert {f["check"] for f in report["findings"]} == {"projection"}
    assert report["first_bad_seq"] is None and report["log_findings"] == 0 and report["table_findings"] == 2
    bad = [f for f in report["findings"] if f["item"] == "EV-000003"]
    last_seq = transfer_seqs(db_url)[0]
    assert any(f"the items table differs from the log for EV-000003: holder B-1002 in the table, C-3001 by the "
               f"log (last event seq {last_seq})" in f["message"] for f in bad)
    assert any("registration event" in f["message"] for f in bad)
    assert all(f["seq"] is None for f in bad)
    plain = ledger_with_history("verify")
    assert plain.exit_code == 3
    assert "first bad event" not in plain.stderr
    assert "2 problems in the tables" in plain.stderr and "the log itself is intact" in plain.stderr
    other_case = ledger_with_history("verify", "--case", "AQP-2020-0147")
    assert other_case.exit_code == 3


def test_deleted_event_is_named_before_what_the_replay_then_finds(ledger_with_history, db_url):
    """Deleting a transfer also leaves the items table ahead of the replay (its holder came
    from the deleted event); the summary names the gap, not the item's last remaining event."""
    seq = transfer_seqs(db_url)[0]
    drop_triggers(db_url)
    sql(db_url, "DELETE FROM event_items WHERE seq = :s", "DELETE FROM event_signatures WHERE seq = :s",
        "DELETE FROM events WHERE seq = :s", params={"s": seq})
    report = findings(ledger_with_history)
    assert report["first_bad_seq"] == seq
    checks = [f["check"] for f in report["findings"]]
    assert checks[0] == "chain" and "projection" in checks
    assert checks.index("projection") > max(i for i, c in enumerate(checks) if c != "projection")
    plain = ledger_with_history("verify")
    assert f"the first bad event is seq {seq}" in plain.stderr
    assert plain.stdout.splitlines()[0].startswith(f"[chain] seq {seq}: seq {seq} missing")
    assert "in the tables that show the current state" in plain.stderr


def test_json_mode_points_to_the_json_document(ledger_with_history, db_url):
    sql(db_url, "UPDATE items SET holder = 'B-1002' WHERE id = 'EV-000003'")
    result = ledger_with_history("verify", json_out=True)
    assert result.exit_code == 3
    assert "in the JSON document on stdout" in result.stderr and "listed above" not in result.stderr
    assert json.loads(result.stdout)["findings"]
    plain = ledger_with_history("verify")
    assert "listed above" in plain.stderr


def test_malformed_bodies_and_columns_are_findings_not_crashes(ledger_with_history, db_url):
    """Bodies the parser rejects (floats, NaN, whitespace, deep nesting, unsorted keys), a
    non-ASCII prev_hash and column/body mismatches are each reported on their event."""
    drop_triggers(db_url)
    seqs = transfer_seqs(db_url)
    ev = event(db_url, seqs[0])
    doc = json.loads(ev.body)
    bad_bodies = [
        ev.body.replace('"reason":', '"amount":1.5,"reason":'),
        ev.body.replace('"reason":', '"amount":NaN,"reason":'),
        ev.body.replace(',"seq":', ', "seq":'),
        "[" * 100_000 + "]" * 100_000,
        "{" + ",".join(f"{json.dumps(k)}:{json.dumps(doc[k], sort_keys=True, separators=(',', ':'))}"
                       for k in sorted(doc, reverse=True)) + "}",  # keys not sorted
        '{"v":1}',
    ]
    targets = list(range(1, len(bad_bodies) + 1))
    for s, body in zip(targets, bad_bodies, strict=True):
        sql(db_url, "UPDATE events SET body = :b WHERE seq = :s", params={"b": body, "s": s})
    actor = json.loads(event(db_url, seqs[1]).body)["actor"]
    sql(db_url, "UPDATE events SET actor = 'X-9' WHERE seq = :s", params={"s": seqs[1]})
    sql(db_url, "UPDATE events SET prev_hash = :p WHERE seq = :s", params={"p": "é" * 64, "s": seqs[2]})
    report = findings(ledger_with_history)
    by_seq: dict = {}
    for f in report["findings"]:
        by_seq.setdefault(f["seq"], []).append(f["message"])
    for s in targets[:5]:
        assert "body is not canonical JSON of an event." in by_seq[s], (s, by_seq.get(s))
    assert any("format version" in m for m in by_seq[targets[5]]) or any("column" in m for m in by_seq[targets[5]])
    assert f"column actor is 'X-9' but the body says {actor!r}." in by_seq[seqs[1]]
    assert any("does not link" in m for m in by_seq[seqs[2]])
    assert report["first_bad_seq"] == 1


def test_rewritten_history_caught_by_expected_head(ledger_with_history, db_url):
    """Editing an event and recomputing every later hash passes the chain check, but not the
    officer's signature over the original event, nor the head an earlier audit kept."""
    kept = ledger_with_history.ok("verify", json_out=True)["head"]
    rewrite_history(db_url)
    alone = ledger_with_history("verify")
    assert alone.exit_code == 3 and "does not verify over this event" in alone.stdout, alone.stdout
    result = ledger_with_history("verify", "--expect-head", kept)
    assert result.exit_code == 3 and "rewritten" in result.stdout


def test_triggers_refuse_changes(ledger_with_history, db_url, backend):
    for statement in ("UPDATE events SET actor = 'X' WHERE seq = 1", "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)"):
        with pytest.raises(DBAPIError) as exc:
            sql(db_url, statement)
        assert "append-only" in str(exc.value)
    if backend == "postgresql":
        with pytest.raises(DBAPIError) as exc:
            sql(db_url, "TRUNCATE events CASCADE")
        assert "append-only" in str(exc.value)
    assert ledger_with_history("verify").exit_code == 0
