"""Registering seized items of the four kinds, and listing and showing items."""

from __future__ import annotations

import click

from .app import by_option, pass_state
from .output import emit, emit_json_array, table, warn


def _register(state, kind: str, seizure: str, raw: dict, by: str | None, at: str | None) -> None:
    from ledger import items

    spec = items.prepare_item(kind, raw)
    [done] = state.ledger().write(items.register_items, seizure, [spec], by=by, at=at, tz=state.tz)
    for w in done.warnings:
        warn(w)
    emit(state, {"id": done.id, "kind": kind, "seq": done.seq, "warnings": list(done.warnings)})


def common_options(f):
    f = click.option("--location", metavar="CODE", help="Where the item is kept (a registered location).")(f)
    f = click.option("--at", metavar="TIME", help="When the item was registered (default now; not before the seizure).")(f)
    return by_option(f)


@click.group("cash")
def cash_group():
    """Register seized cash."""


@cash_group.command("add")
@click.argument("seizure")
@click.option("--amount", required=True, help="Amount as counted, e.g. 4000.00 or 4,000.00.")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. PEN or USD.")
@click.option("--counted-by", "counted_by", required=True, metavar="BADGE", help="Officer who counted it.")
@click.option("--verified-by", "verified_by", required=True, metavar="BADGE", help="Second officer who verified the count.")
@click.option("--denominations", help='Notes and coins as FACExCOUNT, e.g. "200x10,100x20,50x4".')
@click.option("--seal", help="Seal number of the bag or envelope.")
@common_options
@pass_state
def cash_add(state, seizure, amount, currency, counted_by, verified_by, denominations, seal, location, at, by):
    """Register cash from a seizure; prints the evidence number.

    Example:

    \b
        evidence cash add SZ-000001 --amount 4000.00 --currency PEN --counted-by B-1001 --verified-by B-1002 --denominations "200x10,100x20" --seal S-0001 --by B-1001
    """
    _register(state, "cash", seizure, {
        "amount": amount, "currency": currency, "counted-by": counted_by, "verified-by": verified_by,
        "denominations": denominations, "seal": seal, "location": location}, by, at)


@click.group("vehicle")
def vehicle_group():
    """Register seized vehicles."""


@vehicle_group.command("add")
@click.argument("seizure")
@click.option("--make", required=True)
@click.option("--model", required=True)
@click.option("--plate", help="Plate, e.g. V1A-123 (Peruvian formats; see --plate-kind).")
@click.option("--plate-kind", "plate_kind", type=click.Choice(["pe", "foreign"]), default="pe", show_default=True,
              help="Peruvian plate formats, or a foreign plate.")
@click.option("--vin", help="17-character vehicle identification number.")
@click.option("--year", help="Model year.")
@click.option("--color")
@click.option("--value", help='Declared value, e.g. "45000 PEN".')
@common_options
@pass_state
def vehicle_add(state, seizure, make, model, plate, plate_kind, vin, year, color, value, location, at, by):
    """Register a vehicle from a seizure; prints the evidence number.

    Example:

    \b
        evidence vehicle add SZ-000001 --make Toyota --model Yaris --plate V1A-123 --year 2016 --value "45000 PEN" --by B-1001
    """
    _register(state, "vehicle", seizure, {
        "make": make, "model": model, "plate": plate, "plate-kind": plate_kind if plate else None, "vin": vin,
        "year": year, "color": color, "value": value, "location": location}, by, at)


@click.group("phone")
def phone_group():
    """Register seized phones."""


@phone_group.command("add")
@click.argument("seizure")
@click.option("--imei", required=True, help="15-digit IMEI (*#06#).")
@click.option("--imei2", help="Second IMEI of a dual-SIM phone.")
@click.option("--make", required=True)
@click.option("--model", required=True)
@click.option("--number", help="Phone number, e.g. +51 959 123 456.")
@click.option("--seal", help="Seal number of the evidence bag.")
@common_options
@pass_state
def phone_add(state, seizure, imei, imei2, make, model, number, seal, location, at, by):
    """Register a phone from a seizure; prints the evidence number.

    Example:

    \b
        evidence phone add SZ-000001 --imei 490154203237518 --make Samsung --model "Galaxy A10" --seal S-0002 --by B-1001
    """
    _register(state, "phone", seizure, {
        "imei": imei, "imei2": imei2, "make": make, "model": model, "number": number, "seal": seal,
        "location": location}, by, at)


