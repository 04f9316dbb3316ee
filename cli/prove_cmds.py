"""`prove`, the events of chosen items with inclusion proofs, for a court that keeps a checkpoint."""

from __future__ import annotations

import click

from .app import pass_state
from .output import emit
from .verify_cmds import _bundle_line


@click.command("prove")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--out", "out", required=True, metavar="DIR", help="Folder to write the bundle into (new or empty).")
@click.option("--checkpoint", "checkpoint_file", metavar="FILE",
              help="Prove against this checkpoint (one the court already has) instead of the current one.")
@click.option("--from", "from_file", metavar="OLD_CHECKPOINT",
              help="Add a consistency proof from this checkpoint (one the court holds) to the bundle's.")
@click.option("--force", is_flag=True,
              help="Replace a folder that holds an earlier bundle and nothing else (never any other folder).")
@pass_state
def prove_command(state, items, out, checkpoint_file, from_file, force):
    """Write the items' events, with their salts and inclusion proofs, as a bundle.

    The bundle holds the events that name these items and the ledger-wide ones (officers,
    locations, rates), nothing of any other event; 'python3 verify.py DIR' checks it. With
    --checkpoint, the proofs are against that checkpoint's tree, refused if this log no
    longer extends it. With --from, the bundle also holds the consistency proof from that
    older checkpoint to the bundle's (file consistency-proof), which verify.py checks.

    Example:

    \b
        evidence prove EV-000042 --checkpoint court-checkpoint.txt --out proof-ev42
    """
    from ledger import bundle

    with state.ledger().read() as session:
        done = bundle.prove_items(session, list(items), out, checkpoint_file=checkpoint_file, force=force,
                                  from_file=from_file)
    emit(state, {"id": done["path"], **done}, [done["path"], _bundle_line(done)])
