"""`evidence demo`: the Arequipa 2020 example, narrated."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from ledger.i18n import _

from .app import pass_state


@click.command("demo")
@click.option("--out", metavar="FILE.xlsx", help="Workbook to write [default: evidence-demo.xlsx in this folder].")
@click.option("--lang", type=click.Choice(["en", "es"]), default="es", show_default=True,
              help="Language of the workbook.")
@pass_state
@click.pass_context
def demo(ctx, state, out, lang):
    """Build the Arequipa 2020 example case in a new ledger and tell it step by step.

    Registers the people, three raids and what they seized (cash in dollars and soles,
    vehicles, phones, documents), records an example exchange rate, moves custody, verifies
    the log and exports the case workbook. It writes a new file evidence-demo.db in this
    folder (or into the empty database named with --db), never into an existing ledger.

    Example:

    \b
        evidence demo --out arequipa-2020.xlsx
    """
    from ledger.config import resolve_db_url
    from ledger.demo import DEFAULT_DB, DEFAULT_OUT, prepare_demo_ledger, run_demo

    root = ctx.find_root()
    if root.get_parameter_source("db") == ParameterSource.COMMANDLINE:
        url, named = state.url, "--db " + (state.db or "")
    else:
        url, named = resolve_db_url(DEFAULT_DB), DEFAULT_DB
    lg = prepare_demo_ledger(url, tz=state.tz, named=named)
    state._ledger = lg
    steps = run_demo(lg, out or DEFAULT_OUT, lang=lang, force_out=out is None)
    if state.json:
        from .output import emit_json

        lines = list(steps)
        emit_json({"id": lg.url, "ledger": lg.url, "workbook": str(Path(out or DEFAULT_OUT).absolute()),
                   "narration": lines})
        return
    click.echo(_("Demo ledger: {ledger}").format(ledger=named if named == DEFAULT_DB else url))
    for line in steps:
        click.echo(line)
