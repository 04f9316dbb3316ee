"""Evidence-room operations: Peru's deposit of seized cash and temporary use of items."""

from __future__ import annotations

import click

from .app import by_option, pass_state
from .custody_cmds import _replayed, custody_group, order_option, request_id_option
from .output import emit


@custody_group.command("deposit")
@click.argument("items", nargs=-1, required=True, metavar="CASH_ITEM...")
@click.option("--bank", required=True, metavar="TEXT", help="The bank the cash was paid into.")
@click.option("--account", required=True, metavar="TEXT", help="The account it was paid into.")
@click.option("--voucher", required=True, metavar="NUMBER", help="The number of the bank's deposit voucher.")
@click.option("--at", metavar="TIME", help="When it was deposited (default now).")
@order_option
@request_id_option
@by_option
@pass_state
def custody_deposit(state, items, bank, account, voucher, at, order, request_id, by):
    """Deposit seized cash in a bank account: the cash leaves its holder, the voucher is the evidence.

    The holder or a custodian records it; one deposit takes the cash of one holder and one
    case. Prints the sequence number of the deposit event.

    Example:

    \b
        evidence custody deposit EV-000001 EV-000002 --bank "Banco de la Nación" --account 00-068-123456 --voucher 0457812 --at 2020-10-07T11:00 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.deposit_cash, list(items), bank=bank, account=account, voucher=voucher,
                                by=by, at=at, order=order, request_id=request_id, tz=state.tz)
    emit(state, done, f"{done['seq']}: {', '.join(done['items'])} deposited in {done['bank']} {done['account']}, "
                      f"voucher {done['voucher']}{_replayed(done)}")


@custody_group.command("assign")
@click.argument("item")
@click.option("--to-entity", "entity", required=True, metavar="TEXT", help="The public entity that uses the item.")
@click.option("--order", metavar="TEXT", help="The court order or resolution that grants the use (required).")
@click.option("--until", metavar="DATE", help="The last day of the temporary use, YYYY-MM-DD (required).")
@click.option("--at", metavar="TIME", help="When it was handed over (default now).")
@request_id_option
@by_option
@pass_state
def custody_assign(state, item, entity, order, until, at, request_id, by):
    """Assign an item in temporary use to a public entity, on a court order, until a date.

    The holder stays answerable for it; a custodian or prosecutor records it, and
    'custody return' ends it. Prints the sequence number of the event.

    Example:

    \b
        evidence custody assign EV-000005 --to-entity "Municipalidad de Arequipa" --order "Resolución 88-2021" --until 2021-12-31 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.assign_item, item, entity=entity, order=order, until=until, by=by, at=at,
                                request_id=request_id, tz=state.tz)
    emit(state, done, f"{done['seq']}: {done['item']} assigned to {done['entity']} until {done['until']} "
                      f"({done['order']}){_replayed(done)}")


@custody_group.command("return")
@click.argument("item")
@click.option("--at", metavar="TIME", help="When it came back (default now).")
@order_option
@request_id_option
@by_option
@pass_state
def custody_return(state, item, at, order, request_id, by):
    """Record that an item assigned in temporary use came back.

    The holder or a custodian records it. Prints the sequence number of the event.

    Example:

    \b
        evidence custody return EV-000005 --at 2021-12-30T10:00 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.return_item, item, by=by, at=at, order=order, request_id=request_id,
                                tz=state.tz)
    emit(state, done, f"{done['seq']}: {done['item']} back from {done['entity']}{_replayed(done)}")
