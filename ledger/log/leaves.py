"""The checks of the log that need no replay: each event's chain hash, salt, leaf and the tree
over them, its canonical body, the columns and item links its body names, and its format version.

They are pure over the rows they are given, in log order, so `verify` can run them in a second
process (`LeafWorker`, fed the rows the first one read inside its own snapshot) while the first
replays the custody state; or call `check_leaves` in-process. Both give the same findings.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from ledger.findings import Finding, Later
from ledger.i18n import _
from ledger.log.format import FORMAT_VERSION, GENESIS_HASH, MAX_SAFE_INTEGER, SALT_BYTES
from ledger.log.merkle import LEAF_PREFIX, RightEdge
from ledger.rules.identity import (
    INITIALIZED,
    KEY_ADDED,
    KEY_REVOKED,
    LOG_UPGRADED,
    OFFICER_ADDED,
    SIGNATURES_NAME_ORIGIN,
    SIGNATURES_REQUIRED,
)
from ledger.rules.items import REGISTERED
from ledger.rules.operations import AUDIT_STARTED
from ledger.rules.state import LOG_TABLE, canonical_text, description_digest

BODY_COLUMNS = (("seq", "seq"), ("type", "type"), ("recorded_at", "recorded_at"),
                ("occurred_at", "occurred_at"), ("actor", "actor"), ("case", "case_no"))
FORMAT_1 = 1  # bodies written before the ledger moved to format 2; none may follow a format 2 body


# -- canonical JSON, checked with the C scanner and encoder ----------------------------
def _no_float(text: str) -> float:
    raise ValueError(f"float {text} in a body")


def _bounded_int(text: str) -> int:
    number = int(text)
    if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        return number
    raise ValueError(f"integer {text[:40]} in a body is beyond 2^53 - 1")


# A body is canonical when the C encoder, given what the C scanner parsed, writes back the
# same text: sorted keys, no whitespace, the one escaping, no NaN. Floats, and integers beyond
# what JCS writes exactly (FORMAT.md, bodies, rule 5), are refused while parsing (the encoder
# would write them back unchanged). Same rules as events.canonical_json.
DECODE = json.JSONDecoder(parse_float=_no_float, parse_int=_bounded_int).decode
encode = canonical_text
_said = itemgetter(*(key for key, _ in BODY_COLUMNS))  # what a body says of the row's columns

# A row is the tuple (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash,
# hash, salt); links maps seq -> the sorted evidence ids its event_items rows name; extras
# maps a name to {seq: what the parent read for that event} (see EventCheck).
Batch = tuple[list[tuple], dict[int, list[str]], dict[str, dict[int, object]]]
_NO_LINKS: list[str] = []

# A check of one event that needs nothing of the replay, run where the leaves are checked (the
# second process): it gets the state (its `tables`, read once by the parent at the start, e.g.
# each key's officer and the seqs between which it was valid), the event's seq, its leaf
# commitment (the 32 bytes the tree holds), its parsed body (None when not canonical: already a
# finding) and what the batch's extras carry for that seq (e.g. its signature rows; None when
# nothing), and returns findings. Named in LeafState.event_checks as module-level functions, so
# they reach the worker by reference. Ed25519 signatures over the commitment go here. A check may
# return Later work among its findings (the costly part, needing nothing more of the stream): the
# second process hands a share of it back to the first (HAND_OVER), which runs it (`run_handed`).
EventCheck = Callable[["LeafState", int, bytes, "dict | None", dict[str, object]], list["Finding | Later"]]


@dataclass
class LeafState:
    """What the leaf checks carry from one batch to the next (and hand back at the end)."""

    expect_seq: int | None = None  # --expect-head's seq: the hash there is recorded
    since_size: int | None = None  # --since: the checkpoint's tree size, and the root the log has there
    event_checks: tuple[EventCheck, ...] = ()
    tables: dict[str, object] = field(default_factory=dict)  # read once by the parent, for event_checks
    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    hash_at_expected: str | None = None
    format_2_from: int | None = None  # seq of the first format 2 body
    root_at_since: bytes | None = None
    first_leaf: bytes | None = None
    edge: RightEdge = field(default_factory=RightEdge)
    hand_over: float = 0.0  # the share of the checks' Later work handed back to the replaying process
    handed: float = 0.0  # how much of that share is owed so far
    # `verify --since CHECKPOINT --new-only`: events up to this seq are only re-hashed into the
    # chain and the tree (the checkpoint's root proves them), and read for the keys they enrol.
    light_until: int = 0


@dataclass
class LeafResult:
    """One batch's leaf checks. `canonical[i]` says whether row i's body is canonical JSON of an
    event (only those are replayed); `docs` holds the parsed bodies when asked for (in-process),
    `described` the description digest of each registration (ledger.replay), `audit_roots` the
    tree's root just after each audit.started leaf (an audit's seed)."""

    findings: list[Finding]
    canonical: list[bool]
    described: dict[int, bytes]
    audit_roots: dict[int, bytes]
    docs: list | None = None
    later: list[tuple[int, Later]] = field(default_factory=list)  # handed back: (where in findings, work)


def _link_finding(seq: int, linked, items) -> Finding:
    return Finding("links", seq, None, _("event_items links {linked} but the body names {items}.").format(
        linked=linked, items=items),
                   table="event_items", key=str(seq), column="item_no")


def check_leaves(state: LeafState, batch: Batch, keep_docs: bool = False) -> LeafResult:
    """Every hash recomputes, sequence numbers run 1, 2, 3..., each event names its
    predecessor's hash, every salt is 32 bytes, every leaf goes into the tree, every body is
    canonical, the row's columns say what its body says, and its event_items rows name the
    body's items."""
    out: list[Finding] = []
    rows, links, extras = batch
    sha256, decode = hashlib.sha256, DECODE
    last_seq, last_hash = state.last_seq, state.last_hash
    expect_seq, since = state.expect_seq, state.since_size
    seen = {row[0] for row in rows}
    edge, leaf_prefix = state.edge, LEAF_PREFIX
    event_checks = state.event_checks
    canonical: list[bool] = []
    docs: list | None = [] if keep_docs else None
    described: dict[int, bytes] = {}
    audit_roots: dict[int, bytes] = {}
    later: list[tuple[int, Later]] = []
    for row in rows:
        seq, recorded_at, occurred_at, actor, typ, case_no, body, prev_hash, digest, salt = row
        if seq < 1:
            out.append(Finding("chain", seq, None, _("an event row has seq {seq}, but sequence numbers start at 1: "
                                                     "the row was inserted outside the ledger.").format(seq=seq)))
            if seq in links:
                out.append(_link_finding(seq, links[seq], None))
            canonical.append(False)
            if docs is not None:
                docs.append(None)
            continue
        if seq != last_seq + 1:
            expected_seq = last_seq + 1
            gap = (_("seq {first} missing: the log jumps from seq {last} to {seq} (events deleted).")
                   if seq == expected_seq + 1 else
                   _("seq {first} to {end} missing: the log jumps from seq {last} to {seq} (events deleted)."))
            out.append(Finding("chain", expected_seq, None,
                               gap.format(first=expected_seq, end=seq - 1, last=last_seq, seq=seq)))
        if prev_hash != last_hash:
            out.append(Finding("chain", seq, None, _("prev_hash {prev}... does not link to the hash of the event "
                                                     "before it (seq {last}, {hash}...).").format(
                prev=prev_hash[:16], last=last_seq, hash=last_hash[:16])))
        # prev_hash is ASCII hex in every row that links (checked above); encoding the pair
        # as UTF-8 gives the bytes chain_hash hashes, and cannot fail on a forged one.
        body_bytes = body.encode("utf-8", "surrogatepass")
        if sha256(prev_hash.encode("utf-8", "surrogatepass") + body_bytes).hexdigest() != digest:
            out.append(Finding("chain", seq, None, _("hash does not match the event's body: the body or the hash "
                                                     "was changed after it was written.")))
        try:
            salt_bytes = bytes.fromhex(salt)
            if len(salt_bytes) != SALT_BYTES or salt_bytes.hex() != salt:
                raise ValueError
        except (ValueError, TypeError):
            out.append(Finding("chain", seq, None, _("salt {salt} is not {n} bytes in lower-case hex.").format(
                salt=repr(str(salt)[:16]), n=SALT_BYTES), table=LOG_TABLE, key=str(seq), column="salt"))
            salt_bytes = b""
        leaf = sha256(leaf_prefix + salt_bytes + body_bytes).digest()
        edge.append(leaf)
        if typ == AUDIT_STARTED:  # its sample's seed is the root with this leaf the last
            audit_roots[seq] = edge.root()
        if seq == 1:
            state.first_leaf = edge.root()
        if edge.size == since:
            state.root_at_since = edge.root()
        if seq <= state.light_until:
            _learn_only(state, seq, typ, leaf, body)
            canonical.append(False)
            if docs is not None:
                docs.append(None)
            if seq == expect_seq:
                state.hash_at_expected = digest
            last_seq, last_hash = seq, digest
            continue
        try:
            doc = decode(body)
            if type(doc) is not dict or encode(doc) != body:
                doc = None
        except (ValueError, TypeError, RecursionError):
            doc = None
        for check in event_checks:
            found = check(state, seq, leaf, doc, {name: got.get(seq) for name, got in extras.items()})
            out += _run_or_hand(state, found, len(out), later) if found else found
        canonical.append(doc is not None)
        if docs is not None:
            docs.append(doc)
        linked = links.get(seq, _NO_LINKS)
        if doc is None:
            out.append(Finding("chain", seq, None, _("body is not canonical JSON of an event.")))
            if linked:
                out.append(_link_finding(seq, linked, None))
        else:
            get = doc.get
            version = get("v")
            if version == FORMAT_VERSION and type(version) is int:
                if state.format_2_from is None:
                    state.format_2_from = seq
            elif version != FORMAT_1 or type(version) is not int or state.format_2_from is not None:
                out.append(Finding("chain", seq, None, (_("body has format version {version}, not {format} (format "
                                                          "2 began at seq {seq}).") if state.format_2_from else
                                                        _("body has format version {version}, not {format} or "
                                                          "1.")).format(version=repr(version), format=FORMAT_VERSION,
                                                                        seq=state.format_2_from)))
            try:
                said = _said(doc)
            except KeyError:
                said = None
            if said != (seq, typ, recorded_at, occurred_at, actor, case_no):
                for (key, col), have in zip(BODY_COLUMNS, (seq, typ, recorded_at, occurred_at, actor, case_no),
                                            strict=True):
                    if get(key) != have:
                        out.append(Finding("chain", seq, None, _("column {column} is {have} but the body says "
                                                                 "{said}.").format(column=col, have=repr(have),
                                                                                   said=repr(get(key))),
                                           table=LOG_TABLE, key=str(seq), column=col))
            if typ == LOG_UPGRADED:
                data = get("data")
                said = data.get("format_1_head") if type(data) is dict else None
                if said != f"{last_seq}:{last_hash}":
                    out.append(Finding("chain", seq, None, _("log.upgraded says the format 1 head was {said}, but "
                                                             "the event before it is {seq}:{hash}.").format(
                        said=repr(said), seq=last_seq, hash=last_hash)))
            elif typ == REGISTERED:  # the replay keeps a registration's description as this digest
                data = get("data")
                if type(data) is dict:
                    described[seq] = description_digest(data)
            items = get("items")
            if items != linked:
                try:
                    differ = sorted(items or []) != linked
                except TypeError:
                    differ = True
                if differ:
                    out.append(_link_finding(seq, linked, items))
        if seq == expect_seq:
            state.hash_at_expected = digest
        last_seq, last_hash = seq, digest
    for seq in sorted(set(links) - seen):
        out.append(Finding("links", seq, None, _("event_items links seq {seq} to {ids}, but the log has no event "
                                                 "seq {seq}: the rows were inserted outside the ledger.").format(
            seq=seq, ids=links[seq]),
                           table="event_items", key=str(seq)))
    state.last_seq, state.last_hash = last_seq, last_hash
    state.events += len(rows)
    return LeafResult(out, canonical, described, audit_roots, docs, later)


