"""One signature per act (docs/FORMAT.md 1.6.1): an import is signed once, over a commitment to
exactly its events, so an event moved between acts, an act cut short and a signature moved to
another act are each found by `verify`. Tampered as an insider would, inside a transaction
rolled back afterwards; both backends."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from ledger import verify
from tests.conftest import PG_SKIP, PG_URL, create_pg_database, drop_pg_database, pg_url_for
from tests.helpers import CliHarness, seed_basic
from tests.reliability.test_tamper_catalogue import _as_insider

ROWS = 5


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def acts_url(request, tmp_path_factory):
    """A ledger with two imports of ROWS items each, one right after the other (two acts of
    ROWS events), then a transfer (an act of one event)."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIP)
        name = create_pg_database(template=request.getfixturevalue("pg_template"))
        request.addfinalizer(lambda: drop_pg_database(name))
        url = pg_url_for(name)
    else:
        path = tmp_path_factory.mktemp("acts") / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    cli = CliHarness(url)
    seed_basic(cli)
    folder = tmp_path_factory.mktemp("import")
    for n in (1, 2):
        csv = folder / f"items{n}.csv"
        csv.write_text("kind,title,pages\n" + "".join(f"document,Acta {n}-{i},3\n" for i in range(ROWS)),
                       encoding="utf-8")
        cli.ok("item", "import", "SZ-1", str(csv), "--at", "2020-10-06T07:00", "--by", "B-1001")
    cli.ok("custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--reason", "Al depósito",
           "--location", "ER-AQP", "--at", "2020-10-06T08:00", "--by", "B-1001", offer=True)
    cli.ok("verify")
    return url


@pytest.fixture(scope="module")
def acts_db(acts_url):
    from ledger.db import open_ledger

    lg = open_ledger(acts_url)
    yield lg
    lg.dispose()


def _acts(session) -> tuple[int, int, int]:
    """(the first import's first seq, its last seq, the second import's last seq)."""
    regs = session.execute(text("SELECT seq FROM events WHERE type = 'item.registered' ORDER BY seq")).scalars().all()
    assert len(regs) == 2 * ROWS
    return regs[0], regs[ROWS - 1], regs[-1]


def test_an_import_is_signed_once_over_all_its_events(acts_db):
    with acts_db.read() as session:
        first, last, last2 = _acts(session)
        signed = session.execute(text("SELECT seq, signer FROM event_signatures WHERE seq BETWEEN :a AND :b "
                                      "ORDER BY seq"), {"a": first, "b": last2}).all()
        assert [tuple(r) for r in signed] == [(last, "B-1001"), (last2, "B-1001")]
        assert verify.verify_log(session).findings == []
        assert verify.check_case(session, "AQP-2020-0147") == []


def _move_signatures(to: int, frm: int):
    def act(session):
        session.execute(text("UPDATE event_signatures SET seq = :to WHERE seq = :frm"), {"to": to, "frm": frm})
    return act


TAMPERINGS = {
    # The first import's signature put on its last-but-one event: the act ends one event early.
    "an act cut short": lambda s, first, last, last2: _move_signatures(last - 1, last)(s),
    # The second import's first event taken into the first import's act.
    "an event moved between acts": lambda s, first, last, last2: _move_signatures(last + 1, last)(s),
    # The first import's signature in place of the second's.
    "a signature moved to another act": lambda s, first, last, last2: s.execute(text(
        "UPDATE event_signatures SET signature = (SELECT signature FROM event_signatures WHERE seq = :a) "
        "WHERE seq = :b"), {"a": last, "b": last2}),
    # The act's signature removed: its events are unsigned.
    "an act's signature removed": lambda s, first, last, last2: s.execute(text(
        "DELETE FROM event_signatures WHERE seq = :a"), {"a": last}),
    # An event of the act changed after it was signed (its body and hash rewritten consistently
    # would break the chain too; the salt alone changes only the leaf).
    "an event's salt changed": lambda s, first, last, last2: s.execute(text(
        "UPDATE events SET salt = CASE WHEN salt LIKE '0%' THEN '1' ELSE '0' END || substr(salt, 2) "
        "WHERE seq = :a"), {"a": first + 1}),
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
@pytest.mark.parametrize("processes", [1, 2])
def test_each_tampering_of_an_act_is_found(acts_db, how, processes, monkeypatch):
    monkeypatch.setattr(verify, "PARALLEL_FROM", 0)
    with acts_db.read() as session:
        _as_insider(session)
        first, last, last2 = _acts(session)
        with session.begin_nested():
            TAMPERINGS[how](session, first, last, last2)
        found = verify.verify_log(session, batch=3, processes=processes).findings
        session.rollback()
    signature = [f for f in found if f.check == "signature"]
    assert signature, [f.render() for f in found]
    # Every finding names an event of the acts tampered with.
    assert all(first <= f.seq <= last2 for f in signature), [f.render() for f in signature]


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_the_check_before_a_court_document_finds_each_tampering_too(acts_db, how):
    with acts_db.read() as session:
        _as_insider(session)
        first, last, last2 = _acts(session)
        with session.begin_nested():
            TAMPERINGS[how](session, first, last, last2)
        found = verify.check_case(session, "AQP-2020-0147")
        session.rollback()
    assert [f for f in found if f.check in ("signature", "chain")], [f.render() for f in found]


# -- bundles: the bundle's verify.py finds the same ---------------------------------------------
@pytest.fixture(scope="module")
def bundles(acts_url, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    cli = CliHarness(acts_url)
    cli.ok("export", "log", "--out", str(out / "full"))
    cli.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out / "case"))
    cli.ok("prove", "EV-2", "--out", str(out / "items"))
    return out


