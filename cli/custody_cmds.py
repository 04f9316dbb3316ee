"""The `custody` group (transfer, reseal, dispose, holdings) and `item history`."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import by_option, pass_state
from .item_cmds import item_group
from .output import FLEX, Col, emit, table

DISPOSAL_ACTIONS = ["returned", "destroyed", "forfeited", "auctioned", "transferred-to-agency", "to-pronabi"]


def _local(state, when: str | None) -> str:
    from ledger.validate import local_iso

    return local_iso(when, state.tz) if when else ""


@click.group("custody")
def custody_group():
    """Hand items on, reseal and dispose of them, and see who held what."""


def request_id_option(f):
    return click.option("--request-id", "request_id", metavar="ID",
                        help="Makes the command safe to retry: the same id applies once and reports the "
                             "original result.")(f)


def order_option(f):
    return click.option("--order", metavar="TEXT", help="The court order or resolution this act follows.")(f)


def _replayed(done: dict) -> str:
    return " " + _("(already applied by this request id; nothing new written)") if done.get("replayed") else ""


@custody_group.command("transfer")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--from", "from_badge", required=True, metavar="BADGE", help="The officer who holds the items now.")
@click.option("--to", "to_badge", required=True, metavar="BADGE", help="The officer who receives them.")
@click.option("--reason", required=True, help="Why the items change hands.")
@click.option("--at", metavar="TIME", help="When the handover happened (default now; not before the items' last event).")
@click.option("--location", metavar="CODE", help="Where the items are kept from now on.")
@click.option("--seal", help="New seal put on the items at the handover.")
@click.option("--receiver-key", "receiver_key", metavar="KEYFILE",
              help="The receiver's key, when both stand at one terminal: the receiver signs too and the handover "
                   "is complete at once.")
@order_option
@request_id_option
@by_option
@pass_state
def custody_transfer(state, items, from_badge, to_badge, reason, at, location, seal, receiver_key, order,
                     request_id, by):
    """Offer one or more items to another officer, all or none, signed by their holder.

    --by is the holder (--from). The items are in transit, still the holder's, until the
    receiver runs 'evidence custody accept'; with --receiver-key the receiver signs at the
    same terminal and the handover is complete. Prints the sequence number of the event.

    Example:

    \b
        evidence custody transfer EV-000001 EV-000002 --from B-1001 --to C-3001 --reason "Into the evidence room" --location ER-AQP --by B-1001
    """
    from pathlib import Path

    from ledger import custody

    if receiver_key:
        state.keyring.files[to_badge.strip().upper()] = Path(receiver_key)
    done = state.ledger().write(
        custody.transfer_items, list(items), from_badge=from_badge, to_badge=to_badge, reason=reason, by=by,
        at=at, location=location, seal=seal, request_id=request_id, order=order, tz=state.tz,
        receiver_signs=bool(receiver_key))
    said = (_("{seq}: {items} from {giver} to {receiver}") if done["accepted"] else
            _("{seq}: {items} from {giver} offered to {receiver} (in transit until accepted)"))
    emit(state, done, said.format(seq=done["seq"], items=", ".join(done["items"]), giver=done["from"],
                                  receiver=done["to"]) + _replayed(done))


@custody_group.command("accept")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--seal-ok", "seal_ok", is_flag=True, help="The seals were intact on arrival.")
@click.option("--seal-broken", "seal_broken", metavar="TEXT", help="What was wrong with the seals on arrival.")
@click.option("--at", metavar="TIME", help="When the items arrived (default now).")
@by_option
@pass_state
def custody_accept(state, items, seal_ok, seal_broken, at, by):
    """Accept items offered to you: signed with your key, they are yours from now on.

    Check the seals first and say what you saw (--seal-ok or --seal-broken TEXT).

    Example:

    \b
        evidence custody accept EV-000001 EV-000002 --seal-ok --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.accept_items, list(items), by=by, seal_ok=seal_ok, seal_broken=seal_broken,
                                at=at, tz=state.tz)
    emit(state, done, [_("{seq}: {items} accepted by {receiver} from {giver}").format(
        seq=d["seq"], items=", ".join(d["items"]), receiver=d["to"], giver=d["from"]) for d in done["events"]])


@custody_group.command("decline")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--reason", required=True, help="Why the items are refused (or the offer withdrawn).")
@click.option("--at", metavar="TIME", help="When (default now).")
@by_option
@pass_state
def custody_decline(state, items, reason, at, by):
    """Decline items offered to you (or, as their holder, withdraw the offer): they stay with
    the holder.

    Example:

    \b
        evidence custody decline EV-000003 --reason "Seal number does not match the form" --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.decline_items, list(items), reason=reason, by=by, at=at, tz=state.tz)
    emit(state, done, [_("{seq}: {items} declined; they stay with {holder}").format(
        seq=d["seq"], items=", ".join(d["items"]), holder=d["from"]) for d in done["events"]])


@custody_group.command("reseal")
@click.argument("item")
@click.option("--old-seal", "old_seal", required=True, help="The seal on the item now ('none' if it had none).")
@click.option("--new-seal", "new_seal", required=True, help="The new seal.")
@click.option("--reason", required=True, help="Why the item was opened and resealed.")
@click.option("--at", metavar="TIME", help="When it was resealed (default now).")
@order_option
@request_id_option
@by_option
@pass_state
def custody_reseal(state, item, old_seal, new_seal, reason, at, order, request_id, by):
    """Replace an item's seal; the old seal must be the one on record.

    The holder or a custodian reseals. Prints the sequence number of the event.

    Example:

    \b
        evidence custody reseal EV-000003 --old-seal S-0002 --new-seal S-0107 --reason "Opened by the lab for extraction" --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.reseal_item, item, old_seal=old_seal, new_seal=new_seal, reason=reason,
                                by=by, at=at, request_id=request_id, order=order, tz=state.tz)
    said = (_("{seq}: {item} seal {old_seal} -> {new_seal}") if done["old_seal"] else
            _("{seq}: {item} seal none -> {new_seal}"))
    emit(state, done, said.format(seq=done["seq"], item=done["item"], old_seal=done["old_seal"],
                                  new_seal=done["new_seal"]) + _replayed(done))


