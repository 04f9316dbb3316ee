"""`witness cosign`: a witness outside the evidence room cosigns a log's checkpoint only when
it extends the last one it cosigned (C2SP tlog-cosignature/v1); no ledger database needed."""

from __future__ import annotations

import click

from ledger.i18n import _

from .app import pass_state
from .output import emit
from .passphrases import open_key_file


@click.group("witness")
def witness_group():
    """Witness a log: cosign its checkpoints only as it grows, never a fork."""


@witness_group.command("cosign")
@click.argument("checkpoint_file", metavar="CHECKPOINT")
@click.option("--key", "key_file", required=True, metavar="KEYFILE",
              help="The witness's key file ('evidence key generate --name NAME').")
@click.option("--state", "state_dir", required=True, metavar="DIR",
              help="The witness's own folder: per log, the last checkpoint cosigned and the log's keys (0700).")
@click.option("--log-key", "log_keys", multiple=True, metavar="VKEY",
              help="The log's verifier key ('evidence key generate --log'); needed the first time, then kept in DIR.")
@click.option("--proof", "proof_file", metavar="FILE",
              help="Consistency proof from the last checkpoint this witness cosigned ('evidence checkpoint prove').")
@click.option("--out", metavar="FILE", help="Write the cosigned checkpoint here (a new file, or CHECKPOINT itself) "
                                             "instead of to stdout.")
@pass_state
def witness_cosign(state, checkpoint_file, key_file, state_dir, log_keys, proof_file, out):
    """Cosign a log-signed checkpoint if it extends the last one this witness cosigned.

    Checks the log's signature (--log-key, or the keys kept in DIR), then that the
    checkpoint extends the last one cosigned for its origin by --proof. A second root at a
    size already cosigned, or a checkpoint that does not extend the last, is refused with
    exit 3 naming both roots, and kept in DIR as evidence. Adds a timestamped C2SP
    tlog-cosignature/v1 line and prints the witness's verifier key.

    Example:

    \b
        evidence witness cosign checkpoint.txt --key fiscalia.key --state witness-state --proof proof.txt
    """
    from ledger.log import note, witness
    from ledger.log.consistency import read_proof_file

    signed, _checkpoint = note.read_signed_checkpoint(checkpoint_file)
    proof = read_proof_file(proof_file) if proof_file else None
    key = open_key_file(key_file)  # a wrong --key is refused before the passphrase is asked
    done = witness.cosign(signed, key, state_dir, log_keys=list(log_keys), proof=proof)
    if out:
        note.write_note_file(out, done.note, may_replace=checkpoint_file)
    previous = done.previous
    emit(state, {"id": out, "path": out, "origin": done.checkpoint.origin, "size": done.checkpoint.size,
                 "root": done.checkpoint.root.hex(), "time": done.time, "witness_key": done.witness_key,
                 "previous_size": previous.size if previous else None,
                 "previous_root": previous.root.hex() if previous else None, "state_file": str(done.state_file),
                 "note": done.note},
         # Without --out, stdout is the cosigned note alone, so that it can be redirected to a file.
         [out, _("witness key: {key}").format(key=done.witness_key)] if out else [done.note.rstrip("\n")])
