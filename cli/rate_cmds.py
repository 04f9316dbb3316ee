"""Exchange rates, conversion, and a case's cash totals in one currency.

Every converted figure printed here is followed by the rate it used (date, value, side,
source and the event that recorded it), so a reader can recompute it by hand.
"""

from __future__ import annotations

from pathlib import Path

import click

from ledger.i18n import _

from .app import by_option, pass_state
from .case_cmds import case_group, cash_line, items_count
from .output import FLEX, Col, emit, table

SIDE_CHOICE = click.Choice(["buy", "sell", "mid"])
# A negative number such as -3.5 reaches the ledger's checks (exit 1, a sentence) instead of
# being taken for an unknown option.
NUMBER_ARGS = {"ignore_unknown_options": True}


def _figure(minor: int, currency: str) -> str:
    """"1,200.01 USD": grouped digits, exact decimals of the currency, then the code."""
    from ledger.money import from_minor

    return f"{from_minor(minor, currency):,f} {currency}"


@click.group("rate")
def rate_group():
    """Record, import and list exchange rates (1 BASE = RATE QUOTE on a date)."""


@rate_group.command("set", context_settings=NUMBER_ARGS)
@click.argument("date")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@click.option("--source", required=True, metavar="TEXT", help="Who published the rate, e.g. SBS or BCRP.")
@click.option("--side", type=SIDE_CHOICE, default="sell", show_default=True, help="Buy, sell or mid rate.")
@click.option("--supersede", is_flag=True, help="Replace a different value recorded for the same day, pair, side and source.")
@click.option("--reason", metavar="TEXT", help="Why the recorded rate is superseded (required with --supersede).")
@by_option
@pass_state
def rate_set(state, date, base, quote, rate, source, side, supersede, reason, by):
    """Record a rate: 1 BASE = RATE QUOTE on DATE.

    Recording the same value again writes nothing. A different value for the same day, pair,
    side and source is refused unless given with --supersede --reason; the old rate stays in the log.

    Example:

    \b
        evidence rate set 2020-10-06 USD PEN 3.5870 --source SBS --side sell --by B-1001
    """
    from ledger import rates

    result = state.ledger().write(rates.set_rate, date, base, quote, rate, source=source, side=side,
                                  supersede=supersede, reason=reason, by=by)
    shown = _("{date} 1 {base} = {rate} {quote} ({side}, source {source})").format(
        date=result["date"], base=result["base"], rate=result["rate"], quote=result["quote"], side=result["side"],
        source=result["source"])
    if result["status"] == "already-recorded":
        line = _("already recorded: {rate} as event {seq}; nothing written")
    elif result["status"] == "superseded":
        line = _("recorded {rate} as event {seq}, superseding event {supersedes}")
    else:
        line = _("recorded {rate} as event {seq}")
    line = line.format(rate=shown, seq=result["seq"], supersedes=result.get("supersedes"))
    emit(state, result, line)


@rate_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--source", required=True, metavar="TEXT", help="Who published the rates, e.g. BCRP.")
@click.option("--side", type=SIDE_CHOICE,
              help="Side of rows that do not carry one (BCRP series take it from their title; default sell).")
@click.option("--supersede", is_flag=True, help="Replace recorded rates that the file contradicts.")
@click.option("--reason", metavar="TEXT", help="Why recorded rates are superseded (required with --supersede).")
@by_option
@pass_state
def rate_import(state, file, source, side, supersede, reason, by):
    """Import a rate file: CSV date,base,quote,rate[,side], or a BCRP series saved as JSON or CSV.

    The whole file is imported or nothing; every bad line is listed. Days marked n.d. are
    skipped. Importing the same file again writes nothing. The file's SHA-256 is recorded.

    Example:

    \b
        evidence rate import bcrp-usd-pen-2020-10.json --source BCRP --by B-1001
    """
    from ledger import rates

    result = state.ledger().write(rates.import_rates, file.read_bytes(), file.name, source=source, side=side,
                                  supersede=supersede, reason=reason, by=by)
    if result["status"] == "already-recorded":
        line = _("already recorded: all {rows} rates of {file_name} from {source} are in the ledger; "
                 "nothing written").format(rows=result["rows"], file_name=result["file_name"], source=result["source"])
    else:
        line = _("imported {n} rates ({first} to {last}) from {file_name} ({format}, sha256 {sha256}...) as event "
                 "{seq}").format(n=result["imported"], first=result["first_date"], last=result["last_date"],
                                 file_name=result["file_name"], format=result["format"],
                                 sha256=result["file_sha256"][:16], seq=result["seq"])
        if result["unchanged"]:
            line += _("; {n} already recorded").format(n=result["unchanged"])
        if result["superseded"]:
            line += _("; {n} superseded").format(n=result["superseded"])
    emit(state, result, line)


