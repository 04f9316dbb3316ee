"""Audits of the evidence room: started once at a registered location, one open audit per
location at a time, with a sample drawn from the tree's root right after the start; each item
checked once, flagged unexpected exactly
when it is outside the sample; checks and the close only while the audit is open.
"""

from __future__ import annotations

import json

from ledger.rules import data
from ledger.rules.book import Event, Rule, define, place, problem
from ledger.rules.state import I_LOCATION, I_SEAL, State, audit_check_row, audit_finding_rows, audit_row
from ledger.rules.text import _

AUDIT_STARTED = "audit.started"
AUDIT_CHECKED = "audit.checked"
AUDIT_CLOSED = "audit.closed"


def _open_audit(state: State, ev: Event, out: list) -> dict | None:
    known = state.audits.get(ev.data["audit"])
    if known is not None and known.get("unseeded"):
        return None  # started where the state had no tree to seed it: no sample to check against
    if known is None:
        problem(out, "open-audit", ev, _("{type} names audit {audit}, never started.").format(
            type=ev.type, audit=ev.data["audit"]))
        return None
    if known["row"]["closed_seq"] is not None:
        problem(out, "open-audit", ev, _("{type} after audit {audit} was closed (seq {seq}).").format(
            type=ev.type, audit=ev.data["audit"], seq=known["row"]["closed_seq"]))
        return None
    return known


def check_started(state: State, ev: Event, out: list, _states) -> None:
    place(state, out, ev, ev.data["location"])
    if ev.data["audit"] in state.audits:
        problem(out, "new-audit", ev, _("audit {audit} is started a second time.").format(audit=ev.data["audit"]))
    still = state.open_audit_at(ev.data["location"])
    if still is not None:
        problem(out, "one-open-audit", ev, _("audit {audit} of {location} is started while audit {open} of it is still "
                                             "open (since seq {seq}).").format(
            audit=ev.data["audit"], location=ev.data["location"], open=still["id"], seq=still["started_seq"]))


def check_checked(state: State, ev: Event, out: list, _states) -> None:
    known = _open_audit(state, ev, out)
    if known is None:
        return
    item = ev.data["item"]
    if item in known["checks"]:
        problem(out, "checked-once", ev, _("checked a second time in audit {audit}.").format(audit=ev.data["audit"]),
                item)
    if bool(ev.data.get("unexpected")) == (item in json.loads(known["row"]["sample"])):
        problem(out, "sample", ev, (_("audit {audit} check says unexpected={said}, but the item is in its sample.")
                                    if ev.data.get("unexpected") else
                                    _("audit {audit} check says unexpected={said}, but the item is not in its "
                                      "sample.")).format(audit=ev.data["audit"], said=bool(ev.data.get("unexpected"))),
                item)


def check_closed(state: State, ev: Event, out: list, _states) -> None:
    _open_audit(state, ev, out)


def apply_started(state: State, ev: Event) -> None:
    if ev.data["audit"] in state.audits:
        return
    root = state.audit_roots.pop(ev.seq, None)
    edge = getattr(state, "edge", None)
    if root is None and edge is not None and edge.size == ev.seq:
        root = edge.root()
    if root is None:  # one case's events have no tree to take the seed from: where and when only
        state.audits[ev.data["audit"]] = {"row": {"id": ev.data["audit"], "location": ev.data["location"],
                                                  "started_seq": ev.seq, "closed_seq": None},
                                          "checks": {}, "unseeded": True}
        return
    row = audit_row(ev.seq, ev.occurred_at, ev.actor, ev.data, state.audited_population(ev.data["location"]),
                    root.hex())
    state.put("audits", row)
    state.audits[ev.data["audit"]] = {"row": row, "checks": {}}


def apply_checked(state: State, ev: Event) -> None:
    audit = state.audits.get(ev.data["audit"])
    if audit is None or audit.get("unseeded") or audit["row"]["closed_seq"] is not None:
        return
    st = state.items.get(ev.data["item"])
    if st is None or ev.data["item"] in audit["checks"]:
        return
    row = audit_check_row(ev.seq, ev.occurred_at, ev.actor, ev.data, st[I_SEAL], st[I_LOCATION])
    audit["checks"][ev.data["item"]] = row
    state.put("audit_checks", row)


def apply_closed(state: State, ev: Event) -> None:
    audit = state.audits.get(ev.data["audit"])
    if audit is None or audit["row"]["closed_seq"] is not None:
        return
    audit["row"] = {**audit["row"], "closed_seq": ev.seq, "closed_at": ev.occurred_at, "closed_by": ev.actor}
    if audit.get("unseeded"):
        return
    state.put("audits", audit["row"])
    for row in audit_finding_rows(audit["row"], list(audit["checks"].values())):
        state.put("audit_findings", row)


define(
    Rule(AUDIT_STARTED, "audit", check_started, apply_started, data=data.AuditStarted),
    Rule(AUDIT_CHECKED, "audit", check_checked, apply_checked, on_items=True, data=data.AuditChecked),
    Rule(AUDIT_CLOSED, "audit", check_closed, apply_closed, data=data.AuditClosed),
)