# The events whose bodies the checks of the events after them read (the keys officers enrol and
# revoke, where signing starts and where signatures name the origin): in the light part of a
# --new-only check, only these are parsed.
LEARNED_TYPES = frozenset({INITIALIZED, SIGNATURES_REQUIRED, SIGNATURES_NAME_ORIGIN,
                           OFFICER_ADDED, KEY_ADDED, KEY_REVOKED})


def _learn_only(state: LeafState, seq: int, typ: str, leaf: bytes, body: str) -> None:
    """Let the event checks learn what an event in the light part tells them (they check
    nothing there: `state.light_until`)."""
    if typ not in LEARNED_TYPES:
        return
    try:
        doc = DECODE(body)
    except (ValueError, TypeError, RecursionError):
        return
    if type(doc) is dict:
        for check in state.event_checks:
            check(state, seq, leaf, doc, {})


def _run_or_hand(state: LeafState, found: list, at: int, later: list[tuple[int, Later]]) -> list[Finding]:
    """An event check's findings, running its Later work here, or, for `state.hand_over` of
    it (a running share, so the hand-over is even through the log), noting it in `later` with
    the place in the batch's findings where its findings belong."""
    out: list[Finding] = []
    for got in found:
        if type(got) is not Later:
            out.append(got)
            continue
        state.handed += state.hand_over
        if state.handed >= 1.0:
            state.handed -= 1.0
            later.append((at + len(out), got))
        else:
            out += got.run(*got.args)
    return out


