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

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound, RuleError
from ledger.events import append_event, now_utc
from ledger.i18n import N_, _, or_list
from ledger.items import get_item, item_label, missing_item_hint, parse_item_ref
from ledger.models import Assignment, Deposit, Event, EventItem, Item, Offer
from ledger.registry import get_location, get_officer, require_actor
from ledger.requests import RequestEvent, record_request, request_fields, start_request
from ledger.roundtrips import Reads, items_by_number, reads_under_lock, update_items
from ledger.rules import MAY_HOLD, RECORDS_ANY_HANDOVER
from ledger.rules.custody import (
    ACCEPTED,
    ASSIGNED,
    DECLINED,
    DEPOSITED,
    DISPOSED,
    HOLDER_EVENTS,
    OFFERED,
    RESEALED,
    RETURNED,
    TRANSFERRED,
)
from ledger.rules.items import REGISTERED, REVIEW_SET
from ledger.rules.operations import AUDIT_CHECKED
from ledger.rules.state import IN_TRANSIT, assignment_row, deposit_row, offer_row
from ledger.validate import check_code, clean_text, local_iso, parse_time, utc_iso

DISPOSAL_ACTIONS = ("returned", "destroyed", "forfeited", "auctioned", "transferred-to-agency", "to-pronabi")
# Peru's programme that administers seized assets; a handover to it is recorded with its act.
PRONABI = "PRONABI"
REASON_MAX = 500
NO_SEAL = "none"


def _history_hint(item_id: str) -> str:
    return _("see 'evidence item history {item}'").format(item=item_id)


def _given_time(at: str | None, tz: str) -> str | None:
    """`--at` as a ledger time, or None when not given (the caller then takes the clock)."""
    return utc_iso(parse_time(at, tz, "--at")) if at else None


def _when(at: str | None, tz: str) -> str:
    return _given_time(at, tz) or utc_iso(now_utc())


def _not_before_last(item: Item, when: str, tz: str) -> str | None:
    if when < item.last_at:
        return _("item {item}: --at {at} is before its last recorded event (seq {seq} at {last}); custody cannot go "
                 "back in time. Give a later --at, or {history}.").format(
            item=item.id, at=local_iso(when, tz), seq=item.last_seq, last=local_iso(item.last_at, tz),
            history=_history_hint(item.id))
    return None


def _not_disposed(item: Item) -> str | None:
    if item.status == "disposed":
        return _("item {item}: was disposed of ({disposition}, {authority}) and can no longer change hands or "
                 "seals; {history}.").format(item=item.id, disposition=item.disposition, authority=item.authority,
                                             history=_history_hint(item.id))
    return None


def _in_transit(item: Item) -> str | None:
    if item.status == IN_TRANSIT:
        return _("item {item}: is in transit from {holder} (a handover offered and not yet answered); the receiver "
                 "accepts it with 'evidence custody accept {item}' or declines it first; {history}.").format(
            item=item.id, holder=item.holder, history=_history_hint(item.id))
    return None


def _not_away(item: Item) -> str | None:
    """Why an item cannot change hands or seals now: disposed of, paid into a bank, lent in
    temporary use (it must come back first), or offered to someone who has not answered."""
    if item.status == IN_TRANSIT:
        return _in_transit(item)
    if item.status == "deposited":
        return _("item {item}: was deposited in a bank account, so nobody holds the cash any more; the voucher is "
                 "the evidence now; {history}.").format(item=item.id, history=_history_hint(item.id))
    if item.status == "assigned":
        return _("item {item}: is assigned in temporary use; record its return first "
                 "(evidence custody return {item} --by BADGE).").format(item=item.id)
    return _not_disposed(item)


def _order(order: str | None) -> str | None:
    """`--order`: the court order or resolution a custody act follows, when there is one."""
    return clean_text(order, "--order", max_len=200, required=False) or None


def _with_order(data: dict, order: str | None) -> dict:
    # Only when given, so the bodies of acts without an order keep their earlier form.
    return {**data, "order": order} if order else data


# What `_raise_all` says of an act refused for several reasons, one sentence per act.
_REFUSED = {
    "transfer": N_("The transfer was refused for {n} reasons; nothing was written:"),
    "acceptance": N_("The acceptance was refused for {n} reasons; nothing was written:"),
    "decline": N_("The decline was refused for {n} reasons; nothing was written:"),
    "reseal": N_("The reseal was refused for {n} reasons; nothing was written:"),
    "disposition": N_("The disposition was refused for {n} reasons; nothing was written:"),
    "deposit": N_("The deposit was refused for {n} reasons; nothing was written:"),
    "assignment": N_("The assignment was refused for {n} reasons; nothing was written:"),
    "return": N_("The return was refused for {n} reasons; nothing was written:"),
}


