"""The auditor's check of the whole log: the chain, the projections, custody continuity.

Checks are plain functions returning findings, gathered in lists, so every problem is
reported, not only the first. The log is streamed once in batches of plain rows (no ORM
objects per event); stream checks see each batch in order and replay it, final checks
compare what the replay built against the tables that claim to show the current state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.events import FORMAT_VERSION, GENESIS_HASH, canonical_json, chain_hash
from ledger.models import Case, ChainHead, Event, EventItem, Item, Location, Officer, Seizure
from ledger.registry import MAY_HOLD

BATCH = 5000
BODY_COLUMNS = (("seq", "seq"), ("type", "type"), ("recorded_at", "recorded_at"),
                ("occurred_at", "occurred_at"), ("actor", "actor"), ("case", "case_no"))
# Columns that describe an item as registered (everything but its custody state).
DESCRIPTIVE = ("currency", "amount_minor", "denominations", "counted_by", "verified_by", "make", "model", "plate",
               "plate_kind", "vin", "year", "color", "value_currency", "value_minor", "imei", "imei2", "number",
               "title", "pages", "file_name", "file_sha256", "file_size")
NOT_DESCRIPTIVE = ("item", "kind", "seizure", "holder", "seal", "location")


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


@dataclass(slots=True)
class Row:
    """One event as read: its columns, its body text and the parsed body (None if unreadable)."""

    seq: int
    recorded_at: str
    occurred_at: str
    actor: str | None
    type: str
    case_no: str | None
    body: str
    prev_hash: str
    hash: str
    links: list[str]
    doc: dict | None = None


@dataclass(slots=True)
class ItemState:
    case: str | None
    kind: str
    seizure: str | None
    reg_seq: int
    reg_digest: str
    holder: str | None
    seal: str | None
    location: str | None
    last_seq: int
    last_at: str
    status: str = "in-custody"
    disposition: str | None = None
    authority: str | None = None
    disposed_to: str | None = None


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
    items: dict[str, ItemState] = field(default_factory=dict)


def _label(no: int) -> str:
    return f"EV-{no:06d}"


def _digest(fields: dict) -> str:
    return hashlib.sha256(canonical_json(fields)).hexdigest()


# -- reading -------------------------------------------------------------------------
def read_batches(session: Session, batch: int = BATCH) -> Iterator[list[Row]]:
    """The log in sequence order, in batches, with each event's item links."""
    last = -1
    cols = (Event.seq, Event.recorded_at, Event.occurred_at, Event.actor, Event.type, Event.case_no, Event.body,
            Event.prev_hash, Event.hash)
    while True:
        rows = session.execute(select(*cols).where(Event.seq > last).order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        lo, hi = rows[0][0], rows[-1][0]
        links: dict[int, list[str]] = {}
        for seq, no in session.execute(select(EventItem.seq, EventItem.item_no)
                                       .where(EventItem.seq >= lo, EventItem.seq <= hi)):
            links.setdefault(seq, []).append(_label(no))
        yield [Row(*r, links=sorted(links.get(r[0], ()))) for r in rows]
        last = hi


# -- stream checks: (audit, batch) -> findings ----------------------------------------
def check_chain(audit: Audit, batch: list[Row]) -> list[Finding]:
    """Every hash recomputes, sequence numbers run 1, 2, 3..., each event names its
    predecessor's hash, and the row's columns say what its body says."""
    out: list[Finding] = []
    for r in batch:
        expected_seq = audit.last_seq + 1
        if r.seq != expected_seq:
            gap = f"seq {expected_seq}" if r.seq == expected_seq + 1 else f"seq {expected_seq} to {r.seq - 1}"
            out.append(Finding("chain", expected_seq, None,
                               f"{gap} missing: the log jumps from seq {audit.last_seq} to {r.seq} (events deleted)."))
        if r.prev_hash != audit.last_hash:
            out.append(Finding("chain", r.seq, None, f"prev_hash {r.prev_hash[:16]}... does not link to the hash "
                               f"of the event before it (seq {audit.last_seq}, {audit.last_hash[:16]}...)."))
        body = r.body.encode("utf-8")
        if chain_hash(r.prev_hash, body) != r.hash:
            out.append(Finding("chain", r.seq, None, "hash does not match the event's body: the body or the hash "
                               "was changed after it was written."))
        try:
            doc = json.loads(body)
            if not isinstance(doc, dict) or canonical_json(doc) != body:
                raise ValueError("not canonical")
            r.doc = doc
        except (ValueError, TypeError):
            out.append(Finding("chain", r.seq, None, "body is not canonical JSON of an event."))
        if r.doc is not None:
            if r.doc.get("v") != FORMAT_VERSION:
                out.append(Finding("chain", r.seq, None, f"body has format version {r.doc.get('v')!r}, "
                                   f"not {FORMAT_VERSION}."))
            for key, col in BODY_COLUMNS:
                if r.doc.get(key) != getattr(r, col):
                    out.append(Finding("chain", r.seq, None, f"column {col} is {getattr(r, col)!r} but the body "
                                       f"says {r.doc.get(key)!r}."))
            if sorted(r.doc.get("items") or []) != r.links:
                out.append(Finding("links", r.seq, None, f"event_items links {r.links} but the body names "
                                   f"{r.doc.get('items')}."))
        if audit.expect_head and r.seq == audit.expect_head[0]:
            audit.hash_at_expected = r.hash
        audit.last_seq, audit.last_hash = r.seq, r.hash
        audit.events += 1
    return out


def check_custody(audit: Audit, batch: list[Row]) -> list[Finding]:
    """Replays the batch: every item registered once, every transfer's sender held the item
    at that moment, nothing moves after a disposition, an item's times never go back, and
    the officers, locations, cases and seizures an event names exist by then."""
    out: list[Finding] = []
    for r in batch:
        doc = r.doc
        if doc is None:
            continue
        data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
        try:
            out.extend(_apply(audit, r, doc, data))
        except (KeyError, TypeError, AttributeError) as exc:
            out.append(Finding("custody", r.seq, None, f"{r.type} event lacks a field it needs ({exc!r})."))
    return out


def _apply(audit: Audit, r: Row, doc: dict, data: dict) -> list[Finding]:
    out: list[Finding] = []
    seq, case = r.seq, doc.get("case")

    def finding(check: str, item: str | None, message: str) -> None:
        out.append(Finding(check, seq, item, message, case))

    def officer(badge: str | None, what: str, item: str | None = None) -> tuple | None:
        if badge is None:
            return None
        known = audit.officers.get(badge)
        if known is None:
            finding("reference", item, f"{what} {badge} is not a registered officer at this point of the log.")
        return known

    def place(code: str | None, item: str | None = None) -> None:
        if code is not None and code not in audit.locations:
            finding("reference", item, f"location {code} is not registered at this point of the log.")

    officer(doc.get("actor"), "actor")
    typ = doc.get("type")
    items = doc.get("items") or []
    if typ == "officer.added":
        if data["badge"] in audit.officers:
            finding("reference", None, f"officer {data['badge']} is added a second time.")
        audit.officers[data["badge"]] = (data["name"], data["role"], data.get("unit"))
        return out
    if typ == "location.added":
        if data["code"] in audit.locations:
            finding("reference", None, f"location {data['code']} is added a second time.")
        audit.locations[data["code"]] = (data["name"], data["kind"])
        return out
    if typ == "case.opened":
        officer(data.get("prosecutor"), "prosecutor")
        audit.cases[data["case_no"]] = (data["title"], data.get("prosecutor"))
        return out
    if typ == "seizure.recorded":
        if data["case_no"] not in audit.cases:
            finding("reference", None, f"seizure {data['seizure']} names case {data['case_no']}, not opened before.")
        audit.seizures[data["seizure"]] = data["case_no"]
        return out
    if typ == "item.registered":
        item = data["item"]
        if items != [item]:
            finding("custody", item, f"registration lists items {items}, not [{item}].")
        if item in audit.items:
            finding("custody", item, f"is registered a second time (first at seq {audit.items[item].reg_seq}).")
            return out
        if audit.seizures.get(data["seizure"], case) != case:
            finding("reference", item, f"seizure {data['seizure']} belongs to another case than {case}.")
        elif data["seizure"] not in audit.seizures:
            finding("reference", item, f"seizure {data['seizure']} is not recorded before the item.")
        holder = officer(data["holder"], "first holder", item)
        if holder is not None and holder[1] not in MAY_HOLD:
            finding("custody", item, f"first holder {data['holder']} is {holder[1]}, a role that may not hold evidence.")
        place(data.get("location"), item)
        fields = {k: v for k, v in data.items() if k not in NOT_DESCRIPTIVE}
        audit.items[item] = ItemState(case, data["kind"], data["seizure"], seq, _digest(fields), data["holder"],
                                      data.get("seal"), data.get("location"), seq, r.occurred_at)
        return out

    states: list[tuple[str, ItemState]] = []
    for item in items:
        st = audit.items.get(item)
        if st is None:
            finding("custody", item, f"{typ} names an item that was never registered.")
            continue
        if r.occurred_at < st.last_at:
            finding("custody", item, f"happened at {r.occurred_at}, before the item's previous event "
                    f"(seq {st.last_seq} at {st.last_at}): its times go backwards.")
        if st.status == "disposed" and typ.startswith("custody."):
            finding("custody", item, f"{typ} after the item was disposed of ({st.disposition}).")
        states.append((item, st))

    if typ == "custody.transferred":
        receiver = officer(data["to"], "receiver")
        officer(data["from"], "sender")
        if receiver is not None and receiver[1] not in MAY_HOLD:
            finding("custody", None, f"receiver {data['to']} is {receiver[1]}, a role that may not hold evidence.")
        place(data.get("location"))
        for item, st in states:
            if st.holder != data["from"]:
                finding("custody", item, f"transferred from {data['from']}, but {st.holder or 'nobody'} held it "
                        f"then (since seq {st.last_seq}).")
            st.holder = data["to"]
            st.location = data.get("location") or st.location
            st.seal = data.get("seal") or st.seal
    elif typ == "custody.resealed":
        for item, st in states:
            if data["item"] != item:
                finding("custody", item, f"reseal lists {item} but its data names {data['item']}.")
            if data["old_seal"] != st.seal:
                finding("custody", item, f"resealed from seal {data['old_seal']}, but its seal was {st.seal}.")
            st.seal = data["new_seal"]
    elif typ == "custody.disposed":
        for item, st in states:
            if data["holder"] != st.holder:
                finding("custody", item, f"disposition says {data['holder']} held it, but {st.holder} did.")
            st.status, st.holder = "disposed", None
            st.disposition, st.authority, st.disposed_to = data["action"], data["authority"], data.get("to")
    for _item, st in states:
        st.last_seq, st.last_at = seq, max(st.last_at, r.occurred_at)
    return out


STREAM_CHECKS: list[Callable[[Audit, list[Row]], list[Finding]]] = [check_chain, check_custody]


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


def check_items(session: Session, audit: Audit) -> list[Finding]:
    """Every item row equals the replay of its events, and every item has a registration."""
    from ledger.items import _event_fields

    out: list[Finding] = []
    seizures = dict(session.execute(select(Seizure.no, Seizure.id)).all())
    seen: set[str] = set()
    last = -1
    cols = [Item.__table__.c[c] for c in ("no", "id", "case_no", "seizure_no", "kind", "status", "holder", "location",
                                           "seal", "registered_seq", "last_seq", "last_at", "disposition",
                                           "authority", "disposed_to", *DESCRIPTIVE)]
    while True:
        rows = session.execute(select(*cols).where(Item.no > last).order_by(Item.no).limit(BATCH)).mappings().all()
        if not rows:
            break
        for row in rows:
            item = row["id"]
            seen.add(item)
            st = audit.items.get(item)
            if st is None or item != _label(row["no"]):
                out.append(Finding("projection", None, item, "has a row in the items table but no registration "
                                   "event in the log.", row["case_no"]))
                continue
            desc = {c: row[c] for c in DESCRIPTIVE if row[c] is not None}
            pairs = [("holder", st.holder), ("status", st.status), ("seal", st.seal), ("location", st.location),
                     ("last_seq", st.last_seq), ("last_at", st.last_at), ("case_no", st.case), ("kind", st.kind),
                     ("registered_seq", st.reg_seq), ("disposition", st.disposition), ("authority", st.authority),
                     ("disposed_to", st.disposed_to)]
            for col, want in pairs:
                if row[col] != want:
                    out.append(Finding("projection", st.last_seq, item, f"items.{col} is {row[col]!r}, but the log "
                                       f"says {want!r} (as of seq {st.last_seq}).", st.case))
            if seizures.get(row["seizure_no"]) != st.seizure:
                out.append(Finding("projection", st.reg_seq, item, f"items.seizure_no points to "
                                   f"{seizures.get(row['seizure_no'])}, the log says {st.seizure}.", st.case))
            if _digest(_event_fields(desc, None)) != st.reg_digest:
                out.append(Finding("projection", st.reg_seq, item, "the item's described fields (amount, IMEI, "
                                   f"VIN, ...) differ from its registration event (seq {st.reg_seq}).", st.case))
        last = rows[-1]["no"]
    for item, st in audit.items.items():
        if item not in seen:
            out.append(Finding("projection", st.reg_seq, item, "is registered in the log but missing from the "
                               "items table.", st.case))
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
    def first_bad_seq(self) -> int | None:
        seqs = [f.seq for f in self.findings if f.seq is not None]
        return min(seqs) if seqs else None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "head": {"seq": self.head_seq, "hash": self.head_hash},
                "case": self.case, "items_checked": self.items_checked, "first_bad_seq": self.first_bad_seq,
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
    for rows in read_batches(session, batch):
        for check in STREAM_CHECKS:
            findings.extend(check(audit, rows))
        if progress:
            progress(len(rows))
    for final in FINAL_CHECKS:
        findings.extend(final(session, audit))
    if case_no is not None:
        findings = [f for f in findings if f.check in ("chain", "head", "links") or f.case in (None, case_no)
                    and (f.item is None or audit.items.get(f.item) is None or audit.items[f.item].case == case_no)]
    findings.sort(key=lambda f: (f.seq is None, f.seq or 0))
    checked = sum(1 for st in audit.items.values() if case_no is None or st.case == case_no)
    return Report(audit.events, audit.last_seq, audit.last_hash, case_no, checked, findings)


def head_seq(session: Session) -> int:
    return session.execute(select(ChainHead.seq).where(ChainHead.id == 1)).scalar() or 0
