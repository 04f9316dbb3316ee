"""Custody: who holds each item, and every act that changes it.

A handover is offered and signed by the holder and completed by the receiver's acceptance
(or, at one terminal, by the receiver's co-signature in the same event); an acceptance takes
exactly what was offered. The holder (or a custodian, the evidence room's keeper) reseals,
deposits and takes back an item; a disposal is witnessed by a second officer. Nothing moves
after a disposal, and an item away from the room admits only the acts that bring it back.
"""

from __future__ import annotations

from ledger.rules import data
from ledger.rules.book import (
    MAY_HOLD,
    RECORDS_ANY_HANDOVER,
    Event,
    Rule,
    define,
    officer,
    place,
    problem,
    signed,
)
from ledger.rules.state import (
    I_AUTHORITY,
    I_CASE,
    I_DISPOSED_TO,
    I_DISPOSITION,
    I_HOLDER,
    I_KIND,
    I_LAST_AT,
    I_LAST_SEQ,
    I_LOCATION,
    I_SEAL,
    I_STATUS,
    IN_TRANSIT,
    State,
    assignment_row,
    deposit_row,
    number,
    offer_row,
)
from ledger.rules.text import N_, _

TRANSFERRED = "custody.transferred"
OFFERED = "custody.offered"
ACCEPTED = "custody.accepted"
DECLINED = "custody.declined"
RESEALED = "custody.resealed"
DISPOSED = "custody.disposed"
DEPOSITED = "custody.deposited"
ASSIGNED = "custody.assigned"
RETURNED = "custody.returned"
# Event types that change who holds an item.
HOLDER_EVENTS = ("item.registered", TRANSFERRED, ACCEPTED, DISPOSED, DEPOSITED)
# Statuses in which an item is away from the evidence room, and the acts it still admits: a
# deposit ends custody of the cash (only a final disposition may follow); lent items come back.
AWAY = {"deposited": (DISPOSED,), "assigned": (RETURNED, DISPOSED), IN_TRANSIT: (ACCEPTED, DECLINED)}


def required_signers(actor: str | None, data: dict) -> list[str]:
    """Whose signatures an event needs: its actor, then the co-signers its body names (the
    receiver of a handover signed at one terminal, the witness of a disposal)."""
    out = [actor] if actor else []
    for badge in data.get("cosigners") or ():
        if badge not in out:
            out.append(badge)
    return out


def _movable(ev: Event, out: list, states: list) -> None:
    for item, st in states:
        if st[I_STATUS] == "disposed":
            problem(out, "not-disposed", ev, _("{type} after the item was disposed of ({disposition}).").format(
                type=ev.type, disposition=st[I_DISPOSITION]), item)
        elif st[I_STATUS] in AWAY and ev.type not in AWAY[st[I_STATUS]]:
            problem(out, "status", ev, _("{type} while the item was {status} (since seq {seq}).").format(
                type=ev.type, status=st[I_STATUS], seq=st[I_LAST_SEQ]), item)


def _held_by(ev: Event, out: list, states: list, badge, rule: str, said, nobody) -> None:
    for item, st in states:
        if st[I_HOLDER] != badge:
            problem(out, rule, ev, (_(said) if st[I_HOLDER] else _(nobody)).format(
                sender=badge, holder=st[I_HOLDER], seq=st[I_LAST_SEQ]), item)


def _holder_or_keeper(state: State, ev: Event, out: list, states: list, what: str) -> None:
    """The act is recorded by the item's holder, or by a custodian."""
    if not signed(state, ev) or state.role(ev.actor) in RECORDS_ANY_HANDOVER:
        return
    for item, st in states:
        if st[I_HOLDER] is not None and st[I_HOLDER] != ev.actor:
            problem(out, "holder-acts", ev, _("{what} by {actor}, but {holder} held the item: the holder or a "
                                              "custodian records it.").format(what=_(what), actor=ev.actor,
                                                                              holder=st[I_HOLDER]), item)