@click.group("document")
def document_group():
    """Register seized documents."""


@document_group.command("add")
@click.argument("seizure")
@click.option("--title", required=True, help="What the document is.")
@click.option("--pages", help="Number of pages.")
@click.option("--file", "file", metavar="PATH", help="Scanned copy: its SHA-256 and size are recorded.")
@click.option("--seal", help="Seal number of the evidence envelope.")
@common_options
@pass_state
def document_add(state, seizure, title, pages, file, seal, location, at, by):
    """Register a document from a seizure; prints the evidence number.

    Example:

    \b
        evidence document add SZ-000001 --title "Cuaderno de cuentas" --pages 48 --file scan.pdf --by B-1001
    """
    _register(state, "document", seizure, {"title": title, "pages": pages, "file": file, "seal": seal,
                                           "location": location}, by, at)


@click.group("item")
def item_group():
    """List, show and trace seized items."""


@item_group.command("list")
@click.option("--case", "case_no", metavar="CASE_NO")
@click.option("--kind", type=click.Choice(["cash", "vehicle", "phone", "document"]))
@click.option("--holder", metavar="BADGE")
@click.option("--status", type=click.Choice(["in-custody", "disposed"]))
@pass_state
def item_list(state, case_no, kind, holder, status):
    """List items, oldest first, filtered by case, kind, holder or status.

    Example:

    \b
        evidence item list --case AQP-2020-0147 --kind phone
    """
    from ledger import items

    with state.ledger().read() as session:
        rows = items.iter_items(session, case_no=case_no, kind=kind, holder=holder, status=status)
        if state.json:
            emit_json_array(rows)
            return
        cols = [("id", "ITEM"), ("kind", "KIND"), ("case_no", "CASE"), ("status", "STATUS"), ("holder", "HOLDER"),
                ("location", "LOCATION"), ("seal", "SEAL"), ("what", "WHAT")]
        batch: list[dict] = []
        printed = False
        for row in rows:
            row["what"] = _what(row)
            batch.append(row)
            if len(batch) == 500:
                _print_batch(batch, cols, printed)
                printed, batch = True, []
        if batch or not printed:
            _print_batch(batch, cols, printed)


def _print_batch(batch, cols, printed):
    lines = table(batch, cols) if batch else ["(none)"]
    for line in (lines[1:] if printed else lines):
        click.echo(line)


def _what(row: dict) -> str:
    if row["kind"] == "cash":
        return f"{row['amount']} {row['currency']}"
    if row["kind"] == "vehicle":
        return " ".join(str(x) for x in (row.get("make"), row.get("model"), row.get("plate")) if x)
    if row["kind"] == "phone":
        return f"{row.get('make')} {row.get('model')} IMEI {row.get('imei')}"
    return row.get("title", "")


@item_group.command("show")
@click.argument("item")
@pass_state
def item_show(state, item):
    """Show one item with every field, its holder, location, seal and status.

    ITEM is an evidence number, or the text of a label's QR code as a scanner types it
    (EV-000042/CASE/HASH); a label whose case or hash is not this ledger's is refused (exit 3).

    Example:

    \b
        evidence item show EV-000001
    """
    from ledger import quickread
    from ledger.validate import local_iso

    # On SQLite the standard library answers without loading SQLAlchemy (same output, same
    # refusals); anything it cannot answer for sure goes the usual way.
    data = quickread.show_item(state.url, item)
    if data is None:
        from ledger import items

        with state.ledger().read() as session:
            data = items.show_item(session, item)
    width = max(len(k) for k in data) + 1
    shown = {k: (local_iso(v, state.tz) if k.endswith("_at") and v else v) for k, v in data.items()}
    emit(state, data, [f"{(k + ':').ljust(width)} {'-' if v is None else v}" for k, v in shown.items()])
