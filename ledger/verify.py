"""The auditor's check of the whole log: the chain, custody continuity, and every table.

Checks are plain functions returning findings, gathered in lists, so every problem is
reported, not only the first. The log is streamed once in batches of plain rows (no ORM
objects per event): the leaf checks (ledger.log.leaves: hashes, salts, the tree, canonical
bodies) see each batch, in a second process on a large log, then the replay's checks replay
it here (ledger.replay); final checks compare every table the replay builds with the stored
one, row for row and column for column, with no key filter: a row the log never produced is a
finding too.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.errors import EnvironmentProblem, InputError, VerificationFailed
from ledger.findings import Finding
from ledger.i18n import _
from ledger.identity.signing import check_event_signatures, new_signing_state, unsigned_findings
from ledger.log import merkle
from ledger.log.checkpoints import origin_from_leaf
from ledger.log.format import GENESIS_HASH
from ledger.log.leaves import (
    DECODE,
    Batch,
    EventCheck,
    LeafResult,
    LeafState,
    LeafWorker,
    WorkerFailed,
    check_leaves,
    encode,
    run_handed,
)
from ledger.models import Base, ChainHead, EventItem, Item
from ledger.models import Event as EventRow
from ledger.replay import ITEM_COLUMNS, item_row, primary_key, row_description_digest, table_columns
from ledger.rules import Event, Problem, State, step
from ledger.rules.identity import NEVER_SIGNED
from ledger.rules.state import (
    DERIVED,
    I_CASE,
    I_DIGEST,
    I_LAST_SEQ,
    I_REG_SEQ,
    ITEM_DESCRIPTIVE,
    ITEM_STATE,
    LOG_TABLE,
    SIGNATURE_TABLE,
)

BATCH = 5000
# Findings about the log itself; "projection" findings are about the tables that show the
# current state, and never name a "first bad event".
LOG_CHECKS = ("chain", "head", "links", "rule", "reference", "signature")
EVENT_COLUMNS = (EventRow.seq, EventRow.recorded_at, EventRow.occurred_at, EventRow.actor, EventRow.type,
                 EventRow.case_no, EventRow.body, EventRow.prev_hash, EventRow.hash, EventRow.salt)
# Tables no replay can produce: Alembic's record of the schema revision.
NOT_DERIVED = ("alembic_version",)
# With more events than this the leaf checks run in a second process (when a core is free):
# below it, starting the process costs more than it saves.
PARALLEL_FROM = 4 * BATCH
# Batches the second process may be ahead of the replay: enough that it never waits, few
# enough that the rows held in flight stay small.
AHEAD = 2

_unchecked = set(Base.metadata.tables) - set(DERIVED) - {LOG_TABLE, SIGNATURE_TABLE}
if _unchecked:  # pragma: no cover - a new table without its replay fails at import, in every test
    raise RuntimeError(f"tables {sorted(_unchecked)} are not produced by ledger.replay, so verify cannot check them")

_DECODE, _encode = DECODE, encode  # the canonical check's parser and encoder (ledger.log.leaves)


@dataclass
class Audit:
    """What the stream checks carry from one batch to the next: the leaf checks' state
    (ledger.log.leaves; in the second process while the stream runs) and the replay's."""

    expect_head: tuple[int, str] | None = None
    leaves: LeafState = field(default_factory=LeafState)
    replay: State = field(default_factory=State)
    seizures: dict[str, str] = field(default_factory=dict)  # seizure id -> case
    cases: set[str] = field(default_factory=set)
    links_hi: int | None = None  # event_items rows up to this seq have been compared
    worker: LeafWorker | None = None  # the second process, if verify_log started one

    # What the leaf checks found out about the log as a whole, once they are done.
    @property
    def events(self) -> int:
        return self.leaves.events

    @property
    def last_seq(self) -> int:
        return self.leaves.last_seq

    @property
    def last_hash(self) -> str:
        return self.leaves.last_hash

    @property
    def hash_at_expected(self) -> str | None:
        return self.leaves.hash_at_expected

    @property
    def first_leaf(self) -> bytes | None:
        return self.leaves.first_leaf

    @property
    def root_at_since(self) -> bytes | None:
        return self.leaves.root_at_since


def _label(no: int) -> str:
    return f"EV-{no:06d}"


# -- reading -------------------------------------------------------------------------
# A batch is (rows, links, extras), ledger.log.leaves.Batch: rows are the driver's tuples
# (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, hash, salt); links
# maps seq -> the sorted evidence ids its event_items rows name; extras maps a name of
# BATCH_EXTRAS to {seq: what its reader read for that event}, for the leaves' event checks.
BATCH_EXTRAS: dict[str, Callable[[Session, int | None, int], dict[int, object]]] = {}
# Per-event checks that need no replay (ledger.log.leaves.EventCheck; run with the leaf checks,
# in the second process on a large log), and the tables they consult, each read once here
# before the stream (name -> reader). An Ed25519 signature check plugs in here: its signature
# rows as a BATCH_EXTRAS reader, the officers' keys and their validity as an EVENT_TABLES reader.
EVENT_CHECKS: tuple[EventCheck, ...] = ()
EVENT_TABLES: dict[str, Callable[[Session], object]] = {}


def _driver_cursor(session: Session):
    """The driver's own cursor inside the session's transaction (one snapshot), and the
    placeholder its parameter style uses (sqlite3 '?', psycopg '%s')."""
    conn = session.connection()
    mark = "?" if conn.dialect.dbapi.paramstyle == "qmark" else "%s"
    return conn.connection.driver_connection.cursor(), mark


