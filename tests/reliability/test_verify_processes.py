"""verify in one process and in two (the leaf checks in a second process, fed the rows the
first read inside its own transaction) finds exactly the same things, on a clean history and
on tampered ones, tampered inside an uncommitted transaction as an insider would: the second
process opens no connection of its own, so it sees those rows too."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from ledger import verify
from tests.reliability.test_tamper_catalogue import _as_insider, history_url, ledger_db  # noqa: F401 - fixtures

# Small batches so that the history (about 60 events) streams in many, and the second process
# takes over part-way (the automatic choice) or from the first batch (processes=2).
BATCH = 4


def _first_seq(session, type_: str) -> int:
    return session.execute(text("SELECT min(seq) FROM events WHERE type = :t"), {"t": type_}).scalar()


def _body_edit(type_: str, old: str, new: str):
    def act(session):
        seq = _first_seq(session, type_)
        session.execute(text("UPDATE events SET body = replace(body, :old, :new) WHERE seq = :seq"),
                        {"old": old, "new": new, "seq": seq})
    return act


def _sql(statement: str):
    def act(session):
        session.execute(text(statement))
    return act


TAMPERINGS = {
    "clean": lambda session: None,
    "a transfer's receiver changed in the body": _body_edit("custody.transferred", '"to":"', '"to":"X'),
    "a body made non-canonical": _body_edit("case.opened", '","', '", "'),
    "a float in a body": _body_edit("seizure.recorded", '"v":2', '"v":2.0'),
    "an audit's location changed (its seed and sample)": _body_edit("audit.started", '"location":"', '"location":"Z'),
    "a registration's description changed": _body_edit("item.registered", '"kind":"', '"kind":"x'),
    # (the first hex digit replaced by another: hashes and salts are random, so a fixed one
    # would sometimes be no change at all)
    "a salt changed": _sql("UPDATE events SET salt = CASE WHEN salt LIKE '0%' THEN '1' ELSE '0' END "
                           "|| substr(salt, 2) WHERE seq = 5"),
    "a hash changed": _sql("UPDATE events SET hash = CASE WHEN hash LIKE '0%' THEN '1' ELSE '0' END "
                           "|| substr(hash, 2) WHERE seq = 9"),
    "an event deleted": _sql("DELETE FROM events WHERE seq = 12"),
    "the last event deleted": _sql("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)"),
    "an event_items row added": _sql("INSERT INTO event_items (seq, item_no) SELECT 3, min(no) FROM items"),
    "an items row changed": _sql("UPDATE items SET holder = 'B-1002', model = 'Z' WHERE no = 1"),
    "an items row deleted": _sql("DELETE FROM items WHERE no = 2"),
    "the chain head moved back": _sql("UPDATE chain_head SET seq = seq - 1"),
    "a signature copied from another event": _sql("UPDATE event_signatures SET signature = (SELECT signature FROM "
                                                  "event_signatures WHERE seq = 2) WHERE seq = 3"),
    "a signature removed": _sql("DELETE FROM event_signatures WHERE seq = 5"),
    "a signature's key changed": _sql("UPDATE event_signatures SET key_id = '0000000000000000' WHERE seq = 7"),
}


def _run(session, **options) -> tuple:
    report = verify.verify_log(session, batch=BATCH, **options)
    return (report.as_dict(), report.root, report.tree_size, report.checkpoint_text)


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_one_and_two_processes_find_the_same(ledger_db, how, monkeypatch):  # noqa: F811 - the fixture
    monkeypatch.setattr(verify, "PARALLEL_FROM", 3 * BATCH)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.9, 0.9))  # one core free: the automatic choice splits
    with ledger_db.read() as session:
        _as_insider(session)
        with session.begin_nested():
            TAMPERINGS[how](session)
        alone = _run(session, processes=1)
        started = []
        monkeypatch.setattr(verify, "LeafWorker", _Recording(started))
        from_the_start = _run(session, processes=2)
        part_way = _run(session)
    assert len(started) == 2, "the second process was not used"
    assert from_the_start == alone
    assert part_way == alone
    assert alone[0]["ok"] == (how == "clean"), [f["message"] for f in alone[0]["findings"]]


class _Recording:
    """LeafWorker, counting the second processes started."""

    def __init__(self, started: list) -> None:
        self.started = started

    def __call__(self, state):
        from ledger.log.leaves import LeafWorker

        self.started.append(state.events)
        return LeafWorker(state)


def _links_of(session, lo, hi) -> dict[int, object]:
    rows = session.execute(text("SELECT seq, count(*) FROM event_items WHERE seq > :lo AND seq <= :hi GROUP BY seq"),
                           {"lo": -(2**62) if lo is None else lo, "hi": hi}).all()
    return {seq: n for seq, n in rows}


def _officers(session) -> object:
    return {badge for (badge,) in session.execute(text("SELECT badge FROM officers"))}


def _flag_many_items(state, seq, leaf, doc, extras) -> list:
    """An event check as a signature check would be: per event, from its leaf, body, the
    batch's extras and a table read once; here it flags events linking two items or more by an
    actor the officers table knows."""
    from ledger.findings import Finding

    assert len(leaf) == 32
    if (extras["links"] or 0) >= 2 and doc is not None and doc.get("actor") in state.tables["officers"]:
        return [Finding("chain", seq, None, f"flagged: {extras['links']} items, leaf {leaf.hex()[:8]}")]
    return []


def test_event_checks_run_with_the_leaves_in_either_process(ledger_db, monkeypatch):  # noqa: F811 - the fixture
    """The place a signature check plugs in: an event check with batch extras and a table gives
    the same findings in one process and in two."""
    monkeypatch.setattr(verify, "EVENT_CHECKS", (_flag_many_items,))
    monkeypatch.setattr(verify, "BATCH_EXTRAS", {"links": _links_of})
    monkeypatch.setattr(verify, "EVENT_TABLES", {"officers": _officers})
    with ledger_db.read() as session:
        alone = _run(session, processes=1)
        two = _run(session, processes=2)
        many = session.execute(text("SELECT count(*) FROM (SELECT seq FROM event_items GROUP BY seq "
                                    "HAVING count(*) >= 2) AS s")).scalar()
    flagged = [f for f in alone[0]["findings"] if f["message"].startswith("flagged")]
    assert many >= 1 and len(flagged) == many
    assert two == alone


def _broken_leaves(state, batch, keep_docs=False):
    raise MemoryError("no room for the batch")


def test_a_failed_second_process_is_an_environment_error(ledger_db, monkeypatch):  # noqa: F811 - the fixture
    """The second process failing (here its leaf check raises; killed or out of memory alike)
    ends verify with exit 4 and a sentence, never a clean report or a hang."""
    from ledger.errors import EnvironmentProblem
    from ledger.log import leaves

    monkeypatch.setattr(leaves, "check_leaves", _broken_leaves)  # the forked process inherits it
    with ledger_db.read() as session, pytest.raises(EnvironmentProblem) as caught:
        verify.verify_log(session, batch=BATCH, processes=2)
    assert caught.value.exit_code == 4
    assert "second process failed: MemoryError: no room for the batch" in caught.value.message
    assert "EVIDENCE_VERIFY_PROCESSES=1" in caught.value.hint


def test_the_automatic_choice_stays_in_one_process_when_no_core_is_free(ledger_db, monkeypatch):  # noqa: F811
    monkeypatch.setattr(verify, "PARALLEL_FROM", 3 * BATCH)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    started = []
    monkeypatch.setattr(verify, "LeafWorker", _Recording(started))
    with ledger_db.read() as session:
        monkeypatch.setattr(os, "getloadavg", lambda: (3.5, 3.5, 3.5))  # both cores busy with other work
        busy = _run(session)
        assert started == []
        monkeypatch.setenv("EVIDENCE_VERIFY_PROCESSES", "2")  # unless told
        told = _run(session)
        assert len(started) == 1
        monkeypatch.setenv("EVIDENCE_VERIFY_PROCESSES", "1")
        monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        _run(session)
        assert len(started) == 1
    assert busy == told


def _forge_signatures(offset: int):
    """Every third signed event from `offset` gets a forged signature (its first hex digit
    changed), and so does every signature of the first event signed by two officers, which
    also gets a third signature by someone it does not name, and an event_items row (a finding
    of the leaf checks that follows the event's signature findings)."""
    def act(session):
        signed = [seq for (seq,) in session.execute(text("SELECT DISTINCT seq FROM event_signatures ORDER BY seq"))]
        two = session.execute(text("SELECT min(seq) FROM (SELECT seq FROM event_signatures GROUP BY seq "
                                   "HAVING count(*) >= 2) AS s")).scalar()
        forged = sorted(set(signed[offset::3]) | {two})
        for seq in forged:
            session.execute(text("UPDATE event_signatures SET signature = CASE WHEN signature LIKE '0%' THEN '1' "
                                 "ELSE '0' END || substr(signature, 2) WHERE seq = :seq"), {"seq": seq})
        session.execute(text("INSERT INTO event_signatures (seq, signer, key_id, signature) SELECT seq, 'Z-9999', "
                             "key_id, signature FROM event_signatures WHERE seq = :seq AND signer = "
                             "(SELECT min(signer) FROM event_signatures WHERE seq = :seq)"), {"seq": two})
        session.execute(text("INSERT INTO event_items (seq, item_no) SELECT :seq, max(no) FROM items WHERE no NOT IN "
                             "(SELECT item_no FROM event_items WHERE seq = :seq)"), {"seq": two})
        return forged, two
    return act


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_signature_findings_are_the_same_whichever_process_checks_them(ledger_db, offset, monkeypatch):  # noqa: F811
    """The Ed25519 checks are shared between the two processes (the second hands a share back
    to the first): forged signatures at different seqs give the same findings, in the same
    order, whether one process checks every signature, or the second hands back none, half or
    all of them."""
    from ledger.log import leaves

    handed: list[int] = []

    def counting(result):
        handed[-1] += len(result.later)
        leaves.run_handed(result)

    monkeypatch.setattr(verify, "run_handed", counting)
    with ledger_db.read() as session:
        _as_insider(session)
        with session.begin_nested():
            forged, two = _forge_signatures(offset)(session)
        handed.append(0)
        alone = _run(session, processes=1)
        runs = {}
        for share in (0.0, 0.5, 1.0):
            monkeypatch.setattr(leaves, "HAND_OVER", share)
            handed.append(0)
            runs[share] = _run(session, processes=2)
    findings = [(f["seq"], f["message"]) for f in alone[0]["findings"] if f["check"] == "signature"]
    assert sorted({seq for seq, _ in findings}) == forged
    at_two = [message for seq, message in findings if seq == two]
    assert len(at_two) == 3 and at_two[-1].startswith("carries a signature by Z-9999"), at_two
    assert [f["check"] for f in alone[0]["findings"] if f["seq"] == two] == ["signature"] * 3 + ["links"]
    assert handed[0] == 0 and handed[1] == 0 and 0 < handed[2] < handed[3]
    for share, got in runs.items():
        assert got == alone, f"hand-over share {share}"