def _raise_all(errors: list[str], what: str) -> None:
    if len(errors) == 1:
        raise RuleError(errors[0])
    if errors:
        raise RuleError(_(_REFUSED[what]).format(n=len(errors)), details=errors)


# -- transfer ------------------------------------------------------------------------
_NAME_ONE = {
    "transfer": N_("Name at least one item to transfer."),
    "accept": N_("Name at least one item to accept."),
    "decline": N_("Name at least one item to decline."),
    "deposit": N_("Name at least one item to deposit."),
    "review": N_("Name at least one item to review."),
}


def _evidence_numbers_hint() -> str:
    return _("Evidence numbers look like EV-000042; 'evidence item list' shows them.")


def item_numbers(refs: Sequence[str], what: str = "transfer", example: str | None = None) -> list[int]:
    """The item numbers `refs` name, each once; refused when one names no item or one is named
    twice. `example` is the command shown when no item is named."""
    if not refs:
        message = _NAME_ONE.get(what)
        raise InputError(_(message) if message else _("Name at least one item to {what}.").format(what=what),
                         hint=_("e.g. {command}").format(command=example or f"evidence custody {what} EV-000001 ..."))
    nos: list[int] = []
    for ref in refs:
        no = parse_item_ref(ref)
        if no is None:
            raise NotFound(_("ITEM: no item {ref!r} is registered.").format(ref=ref), hint=_evidence_numbers_hint())
        if no in nos:
            raise InputError(_("Item {item} is named twice; name each item once.").format(item=item_label(no)))
        nos.append(no)
    return nos


@reads_under_lock(lambda refs, *, from_badge, to_badge, by, **_: Reads((by, from_badge, to_badge), refs))
def transfer_items(
    session: Session, refs: Sequence[str], *, from_badge: str, to_badge: str, reason: str, by: str | None,
    at: str | None = None, location: str | None = None, seal: str | None = None, request_id: str | None = None,
    order: str | None = None, tz: str = "America/Lima", receiver_signs: bool = False,
) -> dict:
    """Hand items from their holder to another officer: one event for all the items, or nothing.

    The holder (`--by` = `--from`) signs an offer, and the items are in transit until the
    receiver accepts them (`accept_items`). When both stand at one terminal
    (`receiver_signs`), the receiver's signature completes the handover in the same event."""
    nos = item_numbers(refs)
    reason = clean_text(reason, "--reason", max_len=REASON_MAX)
    location = check_code(location, "--location") if location else None
    seal = check_code(seal, "--seal") if seal else None
    when = _given_time(at, tz)
    order = _order(order)
    params = _with_order({"items": [item_label(n) for n in nos], "from": from_badge, "to": to_badge,
                          "reason": reason, "at": when, "location": location, "seal": seal, "by": by}, order)
    if receiver_signs:
        params["receiver_signs"] = True
    request_id, fp, done = start_request(session, request_id, "custody.transfer", params, _transfer_result)
    if done is not None:
        return done
    when = when or utc_iso(now_utc())

    actor = require_actor(session, by, "custody.transfer")
    sender = get_officer(session, from_badge, "--from")
    receiver = get_officer(session, to_badge, "--to")
    if receiver.badge == sender.badge:
        raise RuleError(_("--from and --to are both {badge}; a transfer hands items to another officer.").format(
            badge=sender.badge), hint=_("Name the receiving officer with --to."))
    if receiver.role not in MAY_HOLD:
        raise RuleError(
            _("--to {badge} is registered as {role}, a role that may not hold evidence.").format(
                badge=receiver.badge, role=receiver.role),
            hint=_("Hand the items to an officer registered as {roles}.").format(roles=or_list(sorted(MAY_HOLD))),
        )
    if actor.badge != sender.badge:
        names = {"actor": actor.badge, "sender": sender.badge, "receiver": receiver.badge}
        if actor.badge == receiver.badge:
            message = _("--by {actor} is not the sender ({sender}): a handover is offered and signed by the officer "
                        "who holds the items, and the receiver accepts it afterwards with 'evidence custody "
                        "accept'.")
            hint = _("Run it with --by {sender} and {sender}'s key; {receiver} then runs 'evidence custody accept "
                     "ITEM... --by {receiver}'.")
        else:
            message = _("--by {actor} is not the sender ({sender}): a handover is offered and signed by the officer "
                        "who holds the items, and nobody else can hand items on for them.")
            hint = _("Run it with --by {sender} and {sender}'s key.")
        raise RuleError(message.format(**names), hint=hint.format(**names))
    if location:
        location = get_location(session, location).code

    found = items_by_number(session, nos)
    missing = [item_label(n) for n in nos if n not in found]
    if missing:
        raise NotFound(_("ITEM: no item {items} is registered; nothing was transferred.").format(
            items=", ".join(missing)), hint=missing_item_hint(session, missing))
    items = [found[n] for n in nos]
    cases = sorted({i.case_no for i in items})
    if len(cases) > 1:
        raise RuleError(
            _("The items belong to {n} cases ({cases}); one transfer moves the items of one case.").format(
                n=len(cases), cases=", ".join(cases)),
            hint=_("Run one transfer per case."),
        )
    errors: list[str] = []
    for item in items:
        problem = _not_away(item)
        if problem is None and item.holder != sender.badge:
            problem = _("item {item}: held by {holder}, not {sender}; transfer it from {holder}, or {history}").format(
                item=item.id, holder=item.holder, sender=sender.badge, history=_history_hint(item.id))
        problem = problem or _not_before_last(item, when, tz)
        if problem:
            errors.append(problem)
    _raise_all(errors, "transfer")

    ids = [i.id for i in items]
    data = _with_order({"from": sender.badge, "to": receiver.badge, "reason": reason, "location": location,
                        "seal": seal, "request_id": request_id, **request_fields(request_id, fp)}, order)
    if receiver_signs:
        data["cosigners"] = [receiver.badge]
    kind = TRANSFERRED if receiver_signs else OFFERED
    ev = append_event(session, kind, data, actor=actor.badge, occurred_at=when,
                      case_no=cases[0], items=[(i.no, i.id) for i in items])
    values: dict = {"last_seq": ev.seq, "last_at": when}
    if receiver_signs:
        values["holder"] = receiver.badge
        if location:
            values["location"] = location
        if seal:
            values["seal"] = seal
    else:
        values["status"] = IN_TRANSIT
        session.execute(insert(Offer), [offer_row(ev.seq, cases[0], i.id, data) for i in items])
    update_items(session, nos, values)
    record_request(session, ev.seq, kind, data)
    return _transfer_result(session, _as_event(ev, ids, data, kind))


