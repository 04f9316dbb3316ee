"""Cases, their seizures and court orders, and the places evidence is kept.

A case is opened once; a seizure belongs to a case opened before it and is recorded under
that case; a court order names the case its event is recorded under.
"""

from __future__ import annotations

from ledger.rules import data
from ledger.rules.book import Event, Rule, define, officer, problem
from ledger.rules.disclosure import case_key
from ledger.rules.state import State, case_order_row, case_row, location_row, seizure_row
from ledger.rules.text import _

CASE_OPENED = "case.opened"
SEIZURE_RECORDED = "seizure.recorded"
CASE_ORDERED = "case.ordered"
LOCATION_ADDED = "location.added"


def check_opened(state: State, ev: Event, out: list, _states) -> None:
    data = ev.data
    if state.has("cases", data["case_no"]):
        problem(out, "new-case", ev, _("case {case} is opened a second time.").format(case=data["case_no"]),
                check="reference")
    if data["case_no"] != ev.case:
        problem(out, "same-case", ev, _("opens case {named} in an event of case {case}.").format(
            named=data["case_no"], case=ev.case))
    officer(state, out, ev, data.get("prosecutor"), "prosecutor")


def apply_opened(state: State, ev: Event) -> None:
    state.put("cases", case_row(ev.seq, ev.occurred_at, ev.actor, ev.data))
    if ev.salt:  # the key of the case's entry in the case index (ledger.rules.disclosure)
        state.case_keys[ev.data["case_no"]] = case_key(ev.salt).hex()


def check_seizure(state: State, ev: Event, out: list, _states) -> None:
    data = ev.data
    if not state.has("cases", data["case_no"]):
        problem(out, "known-case", ev, _("seizure {seizure} names case {case}, not opened before.").format(
            seizure=data["seizure"], case=data["case_no"]), check="reference")
    elif data["case_no"] != ev.case:
        problem(out, "same-case", ev, _("seizure {seizure} of case {named} is recorded in an event of case "
                                        "{case}.").format(seizure=data["seizure"], named=data["case_no"],
                                                          case=ev.case))
    if data["seizure"] in state.seizures:
        problem(out, "new-seizure", ev, _("seizure {seizure} is recorded a second time.").format(
            seizure=data["seizure"]), check="reference")
    officer(state, out, ev, data["officer"], "officer")


def apply_seizure(state: State, ev: Event) -> None:
    state.seizures.setdefault(ev.data["seizure"], ev.data["case_no"])
    state.put("seizures", seizure_row(ev.seq, ev.occurred_at, ev.data))


def check_ordered(state: State, ev: Event, out: list, _states) -> None:
    if ev.data["case_no"] != ev.case or not state.has("cases", ev.case):
        problem(out, "known-case", ev, _("court order on case {named}, not opened before (the event's case is "
                                         "{case}).").format(named=ev.data["case_no"], case=ev.case),
                check="reference")


def apply_ordered(state: State, ev: Event) -> None:
    state.put("case_orders", case_order_row(ev.seq, ev.occurred_at, ev.actor, ev.data))


def check_location(state: State, ev: Event, out: list, _states) -> None:
    if state.has("locations", ev.data["code"]):
        problem(out, "new-location", ev, _("location {code} is added a second time.").format(code=ev.data["code"]),
                check="reference")


def apply_location(state: State, ev: Event) -> None:
    state.put("locations", location_row(ev.seq, ev.data))


define(
    Rule(CASE_OPENED, "case.open", check_opened, apply_opened, data=data.CaseOpened),
    Rule(SEIZURE_RECORDED, "seizure.record", check_seizure, apply_seizure, data=data.SeizureRecorded),
    Rule(CASE_ORDERED, "case.order", check_ordered, apply_ordered, data=data.CaseOrdered),
    Rule(LOCATION_ADDED, "location.manage", check_location, apply_location, data=data.LocationAdded),
)
