"""`key generate`, an Ed25519 key in a passphrase-protected file, and `checkpoint cosign`,
an auditor's or office's signature added to a checkpoint they checked."""

from __future__ import annotations

import os

import click

from ledger.i18n import _

from .app import AppState, pass_state
from .output import emit, emit_json

PASSPHRASE_ENV = "EVIDENCE_KEY_PASSPHRASE"


def _passphrase(prompt: str, *, confirm: bool) -> str:
    """From EVIDENCE_KEY_PASSPHRASE for scripts, else typed at a hidden prompt (on stderr, so
    stdout keeps only the command's output)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return value
    from ledger.errors import InputError

    try:
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    except click.Abort:
        raise InputError(_("No passphrase was given. Type it at the prompt, or set {env} for scripts.").format(
            env=PASSPHRASE_ENV)) from None


@click.group("key")
def key_group():
    """Ed25519 keys that sign events and checkpoints, each in its owner's own file."""


@key_group.command("generate")
@click.option("--badge", metavar="BADGE", help="An officer's key, signing under the badge number.")
@click.option("--name", metavar="NAME", help="An auditor's or an office's key for signing checkpoints (needs --out).")
@click.option("--log", "log", is_flag=True,
              help="The ledger's own key, named by its origin: 'checkpoint --sign' with it is the log's signature.")
@click.option("--out", metavar="KEYFILE",
              help="The new key file [default with --badge: ~/.config/evidence/keys/BADGE.key; with --log: "
                   "~/.config/evidence/keys/log-ORIGIN_ID.key].")
@pass_state
def key_generate(state, badge, name, log, out):
    """Make an Ed25519 key pair and write it to a new passphrase-encrypted file (mode 0600).

    The passphrase is asked twice, or read from EVIDENCE_KEY_PASSPHRASE. Prints the file,
    the public key and the verifier key line (NAME+KEYID+KEY) to give to whoever checks
    your signatures. An existing file is never overwritten.

    With --log, the key is the ledger's own: it signs under the ledger's origin (C2SP names
    a log's key so), and 'evidence checkpoint --sign' with it is the log's signature, which
    witnesses check ('evidence witness cosign --log-key').

    Example:

    \b
        evidence key generate --name auditoria.example/arequipa --out auditoria.key
    """
    import base64

    from ledger.errors import InputError
    from ledger.identity import keys
    from ledger.log import note
    from ledger.validate import check_badge

    if (badge is not None) + (name is not None) + log > 1:
        raise InputError(_("Give one of --badge, --name or --log: --badge makes an officer's key, --name an "
                           "auditor's or an office's, --log the ledger's own."))
    if badge is None and name is None and not log:
        raise InputError(_("Say whose key this is: --badge BADGE for an officer, or --name NAME --out KEYFILE "
                           "for an auditor or an office, or --log for the ledger itself."))
    if log:
        from ledger.log.checkpoints import log_key_name

        with state.ledger(create_if_new=False).read() as session:
            key_name = log_key_name(session)
        path = keys.check_new_key_path(out) if out else keys.check_new_key_path(
            keys.config_home() / "evidence" / "keys" / f"log-{key_name.rsplit('/', 1)[-1]}.key", make_parents=True)
    elif badge is not None:
        key_name = keys.check_key_name(check_badge(badge, "--badge"), "--badge")
        path = keys.check_new_key_path(out) if out else keys.check_new_key_path(
            keys.default_key_path(key_name), make_parents=True)
    else:
        key_name = keys.check_key_name(name, "--name")
        if not out:
            raise InputError(_("--out is required with --name: say where to write the key file, "
                               "e.g. --out auditoria.key."))
        path = keys.check_new_key_path(out)
    passphrase = _passphrase(_("Passphrase for the new key of {name}").format(name=key_name), confirm=True)
    key = keys.generate_key_file(path, key_name, passphrase, make_parents=not out)
    public_key = base64.b64encode(key.public_key).decode("ascii")
    vkey = note.verifier_key(key.name, key.public_key)
    key_id = f"{note.key_id(key.name, key.public_key):08x}"
    pub = keys.write_public_key_file(key)
    emit(state, {"id": str(key.path), "path": str(key.path), "name": key.name, "public_key": public_key,
                 "public_key_file": str(pub), "verifier_key": vkey, "key_id": key_id},
         [str(key.path),
          _("public key: {public_key} (also in {path}, to give to the admin)").format(public_key=public_key, path=pub),
          _("verifier key: {verifier_key}").format(verifier_key=vkey)])