def _pages(session: Session, table: str, cols: tuple[str, ...], key: str, batch: int) -> Iterator[list[tuple]]:
    """Every row of `table`, in key order, a page at a time. The first page has no lower bound,
    so a row with a key of 0 or below is read like any other."""
    cursor, mark = _driver_cursor(session)
    names = ", ".join(cols)
    first = f"SELECT {names} FROM {table} ORDER BY {key} LIMIT {mark}"  # noqa: S608 - names from the metadata
    rest = f"SELECT {names} FROM {table} WHERE {key} > {mark} ORDER BY {key} LIMIT {mark}"  # noqa: S608
    index = cols.index(key)
    try:
        cursor.execute(first, (batch,))
        while rows := cursor.fetchall():
            yield rows
            cursor.execute(rest, (rows[-1][index], batch))
    finally:
        cursor.close()


def _rows_between(session: Session, table: str, cols: str, lo: int | None, hi: int | None) -> list[tuple]:
    """Rows of `table` with lo < seq <= hi (no bound where None), in the session's snapshot."""
    cursor, mark = _driver_cursor(session)
    where, params = [], []
    if lo is not None:
        where.append(f"seq > {mark}")
        params.append(lo)
    if hi is not None:
        where.append(f"seq <= {mark}")
        params.append(hi)
    sql = f"SELECT {cols} FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _links_between(session: Session, lo: int | None, hi: int | None) -> dict[int, list[str]]:
    """event_items rows with lo < seq <= hi (no bound where None), as seq -> sorted ids."""
    links: dict[int, list[str]] = {}
    for seq, no in _rows_between(session, "event_items", "seq, item_no", lo, hi):
        links.setdefault(seq, []).append(_label(no))
    for ids in links.values():
        ids.sort()
    return links


def _signatures_between(session: Session, lo: int | None, hi: int | None) -> dict[int, dict[str, tuple[str, str]]]:
    """event_signatures rows with lo < seq <= hi (no bound where None), as seq -> signer ->
    (key id, signature hex)."""
    out: dict[int, dict[str, tuple[str, str]]] = {}
    for seq, signer, kid, sig in _rows_between(session, SIGNATURE_TABLE, "seq, signer, key_id, signature", lo, hi):
        out.setdefault(seq, {})[signer] = (kid, sig)
    return out


def read_batches(session: Session, batch: int = BATCH, audit: Audit | None = None) -> Iterator[Batch]:
    """The log in sequence order, in batches of plain driver tuples, with the event_items rows
    whose seq falls between the previous batch's last event and this one's (so every row of
    event_items is read once, whatever its seq), and what BATCH_EXTRAS read for the same seqs."""
    lo = None
    for rows in _pages(session, LOG_TABLE, tuple(c.name for c in EVENT_COLUMNS), "seq", batch):
        hi = rows[-1][0]
        yield rows, _links_between(session, lo, hi), {name: read(session, lo, hi) for name, read in
                                                       BATCH_EXTRAS.items()}
        lo = hi
        if audit is not None:
            audit.links_hi = hi


# -- stream checks ---------------------------------------------------------------------
# The leaf checks (chain, salt, tree, canonical bodies, columns, links) are
# ledger.log.leaves.check_leaves; the replay's checks follow.


def check_custody(audit: Audit, batch: Batch, docs: list, described: dict[int, bytes] | None = None) -> list[Finding]:
    """Folds the rulebook over the batch (ledger.rules): each event is checked against the
    state so far and then applied; each rule it breaks is a finding. `described` holds the
    registrations' description digests where the leaf checks computed them."""
    out: list[Finding] = []
    described = described or {}
    state = audit.replay
    for row, doc in zip(batch[0], docs, strict=True):
        if doc is None:
            continue
        for p in step(state, Event.from_body(doc, row[8], row[9]), described=described.get(row[0])):
            out.append(rule_finding(p))
    return out


def rule_finding(p: Problem) -> Finding:
    """A problem the rulebook found, as verify reports it."""
    return Finding(p.check, p.seq, p.item, p.message, p.case, rule=p.rule)


# -- final checks: (session, audit) -> findings ---------------------------------------
def check_expected_head(session: Session, audit: Audit) -> list[Finding]:
    """The log still holds exactly the prefix an earlier audit saw (--expect-head)."""
    if audit.expect_head is None:
        return []
    seq, digest = audit.expect_head
    if audit.hash_at_expected is None:
        if seq > audit.last_seq:
            return [Finding("head", seq, None, _("the expected head seq {seq} is beyond the end of the log, which "
                                                 "ends at seq {last}: the kept head is not of this ledger, or events "
                                                 "were removed from its end.").format(seq=seq, last=audit.last_seq))]
        return [Finding("head", seq, None, _("the expected head seq {seq} is not in the log, which ends at seq "
                                             "{last}: events were removed.").format(seq=seq, last=audit.last_seq))]
    if audit.hash_at_expected != digest:
        return [Finding("head", seq, None, _("event seq {seq} has hash {found}..., not the expected {expected}...: "
                                             "the log up to seq {seq} was rewritten since that audit.").format(
            seq=seq, found=audit.hash_at_expected[:16], expected=digest[:16]))]
    return []