@custody_group.command("dispose")
@click.argument("item")
@click.option("--action", required=True, type=click.Choice(DISPOSAL_ACTIONS), help="What happened to the item.")
@click.option("--authority", help="Court order or resolution that allows it (required).")
@click.option("--to", "to", help="Who received it (owner, agency, buyer), if anyone.")
@click.option("--act", metavar="NUMBER", help="With --action to-pronabi: the number of PRONABI's handover act.")
@click.option("--at", metavar="TIME", help="When it happened (default now).")
@click.option("--witness", metavar="BADGE", help="The second officer who witnessed it and signs too (required).")
@click.option("--witness-key", "witness_key", metavar="KEYFILE",
              help="The witness's key file [default: looked up like the acting officer's].")
@click.option("--holder-key", "holder_key", metavar="KEYFILE",
              help="When --by is not the holder (a prosecutor records it): the holder's key, who signs too.")
@order_option
@request_id_option
@by_option
@pass_state
def custody_dispose(state, item, action, authority, to, act, at, witness, witness_key, holder_key, order,
                    request_id, by):
    """Dispose of an item for good: nobody holds it afterwards and it can never move again.

    Signed by the holder and by a second officer as witness (--witness); when a prosecutor or
    custodian records it for an item someone else holds, that holder signs too.

    Prints the sequence number of the event.

    Example:

    \b
        evidence custody dispose EV-000002 --action returned --authority "Resolución 45-2021, 1er Juzgado Penal" --to "Propietario del vehículo" --witness F-2001 --by C-3001
    """
    from pathlib import Path

    from ledger import custody
    from ledger.identity.keys import read_key_name

    for path in (witness_key, holder_key):
        if path:
            state.keyring.files[read_key_name(path)] = Path(path)
    done = state.ledger().write(custody.dispose_item, item, action=action, authority=authority, to=to, by=by,
                                at=at, request_id=request_id, order=order, act=act, tz=state.tz, witness=witness)
    emit(state, done, f"{done['seq']}: {done['item']} {done['action']} ({done['authority']}){_replayed(done)}")


@custody_group.command("holdings")
@click.argument("badge")
@click.option("--at", metavar="TIME", help="The moment to look at (default now).")
@pass_state
def custody_holdings(state, badge, at):
    """What an officer held at a moment, replayed from the log.

    Example:

    \b
        evidence custody holdings C-3001 --at 2020-10-07T09:00
    """
    from ledger import custody

    with state.ledger().read() as session:
        report = custody.holdings_at(session, badge, at, tz=state.tz)
    rows = [{**h, "since": _local(state, h["since"]),
             "transit": _("in transit to {badge}").format(badge=h["in_transit_to"]) if h["in_transit_to"] else ""}
            for h in report["items"]]
    lines = [ngettext("{badge} ({name}) held {n} item at {at}:", "{badge} ({name}) held {n} items at {at}:",
                      len(rows)).format(badge=report["badge"], name=report["name"], n=number(len(rows)),
                                        at=_local(state, report["at"]))]
    columns = [Col("item", _("ITEM")), Col("kind", _("KIND")), Col("case_no", _("CASE"), drop=2),
               Col("since", _("SINCE")), Col("since_seq", _("SEQ"), drop=1), Col("seal", _("SEAL")),
               Col("location", _("LOCATION"))]
    if any(r["transit"] for r in rows):  # offered, not yet accepted: still this officer's responsibility
        columns.append(Col("transit", _("STATUS")))
    lines += table(rows, columns, wide=state.wide)
    emit(state, report, lines)


@item_group.command("history")
@click.argument("item")
@pass_state
def item_history(state, item):
    """Every event of an item, oldest first: who, when, where, why, seals.

    Times are shown in --tz; OCCURRED is when it happened, RECORDED when it was typed in.

    Example:

    \b
        evidence item history EV-000001
    """
    from ledger import custody

    with state.ledger().read() as session:
        report = custody.item_history(session, item)
    rows = [{**e, "occurred_at": _local(state, e["occurred_at"]), "recorded_at": _local(state, e["recorded_at"])}
            for e in report["events"]]
    said = (_("{item} ({kind}, case {case_no}): {status}, held by {holder}") if report["holder"] else
            _("{item} ({kind}, case {case_no}): {status}, held by nobody"))
    lines = [said.format(item=report["item"], kind=report["kind"], case_no=report["case_no"],
                         status=report["status"], holder=report["holder"])]
    # To fit the width, RECORDED goes first (when it was typed in), then the court order, BY
    # (usually FROM or TO), LOCATION; REASON is cut. --wide shows them all.
    columns = [Col("seq", _("SEQ")), Col("occurred_at", _("OCCURRED")), Col("recorded_at", _("RECORDED"), drop=1),
               Col("type", _("EVENT")), Col("actor", _("BY"), drop=3), Col("from", _("FROM")),
               Col("to", _("TO"), flex=FLEX), Col("location", _("LOCATION"), drop=4), Col("seal", _("SEAL"), flex=11),
               Col("reason", _("REASON"), flex=FLEX)]
    if any(e["order"] for e in rows):  # most histories cite no court order: no empty column for them
        columns.append(Col("order", _("ORDER"), drop=2))
    lines += table(rows, columns, wide=state.wide)
    emit(state, report, lines)
