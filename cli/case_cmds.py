"""Cases and the seizures recorded in them."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import by_option, pass_state
from .output import FLEX, TABLE_WIDTH, Col, emit, labelled, table, warn


def items_count(n: int) -> str:
    """'1 item', '1,204 items', in the current language."""
    return ngettext("{n} item", "{n} items", n).format(n=number(n))


def cash_line(currency: str, shown: str, items: int) -> str:
    """'  PEN        S/ 26,900.00  in 2 items': cash of one currency and the items holding it."""
    return "  " + _("{currency}  {amount:>18}  in {items}").format(currency=currency, amount=shown,
                                                                   items=items_count(items))


@click.group("case")
def case_group():
    """Open, list and show cases."""


@case_group.command("open")
@click.argument("case_no")
@click.option("--title", required=True, help="What the case is about.")
@click.option("--prosecutor", metavar="BADGE", help="Badge of the prosecutor in charge.")
@click.option("--court", help="Court or prosecutor's office.")
@click.option("--at", metavar="TIME", help="When the case was opened (default now).")
@by_option
@pass_state
def case_open(state, case_no, title, prosecutor, court, at, by):
    """Open a case.

    Example:

    \b
        evidence case open AQP-2020-0147 --title "Trata de recién nacidos" --prosecutor F-2001 --by B-1001
    """
    from ledger import registry

    emit(state, state.ledger().write(registry.open_case, case_no, title=title, prosecutor=prosecutor,
                                     court=court, by=by, at=at, tz=state.tz))


@case_group.command("list")
@pass_state
def case_list(state):
    """List cases with their item counts.

    Example:

    \b
        evidence case list
    """
    from ledger import registry

    with state.ledger().read() as session:
        rows = registry.list_cases(session)
    emit(state, rows, table(rows, [Col("case_no", _("CASE")), Col("items", _("ITEMS")),
                                   Col("prosecutor", _("PROSECUTOR")), Col("title", _("TITLE"), flex=FLEX)],
                            wide=state.wide))


@case_group.command("show")
@click.argument("case_no")
@pass_state
def case_show(state, case_no):
    """Show a case: its seizures, item counts by kind and status, cash per currency, court orders.

    Example:

    \b
        evidence case show AQP-2020-0147
    """
    from ledger import registry
    from ledger.money import show_money
    from ledger.validate import local_iso

    with state.ledger().read() as session:
        report = registry.show_case(session, case_no)
    lines = labelled([
        (_("case:"), report.case_no),
        (_("title:"), _clip_title(report.title, state.wide)),
        (_("prosecutor:"), report.prosecutor or "-"),
        (_("court:"), report.court or "-"),
        (_("seizures:"), len(report.seizures)),
    ])
    seizures = [{**s, "at": local_iso(s["at"], state.tz)} for s in report.seizures]
    if seizures:
        lines += ["  " + line for line in table(seizures, [
            Col("id", _("SEIZURE")), Col("at", _("AT")), Col("acta", _("ACTA")), Col("officer", _("BY")),
            Col("place", _("PLACE"), flex=FLEX)], wide=state.wide, width=TABLE_WIDTH - 2)]
    lines.append(_("items:"))
    if not report.counts:
        lines.append("  " + _("(none)"))
    for kind, by_status in sorted(report.counts.items()):
        detail = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        lines.append(f"  {kind:<9} {sum(by_status.values()):>5}  ({detail})")
    lines.append(_("cash:"))
    if not report.cash:
        lines.append("  " + _("(none)"))
    for c in report.cash:
        lines.append(cash_line(c["currency"], show_money(c["minor"], c["currency"]), c["items"]))
    if report.orders:
        lines.append(_("court orders:"))
    for o in report.orders:
        lines.append(f"  {o['seq']}  {local_iso(o['ordered_at'], state.tz)}  "
                     + (_("FINAL {order}") if o["final"] else "{order}").format(order=o["order"])
                     + (f"  ({o['note']})" if o["note"] else "")
                     + "  " + _("(by {badge})").format(badge=o["recorded_by"]))
    emit(state, report.as_dict(), lines)


def _clip_title(title: str, wide: bool) -> str:
    """The case's title as `case show` prints it after its label: free text, cut with '…' to keep the
    line within the table width (the longest label, in whichever language, before it), unless --wide."""
    labels = (_("case:"), _("title:"), _("prosecutor:"), _("court:"), _("seizures:"))
    room = TABLE_WIDTH - max(len(label) for label in labels) - 2
    return title if wide or len(title) <= room else title[:room - 1] + "…"


@click.group("seizure")
def seizure_group():
    """Record the seizures (raids, searches) of a case."""


@seizure_group.command("record")
@click.argument("case_no")
@click.option("--at", required=True, metavar="TIME", help="When the seizure took place, e.g. 2020-10-06T05:30.")
@click.option("--place", required=True, help="Address or description of the place.")
@click.option("--acta", metavar="NUMBER", help="Number of the seizure record (acta de incautación).")
@click.option("--from-person", "from_persons", multiple=True, metavar="NAME", help="Person the items were seized from (repeatable).")
@click.option("--witness", "witnesses", multiple=True, metavar="NAME", help="Witness present (repeatable).")
@by_option
@pass_state
def seizure_record(state, case_no, at, place, acta, from_persons, witnesses, by):
    """Record a seizure in a case; prints the seizure id.

    Example:

    \b
        evidence seizure record AQP-2020-0147 --at 2020-10-06T05:30 --place "Calle Misti 123, Arequipa" --acta ACTA-0001 --by B-1001
    """
    from ledger import registry

    done = state.ledger().write(registry.record_seizure, case_no, at=at, place=place, by=by, acta=acta,
                                from_persons=from_persons, witnesses=witnesses, tz=state.tz)
    for w in done["warnings"]:
        warn(w)
    emit(state, done)


@seizure_group.command("list")
@click.option("--case", "case_no", metavar="CASE_NO", help="Only this case's seizures.")
@pass_state
def seizure_list(state, case_no):
    """List seizures, oldest first: when, where, the acta, who recorded it, how many items.

    Example:

    \b
        evidence seizure list --case AQP-2020-0147
    """
    from ledger import registry
    from ledger.validate import local_iso

    with state.ledger().read() as session:
        rows = registry.list_seizures(session, case_no)
    shown = [{**r, "at": local_iso(r["at"], state.tz)} for r in rows]
    emit(state, rows, table(shown, [
        Col("id", _("SEIZURE")), Col("case_no", _("CASE"), drop=1), Col("at", _("AT")), Col("acta", _("ACTA")),
        Col("officer", _("BY")), Col("items", _("ITEMS")), Col("place", _("PLACE"), flex=FLEX)],
        wide=state.wide))


@seizure_group.command("show")
@click.argument("seizure")
@pass_state
def seizure_show(state, seizure):
    """Show a seizure: case, time, place, acta, people, and the items registered from it.

    Example:

    \b
        evidence seizure show SZ-000001
    """
    from ledger import registry
    from ledger.validate import local_iso

    with state.ledger().read() as session:
        data = registry.show_seizure(session, seizure)
    items = data["items"]
    lines = labelled([
        (_("seizure:"), data["id"]),
        (_("case:"), data["case_no"]),
        (_("at:"), local_iso(data["at"], state.tz)),
        (_("place:"), data["place"]),
        (_("acta:"), data["acta"] or "-"),
        (_("recorded by:"), _("{badge} (event {seq})").format(badge=data["officer"], seq=data["seq"])),
        (_("from:"), ", ".join(data["from_persons"]) or "-"),
        (_("witnesses:"), ", ".join(data["witnesses"]) or "-"),
        (_("items:"), items_count(len(items))),
    ])
    lines += [f"  {i['id']}  {i['kind']:<8}  {i['status']}" for i in items]
    emit(state, data, lines)
