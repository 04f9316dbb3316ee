"""How the rulebook is put together: an event as the rules read it, a problem as they report
it, one `Rule` per event type (its act, its check, its effect), and `step`, which applies one
event to the state. Every writer, verifier, rebuild and reader of the ledger goes through
`step`, so what one refuses, all refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ledger.rules.data import problems as data_problems
from ledger.rules.state import I_CASE, I_LAST_AT, I_LAST_SEQ, State
from ledger.rules.text import N_, _

# Roles that may hold evidence (receive it, be its first holder).
MAY_HOLD = frozenset({"officer", "custodian", "prosecutor"})
ROLES = ("officer", "custodian", "auditor", "prosecutor", "admin")
# Roles that may record a custody act for an item someone else holds (the evidence room's keepers).
RECORDS_ANY_HANDOVER = frozenset({"custodian"})
# Which roles may perform each act. Auditors read and verify; the one thing they write is
# their audits of the evidence room.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.open": frozenset({"officer", "custodian", "prosecutor"}),
    "seizure.record": frozenset({"officer", "custodian"}),
    "item.register": frozenset({"officer", "custodian"}),
    "custody.transfer": frozenset({"officer", "custodian", "prosecutor"}),
    "custody.reseal": frozenset({"officer", "custodian", "prosecutor"}),
    "custody.dispose": frozenset({"custodian", "prosecutor"}),
    "rate.set": frozenset({"officer", "custodian", "prosecutor"}),
    "audit": frozenset({"auditor"}),
    "officer.manage": frozenset({"admin"}),
    "location.manage": frozenset({"admin"}),
    "item.review": frozenset({"custodian", "prosecutor"}),
    "case.order": frozenset({"custodian", "prosecutor"}),
}
ACT_WORDS = {
    "case.open": N_("open cases"),
    "seizure.record": N_("record seizures"),
    "item.register": N_("register items"),
    "custody.transfer": N_("record custody transfers"),
    "custody.reseal": N_("reseal items"),
    "custody.dispose": N_("dispose of items"),
    "rate.set": N_("record exchange rates"),
    "audit": N_("audit the evidence room"),
    "officer.manage": N_("register officers, change their roles or enrol their keys"),
    "location.manage": N_("register locations"),
    "item.review": N_("set review dates"),
    "case.order": N_("record court orders"),
}


class Event(NamedTuple):
    """One event as the rules read it: the body's fields, and the chain hash it ends at."""

    seq: int
    type: str
    occurred_at: str
    actor: str | None
    case: str | None
    items: list
    data: dict
    hash: str = ""
    salt: str = ""  # the leaf's salt, where the caller has it (a case's opening keys its index entry)

    @classmethod
    def from_body(cls, doc: dict, digest: str = "", salt: str = "") -> Event:
        data = doc.get("data")
        items = doc.get("items")
        return cls(doc.get("seq"), doc.get("type"), doc.get("occurred_at"), doc.get("actor"), doc.get("case"),
                   items if type(items) is list else [], data if type(data) is dict else {}, digest, salt)


@dataclass(frozen=True)
class Problem:
    """One rule an event breaks: `rule` names it (FORMAT.md section 5), `check` says whether
    it is about a reference to something that does not exist or about a rule of the ledger."""

    rule: str
    seq: int
    item: str | None
    message: str
    case: str | None = None
    check: str = "rule"


@dataclass(frozen=True)
class Rule:
    """An event type: the act whose permission its actor needs (None: the program's own or
    checked by the rule itself), whether it acts on items (each registered, of the event's
    case, its times going forward), its check and its effect on the state."""

    type: str
    act: str | None
    check: Callable[[State, Event, list, list], None]
    apply: Callable[..., None]
    on_items: bool = False
    request: str | None = None  # the command name a request id is recorded under (ledger.requests)
    data: type | None = None  # its typed record (ledger.rules.data)


RULES: dict[str, Rule] = {}


def define(*rules: Rule) -> None:
    for rule in rules:
        if rule.type in RULES:  # pragma: no cover - a programming error, found at import
            raise RuntimeError(f"event type {rule.type} is defined twice")
        RULES[rule.type] = rule


def problem(out: list, rule: str, ev: Event, message: str, item: str | None = None, check: str = "rule") -> None:
    out.append(Problem(rule, ev.seq, item, message, ev.case, check))


# What a badge that names nobody is called, by the part it plays in the event.
NOT_AN_OFFICER = {
    "actor": N_("actor {badge} is not a registered officer at this point of the log."),
    "first holder": N_("first holder {badge} is not a registered officer at this point of the log."),
    "officer": N_("officer {badge} is not a registered officer at this point of the log."),
    "prosecutor": N_("prosecutor {badge} is not a registered officer at this point of the log."),
    "receiver": N_("receiver {badge} is not a registered officer at this point of the log."),
    "sender": N_("sender {badge} is not a registered officer at this point of the log."),
    "depositor": N_("depositor {badge} is not a registered officer at this point of the log."),
}