@rate_group.command("list")
@click.option("--from", "date_from", metavar="DATE", help="First date to show (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Last date to show (YYYY-MM-DD).")
@pass_state
def rate_list(state, date_from, date_to):
    """List recorded rates, superseded ones included and marked.

    Example:

    \b
        evidence rate list --from 2020-10-01 --to 2020-10-31
    """
    from ledger import rates

    with state.ledger().read() as session:
        rows = rates.list_rates(session, date_from, date_to)
    shown = [{**r, "status": _("superseded by {seq}").format(seq=r["superseded_by"]) if r["superseded"]
              else _("current")} for r in rows]
    emit(state, rows, table(shown, [Col("date", _("DATE")), Col("pair", _("PAIR")), Col("rate", _("RATE")),
                                    Col("side", _("SIDE")), Col("source", _("SOURCE"), flex=FLEX),
                                    Col("seq", _("EVENT")), Col("status", _("STATUS"))], wide=state.wide))


def as_of_option(f):
    return click.option("--as-of", "as_of", metavar="SEQ",
                        help="Use the log as it stood after event SEQ (e.g. the head a report cites): "
                             "the rates current then, even if superseded since.")(f)


@click.command("convert", context_settings=NUMBER_ARGS)
@click.argument("amount")
@click.argument("currency")
@click.option("--to", "to", required=True, metavar="CODE", help="Currency to convert into.")
@click.option("--on", "on", metavar="DATE", help="Date of the rate (default today in --tz).")
@click.option("--side", type=SIDE_CHOICE, default="sell", show_default=True, help="Buy, sell or mid rate.")
@click.option("--source", metavar="TEXT", help="Source of the rate, when several have one.")
@as_of_option
@pass_state
def convert_command(state, amount, currency, to, on, side, source, as_of):
    """Convert an amount at the recorded rate of a date, citing the rate.

    Uses the rate of the date or of the latest earlier date within 7 days. Rounds half up
    to the target currency's minor unit.

    Example:

    \b
        evidence convert 4000 PEN --to USD --on 2020-10-06
    """
    from ledger import rates

    with state.ledger().read() as session:
        result = rates.convert(session, amount, currency, to, on=on, side=side, source=source, tz=state.tz,
                               as_of=as_of)
    rate = rates.RateUsed(**result["rate"])
    emit(state, result, [
        _figure(result["converted_minor"], result["to"]),
        "  " + _("= {amount} {operator} {rate}, rounded half up, on {date}").format(
            amount=_figure(result["amount_minor"], result["currency"]), operator="/" if result["inverse"] else "*",
            rate=rate.rate, date=result["on"]),
        "  " + _("rate: {citation}").format(citation=rate.citation()),
        *(["  " + _("as of event {seq}").format(seq=result["as_of"])] if result["as_of"] else []),
    ])


@case_group.command("totals")
@click.argument("case_no")
@click.option("--in", "in_currency", default="USD", show_default=True, metavar="CODE", help="Report currency.")
@click.option("--side", type=SIDE_CHOICE, default="sell", show_default=True, help="Buy, sell or mid rate.")
@click.option("--source", metavar="TEXT", help="Source of the rates, when several have one.")
@as_of_option
@pass_state
def case_totals(state, case_no, in_currency, side, source, as_of):
    """Cash of a case per currency and its total in one currency, with every rate used.

    Each item is valued at the rate of its seizure's date (or the latest earlier date within
    7 days), rounded half up per item; the total is the sum of the rounded items.

    Example:

    \b
        evidence case totals AQP-2020-0147 --in USD --side sell
    """
    from ledger import rates
    from ledger.money import show_money

    with state.ledger().read() as session:
        totals = rates.case_totals(session, case_no, in_currency=in_currency, side=side, source=source,
                                   tz=state.tz, as_of=as_of)
    cur = totals.in_currency
    case_label, total_label = _("case:"), _("total:")
    width = max(len(case_label), len(total_label)) + 2
    lines = [case_label.ljust(width) + totals.case_no
             + ("  " + _("(as of event {seq})").format(seq=totals.as_of) if totals.as_of else ""),
             _("cash in {currency} ({side} rates):").format(currency=cur, side=totals.side)]
    if not totals.per_currency:
        lines.append("  " + _("(none)"))
    for p in totals.per_currency:
        lines.append(cash_line(p["currency"], show_money(p["minor"], p["currency"]), p["items"])
                     + f"  = {show_money(p['converted_minor'], cur):>18}")
        if p["deposited_minor"]:
            lines.append("       " + _("deposited {amount} in {items}, undeposited {rest}").format(
                amount=show_money(p["deposited_minor"], p["currency"]), items=items_count(p["deposited_items"]),
                rest=show_money(p["undeposited_minor"], p["currency"])))
    lines.append(total_label.ljust(width) + show_money(totals.total_minor, cur))
    if totals.rates:
        lines.append(_("rates used:"))
        lines.extend(f"  {r.citation()}" for r in totals.rates)
    emit(state, totals.as_dict(), lines)