def check_handover(state: State, ev: Event, out: list, states: list) -> None:
    data = ev.data
    _movable(ev, out, states)
    receiver = officer(state, out, ev, data["to"], "receiver")
    officer(state, out, ev, data["from"], "sender")
    if receiver is not None and receiver["role"] not in MAY_HOLD:
        problem(out, "may-hold", ev, _("receiver {badge} is {role}, a role that may not hold evidence.").format(
            badge=data["to"], role=receiver["role"]))
    if data["to"] == data["from"]:
        problem(out, "handover-parties", ev, _("hands items from {badge} to {badge}: a handover is between two "
                                               "officers.").format(badge=data["to"]))
    place(state, out, ev, data.get("location"))
    _held_by(ev, out, states, data["from"], "holder-hands-over", "transferred from {sender}, but {holder} held it "
             "then (since seq {seq}).", "transferred from {sender}, but nobody held it then (since seq {seq}).")
    if signed(state, ev):
        if ev.actor != data["from"]:
            problem(out, "holder-signs", ev, _("handover from {sender} recorded by {actor}: the holder offers and "
                                               "signs a handover.").format(sender=data["from"], actor=ev.actor))
        if ev.type == TRANSFERRED and data["to"] not in (data.get("cosigners") or ()):
            problem(out, "receiver-signs", ev, _("hands items to {receiver} without their signature: a handover is "
                                                 "completed only by the receiver's signature (custody "
                                                 "accept).").format(receiver=data["to"]))


def _answers(state: State, ev: Event, out: list, states: list) -> None:
    """An acceptance or decline answers the open offer of each of its items, with its parties."""
    data = ev.data
    for item, _st in states:
        offer = state.open_offers.get(item)
        if offer is None or offer[0] != data["offer"]:
            problem(out, "answers-offer", ev, (_("{type} answers offer seq {offer}, but the open offer of the item is "
                                                 "{open}.") if offer else
                                               _("{type} answers offer seq {offer}, but the open offer of the item is "
                                                 "none.")).format(type=ev.type, offer=data["offer"],
                                                                  open=offer[0] if offer else None), item)
            continue
        _seq, sender, receiver, location, seal = offer
        if (data["from"], data["to"]) != (sender, receiver):
            problem(out, "answers-offer", ev, _("{type} names the handover from {sender} to {receiver}, but the offer "
                                                "was from {offered_from} to {offered_to}.").format(
                type=ev.type, sender=data["from"], receiver=data["to"], offered_from=sender, offered_to=receiver),
                item)
        if ev.type == ACCEPTED and (data.get("location"), data.get("seal")) != (location, seal):
            problem(out, "accepts-offer", ev, _("accepted with location {location} and seal {seal}, but the offer "
                                                "named location {offered_location} and seal {offered_seal}.").format(
                location=data.get("location"), seal=data.get("seal"), offered_location=location,
                offered_seal=seal), item)


