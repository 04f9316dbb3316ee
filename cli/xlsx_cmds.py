"""`evidence export xlsx`: the case workbook for prosecutors, written by ledger.xlsx.writer."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext

from .app import pass_state
from .output import emit, progress


def default_workbook_name(case_no: str) -> str:
    """AQP-2020-0147.xlsx: the case number as the ledger keeps it (capitals), with the
    characters a file name cannot hold (a '/' in 'EXP/2020/15') as '-'."""
    name = "".join("-" if ch in '/\\:*?"<>|' or not ch.isprintable() else ch for ch in case_no.strip().upper())
    return f"{name.strip('.') or 'case'}.xlsx"


@click.command("xlsx")
@click.argument("case_no")
@click.option("--out", metavar="FILE.xlsx",
              help="Workbook to write (its folder must exist) [default: CASE_NO.xlsx in the current folder].")
@click.option("--in", "in_currency", default="USD", show_default=True, metavar="CODE",
              help="Currency the cash is valued in.")
@click.option("--side", type=click.Choice(["buy", "sell", "mid"]), default="sell", show_default=True,
              help="Side of the exchange rates used.")
@click.option("--source", metavar="TEXT", help="Source of the rates (needed when several sources have one).")
@click.option("--lang", type=click.Choice(["en", "es"]), default="es", show_default=True,
              help="Language of sheet names, headers and labels.")
@click.option("--force", is_flag=True, help="Replace FILE.xlsx if it exists.")
@click.option("--unverified", is_flag=True,
              help="Export even if the case's tables differ from the log; every sheet says NOT VERIFIED.")
@click.option("--by", "by", envvar="EVIDENCE_OFFICER", metavar="BADGE",
              help="Badge of the officer exporting, recorded as the workbook's author (optional) [env EVIDENCE_OFFICER].")
@pass_state
def export_xlsx(state, case_no, out, in_currency, side, source, lang, force, unverified, by):
    """Write the case workbook: summary, one sheet per kind of item, and the chain of custody.

    Totals on the summary are formulas over the item sheets next to the ledger's own figures;
    prints the file written, its row counts and its SHA-256. The case's rows are first checked
    against the log; if they differ, nothing is written (exit 3) unless --unverified. Without
    --out the workbook is CASE_NO.xlsx in the current folder; an existing file is replaced only
    with --force.

    Example:

    \b
        evidence export xlsx AQP-2020-0147 --out AQP-2020-0147.xlsx --in USD --lang es --by F-2001
    """
    from ledger.reports import case_inventory
    from ledger.xlsx.writer import check_output_path, write_case_workbook

    if out is None:
        out = default_workbook_name(case_no)
    check_output_path(out, force=force, database=state.url)
    with state.ledger().read() as session:
        inv = case_inventory(session, case_no, in_currency=in_currency, side=side, source=source,
                             tz=state.tz, by=by, verified=not unverified)
        with progress(_("writing"), inv.row_total(), show=not state.json) as tick:
            done = write_case_workbook(inv, out, lang=lang, force=force, progress=tick, database=state.url)
    data = {
        "id": done.path, "path": done.path, "sha256": done.sha256, "bytes": done.bytes, "lang": lang,
        "rows": done.rows, "sheets": done.sheets, "case_no": inv.case_no,
        "ledger_head": {"seq": inv.head_seq, "hash": inv.head_hash}, "verified": inv.verified,
        "total": {"currency": inv.totals.in_currency, "amount": inv.totals.total},
    }
    lines = [(_("wrote {path}") if inv.verified else
              _("wrote {path} (NOT VERIFIED: the case's tables were not checked)")).format(path=done.path)]
    lines += [f"  {done.sheets[k]:<20} " + ngettext("{n:>7} row", "{n:>7} rows", n).format(n=n)
              for k, n in done.rows.items()]
    lines.append(f"sha256 {done.sha256}")
    emit(state, data, lines)