def _open_offers(session: Session, refs: Sequence[str], what: str) -> tuple[list[Item], dict[int, Offer]]:
    nos = item_numbers(refs, what)
    found = {i.no: i for i in session.scalars(select(Item).where(Item.no.in_(nos)))}
    missing = [item_label(n) for n in nos if n not in found]
    if missing:
        message = (_("ITEM: no item {items} is registered; nothing was accepted.") if what == "accept" else
                   _("ITEM: no item {items} is registered; nothing was declined."))
        raise NotFound(message.format(items=", ".join(missing)), hint=_evidence_numbers_hint())
    offers = {o.item_no: o for o in session.scalars(select(Offer).where(Offer.item_no.in_(nos),
                                                                       Offer.closed_seq.is_(None)))}
    return [found[n] for n in nos], offers


def _offer_event(session: Session, seq: int) -> dict:
    return json.loads(session.get(Event, seq).body)["data"]


def accept_items(session: Session, refs: Sequence[str], *, by: str | None, seal_ok: bool = False,
                 seal_broken: str | None = None, at: str | None = None, tz: str = "America/Lima") -> dict:
    """The receiver takes items offered to them, signing that they have them now, and states
    what they saw of the seals (`--seal-ok`, or `--seal-broken` with what was wrong)."""
    if seal_ok and seal_broken is not None:
        raise InputError(_("Give --seal-ok or --seal-broken, not both."))
    seal_check = None
    if seal_ok:
        seal_check = "ok"
    elif seal_broken is not None:
        seal_check = "broken: " + clean_text(seal_broken, "--seal-broken", max_len=480)
    when = _when(at, tz)
    if not by:
        require_actor(session, by, "custody.transfer")
    actor = get_officer(session, by, "--by")
    items, offers = _open_offers(session, refs, "accept")
    errors: list[str] = []
    for item in items:
        offer = offers.get(item.no)
        if offer is None:
            if item.holder:
                message = _("item {item}: no handover of it is waiting for an answer (status {status}, held by "
                            "{holder}); only an item offered to you can be accepted; {history}.")
            else:
                message = _("item {item}: no handover of it is waiting for an answer (status {status}, held by "
                            "nobody); only an item offered to you can be accepted; {history}.")
            errors.append(message.format(item=item.id, status=item.status, holder=item.holder,
                                         history=_history_hint(item.id)))
        elif offer.to_badge != actor.badge:
            errors.append(_("item {item}: was offered to {to}, not to {actor}; only {to} can accept it.").format(
                item=item.id, to=offer.to_badge, actor=actor.badge))
        else:
            problem = _not_before_last(item, when, tz)
            if problem:
                errors.append(problem)
    _raise_all(errors, "acceptance")
    return _answer(session, items, offers, actor, ACCEPTED, when, {"seal_check": seal_check})


