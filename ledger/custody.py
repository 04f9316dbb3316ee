"""Chain of custody: handing items on, resealing them, disposing of them, and reading it back.

Every act is one event appended under the chain-head lock, with the item projections updated
in the same transaction, so two officers can never both hold an item. Rules are checked on
the state seen under that lock; a loser of a race gets the holder's name, not a lock error.
`holdings_at` and `item_history` read the log itself, not the projections.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound, RuleError
from ledger.events import append_event, now_utc
from ledger.items import get_item, item_label, parse_item_ref
from ledger.models import Event, EventItem, Item
from ledger.registry import MAY_HOLD, get_location, get_officer, require_actor
from ledger.requests import RequestEvent, record_request, request_fields, start_request
from ledger.validate import check_code, clean_text, local_iso, parse_time, utc_iso

DISPOSAL_ACTIONS = ("returned", "destroyed", "forfeited", "auctioned", "transferred-to-agency")
# Event types that change who holds an item; `holdings_at` replays only these.
HOLDER_EVENTS = ("item.registered", "custody.transferred", "custody.disposed")
# Roles that may record a handover they were not part of (the evidence room's keepers).
RECORDS_ANY_HANDOVER = frozenset({"custodian"})
REASON_MAX = 500
NO_SEAL = "none"


def _history_hint(item_id: str) -> str:
    return f"see 'evidence item history {item_id}'"


def _given_time(at: str | None, tz: str) -> str | None:
    """`--at` as a ledger time, or None when not given (the caller then takes the clock)."""
    return utc_iso(parse_time(at, tz, "--at")) if at else None


def _when(at: str | None, tz: str) -> str:
    return _given_time(at, tz) or utc_iso(now_utc())


def _not_before_last(item: Item, when: str, tz: str) -> str | None:
    if when < item.last_at:
        return (f"item {item.id}: --at {local_iso(when, tz)} is before its last recorded event (seq {item.last_seq}"
                f" at {local_iso(item.last_at, tz)}); custody cannot go back in time. Give a later --at, or {_history_hint(item.id)}.")
    return None


def _not_disposed(item: Item) -> str | None:
    if item.status == "disposed":
        return (f"item {item.id}: was disposed of ({item.disposition}, {item.authority}) and can no longer "
                f"change hands or seals; {_history_hint(item.id)}.")
    return None


def _raise_all(errors: list[str], what: str) -> None:
    if len(errors) == 1:
        raise RuleError(errors[0])
    if errors:
        raise RuleError(f"The {what} was refused for {len(errors)} reasons; nothing was written:", details=errors)


# -- transfer ------------------------------------------------------------------------
def _item_refs(refs: Sequence[str]) -> list[int]:
    if not refs:
        raise InputError("Name at least one item to transfer.", hint="e.g. evidence custody transfer EV-000001 ...")
    nos: list[int] = []
    for ref in refs:
        no = parse_item_ref(ref)
        if no is None:
            raise NotFound(f"ITEM: no item {ref!r} is registered.",
                           hint="Evidence numbers look like EV-000042; 'evidence item list' shows them.")
        if no in nos:
            raise InputError(f"Item {item_label(no)} is named twice; name each item once.")
        nos.append(no)
    return nos


def transfer_items(
    session: Session, refs: Sequence[str], *, from_badge: str, to_badge: str, reason: str, by: str | None,
    at: str | None = None, location: str | None = None, seal: str | None = None, request_id: str | None = None,
    tz: str = "America/Lima",
) -> dict:
    """Hand items from their holder to another officer: one event for all the items, or nothing.

    `--by` must be the sender or the receiver, unless a custodian records the handover."""
    nos = _item_refs(refs)
    reason = clean_text(reason, "--reason", max_len=REASON_MAX)
    location = check_code(location, "--location") if location else None
    seal = check_code(seal, "--seal") if seal else None
    when = _given_time(at, tz)
    params = {"items": [item_label(n) for n in nos], "from": from_badge, "to": to_badge, "reason": reason,
              "at": when, "location": location, "seal": seal, "by": by}
    request_id, fp, done = start_request(session, request_id, "custody.transfer", params, _transfer_result)
    if done is not None:
        return done
    when = when or utc_iso(now_utc())

    actor = require_actor(session, by, "custody.transfer")
    sender = get_officer(session, from_badge, "--from")
    receiver = get_officer(session, to_badge, "--to")
    if receiver.badge == sender.badge:
        raise RuleError(f"--from and --to are both {sender.badge}; a transfer hands items to another officer.",
                        hint="Name the receiving officer with --to.")
    if receiver.role not in MAY_HOLD:
        raise RuleError(
            f"--to {receiver.badge} is registered as {receiver.role}, a role that may not hold evidence.",
            hint=f"Hand the items to an officer registered as {' or '.join(sorted(MAY_HOLD))}.",
        )
    if actor.badge not in (sender.badge, receiver.badge) and actor.role not in RECORDS_ANY_HANDOVER:
        raise RuleError(
            f"--by {actor.badge} is neither the sender ({sender.badge}) nor the receiver ({receiver.badge}) of "
            "this handover; only a custodian may record a handover they were not part of.",
            hint=f"Record it with --by {sender.badge} or --by {receiver.badge}, or ask a custodian to record it.",
        )
    if location:
        location = get_location(session, location).code

    found = {i.no: i for i in session.scalars(select(Item).where(Item.no.in_(nos)))}
    missing = [item_label(n) for n in nos if n not in found]
    if missing:
        raise NotFound(f"ITEM: no item {', '.join(missing)} is registered; nothing was transferred.",
                       hint="Evidence numbers look like EV-000042; 'evidence item list' shows them.")
    items = [found[n] for n in nos]
    cases = sorted({i.case_no for i in items})
    if len(cases) > 1:
        raise RuleError(
            f"The items belong to {len(cases)} cases ({', '.join(cases)}); one transfer moves the items of one case.",
            hint="Run one transfer per case.",
        )
    errors: list[str] = []
    for item in items:
        problem = _not_disposed(item)
        if problem is None and item.holder != sender.badge:
            problem = (f"item {item.id}: held by {item.holder}, not {sender.badge}; transfer it from "
                       f"{item.holder}, or {_history_hint(item.id)}")
        problem = problem or _not_before_last(item, when, tz)
        if problem:
            errors.append(problem)
    _raise_all(errors, "transfer")

    ids = [i.id for i in items]
    data = {"from": sender.badge, "to": receiver.badge, "reason": reason, "location": location, "seal": seal,
            "request_id": request_id, **request_fields(request_id, fp)}
    ev = append_event(session, "custody.transferred", data, actor=actor.badge, occurred_at=when,
                      case_no=cases[0], items=[(i.no, i.id) for i in items])
    values: dict = {"holder": receiver.badge, "last_seq": ev.seq, "last_at": when}
    if location:
        values["location"] = location
    if seal:
        values["seal"] = seal
    session.execute(update(Item).where(Item.no.in_(nos)).values(**values).execution_options(synchronize_session=False))
    record_request(session, ev.seq, "custody.transferred", data)
    return _transfer_result(session, _as_event(ev, ids, data))


def _as_event(ev, items: list[str], data: dict) -> RequestEvent:
    """An event just appended, in the form a retry reads it back from the log."""
    return RequestEvent(ev.seq, ev.hash, {"occurred_at": ev.occurred_at, "recorded_at": ev.recorded_at,
                                          "items": items, "data": data})


def _transfer_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "items": ev.doc["items"], "from": d["from"],
            "to": d["to"], "reason": d["reason"], "location": d.get("location"), "seal": d.get("seal"),
            "occurred_at": ev.doc["occurred_at"], "recorded_at": ev.doc["recorded_at"],
            "request_id": d.get("request_id")}


# -- reseal --------------------------------------------------------------------------
def reseal_item(
    session: Session, ref: str, *, old_seal: str, new_seal: str, reason: str, by: str | None,
    at: str | None = None, request_id: str | None = None, tz: str = "America/Lima",
) -> dict:
    """Replace an item's seal (e.g. after the lab opened the bag). The old seal must be the
    one on record (`none` for an item registered without a seal); the holder or a custodian
    records it."""
    old_seal = check_code(old_seal, "--old-seal")
    new_seal = check_code(new_seal, "--new-seal")
    reason = clean_text(reason, "--reason", max_len=REASON_MAX)
    given = _given_time(at, tz)
    request_id, fp, done = start_request(session, request_id, "custody.reseal", {
        "item": ref.strip().upper(), "old_seal": old_seal, "new_seal": new_seal, "reason": reason, "at": given,
        "by": by}, _reseal_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.reseal")
    item = get_item(session, ref)
    problem = _not_disposed(item)
    if problem is None:
        current = item.seal
        matches = old_seal == current if current is not None else old_seal.lower() == NO_SEAL
        if not matches:
            shown = current if current is not None else f"{NO_SEAL} (it was never sealed)"
            problem = (f"item {item.id}: its seal on record is {shown}, not {old_seal}; check the seal on the bag. "
                       f"If the bag's seal differs from the record, do not reseal it: report the broken or "
                       f"swapped seal to the officer in charge of the evidence; {_history_hint(item.id)}.")
        elif new_seal == current:
            problem = f"item {item.id}: --new-seal {new_seal} is already its seal; give the number of the new seal."
    if problem is None and actor.badge != item.holder and actor.role not in RECORDS_ANY_HANDOVER:
        problem = (f"item {item.id}: held by {item.holder}, so {actor.badge} may not reseal it; the holder "
                   f"or a custodian reseals an item. Run it with --by {item.holder}.")
    problem = problem or _not_before_last(item, when, tz)
    _raise_all([problem] if problem else [], "reseal")

    data = {"item": item.id, "old_seal": item.seal, "new_seal": new_seal, "reason": reason,
            **request_fields(request_id, fp)}
    ev = append_event(session, "custody.resealed", data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.seal, item.last_seq, item.last_at = new_seal, ev.seq, when
    session.flush()
    record_request(session, ev.seq, "custody.resealed", data)
    return _reseal_result(session, _as_event(ev, [item.id], data))


def _reseal_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "old_seal": d["old_seal"],
            "new_seal": d["new_seal"], "reason": d["reason"], "occurred_at": ev.doc["occurred_at"]}


# -- disposition ---------------------------------------------------------------------
def dispose_item(
    session: Session, ref: str, *, action: str, authority: str | None, by: str | None, to: str | None = None,
    at: str | None = None, request_id: str | None = None, tz: str = "America/Lima",
) -> dict:
    """End an item's custody for good (returned, destroyed, ...) on a named authority."""
    if action not in DISPOSAL_ACTIONS:
        raise InputError(f"--action {action!r} is not a disposition.", hint=f"Use one of: {', '.join(DISPOSAL_ACTIONS)}.")
    if authority is None or not str(authority).strip():
        raise InputError(
            f"--authority is required to dispose of {ref}: name the court order or resolution that allows it.",
            hint='e.g. --authority "Resolución 12-2020, 1er Juzgado Penal de Arequipa".',
        )
    authority = clean_text(authority, "--authority", max_len=200)
    to = clean_text(to, "--to", max_len=200, required=False)
    given = _given_time(at, tz)
    request_id, fp, done = start_request(session, request_id, "custody.dispose", {
        "item": ref.strip().upper(), "action": action, "authority": authority, "to": to, "at": given, "by": by},
        _dispose_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.dispose")
    item = get_item(session, ref)
    problem = _not_disposed(item) or _not_before_last(item, when, tz)
    _raise_all([problem] if problem else [], "disposition")

    data = {"item": item.id, "action": action, "authority": authority, "to": to, "holder": item.holder,
            **request_fields(request_id, fp)}
    ev = append_event(session, "custody.disposed", data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.status, item.holder = "disposed", None
    item.disposition, item.authority, item.disposed_to = action, authority, to
    item.last_seq, item.last_at = ev.seq, when
    session.flush()
    record_request(session, ev.seq, "custody.disposed", data)
    return _dispose_result(session, _as_event(ev, [item.id], data))


def _dispose_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "action": d["action"],
            "authority": d["authority"], "to": d.get("to"), "holder": d["holder"], "occurred_at": ev.doc["occurred_at"]}


# -- reading the log -----------------------------------------------------------------
@dataclass
class Holding:
    item: str
    kind: str
    case_no: str
    since: str  # when it reached the officer
    since_seq: int
    seal: str | None
    location: str | None


def holdings_at(session: Session, badge: str, at: str | None = None, *, tz: str = "America/Lima",
                batch: int = 2000) -> dict:
    """What `badge` held at moment `at` (default now), replayed from the log: the events of
    each item that had happened by then (an item's events never go back in time, so these
    are a prefix of its history)."""
    officer = get_officer(session, badge, "BADGE")
    when = _when(at, tz)
    state: dict[str, list] = {}  # item -> [holder, since, since_seq, seal, location]
    last = 0
    while True:
        rows = session.execute(
            select(Event.seq, Event.type, Event.occurred_at, Event.body)
            .where(Event.seq > last, Event.occurred_at <= when,
                   Event.type.in_(HOLDER_EVENTS + ("custody.resealed",)))
            .order_by(Event.seq).limit(batch)
        ).all()
        if not rows:
            break
        for seq, type_, occurred, body in rows:
            ev = json.loads(body)
            data = ev["data"]
            if type_ == "item.registered":
                state[data["item"]] = [data["holder"], occurred, seq, data.get("seal"), data.get("location")]
                continue
            for item_id in ev["items"]:
                s = state.get(item_id)
                if s is None:
                    continue
                if type_ == "custody.transferred":
                    s[0], s[1], s[2] = data["to"], occurred, seq
                    s[3] = data.get("seal") or s[3]
                    s[4] = data.get("location") or s[4]
                elif type_ == "custody.resealed":
                    s[3] = data["new_seal"]
                else:
                    s[0] = None
        last = rows[-1].seq
    held = {item_id: s for item_id, s in state.items() if s[0] == officer.badge}
    nos = [parse_item_ref(i) for i in held]
    info = {r.id: r for r in session.execute(select(Item.id, Item.kind, Item.case_no).where(Item.no.in_(nos)))}
    out = [Holding(item_id, info[item_id].kind, info[item_id].case_no, s[1], s[2], s[3], s[4])
           for item_id, s in sorted(held.items(), key=lambda kv: parse_item_ref(kv[0]))]
    return {"badge": officer.badge, "name": officer.name, "at": when, "items": [asdict(h) for h in out]}


@dataclass
class HistoryEntry:
    seq: int
    occurred_at: str
    recorded_at: str
    type: str
    actor: str | None
    from_: str | None
    to: str | None
    location: str | None
    seal: str | None
    reason: str | None
    hash: str

    def as_dict(self) -> dict:
        d = asdict(self)
        d["from"] = d.pop("from_")
        return d


def _entry(seq: int, type_: str, occurred: str, recorded: str, actor: str | None, data: dict,
           digest: str) -> HistoryEntry:
    frm = to = location = seal = reason = None
    if type_ == "item.registered":
        to, location, seal, reason = data.get("holder"), data.get("location"), data.get("seal"), "registered"
    elif type_ == "custody.transferred":
        frm, to, location, seal, reason = data["from"], data["to"], data.get("location"), data.get("seal"), data["reason"]
    elif type_ == "custody.resealed":
        seal, reason = f"{data.get('old_seal') or NO_SEAL} -> {data['new_seal']}", data["reason"]
    elif type_ == "custody.disposed":
        frm, to = data.get("holder"), data.get("to")
        reason = f"{data['action']} ({data['authority']})"
    else:
        reason = data.get("reason")
    return HistoryEntry(seq, occurred, recorded, type_, actor, frm, to, location, seal, reason, digest)


def item_history(session: Session, ref: str) -> dict:
    """Every event that names the item, oldest first, read from the log."""
    item = get_item(session, ref)
    rows = session.execute(
        select(Event.seq, Event.type, Event.occurred_at, Event.recorded_at, Event.actor, Event.body, Event.hash)
        .join(EventItem, EventItem.seq == Event.seq)
        .where(EventItem.item_no == item.no).order_by(Event.seq)
    ).all()
    entries = [_entry(r.seq, r.type, r.occurred_at, r.recorded_at, r.actor, json.loads(r.body)["data"],
                      r.hash).as_dict() for r in rows]
    return {"item": item.id, "kind": item.kind, "case_no": item.case_no, "status": item.status,
            "holder": item.holder, "events": entries}
