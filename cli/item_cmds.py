"""Registering seized items of the four kinds, and listing and showing items."""

from __future__ import annotations

from decimal import Decimal

import click

from ledger.i18n import _

from .app import by_option, pass_state
from .output import Col, emit, emit_json_array, fit_columns, table, warn


def _register(state, kind: str, seizure: str, raw: dict, by: str | None, at: str | None) -> None:
    from ledger import items

    spec = items.prepare_item(kind, raw)
    for note in spec.notes:
        click.echo(_("note: {note}").format(note=note), err=True)
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
@click.option("--amount", required=True, help="Amount as counted: 4000.00, 4,000.00, 4.000,00 or S/ 4,000.00 (4.000 is refused as ambiguous).")
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
@click.option("--value", help='Declared value, e.g. "45000 PEN" or "S/ 45,000".')
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
@click.option("--imei", help="15-digit IMEI (*#06#); required unless --no-imei.")
@click.option("--no-imei", "no_imei", is_flag=True, help="The IMEI cannot be read (broken or locked phone); needs --reason.")
@click.option("--reason", metavar="TEXT", help="With --no-imei: why the IMEI cannot be read.")
@click.option("--imei2", help="Second IMEI of a dual-SIM phone.")
@click.option("--make", required=True)
@click.option("--model", required=True)
@click.option("--number", help="Phone number, e.g. +51 959 123 456.")
@click.option("--seal", help="Seal number of the evidence bag.")
@common_options
@pass_state
def phone_add(state, seizure, imei, no_imei, reason, imei2, make, model, number, seal, location, at, by):
    """Register a phone from a seizure; prints the evidence number.

    A phone whose IMEI cannot be read (broken, locked, no box) is registered with --no-imei
    and the reason, which the registration records.

    Example:

    \b
        evidence phone add SZ-000001 --imei 490154203237518 --make Samsung --model "Galaxy A10" --seal S-0002 --by B-1001
    """
    from ledger.errors import InputError

    if no_imei and not (reason or "").strip():
        raise InputError(_("--no-imei needs --reason: say why the IMEI cannot be read, e.g. "
                           '--reason "Pantalla rota, sin caja".'))
    if reason and not no_imei:
        raise InputError(_("--reason goes with --no-imei, for a phone whose IMEI cannot be read."),
                         hint=_("Drop --reason, or add --no-imei and leave out --imei."))
    _register(state, "phone", seizure, {
        "imei": imei, "imei2": imei2, "make": make, "model": model, "number": number, "seal": seal,
        "location": location, "no-imei-reason": reason if no_imei else None}, by, at)


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
        # KIND goes first when the width is short (WHAT says it), then CASE, then LOCATION.
        cols = [Col("id", _("ITEM")), Col("kind", _("KIND"), drop=1), Col("case_no", _("CASE"), drop=2),
                Col("status", _("STATUS")), Col("holder", _("HOLDER")), Col("location", _("LOCATION"), drop=3),
                Col("seal", _("SEAL")), Col("what", _("WHAT"), flex=36)]
        batch: list[dict] = []
        printed = False
        for row in rows:
            row["what"] = _what(row)
            batch.append(row)
            if len(batch) == 500:
                # The first batch decides the columns, so that every batch lines up under one header.
                cols = fit_columns(batch, cols, wide=state.wide) if not printed else cols
                _print_batch(batch, cols, printed)
                printed, batch = True, []
        if batch or not printed:
            _print_batch(batch, cols if printed else fit_columns(batch, cols, wide=state.wide), printed)


def _print_batch(batch, cols, printed):
    lines = table(batch, cols, wide=True) if batch else [_("(none)")]
    for line in (lines[1:] if printed else lines):
        click.echo(line)


def _money_fields(data: dict) -> dict:
    """An item's amount and declared value as the ledger shows money to people (S/ 4,000.00)."""
    from ledger.money import show_money, to_minor

    out = {}
    if data.get("amount") and data.get("currency"):
        out["amount"] = show_money(to_minor(Decimal(data["amount"]), data["currency"]), data["currency"])
    if data.get("value"):
        amount, code = data["value"].split(" ")
        out["value"] = show_money(to_minor(Decimal(amount), code), code)
    return out


def _what(row: dict) -> str:
    from ledger.money import show_money, to_minor

    if row["kind"] == "cash":
        return show_money(to_minor(Decimal(row["amount"]), row["currency"]), row["currency"])
    if row["kind"] == "vehicle":
        return " ".join(str(x) for x in (row.get("make"), row.get("model"), row.get("plate")) if x)
    if row["kind"] == "phone":
        return f"{row.get('make')} {row.get('model')} " + (f"IMEI {row['imei']}" if row.get("imei") else _("(no IMEI)"))
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
    from ledger.itemview import field_label
    from ledger.validate import local_iso

    from .output import labelled

    # On SQLite the standard library answers without loading SQLAlchemy (same output, same
    # refusals); anything it cannot answer for sure goes the usual way.
    data = quickread.show_item(state.url, item)
    if data is None:
        from ledger import items

        with state.ledger().read() as session:
            data = items.show_item(session, item)
    shown = {k: (local_iso(v, state.tz) if k.endswith("_at") and v else v) for k, v in data.items()}
    shown.update(_money_fields(data))
    emit(state, data, labelled(((field_label(k), v) for k, v in shown.items()), gap=1))
