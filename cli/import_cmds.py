"""`evidence item import`: register every item of a .csv or .xlsx file in one transaction."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import by_option, pass_state
from .output import emit, progress, warn


@click.command("import")
@click.argument("seizure")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--at", metavar="TIME", help="When the items were registered (default now; not before the seizure).")
@click.option("--request-id", "request_id", metavar="ID",
              help="Makes a retry harmless: the same file with the same id is imported once.")
@by_option
@pass_state
def item_import(state, seizure, file, at, request_id, by):
    """Register every item listed in FILE (.csv or .xlsx): all rows or none.

    The first row names the columns: `kind` (cash, vehicle, phone or document) and the
    fields of that kind under the names of the options of `cash add`, `vehicle add`,
    `phone add` and `document add` (amount, currency, counted-by, imei, make, ...; `_` may
    stand for `-`). Empty cells are absent values; `file` paths are relative to FILE's folder.
    Any bad row refuses the whole file, listing every error by row and column.

    Example:

    \b
        evidence item import SZ-000001 docs/samples/items-sample.csv --by B-1001 --request-id op-0147-list-1
    """
    from pathlib import Path

    from ledger import bulk
    from ledger.requests import check_request_id

    rid = check_request_id(request_id)
    # The file is read and its table checked before the ledger is opened; its rows are then
    # validated by a second process while this one registers them.
    with bulk.open_file(Path(file)) as plan, progress(_("importing"), plan.count) as tick:
        done = state.ledger().write(bulk.import_file, seizure, plan, by=by, at=at, tz=state.tz,
                                    request_id=rid, progress=tick)
    if not state.json:
        for w in done.warnings:
            warn(w)
    counts = ", ".join(_kind_count(kind, n) for kind, n in done.counts.items())
    said = (ngettext("already imported (request id seen before): {n} item into {seizure}: {counts}",
                     "already imported (request id seen before): {n} items into {seizure}: {counts}", done.count)
            if done.replayed else
            ngettext("imported {n} item into {seizure}: {counts}", "imported {n} items into {seizure}: {counts}",
                     done.count))
    lines = [said.format(n=number(done.count), seizure=done.seizure, counts=counts),
             _("first {first}, last {last}").format(first=done.first, last=done.last)]
    emit(state, done.as_dict(), lines)


def _kind_count(kind: str, n: int) -> str:
    """'1 document', '2 cash', '3 vehicles': how many items of a kind a file registered."""
    if kind == "cash":
        said = ngettext("{n} cash", "{n} cash", n)
    elif kind == "vehicle":
        said = ngettext("{n} vehicle", "{n} vehicles", n)
    elif kind == "phone":
        said = ngettext("{n} phone", "{n} phones", n)
    else:
        said = ngettext("{n} document", "{n} documents", n)
    return said.format(n=number(n))