def run_handed(result: LeafResult) -> None:
    """Run the work the leaf checks handed back, each one's findings put where the checks would
    have put them, so the findings are the same whichever process ran it."""
    findings = result.findings
    for at, work in reversed(result.later):  # from the end: the places before stay where they are
        findings[at:at] = work.run(*work.args)
    result.later = []


# -- the second process ----------------------------------------------------------------------
def _serve(state: LeafState, inbox, outbox, hand_over: float = 0.0) -> None:
    """The worker's loop, answering each message in order: ("leaves", batch) with its
    LeafResult, ("state",) with the state so far, ("digests", descriptions) with the
    description digest of each stored items row (ledger.replay); None ends it."""
    import gc
    import traceback

    from ledger.replay import row_description_digest

    gc.disable()  # nothing it keeps is cyclic (see verify_log)
    state.hand_over = hand_over
    try:
        while (message := inbox.get()) is not None:
            kind = message[0]
            if kind == "leaves":
                outbox.put(check_leaves(state, message[1]))
            elif kind == "digests":
                outbox.put([row_description_digest(values) for values in message[1]])
            else:
                outbox.put(state)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        where = traceback.extract_tb(exc.__traceback__)[-1]
        outbox.put(("failed", f"{type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})"))


# The share of the event checks' Later work (the Ed25519 checks) that the second process hands
# back to the first, which replays. Without that work the second spends a little more per event
# of a signed log than the first (it also reads each event's signature rows and keys); an even
# split left it 14 % behind, this share evens them (BENCHMARKS.md, "Signatures on both cores").
HAND_OVER = 0.55


