"""The auditor's check of the whole log: the chain, the projections, custody continuity.

Checks are plain functions returning findings, gathered in lists, so every problem is
reported, not only the first. The log is streamed once in batches of plain rows (no ORM
objects per event); stream checks see each batch in order and replay it, final checks
compare what the replay built against the tables that claim to show the current state.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import InputError, LedgerError
from ledger.events import FORMAT_VERSION, GENESIS_HASH
from ledger.models import Case, ChainHead, Event, Location, Officer, Seizure
from ledger.registry import MAY_HOLD

BATCH = 5000
BODY_COLUMNS = (("seq", "seq"), ("type", "type"), ("recorded_at", "recorded_at"),
                ("occurred_at", "occurred_at"), ("actor", "actor"), ("case", "case_no"))
# Columns that describe an item as registered (everything but its custody state).
DESCRIPTIVE = ("currency", "amount_minor", "denominations", "counted_by", "verified_by", "make", "model", "plate",
               "plate_kind", "vin", "year", "color", "value_currency", "value_minor", "imei", "imei2", "number",
               "title", "pages", "file_name", "file_sha256", "file_size")
NOT_DESCRIPTIVE = frozenset(("item", "kind", "seizure", "holder", "seal", "location"))
# Findings about the log itself; "projection" findings are about the tables that show the
# current state, and never name a "first bad event".
LOG_CHECKS = ("chain", "head", "links", "custody", "reference")
EVENT_COLUMNS = (Event.seq, Event.recorded_at, Event.occurred_at, Event.actor, Event.type, Event.case_no, Event.body,
                 Event.prev_hash, Event.hash)


@dataclass(frozen=True)
class Finding:
    check: str  # chain, head, links, custody, reference, projection
    seq: int | None
    item: str | None
    message: str
    case: str | None = None

    def render(self) -> str:
        where = " ".join(x for x in (f"seq {self.seq}" if self.seq is not None else None, self.item) if x)
        return f"[{self.check}] {where + ': ' if where else ''}{self.message}"

    def as_dict(self) -> dict:
        return {"check": self.check, "seq": self.seq, "item": self.item, "case": self.case, "message": self.message}


# -- canonical JSON, checked with the C scanner and encoder ----------------------------
def _no_float(text: str) -> float:
    raise ValueError(f"float {text} in a body")


# A body is canonical when the C encoder, given what the C scanner parsed, writes back the
# same text: sorted keys, no whitespace, the one escaping, no NaN. Floats are refused while
# parsing (the encoder would write 1.5 back unchanged). Same rules as events.canonical_json.
_DECODE = json.JSONDecoder(parse_float=_no_float).decode
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                            check_circular=False)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _iterencode = _c_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False,
                             False)

    def _encode(doc: object) -> str:
        return "".join(_iterencode(doc, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _encode = _ENCODER.encode


def _fields_digest(fields: dict) -> bytes:
    """SHA-256 of an item's described fields in canonical JSON (32 bytes kept per item,
    not the fields themselves: a million items must fit in memory)."""
    return hashlib.sha256(_encode(fields).encode("utf-8")).digest()


# -- the replay's state ------------------------------------------------------------------
# One list per item (a million of them: a list is cheaper to build than an object), indexed
# by these names.
(S_CASE, S_KIND, S_SEIZURE, S_REG_SEQ, S_REG_DIGEST, S_HOLDER, S_SEAL, S_LOCATION, S_LAST_SEQ, S_LAST_AT, S_STATUS,
 S_DISPOSITION, S_AUTHORITY, S_DISPOSED_TO) = range(14)


@dataclass
class Audit:
    """What the stream checks carry from one batch to the next."""

    expect_head: tuple[int, str] | None = None
    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    hash_at_expected: str | None = None
    officers: dict[str, tuple] = field(default_factory=dict)
    locations: dict[str, tuple] = field(default_factory=dict)
    cases: dict[str, tuple] = field(default_factory=dict)
    seizures: dict[str, str] = field(default_factory=dict)
    items: dict[str, list] = field(default_factory=dict)


def _label(no: int) -> str:
    return f"EV-{no:06d}"


# -- reading -------------------------------------------------------------------------
# A row is the tuple (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash,
# hash); links maps seq -> the sorted evidence ids its event_items rows name.
Batch = tuple[list[tuple], dict[int, list[str]]]
_NO_LINKS: list[str] = []


def _driver_cursor(session: Session):
    """The driver's own cursor inside the session's transaction (one snapshot), and the
    placeholder its parameter style uses (sqlite3 '?', psycopg '%s')."""
    conn = session.connection()
    mark = "?" if conn.dialect.dbapi.paramstyle == "qmark" else "%s"
    return conn.connection.driver_connection.cursor(), mark


def read_batches(session: Session, batch: int = BATCH) -> Iterator[Batch]:
    """The log in sequence order, in batches of plain driver tuples, with each event's item
    links: no SQLAlchemy row objects per event. Keyset paging keeps every query short."""
    cursor, mark = _driver_cursor(session)
    cols = ", ".join(c.name for c in EVENT_COLUMNS)
    page = f"SELECT {cols} FROM events WHERE seq > {mark} ORDER BY seq LIMIT {mark}"  # noqa: S608 - constant names
    linked = f"SELECT seq, item_no FROM event_items WHERE seq >= {mark} AND seq <= {mark}"  # noqa: S608
    last = -1
    try:
        while True:
            cursor.execute(page, (last, batch))
            rows = cursor.fetchall()
            if not rows:
                return
            lo, hi = rows[0][0], rows[-1][0]
            cursor.execute(linked, (lo, hi))
            links: dict[int, list[str]] = {}
            for seq, no in cursor.fetchall():
                got = links.get(seq)
                if got is None:
                    links[seq] = [_label(no)]
                else:
                    got.append(_label(no))
                    got.sort()
            yield rows, links
            last = hi
    finally:
        cursor.close()


# -- stream checks: (audit, batch) -> findings ----------------------------------------
def check_chain(audit: Audit, batch: Batch, docs: list) -> list[Finding]:
    """Every hash recomputes, sequence numbers run 1, 2, 3..., each event names its
    predecessor's hash, and the row's columns say what its body says. Appends each event's
    parsed body (None if it is not canonical JSON of an event) to `docs` for the replay."""
    out: list[Finding] = []
    rows, links = batch
    sha256, decode, encode = hashlib.sha256, _DECODE, _encode
    last_seq, last_hash = audit.last_seq, audit.last_hash
    expect_seq = audit.expect_head[0] if audit.expect_head else None
    for row in rows:
        seq, recorded_at, occurred_at, actor, typ, case_no, body, prev_hash, digest = row
        if seq != last_seq + 1:
            expected_seq = last_seq + 1
            gap = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq} to {seq - 1}"
            out.append(Finding("chain", expected_seq, None,
                               f"{gap} missing: the log jumps from seq {last_seq} to {seq} (events deleted)."))
        if prev_hash != last_hash:
            out.append(Finding("chain", seq, None, f"prev_hash {prev_hash[:16]}... does not link to the hash "
                               f"of the event before it (seq {last_seq}, {last_hash[:16]}...)."))
        # prev_hash is ASCII hex in every row that links (checked above); encoding the pair
        # as UTF-8 gives the bytes chain_hash hashes, and cannot fail on a forged one.
        if sha256((prev_hash + body).encode("utf-8")).hexdigest() != digest:
            out.append(Finding("chain", seq, None, "hash does not match the event's body: the body or the hash "
                               "was changed after it was written."))
        try:
            doc = decode(body)
            if type(doc) is not dict or encode(doc) != body:
                doc = None
        except (ValueError, TypeError, RecursionError):
            doc = None
        docs.append(doc)
        if doc is None:
            out.append(Finding("chain", seq, None, "body is not canonical JSON of an event."))
        else:
            get = doc.get
            if get("v") != FORMAT_VERSION:
                out.append(Finding("chain", seq, None, f"body has format version {get('v')!r}, not {FORMAT_VERSION}."))
            if ((get("seq"), get("type"), get("recorded_at"), get("occurred_at"), get("actor"), get("case"))
                    != (seq, typ, recorded_at, occurred_at, actor, case_no)):
                for (key, col), have in zip(BODY_COLUMNS, (seq, typ, recorded_at, occurred_at, actor, case_no),
                                            strict=True):
                    if get(key) != have:
                        out.append(Finding("chain", seq, None, f"column {col} is {have!r} but the body "
                                           f"says {get(key)!r}."))
            items = get("items")
            linked = links.get(seq, _NO_LINKS)
            if items != linked:
                try:
                    differ = sorted(items or []) != linked
                except TypeError:
                    differ = True
                if differ:
                    out.append(Finding("links", seq, None, f"event_items links {linked} but the body names "
                                       f"{items}."))
        if seq == expect_seq:
            audit.hash_at_expected = digest
        last_seq, last_hash = seq, digest
    audit.last_seq, audit.last_hash = last_seq, last_hash
    audit.events += len(rows)
    return out


def check_custody(audit: Audit, batch: Batch, docs: list) -> list[Finding]:
    """Replays the batch: every item registered once, every transfer's sender held the item
    at that moment, nothing moves after a disposition, an item's times never go back, and
    the officers, locations, cases and seizures an event names exist by then."""
    out: list[Finding] = []
    for row, doc in zip(batch[0], docs, strict=True):
        if doc is None:
            continue
        data = doc.get("data")
        if type(data) is not dict:
            data = {}
        done = len(out)
        try:
            _apply(audit, out, row[0], row[2], doc, data)
        except (KeyError, TypeError, AttributeError) as exc:
            del out[done:]  # an event the replay cannot read gives this one finding
            out.append(Finding("custody", row[0], None, f"{row[4]} event lacks a field it needs ({exc!r})."))
    return out


def _officer(audit: Audit, out: list, seq: int, case, badge, what: str, item: str | None = None) -> tuple | None:
    if badge is None:
        return None
    known = audit.officers.get(badge)
    if known is None:
        out.append(Finding("reference", seq, item, f"{what} {badge} is not a registered officer at this point of "
                           "the log.", case))
    return known


def _place(audit: Audit, out: list, seq: int, case, code, item: str | None = None) -> None:
    if code is not None and code not in audit.locations:
        out.append(Finding("reference", seq, item, f"location {code} is not registered at this point of the log.",
                           case))


def _apply(audit: Audit, out: list, seq: int, occurred_at: str, doc: dict, data: dict) -> None:
    """Replay one event whose body parsed; findings go to `out`. `occurred_at` is the column
    (checked equal to the body by check_chain)."""
    case = doc.get("case")
    actor = doc.get("actor")
    if actor is not None and actor not in audit.officers:
        _officer(audit, out, seq, case, actor, "actor")
    typ = doc.get("type")
    items = doc.get("items") or []
    if typ == "item.registered":
        item = data["item"]
        if items != [item]:
            out.append(Finding("custody", seq, item, f"registration lists items {items}, not [{item}].", case))
        known = audit.items.get(item)
        if known is not None:
            out.append(Finding("custody", seq, item, f"is registered a second time (first at seq "
                               f"{known[S_REG_SEQ]}).", case))
            return
        seizure = data["seizure"]
        if audit.seizures.get(seizure, case) != case:
            out.append(Finding("reference", seq, item, f"seizure {seizure} belongs to another case than {case}.", case))
        elif seizure not in audit.seizures:
            out.append(Finding("reference", seq, item, f"seizure {seizure} is not recorded before the item.", case))
        holder_badge = data["holder"]
        holder = _officer(audit, out, seq, case, holder_badge, "first holder", item)
        if holder is not None and holder[1] not in MAY_HOLD:
            out.append(Finding("custody", seq, item, f"first holder {holder_badge} is {holder[1]}, a role that may "
                               "not hold evidence.", case))
        location = data.get("location")
        _place(audit, out, seq, case, location, item)
        digest = _fields_digest({k: v for k, v in data.items() if k not in NOT_DESCRIPTIVE})
        audit.items[item] = [case, data["kind"], seizure, seq, digest, holder_badge, data.get("seal"), location, seq,
                             occurred_at, "in-custody", None, None, None]
        return
    if typ == "officer.added":
        if data["badge"] in audit.officers:
            out.append(Finding("reference", seq, None, f"officer {data['badge']} is added a second time.", case))
        audit.officers[data["badge"]] = (data["name"], data["role"], data.get("unit"))
        return
    if typ == "location.added":
        if data["code"] in audit.locations:
            out.append(Finding("reference", seq, None, f"location {data['code']} is added a second time.", case))
        audit.locations[data["code"]] = (data["name"], data["kind"])
        return
    if typ == "case.opened":
        _officer(audit, out, seq, case, data.get("prosecutor"), "prosecutor")
        audit.cases[data["case_no"]] = (data["title"], data.get("prosecutor"))
        return
    if typ == "seizure.recorded":
        if data["case_no"] not in audit.cases:
            out.append(Finding("reference", seq, None, f"seizure {data['seizure']} names case {data['case_no']}, "
                               "not opened before.", case))
        audit.seizures[data["seizure"]] = data["case_no"]
        return

    states: list[tuple[str, list]] = []
    for item in items:
        st = audit.items.get(item)
        if st is None:
            out.append(Finding("custody", seq, item, f"{typ} names an item that was never registered.", case))
            continue
        if occurred_at < st[S_LAST_AT]:
            out.append(Finding("custody", seq, item, f"happened at {occurred_at}, before the item's previous event "
                               f"(seq {st[S_LAST_SEQ]} at {st[S_LAST_AT]}): its times go backwards.", case))
        if st[S_STATUS] == "disposed" and typ.startswith("custody."):
            out.append(Finding("custody", seq, item, f"{typ} after the item was disposed of ({st[S_DISPOSITION]}).",
                               case))
        states.append((item, st))

    if typ == "custody.transferred":
        receiver = _officer(audit, out, seq, case, data["to"], "receiver")
        _officer(audit, out, seq, case, data["from"], "sender")
        if receiver is not None and receiver[1] not in MAY_HOLD:
            out.append(Finding("custody", seq, None, f"receiver {data['to']} is {receiver[1]}, a role that may not "
                               "hold evidence.", case))
        _place(audit, out, seq, case, data.get("location"))
        for item, st in states:
            if st[S_HOLDER] != data["from"]:
                out.append(Finding("custody", seq, item, f"transferred from {data['from']}, but "
                                   f"{st[S_HOLDER] or 'nobody'} held it then (since seq {st[S_LAST_SEQ]}).", case))
            st[S_HOLDER] = data["to"]
            st[S_LOCATION] = data.get("location") or st[S_LOCATION]
            st[S_SEAL] = data.get("seal") or st[S_SEAL]
    elif typ == "custody.resealed":
        for item, st in states:
            if data["item"] != item:
                out.append(Finding("custody", seq, item, f"reseal lists {item} but its data names {data['item']}.",
                                   case))
            if data["old_seal"] != st[S_SEAL]:
                out.append(Finding("custody", seq, item, f"resealed from seal {data['old_seal']}, but its seal was "
                                   f"{st[S_SEAL]}.", case))
            st[S_SEAL] = data["new_seal"]
    elif typ == "custody.disposed":
        for item, st in states:
            if data["holder"] != st[S_HOLDER]:
                out.append(Finding("custody", seq, item, f"disposition says {data['holder']} held it, but "
                                   f"{st[S_HOLDER]} did.", case))
            st[S_STATUS], st[S_HOLDER] = "disposed", None
            st[S_DISPOSITION], st[S_AUTHORITY], st[S_DISPOSED_TO] = data["action"], data["authority"], data.get("to")
    for _item, st in states:
        st[S_LAST_SEQ], st[S_LAST_AT] = seq, max(st[S_LAST_AT], occurred_at)


STREAM_CHECKS: list[Callable[[Audit, Batch, list], list[Finding]]] = [check_chain, check_custody]


# -- final checks: (session, audit) -> findings ---------------------------------------
def check_head(session: Session, audit: Audit) -> list[Finding]:
    """The chain_head row names the last event."""
    head = session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == 1)).one_or_none()
    if head is None:
        return [Finding("head", None, None, "the chain_head row is missing.")]
    if (head.seq, head.hash) != (audit.last_seq, audit.last_hash):
        return [Finding("head", max(head.seq, audit.last_seq), None,
                        f"chain_head says seq {head.seq} ({head.hash[:16]}...), but the last event is seq "
                        f"{audit.last_seq} ({audit.last_hash[:16]}...).")]
    return []


def check_expected_head(session: Session, audit: Audit) -> list[Finding]:
    """The log still holds exactly the prefix an earlier audit saw (--expect-head)."""
    if audit.expect_head is None:
        return []
    seq, digest = audit.expect_head
    if audit.hash_at_expected is None:
        return [Finding("head", seq, None, f"the expected head seq {seq} is not in the log, which ends at seq "
                        f"{audit.last_seq}: events were removed.")]
    if audit.hash_at_expected != digest:
        return [Finding("head", seq, None, f"event seq {seq} has hash {audit.hash_at_expected[:16]}..., not the "
                        f"expected {digest[:16]}...: the log up to seq {seq} was rewritten since that audit.")]
    return []


def _shown(value) -> str:
    return "nothing" if value is None else value if isinstance(value, str) else repr(value)


def _table_differs(item: str, case, what: str, table, log, last_seq: int) -> Finding:
    return Finding("projection", None, item, f"the items table differs from the log for {item}: {what} "
                   f"{_shown(table)} in the table, {_shown(log)} by the log (last event seq {last_seq}).", case)


# Item columns compared with the replay, in the order of the list each state is turned into.
_STATE_COLUMNS = ("holder", "status", "seal", "location", "last_seq", "last_at", "case_no", "kind", "registered_seq",
                  "disposition", "authority", "disposed_to")
_STATE_INDEX = (S_HOLDER, S_STATUS, S_SEAL, S_LOCATION, S_LAST_SEQ, S_LAST_AT, S_CASE, S_KIND, S_REG_SEQ,
                S_DISPOSITION, S_AUTHORITY, S_DISPOSED_TO)


def check_items(session: Session, audit: Audit) -> list[Finding]:
    """Every item row equals the replay of its events, and every item has a registration."""
    from ledger.items import _event_fields

    out: list[Finding] = []
    seizures = dict(session.execute(select(Seizure.no, Seizure.id)).all())
    seen: set[str] = set()
    cols = ("no", "id", "case_no", "seizure_no", *_STATE_COLUMNS, *DESCRIPTIVE)
    ndesc = len(DESCRIPTIVE)
    cursor, mark = _driver_cursor(session)
    page = f"SELECT {', '.join(cols)} FROM items WHERE no > {mark} ORDER BY no LIMIT {mark}"  # noqa: S608 - constants
    last = -1
    try:
        while True:
            cursor.execute(page, (last, BATCH))
            rows = cursor.fetchall()
            if not rows:
                break
            for row in rows:
                no, item, case_no, seizure_no = row[0], row[1], row[2], row[3]
                seen.add(item)
                st = audit.items.get(item)
                if st is None or item != _label(no):
                    out.append(Finding("projection", None, item, "has a row in the items table but no registration "
                                       "event in the log.", case_no))
                    continue
                state = row[4:16]
                want = tuple([st[i] for i in _STATE_INDEX])
                if state != want:
                    for col, have, log in zip(_STATE_COLUMNS, state, want, strict=True):
                        if have != log:
                            out.append(_table_differs(item, st[S_CASE], col, have, log, st[S_LAST_SEQ]))
                seizure = seizures.get(seizure_no)
                if seizure != st[S_SEIZURE]:
                    out.append(_table_differs(item, st[S_CASE], "seizure", seizure, st[S_SEIZURE], st[S_LAST_SEQ]))
                desc = {c: v for c, v in zip(DESCRIPTIVE, row[16:16 + ndesc], strict=True) if v is not None}
                try:
                    same = _fields_digest(_event_fields(desc, None)) == st[S_REG_DIGEST]
                except (LedgerError, KeyError, ValueError, TypeError, ArithmeticError):
                    same = False  # e.g. an amount left without its currency
                if not same:
                    out.append(Finding("projection", None, item, "the items table differs from the log for "
                                       f"{item}: its described fields (amount, IMEI, VIN, ...) are not those of its "
                                       f"registration event (seq {st[S_REG_SEQ]}).", st[S_CASE]))
            last = rows[-1][0]
    finally:
        cursor.close()
    for item, st in audit.items.items():
        if item not in seen:
            out.append(Finding("projection", None, item, f"is registered in the log (seq {st[S_REG_SEQ]}) but "
                               "missing from the items table.", st[S_CASE]))
    return out


def _compare_table(kind: str, table: dict, replay: dict) -> list[Finding]:
    out = []
    for key in sorted(set(table) | set(replay)):
        if key not in replay:
            out.append(Finding("projection", None, None, f"{kind} {key} is in its table but never added in the log."))
        elif key not in table:
            out.append(Finding("projection", None, None, f"{kind} {key} is added in the log but missing from its table."))
        elif table[key] != replay[key]:
            out.append(Finding("projection", None, None, f"{kind} {key} is {table[key]} in its table, but the log "
                               f"says {replay[key]}."))
    return out


def check_registry(session: Session, audit: Audit) -> list[Finding]:
    """Officers, locations, cases and seizures in their tables equal those added in the log."""
    officers = {b: (n, r, u) for b, n, r, u in session.execute(
        select(Officer.badge, Officer.name, Officer.role, Officer.unit))}
    locations = {c: (n, k) for c, n, k in session.execute(select(Location.code, Location.name, Location.kind))}
    cases = {c: (t, p) for c, t, p in session.execute(select(Case.case_no, Case.title, Case.prosecutor))}
    seizures = dict(session.execute(select(Seizure.id, Seizure.case_no)).all())
    return (_compare_table("officer", officers, audit.officers) + _compare_table("location", locations, audit.locations)
            + _compare_table("case", cases, audit.cases) + _compare_table("seizure", seizures, audit.seizures))


FINAL_CHECKS: list[Callable[[Session, Audit], list[Finding]]] = [
    check_head, check_expected_head, check_items, check_registry,
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
    def first_bad_seq(self) -> int | None:
        """The lowest seq among the findings about the log itself: a table that differs from
        the log names no bad event (the log may be intact)."""
        seqs = [f.seq for f in self.log_findings if f.seq is not None]
        return min(seqs) if seqs else None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "head": {"seq": self.head_seq, "hash": self.head_hash},
                "case": self.case, "items_checked": self.items_checked, "first_bad_seq": self.first_bad_seq,
                "log_findings": len(self.log_findings), "table_findings": len(self.table_findings),
                "findings": [f.as_dict() for f in self.findings]}


def parse_expect_head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not (seq.isascii() and seq.isdigit() and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        raise InputError(f"--expect-head {text[:80]!r} is not SEQ:HASH.",
                         hint="Give the head printed by an earlier 'evidence verify', e.g. 1234:9f86d081...(64 hex digits).")
    return int(seq), digest


def _snapshot(session: Session) -> None:
    # One consistent view of the log for the whole run, while others keep appending.
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify_log(session: Session, *, case_no: str | None = None, expect_head: str | None = None,
               progress: Callable[[int], None] | None = None, batch: int = BATCH) -> Report:
    """Run every check over the whole log; `case_no` limits the report to that case's items
    and events (the chain is always checked whole)."""
    expected = parse_expect_head(expect_head)
    _snapshot(session)
    if case_no is not None:
        from ledger.registry import get_case

        case_no = get_case(session, case_no, "--case").case_no
    audit = Audit(expect_head=expected)
    findings: list[Finding] = []
    # The replay keeps a list per item (a million at a million events) and allocates a dict
    # per event, none of them cyclic: the cyclic collector would rescan that growing heap
    # again and again for nothing, so it is paused for the run (and restored).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for rows in read_batches(session, batch):
            docs: list = []  # each event's parsed body, filled by check_chain for the replay
            for check in STREAM_CHECKS:
                findings.extend(check(audit, rows, docs))
            if progress:
                progress(len(rows[0]))
        for final in FINAL_CHECKS:
            findings.extend(final(session, audit))
    finally:
        if collecting:
            gc.enable()
    if case_no is not None:
        findings = [f for f in findings if f.check in ("chain", "head", "links") or f.case in (None, case_no)
                    and (f.item is None or audit.items.get(f.item) is None or audit.items[f.item][S_CASE] == case_no)]
    # The log's findings first, in log order; then those about the tables.
    findings.sort(key=lambda f: (f.check not in LOG_CHECKS, f.seq is None, f.seq or 0))
    checked = sum(1 for st in audit.items.values() if case_no is None or st[S_CASE] == case_no)
    return Report(audit.events, audit.last_seq, audit.last_hash, case_no, checked, findings)


def head_seq(session: Session) -> int:
    return session.execute(select(ChainHead.seq).where(ChainHead.id == 1)).scalar() or 0