def check_stray_signatures(session: Session, audit: Audit) -> list[Finding]:
    """event_signatures rows naming no event of the log (the stream checked every row that
    names one)."""
    cursor, _mark = _driver_cursor(session)
    try:
        cursor.execute(f"SELECT DISTINCT s.seq FROM {SIGNATURE_TABLE} s LEFT JOIN {LOG_TABLE} e "  # noqa: S608
                       "ON e.seq = s.seq WHERE e.seq IS NULL ORDER BY s.seq")
        stray = [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()
    return [Finding("signature", seq, None, _("event_signatures has a signature for seq {seq}, but the log has no "
                                              "event seq {seq}: the row was inserted outside the ledger.").format(
        seq=seq), table=SIGNATURE_TABLE, key=str(seq))
            for seq in stray]


def check_stray_links(session: Session, audit: Audit) -> list[Finding]:
    """event_items rows after the last event (the stream compared every row before it)."""
    out = []
    for seq, ids in sorted(_links_between(session, audit.links_hi, None).items()):
        out.append(Finding("links", seq, None, _("event_items links seq {seq} to {ids}, but the log has no event "
                                                 "seq {seq}: the rows were inserted outside the ledger.").format(
            seq=seq, ids=ids), table="event_items", key=str(seq)))
    return out


def _shown(value) -> str:
    return "nothing" if value is None else value if isinstance(value, str) else repr(value)


def _said(value) -> str:
    """A value as a finding shows it: `_shown`, with "nothing" in the reader's language."""
    return _("nothing") if value is None else _shown(value)


def _key_text(key: tuple) -> str:
    return "/".join(_shown(k) for k in key)


def compare_rows(table: str, stored: dict[tuple, tuple], replayed: dict[tuple, tuple],
                 case_of: Callable[[tuple], str | None] = lambda row: None) -> list[Finding]:
    """Row for row, column for column: extra rows, missing rows and differing columns."""
    out: list[Finding] = []
    cols = table_columns(table)
    for key in sorted(stored.keys() | replayed.keys(), key=lambda k: tuple((v is None, str(v)) for v in k)):
        have, want = stored.get(key), replayed.get(key)
        if have == want:
            continue
        shown = _key_text(key)
        if want is None:
            out.append(Finding("projection", None, None, _("the {table} table has a row {key} that the log never "
                                                           "produced.").format(table=table, key=shown),
                               case_of(have), table, shown))
        elif have is None:
            out.append(Finding("projection", None, None, _("the log produces {table} row {key}, but it is missing "
                                                           "from the table.").format(table=table, key=shown),
                               case_of(want), table, shown))
        else:
            for col, a, b in zip(cols, have, want, strict=True):
                if a != b:
                    out.append(Finding("projection", None, None, _("the {table} table differs from the log for "
                                                                   "{key}: {column} {stored} in the table, {replayed} "
                                                                   "by the log.").format(
                        table=table, key=shown, column=col, stored=_said(a), replayed=_said(b)),
                                       case_of(want), table, shown, col))
    return out


def _read_table(session: Session, table: str, where: str = "", params: tuple = ()) -> dict[tuple, tuple]:
    cols = table_columns(table)
    keys = [cols.index(k) for k in primary_key(table)]
    cursor, mark = _driver_cursor(session)
    try:
        cursor.execute(f"SELECT {', '.join(cols)} FROM {table} {where.replace('?', mark)}", params)  # noqa: S608
        return {tuple(row[i] for i in keys): tuple(row) for row in cursor.fetchall()}
    finally:
        cursor.close()


_CASE_TABLES = ("cases", "seizures", "deposits", "assignments", "item_reviews", "case_orders")
_CASE_COLUMN = {t: table_columns(t).index("case_no") for t in _CASE_TABLES}


def check_tables(session: Session, audit: Audit) -> list[Finding]:
    """Every table but the log and event_items equals its replay (items apart, below)."""
    out: list[Finding] = []
    audit.replay.finish(audit.last_seq, audit.last_hash, audit.replay.edge.root(), audit.replay.edge.to_text())
    for table, replayed in audit.replay.rows.items():
        index = _CASE_COLUMN.get(table)
        stored = _read_table(session, table)
        found = compare_rows(table, stored, replayed,
                             (lambda row, i=index: row[i]) if index is not None else (lambda row: None))
        if table == "chain_head" and found:
            seq = _head_seq_at_fault(stored, audit.last_seq)
            found = [Finding("head", seq, None, f.message, None, f.table, f.key, f.column) for f in found]
        out += found
    return out


def _head_seq_at_fault(stored: dict, last_seq: int) -> int:
    """The chain head says where the log ends and is what every writer appends after: one that
    does not name the last event is a finding about the log (events removed from its end,
    or the head moved back), at the first seq where the two part."""
    row = stored.get((1,))
    head_seq = row[1] if row is not None else None
    if type(head_seq) is not int or head_seq == last_seq:
        return max(last_seq, 1)
    return min(head_seq, last_seq) + 1


_ITEM_COLUMNS = ITEM_COLUMNS
_STATE_AT = tuple(_ITEM_COLUMNS.index(c) for c in ITEM_STATE)
_DESC_AT = tuple(_ITEM_COLUMNS.index(c) for c in ITEM_DESCRIPTIVE)
_state_of = itemgetter(*_STATE_AT)
_description_of = itemgetter(*_DESC_AT)
_NSTATE = len(ITEM_STATE)


def _item_findings(session: Session, row: tuple, st: list) -> list[Finding]:
    """What differs between a stored items row and the replay's state for it; the described
    columns are kept as a digest, so a difference there reads the registration again."""
    item, case = st[1], st[I_CASE]
    out = []
    state = _state_of(row)
    if state != tuple(st[:_NSTATE]):
        for col, have, want in zip(ITEM_STATE, state, st, strict=False):
            if have != want:
                out.append(_item_differs(item, case, col, have, want, st[I_LAST_SEQ]))
    if row_description_digest(_description_of(row)) != st[I_DIGEST]:
        reg = session.execute(select(EventRow.occurred_at, EventRow.body).where(EventRow.seq == st[I_REG_SEQ])).one()
        want = item_row(st[I_REG_SEQ], reg.occurred_at, case, json.loads(reg.body)["data"])
        for col, at in zip(ITEM_DESCRIPTIVE, _DESC_AT, strict=True):
            if row[at] != want[col]:
                out.append(_item_differs(item, case, col, row[at], want[col], st[I_REG_SEQ], registration=True))
    return out


def _item_differs(item: str, case, col: str, table, log, seq: int, registration: bool = False) -> Finding:
    text = (_("the items table differs from the log for {item}: {column} {stored} in the table, {replayed} by the "
              "log (registration event seq {seq}).") if registration else
            _("the items table differs from the log for {item}: {column} {stored} in the table, {replayed} by the "
              "log (last event seq {seq})."))
    return Finding("projection", None, item, text.format(item=item, column=col, stored=_said(table),
                                                         replayed=_said(log), seq=seq), case, "items", item, col)


def _with_digests(worker: LeafWorker | None, pages: Iterator[list[tuple]]) -> Iterator[tuple[list[tuple], list]]:
    """Each page of items rows with the digest of each row's described columns, computed by
    the second process where there is one (a page ahead of the comparison), else here."""
    if worker is None:
        for rows in pages:
            yield rows, [row_description_digest(_description_of(row)) for row in rows]
        return
    pending: deque[list[tuple]] = deque()
    for rows in pages:
        worker.send_descriptions([_description_of(row) for row in rows])
        pending.append(rows)
        if len(pending) > AHEAD:
            yield pending.popleft(), worker.receive()
    while pending:
        yield pending.popleft(), worker.receive()


def check_items(session: Session, audit: Audit, *, case_no: str | None = None) -> list[Finding]:
    """Every items row equals the replay of its events, and every replayed item has a row."""
    out: list[Finding] = []
    items = audit.replay.items
    seen: set[str] = set()
    if case_no is None:
        pages = _pages(session, "items", _ITEM_COLUMNS, "no", BATCH)
    else:
        pages = iter([list(_read_table(session, "items", "WHERE case_no = ?", (case_no,)).values())])
    id_at = _ITEM_COLUMNS.index("id")
    for rows, digests in _with_digests(audit.worker, pages):
        for row, digest in zip(rows, digests, strict=True):
            item = row[id_at]
            st = items.get(item)
            if st is None or item in seen:
                out.append(Finding("projection", None, item, _("the items table has a row {item} (no {no}) that the "
                                                               "log never produced.").format(item=item, no=row[0]),
                                   row[_ITEM_COLUMNS.index("case_no")], "items", str(item)))
                continue
            seen.add(item)
            if _state_of(row) != tuple(st[:_NSTATE]) or digest != st[I_DIGEST]:
                out += _item_findings(session, row, st)
    for item, st in items.items():
        if item not in seen and (case_no is None or st[I_CASE] == case_no):
            out.append(Finding("projection", None, item, _("the log produces items row {item} (registered at seq "
                                                           "{seq}), but it is missing from the table.").format(
                item=item, seq=st[I_REG_SEQ]), st[I_CASE], "items", item))
    return out


# Every event's signatures are checked beside its leaf (in the second process on a large log):
# the signature rows travel with each batch, and the keys are learnt from the log as it streams.
# The Ed25519 checks themselves are shared: the second process hands a share back to this one,
# with the keys as the log had them at each seq (ledger.log.leaves.HAND_OVER, run_handed).
BATCH_EXTRAS["signatures"] = _signatures_between
EVENT_TABLES["signing"] = lambda _session: new_signing_state()
EVENT_CHECKS = (check_event_signatures,)



def check_open_act(session: Session, audit: Audit) -> list[Finding]:
    """Signed events at the end of the log that no act signature follows (FORMAT.md 1.6.1):
    an act cut short at the end, or its signatures removed."""
    signing = audit.leaves.tables.get("signing")
    return unsigned_findings(signing["pending"]) if signing else []


FINAL_CHECKS: list[Callable[[Session, Audit], list[Finding]]] = [
    check_expected_head, check_stray_links, check_stray_signatures, check_open_act, check_tables, check_items,
]
# -- the report ----------------------------------------------------------------------
@dataclass
class Report:
    events: int
    head_seq: int
    head_hash: str
    case: str | None
    items_checked: int
    findings: list[Finding]
    root: str | None = None  # the Merkle tree's root over every leaf, hex
    origin: str | None = None
    tree_size: int = 0
    state: State | None = field(default=None, repr=False, compare=False)  # the rulebook's, at the head

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def log_findings(self) -> list[Finding]:
        """Findings about the log itself (chain, head, links, custody, references)."""
        return [f for f in self.findings if f.check in LOG_CHECKS]

    @property
    def table_findings(self) -> list[Finding]:
        """Findings about the tables that show the current state (projections)."""
        return [f for f in self.findings if f.check not in LOG_CHECKS]

    @property
    def checkpoint_text(self) -> str | None:
        """The checkpoint of the log as verified (rebuilt from its leaves), C2SP form."""
        if self.origin is None or self.root is None:
            return None
        import base64

        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(bytes.fromhex(self.root)).decode()}\n"

    @property
    def first_bad_seq(self) -> int | None:
        """The lowest seq among the findings about the log itself: a table that differs from
        the log names no bad event (the log may be intact)."""
        seqs = [f.seq for f in self.log_findings if f.seq is not None]
        return min(seqs) if seqs else None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "head": f"{self.head_seq}:{self.head_hash}",
                "head_seq": self.head_seq, "head_hash": self.head_hash,
                "checkpoint": self.checkpoint_text,
                "case": self.case, "items_checked": self.items_checked, "first_bad_seq": self.first_bad_seq,
                "log_findings": len(self.log_findings), "table_findings": len(self.table_findings),
                "findings": [f.as_dict() for f in self.findings]}