class WorkerFailed(RuntimeError):
    """The second process stopped or failed (killed, out of memory, or a bug)."""


class LeafWorker:
    """`check_leaves` in a second process. Batches are sent in log order and their results
    come back in the same order; `state` returns the LeafState after them. The process gets the
    rows from its parent and opens no connection, so it sees exactly what the parent's
    transaction sees (uncommitted rows included)."""

    def __init__(self, state: LeafState, hand_over: float | None = None) -> None:
        # fork where there is one: the child starts at once with the modules loaded, and imports
        # nothing of the caller's main script again (spawn re-runs a script without a main
        # guard). It never touches the parent's database connection, and it leaves by os._exit
        # (multiprocessing's way), so nothing of that connection is closed or flushed twice.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._inbox, self._outbox = ctx.Queue(), ctx.Queue()
        self._process = ctx.Process(target=_serve, args=(state, self._inbox, self._outbox,
                                    HAND_OVER if hand_over is None else hand_over), daemon=True,
                                    name="evidence-verify-leaves")
        self._process.start()

    def send(self, batch: Batch) -> None:
        """Check this batch's leaves next; `receive` returns its LeafResult."""
        self._inbox.put(("leaves", batch))

    def send_descriptions(self, descriptions: list[tuple]) -> None:
        """Digest these items rows' described columns next; `receive` returns the digests."""
        self._inbox.put(("digests", descriptions))

    def _get(self):
        while True:
            try:
                got = self._outbox.get(timeout=1.0)
            except queue.Empty:
                if not self._process.is_alive():
                    raise WorkerFailed(_("verify's second process ended with exit code {code}").format(
                        code=self._process.exitcode)) from None
                continue
            if type(got) is tuple and got[:1] == ("failed",):
                raise WorkerFailed(_("verify's second process failed: {error}").format(error=got[1]))
            return got

    def receive(self):
        return self._get()

    def state(self) -> LeafState:
        """The leaf checks' state once every batch sent has been checked (the tree, the head)."""
        self._inbox.put(("state",))
        return self._get()

    def close(self) -> None:
        if self._process.is_alive():
            self._inbox.put(None)
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        for q in (self._inbox, self._outbox):
            q.cancel_join_thread()
            q.close()