def decline_items(session: Session, refs: Sequence[str], *, reason: str, by: str | None, at: str | None = None,
                  tz: str = "America/Lima") -> dict:
    """The receiver refuses items offered to them, or the holder withdraws the offer: the
    items stay with the holder."""
    reason = clean_text(reason, "--reason", max_len=REASON_MAX)
    when = _when(at, tz)
    if not by:
        require_actor(session, by, "custody.transfer")
    actor = get_officer(session, by, "--by")
    items, offers = _open_offers(session, refs, "decline")
    errors: list[str] = []
    for item in items:
        offer = offers.get(item.no)
        if offer is None:
            errors.append(_("item {item}: no handover of it is waiting for an answer; {history}.").format(
                item=item.id, history=_history_hint(item.id)))
        elif actor.badge not in (offer.to_badge, offer.from_badge):
            errors.append(_("item {item}: was offered by {from_} to {to}; only they can decline or withdraw the "
                            "offer.").format(item=item.id, from_=offer.from_badge, to=offer.to_badge))
        else:
            problem = _not_before_last(item, when, tz)
            if problem:
                errors.append(problem)
    _raise_all(errors, "decline")
    return _answer(session, items, offers, actor, DECLINED, when, {"reason": reason})


def _answer(session: Session, items: list[Item], offers: dict[int, Offer], actor, kind: str, when: str,
            extra: dict) -> dict:
    """One event per offer answered (the items of one offer go together), in one transaction."""
    groups: dict[int, list[Item]] = {}
    for item in items:
        groups.setdefault(offers[item.no].seq, []).append(item)
    done = []
    for offer_seq, group in sorted(groups.items()):
        offer = offers[group[0].no]
        offered = _offer_event(session, offer_seq)
        data = {"offer": offer_seq, "from": offer.from_badge, "to": offer.to_badge, **extra}
        if kind == ACCEPTED:
            data.update({"location": offered.get("location"), "seal": offered.get("seal")})
        ev = append_event(session, kind, data, actor=actor.badge, occurred_at=when, case_no=offer.case_no,
                          items=[(i.no, i.id) for i in group])
        for item in group:
            item.status, item.last_seq, item.last_at = "in-custody", ev.seq, when
            if kind == ACCEPTED:
                item.holder = offer.to_badge
                item.location = data["location"] or item.location
                item.seal = data["seal"] or item.seal
        session.execute(update(Offer).where(Offer.seq == offer_seq, Offer.item_no.in_([i.no for i in group]))
                        .values(closed_seq=ev.seq, outcome=kind.rpartition(".")[2],
                                seal_check=extra.get("seal_check")))
        session.flush()
        done.append({"seq": ev.seq, "hash": ev.hash, "offer": offer_seq, "items": [i.id for i in group],
                     "from": offer.from_badge, "to": offer.to_badge, **extra})
    return {"id": done[0]["seq"], "seq": done[-1]["seq"], "events": done,
            "items": [i for d in done for i in d["items"]], "by": actor.badge}


def _as_event(ev, items: list[str], data: dict, kind: str | None = None) -> RequestEvent:
    """An event just appended, in the form a retry reads it back from the log."""
    doc = {"occurred_at": ev.occurred_at, "recorded_at": ev.recorded_at, "items": items, "data": data}
    if kind:
        doc["type"] = kind
    return RequestEvent(ev.seq, ev.hash, doc)


def _transfer_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "items": ev.doc["items"], "from": d["from"],
            "to": d["to"], "reason": d["reason"], "location": d.get("location"), "seal": d.get("seal"),
            "occurred_at": ev.doc["occurred_at"], "recorded_at": ev.doc["recorded_at"],
            "request_id": d.get("request_id"), "accepted": "cosigners" in d or ev.doc.get("type") ==
            TRANSFERRED}