def check_accepted(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    _answers(state, ev, out, states)
    if signed(state, ev):
        if ev.actor != ev.data["to"]:
            problem(out, "receiver-accepts", ev, _("acceptance by {actor} of items offered to {receiver}.").format(
                actor=ev.actor, receiver=ev.data["to"]))
        role = state.role(ev.data["to"])
        if role is not None and role not in MAY_HOLD:
            problem(out, "may-hold", ev, _("accepted by {badge}, who is {role} now, a role that may not hold "
                                           "evidence.").format(badge=ev.data["to"], role=role))


def check_declined(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    _answers(state, ev, out, states)
    if signed(state, ev) and ev.actor not in (ev.data["to"], ev.data["from"]):
        problem(out, "party-declines", ev, _("offer declined by {actor}, who is neither its sender nor its "
                                             "receiver.").format(actor=ev.actor))


def _one_item(ev: Event, out: list, states: list) -> None:
    for item, _st in states:
        if ev.data["item"] != item:
            problem(out, "one-item", ev, _("{type} lists {item} but its data names {named}.").format(
                type=ev.type, item=item, named=ev.data["item"]), item)


def check_resealed(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    _one_item(ev, out, states)
    for item, st in states:
        if ev.data["old_seal"] != st[I_SEAL]:
            problem(out, "old-seal", ev, _("resealed from seal {old}, but its seal was {seal}.").format(
                old=ev.data["old_seal"], seal=st[I_SEAL]), item)
    _holder_or_keeper(state, ev, out, states, N_("a reseal"))


def check_disposed(state: State, ev: Event, out: list, states: list) -> None:
    data = ev.data
    _movable(ev, out, states)
    for item, st in states:
        if data["holder"] != st[I_HOLDER]:
            problem(out, "holder-named", ev, _("disposition says {said} held it, but {holder} did.").format(
                said=data["holder"], holder=st[I_HOLDER]), item)
    if signed(state, ev):
        witness = data.get("witness")
        if not witness or witness not in (data.get("cosigners") or ()) or witness == ev.actor:
            problem(out, "witnessed", ev, _("disposal without a second officer's signature as witness."))
        else:
            officer(state, out, ev, witness, "officer")
        for item, st in states:
            if st[I_HOLDER] is not None and st[I_HOLDER] not in required_signers(ev.actor, data):
                problem(out, "holder-signs", ev, _("disposed of by {actor} without the signature of {holder}, who "
                                                   "held it.").format(actor=ev.actor, holder=st[I_HOLDER]), item)


def check_deposited(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    officer(state, out, ev, ev.data["from"], "depositor")
    for item, st in states:
        if st[I_KIND] != "cash":
            problem(out, "cash-only", ev, _("deposited in a bank, but it is a {kind}, not cash.").format(
                kind=st[I_KIND]), item)
    _held_by(ev, out, states, ev.data["from"], "holder-deposits", "deposited from {sender}, but {holder} held it "
             "then (since seq {seq}).", "deposited from {sender}, but nobody held it then (since seq {seq}).")
    _holder_or_keeper(state, ev, out, states, N_("a deposit"))


def _holder_named(ev: Event, out: list, states: list) -> None:
    """An assignment or a return names the officer who answers for the item: its holder."""
    for item, st in states:
        if ev.data["holder"] != st[I_HOLDER]:
            problem(out, "holder-named", ev, _("{type} says {said} answered for it, but {holder} held it.").format(
                type=ev.type, said=ev.data["holder"], holder=st[I_HOLDER]), item)


def check_assigned(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    _one_item(ev, out, states)
    _holder_named(ev, out, states)
    for item, _st in states:
        if not ev.data["order"]:
            problem(out, "court-order", ev, _("assigned in temporary use without a court order."), item)


def check_returned(state: State, ev: Event, out: list, states: list) -> None:
    _movable(ev, out, states)
    _one_item(ev, out, states)
    _holder_named(ev, out, states)
    for item, st in states:
        if st[I_STATUS] != "assigned":
            problem(out, "status", ev, _("returned from temporary use, but it was {status}, not assigned.").format(
                status=st[I_STATUS]), item)
        if state.open_assignments.get(item) != ev.data["assignment"]:
            problem(out, "answers-assignment", ev, _("return names assignment seq {named}, but the open assignment "
                                                     "is {open}.").format(named=ev.data["assignment"],
                                                                          open=state.open_assignments.get(item)),
                    item)
    _holder_or_keeper(state, ev, out, states, N_("a return"))


# -- effects ----------------------------------------------------------------------------------
def _close_offer(state: State, ev: Event, item: str, outcome: str, seal_check) -> None:
    offer = state.open_offers.pop(item, None)
    if offer is not None:
        state.change("offers", (offer[0], number(item)), closed_seq=ev.seq, outcome=outcome, seal_check=seal_check)


def _touch(st: list, ev: Event) -> None:
    st[I_LAST_SEQ], st[I_LAST_AT] = ev.seq, max(st[I_LAST_AT], ev.occurred_at)


def _each(state: State, ev: Event):
    for item in ev.items:
        st = state.items.get(item)
        if st is not None:
            yield item, st


def apply_transferred(state: State, ev: Event) -> None:
    for _item, st in _each(state, ev):
        st[I_HOLDER] = ev.data["to"]
        st[I_LOCATION] = ev.data.get("location") or st[I_LOCATION]
        st[I_SEAL] = ev.data.get("seal") or st[I_SEAL]
        _touch(st, ev)


def apply_offered(state: State, ev: Event) -> None:
    data = ev.data
    for item, st in _each(state, ev):
        st[I_STATUS] = IN_TRANSIT
        state.put("offers", offer_row(ev.seq, st[I_CASE], item, data))
        state.open_offers[item] = (ev.seq, data["from"], data["to"], data.get("location"), data.get("seal"))
        _touch(st, ev)


def apply_accepted(state: State, ev: Event) -> None:
    for item, st in _each(state, ev):
        st[I_STATUS], st[I_HOLDER] = "in-custody", ev.data["to"]
        st[I_LOCATION] = ev.data.get("location") or st[I_LOCATION]
        st[I_SEAL] = ev.data.get("seal") or st[I_SEAL]
        _close_offer(state, ev, item, "accepted", ev.data.get("seal_check"))
        _touch(st, ev)


def apply_declined(state: State, ev: Event) -> None:
    for item, st in _each(state, ev):
        st[I_STATUS] = "in-custody"
        _close_offer(state, ev, item, "declined", None)
        _touch(st, ev)


def apply_resealed(state: State, ev: Event) -> None:
    for _item, st in _each(state, ev):
        st[I_SEAL] = ev.data["new_seal"]
        _touch(st, ev)


def apply_disposed(state: State, ev: Event) -> None:
    for _item, st in _each(state, ev):
        st[I_STATUS], st[I_HOLDER] = "disposed", None
        st[I_DISPOSITION], st[I_AUTHORITY], st[I_DISPOSED_TO] = (ev.data["action"], ev.data["authority"],
                                                                 ev.data.get("to"))
        _touch(st, ev)


def apply_deposited(state: State, ev: Event) -> None:
    for item, st in _each(state, ev):
        st[I_STATUS], st[I_HOLDER] = "deposited", None
        state.put("deposits", deposit_row(ev.seq, ev.occurred_at, st[I_CASE], item, ev.data))
        _touch(st, ev)


def apply_assigned(state: State, ev: Event) -> None:
    st = state.items.get(ev.data["item"])
    if st is not None:
        state.put("assignments", assignment_row(ev.seq, ev.occurred_at, st[I_CASE], ev.data))
        state.open_assignments[ev.data["item"]] = ev.seq
    for _item, st in _each(state, ev):
        st[I_STATUS] = "assigned"
        _touch(st, ev)


def apply_returned(state: State, ev: Event) -> None:
    opened = state.open_assignments.pop(ev.data["item"], None)
    if opened is not None:
        state.change("assignments", (opened,), returned_seq=ev.seq, returned_at=ev.occurred_at)
    for _item, st in _each(state, ev):
        st[I_STATUS] = "in-custody"
        _touch(st, ev)


define(
    Rule(TRANSFERRED, "custody.transfer", check_handover, apply_transferred, True, "custody.transfer", data=data.Handover),
    Rule(OFFERED, "custody.transfer", check_handover, apply_offered, True, "custody.transfer", data=data.Handover),
    Rule(ACCEPTED, "custody.transfer", check_accepted, apply_accepted, True, data=data.Answer),
    Rule(DECLINED, "custody.transfer", check_declined, apply_declined, True, data=data.Answer),
    Rule(RESEALED, "custody.reseal", check_resealed, apply_resealed, True, "custody.reseal", data=data.Resealed),
    Rule(DISPOSED, "custody.dispose", check_disposed, apply_disposed, True, "custody.dispose", data=data.Disposed),
    Rule(DEPOSITED, "custody.transfer", check_deposited, apply_deposited, True, "custody.deposit", data=data.Deposited),
    Rule(ASSIGNED, "custody.dispose", check_assigned, apply_assigned, True, "custody.assign", data=data.Assigned),
    Rule(RETURNED, "custody.transfer", check_returned, apply_returned, True, "custody.return", data=data.Returned),
)