def parse_expect_head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, _colon, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not (seq.isascii() and seq.isdigit() and len(seq) <= 18 and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        raise InputError(_("--expect-head {text} is not SEQ:HASH.").format(text=repr(text[:80])),
                         hint=_("Give the head printed by an earlier 'evidence verify', e.g. 1234:9f86d081...(64 hex "
                                "digits)."))
    return int(seq), digest


def _snapshot(session: Session) -> None:
    # One consistent view of the log for the whole run, while others keep appending.
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify_log(session: Session, *, case_no: str | None = None, expect_head: str | None = None,
               since=None, since_findings: list[Finding] | None = None,
               progress: Callable[[int], None] | None = None, batch: int = BATCH,
               processes: int | None = None) -> Report:
    """Run every check over the whole log; `case_no` limits the report to that case's items
    and events (the chain is always checked whole). `since` is a checkpoint kept from an
    earlier audit (`ledger.log.note.Checkpoint`): the log must extend it. `since_findings`
    are what checking its signatures found (see `open_since`). `processes`: 1 checks
    everything in this process, 2 runs the leaf checks in a second one (fed the rows this
    session reads, so both see the same snapshot, uncommitted rows included); None picks 2
    for a log of more than PARALLEL_FROM events when a core is free (see _second_process).
    The findings are the same either way."""
    expected = parse_expect_head(expect_head)
    _snapshot(session)
    if case_no is not None:
        from ledger.registry import get_case

        case_no = get_case(session, case_no, "--case").case_no
    leaves = LeafState(expect_seq=expected[0] if expected else None,
                       since_size=since.size if since is not None else None, event_checks=EVENT_CHECKS,
                       tables={name: read(session) for name, read in EVENT_TABLES.items()})
    audit = Audit(expect_head=expected, leaves=leaves)
    audit.replay.edge = audit.leaves.edge  # one tree, until a second process takes the leaves over
    findings: list[Finding] = list(since_findings or [])
    # The replay keeps a list per item (a million at a million events) and allocates a dict
    # per event, none of them cyclic: the cyclic collector would rescan that growing heap
    # again and again for nothing, so it is paused for the run (and restored).
    collecting = gc.isenabled()
    gc.disable()
    try:
        findings.extend(_stream(session, audit, batch, progress, processes))
        for final in FINAL_CHECKS:
            findings.extend(final(session, audit))
        if since is not None:
            findings.extend(check_since(audit, since))
    except WorkerFailed as exc:
        raise EnvironmentProblem(_("verify could not finish: {error}").format(error=exc),
                                 hint=_("Run it again; if it fails again, run it in one process "
                                        "(EVIDENCE_VERIFY_PROCESSES=1) and report the message.")) from exc
    finally:
        if audit.worker is not None:
            audit.worker.close()
        if collecting:
            gc.enable()
    if case_no is not None:
        items = audit.replay.items
        findings = [f for f in findings if f.check in ("chain", "head", "links") or f.case in (None, case_no)
                    and (f.item is None or items.get(f.item) is None or items[f.item][I_CASE] == case_no)]
    # The log's findings first, in log order; then those about the tables.
    findings.sort(key=lambda f: (f.check not in LOG_CHECKS, f.seq is None, f.seq or 0))
    checked = sum(1 for st in audit.replay.items.values() if case_no is None or st[I_CASE] == case_no)
    root = audit.replay.edge.root()
    origin = origin_from_leaf(audit.first_leaf) if audit.first_leaf else None
    return Report(audit.events, audit.last_seq, audit.last_hash, case_no, checked, findings, root.hex(), origin,
                  audit.replay.edge.size, audit.replay)


def verify_new(session: Session, *, since, since_findings: list[Finding] | None = None,
               progress: Callable[[int], None] | None = None, batch: int = BATCH, state_file=None) -> Report:
    """`verify --since CHECKPOINT --new-only`: what an auditor who verified the log whole when
    the checkpoint was made checks next time. Every event is re-hashed into the chain and the
    tree, so the checkpoint's root proves the first `since.size` events unchanged and the chain
    head must be where the log ends; the events after the checkpoint get every check of the log
    (canonical bodies, columns, links, salts, signatures) and the rulebook, applied from the
    state at the checkpoint: the one saved when it was verified (`state_file`, see
    `save_state`), or else the replay of the events up to it. The tables are not compared:
    that is the whole verify's work."""
    _snapshot(session)
    leaves = LeafState(since_size=since.size, event_checks=EVENT_CHECKS, light_until=since.size,
                       tables={name: read(session) for name, read in EVENT_TABLES.items()})
    state = load_state(state_file, since) if state_file is not None else State()
    replaying = state_file is None
    audit = Audit(leaves=leaves)
    audit.replay.edge = leaves.edge
    findings: list[Finding] = list(since_findings or [])
    for got in read_batches(session, batch, audit):
        result = check_leaves(leaves, got, keep_docs=True)
        run_handed(result)
        findings.extend(result.findings)
        state.audit_roots.update(result.audit_roots)
        for row, doc in zip(got[0], result.docs, strict=True):
            seq = row[0]
            if seq <= since.size:
                if replaying and seq >= 1:
                    try:
                        old = _parse_canonical(row[6])
                    except (ValueError, RecursionError):
                        continue  # the checkpoint's root proves the prefix; verify whole explains it
                    if type(old) is dict:
                        step(state, Event.from_body(old, row[8], row[9]), check=False)
            elif doc is not None:
                findings.extend(rule_finding(p) for p in step(state, Event.from_body(doc, row[8], row[9]),
                                                               described=result.described.get(seq)))
        if progress:
            progress(len(got[0]))
    findings.extend(check_stray_links(session, audit))
    findings.extend(check_stray_signatures(session, audit))
    findings.extend(check_open_act(session, audit))
    findings.extend(check_since(audit, since))
    root = leaves.edge.root()
    head = session.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one_or_none()
    said = (head.seq, head.hash, head.root) if head is not None else (0, GENESIS_HASH, merkle.EMPTY_ROOT.hex())
    if said != (leaves.last_seq, leaves.last_hash, root.hex()):
        findings.append(Finding("head", leaves.last_seq, None, _(
            "chain_head says the log ends at seq {seq} with hash {hash}... and root {root}..., but the log ends at "
            "seq {last} with hash {last_hash}... and root {last_root}....").format(
            seq=said[0], hash=str(said[1])[:16], root=str(said[2])[:16], last=leaves.last_seq,
            last_hash=leaves.last_hash[:16], last_root=root.hex()[:16]), table="chain_head", key="1"))
    findings.sort(key=lambda f: (f.check not in LOG_CHECKS, f.seq is None, f.seq or 0))
    origin = origin_from_leaf(leaves.first_leaf) if leaves.first_leaf else None
    new = max(leaves.events - since.size, 0)
    return Report(new, leaves.last_seq, leaves.last_hash, None, 0, findings, root.hex(), origin, leaves.edge.size)


# -- the state at a checkpoint, saved by one audit for the next ---------------------------------
STATE_FORMAT = "evidence-verify-state/1"


def save_state(report: Report, state: State, path) -> None:
    """Write the rulebook's state at the head `report` verified, bound to its checkpoint (origin,
    size, root) by a digest, for `verify --since CHECKPOINT --new-only --state FILE`."""
    from ledger.outputs import check_file, staged_file

    body = state.to_doc()
    text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    doc = {"format": STATE_FORMAT, "origin": report.origin, "size": report.tree_size, "root": report.root,
           "digest": hashlib.sha256(text).hexdigest(), "state": body}
    target = check_file(str(path), option="--save-state", force=True, example="state.json")
    with staged_file(target, out=str(path), force=True) as tmp:
        tmp.write_bytes(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))