def _lines(folder):
    import json

    return [json.loads(raw) for raw in (folder / "events.jsonl").read_bytes().split(b"\n")[:-1]]


def _write(folder, lines):
    from ledger.events import canonical_json
    from tests.cli.test_hostile_bundles import rewrite_sums

    (folder / "events.jsonl").write_bytes(b"".join(canonical_json(x) + b"\n" for x in lines))
    rewrite_sums(folder)


def _registrations(lines):
    return [i for i, x in enumerate(lines) if '"type":"item.registered"' in x["body"]]


def _full_cut_short(lines):  # the first import's signatures on its last-but-one event
    regs = _registrations(lines)
    a = regs[ROWS - 1]
    lines[a - 1]["signatures"], lines[a]["signatures"] = lines[a]["signatures"], []


def _full_event_moved(lines):  # the second import's first event taken into the first's act
    regs = _registrations(lines)
    a = regs[ROWS - 1]
    lines[a + 1]["signatures"], lines[a]["signatures"] = lines[a]["signatures"], []


def _full_signature_moved(lines):  # the first import's signature in place of the second's
    regs = _registrations(lines)
    lines[regs[-1]]["signatures"] = lines[regs[ROWS - 1]]["signatures"]


def _claim_act(lines, indexes, first, last):
    """Give the events at `indexes` a well-formed act of seq `first` to `last` (paths made from
    the bundle's own leaves), as a forger would: only the signature check can refuse it."""
    from ledger.log.merkle import Tree, leaf_commitment

    by_seq = {x["seq"]: x for x in lines}
    tree = Tree([leaf_commitment(bytes.fromhex(by_seq[s]["salt"]), by_seq[s]["body"].encode("utf-8"))
                 for s in range(first, last + 1)])
    for i in indexes:
        seq = lines[i]["seq"]
        lines[i]["act"] = {"first": first, "last": last, "path": [n.hex() for n in tree.inclusion_proof(seq - first)]}


def _case_cut_short(lines):  # the first import's act said to end one event early
    regs = _registrations(lines)
    first, last = lines[regs[0]]["act"]["first"], lines[regs[0]]["act"]["last"]
    _claim_act(lines, regs[:ROWS - 1], first, last - 1)
    del lines[regs[ROWS - 1]]["act"]  # and its last event an act of its own


def _case_event_moved(lines):  # the second import's first event said to be of the first import's act
    regs = _registrations(lines)
    first, last = lines[regs[0]]["act"]["first"], lines[regs[0]]["act"]["last"]
    _claim_act(lines, regs[:ROWS + 1], first, last + 1)


def _case_signature_moved(lines):  # the first import's signature on the second's events
    regs = _registrations(lines)
    for i in regs[ROWS:]:
        lines[i]["signatures"] = lines[regs[0]]["signatures"]


BUNDLE_TAMPERINGS = {
    "full: an act cut short": ("full", _full_cut_short),
    "full: an event moved between acts": ("full", _full_event_moved),
    "full: a signature moved to another act": ("full", _full_signature_moved),
    "case: an act cut short": ("case", _case_cut_short),
    "case: an event moved between acts": ("case", _case_event_moved),
    "case: a signature moved to another act": ("case", _case_signature_moved),
}


def test_bundles_carry_what_a_reader_needs_to_check_an_act(bundles):
    from tests.cli.test_hostile_bundles import run

    for kind in ("full", "case", "items"):
        result = run(bundles / kind)
        assert result.returncode == 0, (kind, result.stdout + result.stderr)
    case = _lines(bundles / "case")
    regs = _registrations(case)
    acts = {(case[i]["act"]["first"], case[i]["act"]["last"]) for i in regs}
    assert len(acts) == 2 and all(len(case[i]["signatures"]) == 1 for i in regs)
    assert all("act" not in x for x in _lines(bundles / "full"))


@pytest.mark.parametrize("how", list(BUNDLE_TAMPERINGS))
def test_each_tampering_of_an_act_is_found_by_the_bundles_verify_py(bundles, tmp_path, how):
    from tests.cli.test_hostile_bundles import run

    kind, tamper = BUNDLE_TAMPERINGS[how]
    out = tmp_path / "bundle"
    shutil.copytree(bundles / kind, out)
    lines = _lines(out)
    tamper(lines)
    _write(out, lines)
    result = run(out)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "signature" in result.stdout and "Traceback" not in result.stdout + result.stderr, result.stdout