def officer(state: State, out: list, ev: Event, badge, what: str, item: str | None = None) -> dict | None:
    """The officer `badge` names, or a reference problem (None when the event names nobody)."""
    if badge is None:
        return None
    known = state.officer(badge)
    if known is None:
        problem(out, "known-officer", ev, _(NOT_AN_OFFICER[what]).format(badge=badge), item, "reference")
    return known


def place(state: State, out: list, ev: Event, code, item: str | None = None) -> None:
    if code is not None and not state.has("locations", code):
        problem(out, "known-location", ev, _("location {code} is not registered at this point of the log.").format(
            code=code), item, "reference")


def signed(state: State, ev: Event) -> bool:
    """Whether the event is in the signed part of the log, where acts are held to roles."""
    start = state.signatures_from()
    return start is not None and ev.seq >= start


def _common(state: State, rule: Rule, ev: Event, out: list) -> list:
    """What every event owes: a registered actor whose role permits the act; for an act on
    items, each item registered, of the event's case, its times not going back. Returns the
    (item, state) pairs of the items the event acts on."""
    if ev.actor is not None and ev.type != "identity.initialized":
        officer(state, out, ev, ev.actor, "actor")
    if rule.act is not None and signed(state, ev):
        role = state.role(ev.actor)
        if role is not None and role not in PERMISSIONS[rule.act]:
            problem(out, "role", ev, _("{type} by {actor}, registered as {role}, a role that may not {act}.").format(
                type=ev.type, actor=ev.actor, role=role, act=_(ACT_WORDS[rule.act])))
    states: list[tuple[str, list]] = []
    if not rule.on_items:
        return states
    for item in ev.items:
        st = state.items.get(item)
        if st is None:
            problem(out, "known-item", ev, _("{type} names an item that was never registered.").format(type=ev.type),
                    item)
            continue
        if st[I_CASE] != ev.case:
            problem(out, "same-case", ev, _("{type} is recorded under case {case}, but the item belongs to case "
                                            "{other}.").format(type=ev.type, case=ev.case, other=st[I_CASE]), item)
        if ev.occurred_at < st[I_LAST_AT]:
            problem(out, "time-order", ev, _("happened at {at}, before the item's previous event (seq {last_seq} at "
                                             "{last_at}): its times go backwards.").format(
                at=ev.occurred_at, last_seq=st[I_LAST_SEQ], last_at=st[I_LAST_AT]), item)
        states.append((item, st))
    return states


# Python errors a malformed body raises where a rule reads a field it lacks or of the wrong kind.
MALFORMED = (KeyError, TypeError, AttributeError, ValueError, ArithmeticError, IndexError)


def step(state: State, ev: Event, *, check: bool = True, described: bytes | None = None) -> list[Problem]:
    """Apply one event to the state: first the rules (unless `check` is False: a prefix of the
    log proved by a checkpoint already verified), then its effect. An event of no known type,
    or one whose body lacks what its rule reads, is one problem and changes nothing but the
    count of the log's events the case index keeps (every event is counted, after its rules).
    `described`: a registration's description digest, when the caller computed it already."""
    try:
        return _step(state, ev, check, described)
    finally:
        state.tally(ev.seq, ev.case)


def _step(state: State, ev: Event, check: bool, described: bytes | None) -> list[Problem]:
    rule = RULES.get(ev.type)
    if rule is None:
        state.head = (ev.seq, ev.hash)
        return [Problem("known-type", ev.seq, None, _("{type} is not an event type of this ledger.").format(
            type=ev.type), ev.case)] if check else []
    out: list[Problem] = []
    if check and rule.data is not None:
        wrong = data_problems(ev.data, rule.data)
        if wrong:
            state.head = (ev.seq, ev.hash)
            return [Problem("well-formed", ev.seq, None, _("{type} event's data does not fit its record: "
                                                           "{problems}.").format(type=ev.type, problems="; ".join(wrong)),
                            ev.case)]
    try:
        if check:
            states = _common(state, rule, ev, out)
            rule.check(state, ev, out, states)
        if described is not None:
            rule.apply(state, ev, described)
        else:
            rule.apply(state, ev)
    except MALFORMED as exc:
        out = [Problem("well-formed", ev.seq, None, _("{type} event lacks a field it needs ({error}).").format(
            type=ev.type, error=repr(exc)), ev.case)]
    state.head = (ev.seq, ev.hash)
    if rule.request is not None and type(ev.data.get("request_id")) is str:
        state.put("requests", {"request_id": ev.data["request_id"], "command": rule.request,
                               "fingerprint": ev.data.get("request_fingerprint"), "seq": ev.seq})
    return out