# -- reseal --------------------------------------------------------------------------
def reseal_item(
    session: Session, ref: str, *, old_seal: str, new_seal: str, reason: str, by: str | None,
    at: str | None = None, request_id: str | None = None, order: str | None = None, tz: str = "America/Lima",
) -> dict:
    """Replace an item's seal (e.g. after the lab opened the bag). The old seal must be the
    one on record (`none` for an item registered without a seal); the holder or a custodian
    records it."""
    old_seal = check_code(old_seal, "--old-seal")
    new_seal = check_code(new_seal, "--new-seal")
    reason = clean_text(reason, "--reason", max_len=REASON_MAX)
    given = _given_time(at, tz)
    order = _order(order)
    request_id, fp, done = start_request(session, request_id, "custody.reseal", _with_order({
        "item": ref.strip().upper(), "old_seal": old_seal, "new_seal": new_seal, "reason": reason, "at": given,
        "by": by}, order), _reseal_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.reseal")
    item = get_item(session, ref)
    problem = _not_away(item)
    if problem is None:
        current = item.seal
        matches = old_seal == current if current is not None else old_seal.lower() == NO_SEAL
        if not matches:
            shown = current if current is not None else _("{none} (it was never sealed)").format(none=NO_SEAL)
            problem = _("item {item}: its seal on record is {shown}, not {old}; check the seal on the bag. If the "
                        "bag's seal differs from the record, do not reseal it: report the broken or swapped seal to "
                        "the officer in charge of the evidence; {history}.").format(
                item=item.id, shown=shown, old=old_seal, history=_history_hint(item.id))
        elif new_seal == current:
            problem = _("item {item}: --new-seal {seal} is already its seal; give the number of the new seal.").format(
                item=item.id, seal=new_seal)
    if problem is None and actor.badge != item.holder and actor.role not in RECORDS_ANY_HANDOVER:
        problem = _("item {item}: held by {holder}, so {actor} may not reseal it; the holder or a custodian reseals "
                    "an item. Run it with --by {holder}.").format(item=item.id, holder=item.holder, actor=actor.badge)
    problem = problem or _not_before_last(item, when, tz)
    _raise_all([problem] if problem else [], "reseal")

    data = _with_order({"item": item.id, "old_seal": item.seal, "new_seal": new_seal, "reason": reason,
                        **request_fields(request_id, fp)}, order)
    ev = append_event(session, RESEALED, data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.seal, item.last_seq, item.last_at = new_seal, ev.seq, when
    session.flush()
    record_request(session, ev.seq, RESEALED, data)
    return _reseal_result(session, _as_event(ev, [item.id], data))


def _reseal_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "old_seal": d["old_seal"],
            "new_seal": d["new_seal"], "reason": d["reason"], "occurred_at": ev.doc["occurred_at"]}


# -- disposition ---------------------------------------------------------------------
def dispose_item(
    session: Session, ref: str, *, action: str, authority: str | None, by: str | None, to: str | None = None,
    at: str | None = None, request_id: str | None = None, order: str | None = None, act: str | None = None,
    tz: str = "America/Lima", witness: str | None = None,
) -> dict:
    """End an item's custody for good (returned, destroyed, ...) on a named authority. A
    handover to PRONABI names its handover act (`act`); the receiver is PRONABI."""
    if action not in DISPOSAL_ACTIONS:
        raise InputError(_("--action {action!r} is not a disposition.").format(action=action),
                         hint=_("Use one of: {values}.").format(values=", ".join(DISPOSAL_ACTIONS)))
    if authority is None or not str(authority).strip():
        raise InputError(
            _("--authority is required to dispose of {item}: name the court order or resolution that allows "
              "it.").format(item=ref),
            hint=_('e.g. --authority "Resolución 12-2020, 1er Juzgado Penal de Arequipa".'),
        )
    authority = clean_text(authority, "--authority", max_len=200)
    to = clean_text(to, "--to", max_len=200, required=False)
    act = check_code(act, "--act") if act else None
    if action == "to-pronabi":
        if act is None:
            raise InputError(_("--act is required to hand {item} to PRONABI: give the number of the handover act "
                               "(acta de entrega) PRONABI signed.").format(item=ref),
                             hint=_("e.g. --act AE-2021-0042."))
        to = to or PRONABI
    elif act is not None:
        raise InputError(_("--act names PRONABI's handover act, but --action is {action}; drop --act, or use "
                           "--action to-pronabi.").format(action=action))
    given = _given_time(at, tz)
    order = _order(order)
    if not witness:
        raise InputError(_("--witness is required to dispose of {item}: a disposal is signed by the holder and by a "
                           "second officer who witnessed it.").format(item=ref),
                         hint=_("Add --witness BADGE; the witness's key signs too."))
    params = {"item": ref.strip().upper(), "action": action, "authority": authority, "to": to, "at": given, "by": by,
              "witness": witness}
    if act:
        params["act"] = act
    request_id, fp, done = start_request(session, request_id, "custody.dispose", _with_order(params, order),
                                         _dispose_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.dispose")
    second = get_officer(session, witness, "--witness")
    item = get_item(session, ref)
    problem = _not_disposed(item) or _in_transit(item) or _not_before_last(item, when, tz)
    if problem is None and second.badge == actor.badge:
        problem = _("item {item}: --witness {badge} is the officer disposing of it; a second officer witnesses a "
                    "disposal.").format(item=item.id, badge=second.badge)
    _raise_all([problem] if problem else [], "disposition")

    data = _with_order({"item": item.id, "action": action, "authority": authority, "to": to, "holder": item.holder,
                        "witness": second.badge,
                        # the holder signs a disposal too, when someone else (a prosecutor) records it
                        "cosigners": [b for b in (item.holder, second.badge) if b and b != actor.badge],
                        **request_fields(request_id, fp)}, order)
    if act:
        data["act"] = act
    ev = append_event(session, DISPOSED, data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.status, item.holder = "disposed", None
    item.disposition, item.authority, item.disposed_to = action, authority, to
    item.last_seq, item.last_at = ev.seq, when
    session.flush()
    record_request(session, ev.seq, DISPOSED, data)
    return _dispose_result(session, _as_event(ev, [item.id], data))


def _dispose_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "action": d["action"],
            "authority": d["authority"], "to": d.get("to"), "holder": d["holder"], "act": d.get("act"),
            "order": d.get("order"), "occurred_at": ev.doc["occurred_at"]}


# -- Peru: deposits of cash, temporary use ----------------------------------------------
def _already_deposited(session: Session, item: Item) -> str:
    dep = session.get(Deposit, item.no)
    if dep is None:
        return _("item {item}: was already deposited; cash is deposited once; {history}.").format(
            item=item.id, history=_history_hint(item.id))
    return _("item {item}: was already deposited (voucher {voucher}, {bank} account {account}, event {seq}); cash is "
             "deposited once; {history}.").format(item=item.id, voucher=dep.voucher, bank=dep.bank,
                                                  account=dep.account, seq=dep.seq, history=_history_hint(item.id))


def deposit_cash(
    session: Session, refs: Sequence[str], *, bank: str, account: str, voucher: str, by: str | None,
    at: str | None = None, order: str | None = None, request_id: str | None = None, tz: str = "America/Lima",
) -> dict:
    """Pay seized cash into a bank account: one event for the items one voucher covers. The
    cash leaves its holder (nobody holds it afterwards); the deposit is where the amount is.
    The holder or a custodian records it."""
    nos = item_numbers(refs, "deposit")
    bank = clean_text(bank, "--bank", max_len=200)
    account = check_code(account, "--account")
    voucher = check_code(voucher, "--voucher")
    when = _given_time(at, tz)
    order = _order(order)
    params = _with_order({"items": [item_label(n) for n in nos], "bank": bank, "account": account,
                          "voucher": voucher, "at": when, "by": by}, order)
    request_id, fp, done = start_request(session, request_id, "custody.deposit", params, _deposit_result)
    if done is not None:
        return done
    when = when or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.transfer")
    items = _items_of_one_case(session, nos)
    errors: list[str] = []
    for item in items:
        if item.kind != "cash":
            problem = _("item {item}: is a {kind}, not cash; only seized cash is deposited in a bank.").format(
                item=item.id, kind=item.kind)
        elif item.status == "deposited":
            problem = _already_deposited(session, item)
        else:
            problem = _not_away(item) or _not_before_last(item, when, tz)
        if problem:
            errors.append(problem)
    _raise_all(errors, "deposit")
    holders = sorted({i.holder for i in items})
    if len(holders) > 1:
        raise RuleError(_("The cash is held by {n} officers ({holders}); one deposit takes the cash of one "
                          "holder.").format(n=len(holders), holders=", ".join(holders)),
                        hint=_("Record one deposit per holder, each with its voucher."))
    holder = holders[0]
    if actor.badge != holder and actor.role not in RECORDS_ANY_HANDOVER:
        raise RuleError(_("--by {actor} does not hold the cash ({holder} does); the holder or a custodian records its "
                          "deposit.").format(actor=actor.badge, holder=holder),
                        hint=_("Run it with --by {holder}.").format(holder=holder))
    data = _with_order({"from": holder, "bank": bank, "account": account, "voucher": voucher,
                        **request_fields(request_id, fp)}, order)
    ev = append_event(session, DEPOSITED, data, actor=actor.badge, occurred_at=when,
                      case_no=items[0].case_no, items=[(i.no, i.id) for i in items])
    session.execute(update(Item).where(Item.no.in_(nos)).values(status="deposited", holder=None, last_seq=ev.seq,
                                                                last_at=when)
                    .execution_options(synchronize_session=False))
    session.execute(insert(Deposit), [deposit_row(ev.seq, when, i.case_no, i.id, data) for i in items])
    record_request(session, ev.seq, DEPOSITED, data)
    return _deposit_result(session, _as_event(ev, [i.id for i in items], data))


def _items_of_one_case(session: Session, nos: list[int]) -> list[Item]:
    """The items of a deposit, all of one case."""
    found = {i.no: i for i in session.scalars(select(Item).where(Item.no.in_(nos)))}
    missing = [item_label(n) for n in nos if n not in found]
    if missing:
        raise NotFound(_("ITEM: no item {items} is registered; nothing was written.").format(items=", ".join(missing)),
                       hint=missing_item_hint(session, missing))
    items = [found[n] for n in nos]
    cases = sorted({i.case_no for i in items})
    if len(cases) > 1:
        raise RuleError(_("The items belong to {n} cases ({cases}); one deposit records the items of one case.").format(
            n=len(cases), cases=", ".join(cases)), hint=_("Run one deposit per case."))
    return items


def _deposit_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "items": ev.doc["items"], "from": d["from"],
            "bank": d["bank"], "account": d["account"], "voucher": d["voucher"], "order": d.get("order"),
            "occurred_at": ev.doc["occurred_at"], "request_id": d.get("request_id")}


def _until(text: str | None) -> str:
    import datetime

    if text is None or not str(text).strip():
        raise InputError(_("--until is required: give the last day of the temporary use, as YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise InputError(_("--until {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2021-12-31.").format(
            value=str(text)[:40])) from None


def assign_item(
    session: Session, ref: str, *, entity: str, order: str | None, until: str, by: str | None,
    at: str | None = None, request_id: str | None = None, tz: str = "America/Lima",
) -> dict:
    """Lend an item in temporary use to a public entity on a court order, until a date. The
    holder stays answerable for it; a custodian or prosecutor records it."""
    entity = clean_text(entity, "--to-entity", max_len=200)
    order = _order(order)
    if order is None:
        raise InputError(_("--order is required to assign {item}: name the court order or resolution that grants "
                           "the temporary use.").format(item=ref),
                         hint=_('e.g. --order "Resolución 88-2021, 1er Juzgado Penal".'))
    until = _until(until)
    given = _given_time(at, tz)
    request_id, fp, done = start_request(session, request_id, "custody.assign", {
        "item": ref.strip().upper(), "entity": entity, "order": order, "until": until, "at": given, "by": by},
        _assign_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.dispose")
    item = get_item(session, ref)
    problem = _not_away(item) or _not_before_last(item, when, tz)
    if problem is None and until < when[:10]:
        problem = _("item {item}: --until {until} is before the assignment itself ({at}).").format(
            item=item.id, until=until, at=local_iso(when, tz))
    _raise_all([problem] if problem else [], "assignment")
    data = {"item": item.id, "holder": item.holder, "entity": entity, "order": order, "until": until,
            **request_fields(request_id, fp)}
    ev = append_event(session, ASSIGNED, data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.status, item.last_seq, item.last_at = "assigned", ev.seq, when
    session.flush()
    session.execute(insert(Assignment), [assignment_row(ev.seq, when, item.case_no, data)])
    record_request(session, ev.seq, ASSIGNED, data)
    return _assign_result(session, _as_event(ev, [item.id], data))


def _assign_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "holder": d["holder"],
            "entity": d["entity"], "order": d["order"], "until": d["until"], "occurred_at": ev.doc["occurred_at"]}


def return_item(
    session: Session, ref: str, *, by: str | None, at: str | None = None, order: str | None = None,
    request_id: str | None = None, tz: str = "America/Lima",
) -> dict:
    """An item lent in temporary use comes back to its holder's custody. The holder or a
    custodian records it."""
    given = _given_time(at, tz)
    order = _order(order)
    request_id, fp, done = start_request(session, request_id, "custody.return", _with_order({
        "item": ref.strip().upper(), "at": given, "by": by}, order), _return_result)
    if done is not None:
        return done
    when = given or utc_iso(now_utc())
    actor = require_actor(session, by, "custody.transfer")
    item = get_item(session, ref)
    assignment = None
    if item.status != "assigned":
        problem = (_not_disposed(item) if item.status == "disposed" else None) or _(
            "item {item}: is not assigned in temporary use (it is {status}), so there is nothing to return; "
            "{history}.").format(item=item.id, status=item.status, history=_history_hint(item.id))
    else:
        assignment = session.scalars(select(Assignment).where(Assignment.item_no == item.no,
                                                              Assignment.returned_seq.is_(None))
                                     .order_by(Assignment.seq.desc()).limit(1)).first()
        problem = None
        if assignment is None:
            problem = _("item {item}: is marked assigned but no open assignment is recorded; run 'evidence verify' "
                        "and have the findings explained.").format(item=item.id)
        elif actor.badge != item.holder and actor.role not in RECORDS_ANY_HANDOVER:
            problem = _("item {item}: is answered for by {holder}, so {actor} may not record its return; run it with "
                        "--by {holder} or ask a custodian.").format(item=item.id, holder=item.holder,
                                                                     actor=actor.badge)
        problem = problem or _not_before_last(item, when, tz)
    _raise_all([problem] if problem else [], "return")
    data = _with_order({"item": item.id, "holder": item.holder, "assignment": assignment.seq,
                        "entity": assignment.entity, **request_fields(request_id, fp)}, order)
    ev = append_event(session, RETURNED, data, actor=actor.badge, occurred_at=when,
                      case_no=item.case_no, items=[(item.no, item.id)])
    item.status, item.last_seq, item.last_at = "in-custody", ev.seq, when
    assignment.returned_seq, assignment.returned_at = ev.seq, when
    session.flush()
    record_request(session, ev.seq, RETURNED, data)
    return _return_result(session, _as_event(ev, [item.id], data))


def _return_result(_session: Session, ev: RequestEvent) -> dict:
    d = ev.doc["data"]
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "item": d["item"], "holder": d["holder"],
            "entity": d["entity"], "assignment": d["assignment"], "order": d.get("order"),
            "occurred_at": ev.doc["occurred_at"]}


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
    in_transit_to: str | None = None  # offered to this officer, not yet accepted: still this holder's


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
                   Event.type.in_(HOLDER_EVENTS + (RESEALED, OFFERED, DECLINED)))
            .order_by(Event.seq).limit(batch)
        ).all()
        if not rows:
            break
        for seq, type_, occurred, body in rows:
            ev = json.loads(body)
            data = ev["data"]
            if type_ == REGISTERED:
                state[data["item"]] = [data["holder"], occurred, seq, data.get("seal"), data.get("location"), None]
                continue
            for item_id in ev["items"]:
                s = state.get(item_id)
                if s is None:
                    continue
                if type_ in (TRANSFERRED, ACCEPTED):
                    s[0], s[1], s[2], s[5] = data["to"], occurred, seq, None
                    s[3] = data.get("seal") or s[3]
                    s[4] = data.get("location") or s[4]
                elif type_ == OFFERED:
                    s[5] = data["to"]
                elif type_ == DECLINED:
                    s[5] = None
                elif type_ == RESEALED:
                    s[3] = data["new_seal"]
                else:
                    s[0] = None
        last = rows[-1].seq
    held = {item_id: s for item_id, s in state.items() if s[0] == officer.badge}
    nos = [parse_item_ref(i) for i in held]
    info = {r.id: r for r in session.execute(select(Item.id, Item.kind, Item.case_no).where(Item.no.in_(nos)))}
    out = [Holding(item_id, info[item_id].kind, info[item_id].case_no, s[1], s[2], s[3], s[4], s[5])
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
    order: str | None = None  # the court order or resolution the act followed

    def as_dict(self) -> dict:
        d = asdict(self)
        d["from"] = d.pop("from_")
        return d


def _entry(seq: int, type_: str, occurred: str, recorded: str, actor: str | None, data: dict,
           digest: str) -> HistoryEntry:
    frm = to = location = seal = reason = None
    if type_ == REGISTERED:
        to, location, seal, reason = data.get("holder"), data.get("location"), data.get("seal"), "registered"
    elif type_ == TRANSFERRED:
        frm, to, location, seal, reason = data["from"], data["to"], data.get("location"), data.get("seal"), data["reason"]
    elif type_ == OFFERED:
        frm, to, location, seal = data["from"], data["to"], data.get("location"), data.get("seal")
        reason = f"offered, in transit: {data['reason']}"
    elif type_ == ACCEPTED:
        frm, to = data["from"], data["to"]
        reason = f"accepted (offer seq {data['offer']})" + (f", seals {data['seal_check']}" if data.get("seal_check")
                                                            else "")
    elif type_ == DECLINED:
        frm, to = data["from"], data["to"]
        reason = f"declined (offer seq {data['offer']}): {data['reason']}"
    elif type_ == RESEALED:
        seal, reason = f"{data.get('old_seal') or NO_SEAL} -> {data['new_seal']}", data["reason"]
    elif type_ == DISPOSED:
        frm, to = data.get("holder"), data.get("to")
        reason = f"{data['action']} ({data['authority']})" + (f", act {data['act']}" if data.get("act") else "") \
            + (f", witness {data['witness']}" if data.get("witness") else "")
    elif type_ == DEPOSITED:
        frm, to = data["from"], f"{data['bank']} {data['account']}"
        reason = f"deposited, voucher {data['voucher']}"
    elif type_ == ASSIGNED:
        frm, to, reason = data["holder"], data["entity"], f"temporary use until {data['until']}"
    elif type_ == AUDIT_CHECKED:
        seal, location = data.get("seal"), data.get("location")
        reason = f"audit {data['audit']}: {data['result']}" + (" (unexpected)" if data.get("unexpected") else "")
    elif type_ == RETURNED:
        frm, to, reason = data["entity"], data["holder"], f"back from temporary use (assigned at seq {data['assignment']})"
    elif type_ == REVIEW_SET:
        reason = (f"review on {data['review_on']}" if data.get("review_on") else "review cleared") + (
            f": {data['reason']}" if data.get("reason") else "")
    else:
        reason = data.get("reason")
    return HistoryEntry(seq, occurred, recorded, type_, actor, frm, to, location, seal, reason, digest,
                        data.get("order"))


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