@click.group("checkpoint", invoke_without_command=True)
@click.option("--sign", "sign", metavar="KEYFILE", help="Sign it with this key (a C2SP signed note, Ed25519).")
@click.option("--out", metavar="FILE", help="Write it to this new file instead of stdout.")
@click.pass_context
def checkpoint_group(ctx, sign, out):
    """The log's checkpoint: its origin, size and root hash, which auditors keep, sign and cosign.

    Without a subcommand, prints the current checkpoint (C2SP tlog-checkpoint text),
    signed with --sign. Keep it: 'evidence verify --since FILE' later proves the log only grew.

    Example:

    \b
        evidence checkpoint --sign auditoria.key --out checkpoint-2020-10-20.txt
    """
    if ctx.invoked_subcommand is not None:
        return
    from ledger.identity import keys
    from ledger.log import note
    from ledger.log.checkpoints import current_checkpoint

    state = ctx.find_object(AppState)
    if sign:
        name = keys.read_key_name(sign)
        key = keys.load_key_file(sign, _passphrase(_("Passphrase of key {name}").format(name=name), confirm=False))
    with state.ledger(create_if_new=False).read() as session:
        checkpoint = current_checkpoint(session)
    if sign:
        from ledger.log.checkpoints import check_log_key_name

        check_log_key_name(key.name, checkpoint.origin, sign)
    text = checkpoint.to_text()
    if sign:
        text = note.sign_note(text, key.name, key.private_key)
    if out:
        note.write_note_file(out, text)
    if state.json:
        emit_json({"id": out, "path": out, "origin": checkpoint.origin, "size": checkpoint.size,
                   "root": checkpoint.root.hex(), "signed_by": key.name if sign else None, "note": text})
    elif out:
        click.echo(out)
    else:
        click.echo(text, nl=False)


@checkpoint_group.command("cosign")
@click.argument("file", metavar="FILE")
@click.option("--key", "key_file", required=True, metavar="KEYFILE", help="Your key file, from 'evidence key generate'.")
@click.option("--out", metavar="FILE", help="Write the cosigned checkpoint here (a new file, or FILE itself) "
                                             "instead of to stdout.")
@pass_state
def checkpoint_cosign(state, file, key_file, out):
    """Add your signature to a signed checkpoint of this ledger.

    The checkpoint is checked against the ledger first: the root of its first SIZE events
    must be the checkpoint's root, or it is refused (exit 3, naming both roots). The
    signatures already on it are kept; yours is added under the name in your key file.
    Signing again with the same key changes nothing.

    Example:

    \b
        evidence checkpoint cosign checkpoint.txt --key auditoria.key --out checkpoint.txt
    """
    from ledger.identity import keys
    from ledger.log import note
    from ledger.log.checkpoints import require_contained

    signed, checkpoint = note.read_signed_checkpoint(file)
    name = keys.read_key_name(key_file)  # a wrong --key is refused before the passphrase is asked
    with state.ledger(create_if_new=False).read() as session:
        # Never sign a tree this ledger does not hold (a random root, a size beyond the log).
        require_contained(session, checkpoint, file)
    key = keys.load_key_file(key_file, _passphrase(_("Passphrase of key {name}").format(name=name), confirm=False))
    cosigned = note.add_signature(signed, key.name, key.private_key)
    if out:
        note.write_note_file(out, cosigned, may_replace=file)
    if state.json:
        emit_json({"id": out, "path": out, "origin": checkpoint.origin, "size": checkpoint.size,
                   "signer": key.name, "key_id": f"{note.key_id(key.name, key.public_key):08x}",
                   "added": cosigned != signed, "note": cosigned})
    elif out:
        click.echo(out)
    else:
        click.echo(cosigned, nl=False)


@checkpoint_group.command("prove")
@click.option("--from", "old_file", required=True, metavar="OLD_CHECKPOINT",
              help="A checkpoint of this ledger kept earlier (signed or not).")
@click.option("--out", metavar="FILE", help="Write the proof to this new file instead of stdout.")
@pass_state
def checkpoint_prove(state, old_file, out):
    """The consistency proof from an older checkpoint of this ledger to the current one.

    The text is the C2SP tlog-witness form: 'old SIZE', the RFC 6962 proof hashes in
    base64, one a line (RFC 9162 2.1.4 order), a blank line and the current checkpoint.
    'evidence verify --since OLD --proof FILE', a bundle's verify.py and 'evidence witness
    cosign' check it without the log's events. OLD must be of this ledger: a root that is
    not the root of its first SIZE events is refused (exit 3, naming both roots).

    Example:

    \b
        evidence checkpoint prove --from checkpoint-2020-10-20.txt --out proof.txt
    """
    from ledger.log import note
    from ledger.log.checkpoints import prove_consistency

    _text, old = note.read_checkpoint_file(old_file)
    with state.ledger(create_if_new=False).read() as session:
        proof = prove_consistency(session, old, old_file)
    text = proof.to_text()
    if out:
        note.write_note_file(out, text)
    if state.json:
        emit_json({"id": out, "path": out, "origin": old.origin, "old_size": old.size, "old_root": old.root.hex(),
                   "size": proof.checkpoint.size, "root": proof.checkpoint.root.hex(),
                   "proof": [h.hex() for h in proof.hashes], "text": text})
    elif out:
        click.echo(out)
    else:
        click.echo(text, nl=False)