def load_state(path, since) -> State:
    """A state `save_state` wrote, if it is the state at checkpoint `since`; refused otherwise."""
    try:
        doc = orjson.loads(open(path, "rb").read())
        body = doc["state"]
        ok = (doc["format"] == STATE_FORMAT and hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
              .hexdigest() == doc["digest"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(_("--state {path} is not a state saved by 'evidence verify --save-state' ({error}).").format(
            path=path, error=exc.__class__.__name__), hint=_("Give the file verify --save-state wrote, or leave "
                                                              "--state out to replay the log up to the checkpoint.")) from None
    if not ok:
        raise InputError(_("--state {path} was changed after verify saved it (its digest does not match).").format(
            path=path), hint=_("Leave --state out to replay the log up to the checkpoint."))
    if (doc["origin"], doc["size"], doc["root"]) != (since.origin, since.size, since.root.hex()):
        raise InputError(_("--state {path} is the state at {size} events of {origin}, not at the --since checkpoint "
                           "({since_size} events of {since_origin}).").format(
            path=path, size=doc["size"], origin=doc["origin"], since_size=since.size, since_origin=since.origin),
            hint=_("Give the state saved with that checkpoint, or leave --state out."))
    try:
        return State.from_doc(body)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(_("--state {path} is not a state saved by 'evidence verify --save-state' ({error}).").format(
            path=path, error=exc.__class__.__name__), hint=_("Leave --state out to replay the log up to the "
                                                              "checkpoint.")) from None


def _stream(session: Session, audit: Audit, batch: int, progress: Callable[[int], None] | None,
            processes: int | None) -> list[Finding]:
    """The log, batch by batch, through the leaf checks and then the replay's checks. With a
    second process, batch k+1's leaves are checked there while this one replays batch k."""
    findings: list[Finding] = []
    pending: deque[Batch] = deque()

    def replay(got: Batch, leaves: LeafResult) -> None:
        run_handed(leaves)  # this process's share of the second one's event checks
        findings.extend(leaves.findings)
        audit.replay.audit_roots.update(leaves.audit_roots)
        docs = leaves.docs
        if docs is None:  # parsed again here: sending parsed bodies between processes costs more
            docs = [_parse_canonical(row[6]) if ok else None for row, ok in zip(got[0], leaves.canonical,
                                                                                 strict=True)]
        findings.extend(check_custody(audit, got, docs, leaves.described))
        if progress:
            progress(len(got[0]))

    for got in read_batches(session, batch, audit):
        worker = audit.worker
        if worker is None and _second_process(processes, audit.leaves.events + len(got[0])):
            worker = audit.worker = LeafWorker(audit.leaves)  # it carries on from the state so far
        if worker is None:
            replay(got, check_leaves(audit.leaves, got, keep_docs=True))
            continue
        worker.send(got)
        pending.append(got)
        if len(pending) > AHEAD:
            replay(pending.popleft(), worker.receive())
    if audit.worker is not None:
        while pending:
            replay(pending.popleft(), audit.worker.receive())
        audit.leaves = audit.worker.state()
        audit.replay.edge = audit.leaves.edge
    return findings


def _second_process(processes: int | None, events_so_far: int) -> bool:
    """Whether to hand the leaf checks to a second process now. Asked: as told (the argument,
    else EVIDENCE_VERIFY_PROCESSES). Not asked: once the log is past PARALLEL_FROM events, on a
    machine with a core that nothing else is using (the load average, this process included,
    at most one below the number of cores). The split costs about a quarter more CPU in all
    (pickling, parsing twice), which pays only where the second process gets a core of its own:
    on a machine busy with other work the two would share one process's turn (BENCHMARKS.md)."""
    if processes is None:
        env = os.environ.get("EVIDENCE_VERIFY_PROCESSES", "").strip()
        processes = int(env) if env.isdigit() else None
    if processes is not None:
        return processes > 1
    cpus = os.cpu_count() or 1
    return events_so_far > PARALLEL_FROM and cpus > 1 and os.getloadavg()[0] <= cpus - 1


def _parse_canonical(body: str) -> dict:
    """A body the leaf checks proved canonical (the C scanner parsed it, integers within 2^53,
    no floats, and the C encoder wrote it back unchanged), parsed again for the replay by
    orjson, which gives the same dict three times faster (tests/unit/test_body_parsing.py);
    what orjson refuses (a lone surrogate) goes to the C scanner again."""
    try:
        return orjson.loads(body)
    except ValueError:
        return DECODE(body)


def check_since(audit: Audit, since) -> list[Finding]:
    """The log extends a checkpoint kept earlier: same origin, at least as many leaves, and the
    root of its first SIZE leaves is the checkpoint's root. The root is rebuilt from the leaves
    themselves, so this holds even if every hash in the database was recomputed."""
    from ledger.log.merkle import EMPTY_ROOT

    out = []
    origin = origin_from_leaf(audit.first_leaf) if audit.first_leaf else None
    if origin is not None and since.origin != origin:
        out.append(Finding("head", None, None, _("the checkpoint is of log {theirs}, not of this ledger "
                                                 "({ours}).").format(theirs=since.origin, ours=origin)))
    if since.size > audit.replay.edge.size:
        out.append(Finding("head", audit.replay.edge.size + 1, None, _("the checkpoint's tree has {size} leaves but "
                                                                       "the log has {log}: events were removed since "
                                                                       "it was kept.").format(
            size=since.size, log=audit.replay.edge.size)))
        return out
    root = EMPTY_ROOT if since.size == 0 else audit.root_at_since
    if root != since.root:
        out.append(Finding("head", since.size, None, _("the root of the log's first {size} events is {root}..., "
                                                       "not the checkpoint's {kept}...: the log up to seq {size} was "
                                                       "rewritten since that checkpoint.").format(
            size=since.size, root=root.hex()[:16], kept=since.root.hex()[:16])))
    return out


def open_since(signed_text: str, trusted: list[str]) -> list[Finding]:
    """Check a kept checkpoint's signatures against the verifier keys given with --trust: a
    trusted signature must verify; one that does not, or none at all, is a finding."""
    from ledger.log import note

    if not trusted:
        return []
    verifiers = [note.parse_verifier_key(k) for k in trusted]
    try:
        opened = note.open_note(signed_text, verifiers)
    except note.NoteError as exc:
        return [Finding("head", None, None, _("the --since checkpoint's signatures: {problem}").format(
            problem=exc.message))]
    if not opened.verified:
        return [Finding("head", None, None, _("no trusted key signed the --since checkpoint."))]
    return []


def head_seq(session: Session) -> int:
    return session.execute(select(ChainHead.seq).where(ChainHead.id == 1)).scalar() or 0


# -- readers: one case's rows against a replay of its events ------------------------------
# Tables every case's documents read: the replay of the ledger-wide events gives them whole.
_SHARED_TABLES = ("officers", "locations", "rates")


def check_case(session: Session, case_no: str | None, *, batch: int = BATCH) -> list[Finding]:
    """The case's events and the ledger-wide ones through the rulebook, with their officers'
    signatures, and the rows a document about the case uses (the case, its seizures, items and
    their event links, and the officers, locations and rates) against that replay.
    `case_no=None` checks only the ledger-wide events and tables (a conversion). Cheaper than
    `verify_log`, which also checks the chain, the tree and every case."""
    audit = Audit()
    audit.replay.every_case = False  # one case's events: the case indexes are verify's to check
    out: list[Finding] = []
    links: set[tuple[int, int]] = set()
    signed: list[tuple[int, bytes, dict, dict]] = []  # (seq, leaf, body, its signatures), checked at the end
    signed_seqs = array("q")  # every seq that carries signatures, up to the last event read: where acts end
    where = EventRow.case_no.is_(None) if case_no is None else or_(EventRow.case_no == case_no, EventRow.case_no.is_(None))
    last = None
    while True:
        stmt = select(*EVENT_COLUMNS).where(where).order_by(EventRow.seq).limit(batch)
        rows = session.execute(stmt if last is None else stmt.where(EventRow.seq > last)).all()
        if not rows:
            break
        docs = []
        stored = _signatures_between(session, (last or 0), rows[-1].seq)
        signed_seqs.extend(sorted(set(stored).union(row.seq for row in rows if row.type in NEVER_SIGNED)))
        for row in rows:
            doc = _case_event(out, row)
            docs.append(doc)
            if doc is not None:
                leaf = merkle.leaf_commitment(bytes.fromhex(row.salt), row.body.encode("utf-8"))
                signed.append((row.seq, leaf, doc, stored.get(row.seq, {})))
            if doc is not None and case_no is not None:
                links.update((row.seq, _item_no(i)) for i in doc.get("items") or ())
        out += check_custody(audit, (rows, {}), docs)
        last = rows[-1].seq
    out += _case_signatures(session, audit.replay, signed, signed_seqs)
    for table in _SHARED_TABLES:
        out += compare_rows(table, _read_table(session, table), audit.replay.rows[table])
    if case_no is not None:
        for table in _CASE_TABLES:
            replayed = {k: r for k, r in audit.replay.rows[table].items() if r[_CASE_COLUMN[table]] == case_no}
            out += compare_rows(table, _read_table(session, table, "WHERE case_no = ?", (case_no,)), replayed,
                                lambda row, i=_CASE_COLUMN[table]: row[i])
        out += check_items(session, audit, case_no=case_no)
        stored = {tuple(r) for r in session.execute(
            select(EventItem.seq, EventItem.item_no).join(Item, Item.no == EventItem.item_no)
            .where(Item.case_no == case_no))}
        for seq, no in sorted(stored - links):
            out.append(Finding("links", seq, _label(no), _("event_items links {item} to event seq {seq}, but no "
                                                           "event of the case names it.").format(item=_label(no),
                                                                                                 seq=seq),
                               case_no, "event_items", f"{seq}/{no}"))
        for seq, no in sorted(links - stored):
            out.append(Finding("links", seq, _label(no), _("event seq {seq} names {item}, but event_items does not "
                                                           "link them.").format(seq=seq, item=_label(no)),
                               case_no, "event_items", f"{seq}/{no}"))
    return out


def _case_signatures(session: Session, state: State, events: list[tuple[int, bytes, dict, dict]],
                     signed_seqs) -> list[Finding]:
    """Every event from the seq the log signs from is signed, with the keys the replay enrolled
    (each valid from its enrolment to its revocation): an act of its own by its signers over its
    leaf, or as one event of an act (FORMAT.md 1.6.1) whose signatures verify over the act's
    commitment; the act's events of other cases are read for it. `signed_seqs`: the seqs that
    carry signatures, in order, up to the last event read."""
    from ledger.identity.signing import KeyRecord, act_findings, signature_problems, unsigned_findings
    from ledger.log.checkpoints import origin_from_leaf
    from ledger.log.signatures import names_origin
    from ledger.rules.acts import act_range
    from ledger.rules.custody import required_signers
    from ledger.rules.identity import NEVER_SIGNED, origin_bound_from

    start, bound = state.signatures_from(), origin_bound_from(state)
    origin = origin_from_leaf(events[0][1]) if events and events[0][0] == 1 else None
    keys = {k: KeyRecord(k, row[1], bytes.fromhex(row[2]), row[3], row[4])
            for (k,), row in state.rows["officer_keys"].items()}
    out: list[Finding] = []
    ours: dict[int, tuple[bytes, dict, dict]] = {}
    acts: dict[tuple[int, int], None] = {}

    def signers_of(doc: dict) -> list[str]:
        data = doc.get("data") if type(doc.get("data")) is dict else {}
        try:
            return required_signers(doc.get("actor"), data)
        except TypeError:
            return []

    def named(seq: int) -> str | None:
        return origin if names_origin(seq, bound) else None

    for seq, leaf, doc, stored in events:
        if start is None or seq < start:
            continue
        span = act_range(seq, signed_seqs, start)
        if span is None and (end := _next_signed(session, seq)) is not None:
            span = (max(start, signed_seqs[-1] + 1 if signed_seqs else 0), end)
        if doc.get("type") in NEVER_SIGNED or span == (seq, seq):  # an act of its own
            for column, problem in signature_problems(seq, leaf, signers_of(doc), stored, keys.get, named(seq)):
                out.append(Finding("signature", seq, None, problem, doc.get("case"), SIGNATURE_TABLE, str(seq),
                                   column))
        elif span is None:
            out += unsigned_findings([(seq, leaf, signers_of(doc), doc.get("case"), None)])
        else:
            ours[seq] = (leaf, doc, stored)
            acts[span] = None
    for first, end in acts:
        missing = [s for s in range(first, end + 1) if s not in ours]
        fetched = {}
        if missing:
            for seq, salt, body in _rows_between(session, LOG_TABLE, "seq, salt, body", first - 1, end):
                if seq in ours:
                    continue
                try:
                    doc = _DECODE(body)
                    leaf = merkle.leaf_commitment(bytes.fromhex(salt), body.encode("utf-8"))
                except (ValueError, RecursionError, TypeError):
                    doc, leaf = None, b""
                fetched[seq] = (leaf, doc if type(doc) is dict else {}, {})
        act = []
        for seq in range(first, end + 1):
            leaf, doc, _stored = ours.get(seq) or fetched.get(seq) or (b"", {}, {})
            act.append((seq, leaf, signers_of(doc), doc.get("case"), named(seq)))
        stored = ours[end][2] if end in ours else _signatures_between(session, end - 1, end).get(end, {})
        out += act_findings(act, stored, keys)
    return out


def _next_signed(session: Session, seq: int) -> int | None:
    """The first seq at or after `seq` that carries signatures (where its act ends), or None."""
    cursor, mark = _driver_cursor(session)
    try:
        cursor.execute(f"SELECT min(seq) FROM {SIGNATURE_TABLE} WHERE seq >= {mark}", (seq,))  # noqa: S608
        return cursor.fetchone()[0]
    finally:
        cursor.close()


def _item_no(label) -> int:
    return int(str(label).split("-", 1)[1])


def _case_event(out: list, row) -> dict | None:
    """One event's body, if it hashes to its row's hash and says what the row's columns say."""
    seq = row.seq
    if seq < 1 or hashlib.sha256((row.prev_hash + row.body).encode("utf-8")).hexdigest() != row.hash:
        out.append(Finding("chain", seq, None, _("the event's body or hash was changed after it was written.")))
        return None
    try:
        doc = _DECODE(row.body)
    except (ValueError, RecursionError):
        doc = None
    if type(doc) is not dict or (doc.get("seq"), doc.get("type"), doc.get("case"), doc.get("occurred_at")) != (
            seq, row.type, row.case_no, row.occurred_at):
        out.append(Finding("chain", seq, None, _("the event's columns do not say what its body says.")))
        return None
    return doc


def require_verified(session: Session, case_no: str | None, what: str, *, anyway: str = "") -> None:
    """Refuse (exit 3) to make `what` from rows that differ from the log; `anyway` tells how
    to go ahead regardless, where there is a way."""
    findings = check_case(session, case_no)
    if findings:
        shown = [f.render() for f in findings[:20]]
        if len(findings) > 20:
            shown.append(_("... and {n} more.").format(n=len(findings) - 20))
        text = (_("The tables {what} would use for case {case} differ from the log ({n} finding(s)); nothing was "
                  "made from them.") if case_no else
                _("The tables {what} would use for the exchange rates differ from the log ({n} finding(s)); nothing "
                  "was made from them."))
        raise VerificationFailed(
            text.format(what=_(what), case=case_no, n=len(findings)), details=shown,
            hint=_("Run 'evidence verify' and have the findings explained.") + (f" {anyway}" if anyway else ""))


def require_log_verified(session: Session, what: str) -> None:
    """Refuse (exit 3) to make `what`, a document about more than one case (an audit of a room,
    the whole journal), from a ledger whose log or tables the whole `verify` finds fault with."""
    report = verify_log(session)
    if not report.ok:
        shown = [f.render() for f in report.findings[:20]]
        if len(report.findings) > 20:
            shown.append(_("... and {n} more.").format(n=len(report.findings) - 20))
        raise VerificationFailed(
            _("The ledger does not verify ({n} finding(s)), so {what} was not made.").format(
                n=len(report.findings), what=_(what)), details=shown,
            hint=_("Run 'evidence verify' and have the findings explained."))
