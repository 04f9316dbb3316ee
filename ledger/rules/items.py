"""Items: registered once, into a seizure of the event's case, held first by the officer who
registers them; and the review dates set on them.
"""

from __future__ import annotations

from ledger.rules import data
from ledger.rules.book import MAY_HOLD, Event, Rule, define, officer, place, problem, signed
from ledger.rules.state import (
    I_CASE,
    I_DISPOSITION,
    I_NO,
    I_REG_SEQ,
    I_STATUS,
    State,
    description_digest,
    item_state,
    review_row,
)
from ledger.rules.text import _

REGISTERED = "item.registered"
REVIEW_SET = "review.set"


def check_registered(state: State, ev: Event, out: list, _states) -> None:
    data = ev.data
    item = data["item"]
    if ev.items != [item]:
        problem(out, "registration-items", ev, _("registration lists items {items}, not [{item}].").format(
            items=ev.items, item=item), item)
    known = state.items.get(item)
    if known is not None:
        problem(out, "new-item", ev, _("is registered a second time (first at seq {seq}).").format(
            seq=known[I_REG_SEQ]), item)
        return
    seizure = data["seizure"]
    if state.seizures.get(seizure, ev.case) != ev.case:
        problem(out, "same-case", ev, _("seizure {seizure} belongs to another case than {case}.").format(
            seizure=seizure, case=ev.case), item, "reference")
    elif seizure not in state.seizures:
        problem(out, "known-seizure", ev, _("seizure {seizure} is not recorded before the item.").format(
            seizure=seizure), item, "reference")
    holder = officer(state, out, ev, data["holder"], "first holder", item)
    if holder is not None and holder["role"] not in MAY_HOLD:
        problem(out, "may-hold", ev, _("first holder {badge} is {role}, a role that may not hold evidence.").format(
            badge=data["holder"], role=holder["role"]), item)
    if signed(state, ev) and data["holder"] != ev.actor:
        problem(out, "first-holder", ev, _("registered into the custody of {holder} by {actor}: the officer who "
                                           "registers an item holds it first.").format(holder=data["holder"],
                                                                                       actor=ev.actor), item)
    place(state, out, ev, data.get("location"), item)


def apply_registered(state: State, ev: Event, described: bytes | None = None) -> None:
    item = ev.data["item"]
    if item in state.items:
        return
    st = item_state(ev.seq, ev.occurred_at, ev.case, ev.data)
    st.append(described if described is not None else description_digest(ev.data))
    state.items[item] = st


def check_review(state: State, ev: Event, out: list, states: list) -> None:
    reviews = state.rows["item_reviews"]
    at = state._cols["item_reviews"].index("review_on")
    for item, st in states:
        if st[I_STATUS] == "disposed":
            problem(out, "not-disposed", ev, _("review date set after the item was disposed of "
                                               "({disposition}).").format(disposition=st[I_DISPOSITION]), item)
        pending = reviews.get((st[I_NO],))
        if ev.data["review_on"] is None and (pending is None or pending[at] is None):
            problem(out, "review-pending", ev, _("review cleared, but none was pending."), item)


def apply_review(state: State, ev: Event) -> None:
    for item in ev.items:
        st = state.items.get(item)
        if st is not None:
            state.put("item_reviews", review_row(ev.seq, ev.occurred_at, ev.actor, st[I_CASE], item, ev.data))


define(
    Rule(REGISTERED, "item.register", check_registered, apply_registered, request="item.import", data=data.Registered),
    Rule(REVIEW_SET, "item.review", check_review, apply_review, on_items=True, data=data.ReviewSet),
)
