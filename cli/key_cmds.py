"""`key generate`, an Ed25519 key in a passphrase-protected file, and `checkpoint cosign`,
an auditor's or office's signature added to a checkpoint they checked."""

from __future__ import annotations

import os

import click

from ledger.i18n import _

from .app import AppState, pass_state
from .output import emit, emit_json
from .passphrases import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, new_passphrase, open_key_file

__all__ = ["PASSPHRASE_ENV", "checkpoint_group", "key_group"]


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
    passphrase = new_passphrase(key_name)
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


@key_group.command("passwd")
@click.argument("keyfile", metavar="KEYFILE")
@pass_state
def key_passwd(state, keyfile):
    """Give a key file a new passphrase, re-encrypted with the current KDF (scrypt).

    Asks the old passphrase, then the new one twice (at least 12 characters, not a common
    one); scripts set EVIDENCE_KEY_PASSPHRASE (old) and EVIDENCE_NEW_KEY_PASSPHRASE (new). The key itself, and so its enrolment in the ledger, stays the same. Older key
    files (PKCS#8) become scrypt files this way.

    Example:

    \b
        evidence key passwd ~/.config/evidence/keys/B-1001.key
    """
    from ledger.identity import keys

    old = open_key_file(keyfile)
    new = new_passphrase(old.name, env=NEW_PASSPHRASE_ENV)
    key = keys.change_passphrase(keyfile, old, new)
    params = keys.key_file_kdf(key.path)
    emit(state, {"id": str(key.path), "path": str(key.path), "name": key.name, "kdf": "scrypt",
                 "log2n": params.log2_n, "r": params.r, "p": params.p},
         [str(key.path), _("re-encrypted with scrypt (N=2^{log2n}, r={r}, p={p})").format(
             log2n=params.log2_n, r=params.r, p=params.p)])


@key_group.command("unlock")
@click.option("--badge", metavar="BADGE", envvar="EVIDENCE_OFFICER",
              help="Unlock this officer's key from the keys folder [env EVIDENCE_OFFICER].")
@click.option("--key", "key_file", metavar="KEYFILE", help="Unlock the key in this file.")
@click.option("--for", "duration", default="8h", show_default=True, metavar="DURATION",
              help="How long the agent signs: 8h, 90m, 1h30m, 45s (at most 24h).")
@pass_state
def key_unlock(state, badge, key_file, duration):
    """Type the passphrase once: a key agent of yours signs until DURATION ends.

    The key is opened (the passphrase asked, three tries at a terminal) and handed to a
    process of your own listening on a socket only you can open ($XDG_RUNTIME_DIR/evidence,
    mode 0600); commands acting as that badge sign through it with no passphrase. It signs
    nothing but the ledger's event signatures, and forgets the key at the end of --for, at
    'evidence key lock', or when the login session's runtime folder goes. --key and
    EVIDENCE_KEY still choose a key file over the agent.

    Example:

    \b
        evidence key unlock --badge B-1001 --for 8h
    """
    from ledger.errors import InputError
    from ledger.identity import agent, keys
    from ledger.validate import check_badge, local_iso

    seconds = agent.parse_duration(duration)
    if key_file:
        path = key_file
    elif badge:
        path = keys.default_key_path(check_badge(badge, "--badge"))
    else:
        raise InputError(_("Say whose key to unlock: --badge BADGE (its file in the keys folder) or --key KEYFILE."))
    key = open_key_file(path)
    held = agent.start_agent(key, seconds)
    from datetime import UTC, datetime

    until = local_iso(datetime.fromtimestamp(held.expires, UTC), state.tz)
    emit(state, {"id": held.name, "badge": held.name, "until": until, "seconds": seconds, "pid": held.pid},
         [held.name, _("key of {badge} unlocked until {until}: commands acting as {badge} sign through the agent; "
                       "'evidence key lock' forgets it sooner").format(badge=held.name, until=until)])


@key_group.command("lock")
@click.option("--badge", metavar="BADGE", help="Forget this officer's key.")
@click.option("--all", "all_", is_flag=True, help="Forget every key your agents hold.")
@pass_state
def key_lock(state, badge, all_):
    """Make your key agent forget a key now (or every key with --all).

    Without --badge or --all: the key of EVIDENCE_OFFICER, or the only one an agent holds.

    Example:

    \b
        evidence key lock --all
    """
    from ledger.errors import InputError
    from ledger.identity import agent
    from ledger.validate import check_badge

    held = agent.running_agents()
    if all_:
        names = [a.name for a in held]
    elif badge or os.environ.get("EVIDENCE_OFFICER"):
        names = [check_badge(badge or os.environ["EVIDENCE_OFFICER"], "--badge")]
    elif len(held) <= 1:
        names = [a.name for a in held]
    else:
        raise InputError(_("Your agents hold the keys of {badges}; say which to forget with --badge BADGE, or "
                           "--all.").format(badges=", ".join(a.name for a in held)))
    locked = [name for name in names if agent.lock(name)]
    emit(state, {"id": None, "locked": locked},
         [_("locked: {badges}").format(badges=", ".join(locked)) if locked else _("no key agent was running")])


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
    from ledger.log import note
    from ledger.log.checkpoints import current_checkpoint

    state = ctx.find_object(AppState)
    if sign:
        key = open_key_file(sign)
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
    from ledger.log import note
    from ledger.log.checkpoints import require_contained

    signed, checkpoint = note.read_signed_checkpoint(file)
    from ledger.identity import keys

    keys.read_key_name(key_file)  # a wrong --key is refused before the ledger is read or a passphrase asked
    with state.ledger(create_if_new=False).read() as session:
        # Never sign a tree this ledger does not hold (a random root, a size beyond the log).
        require_contained(session, checkpoint, file)
    key = open_key_file(key_file)
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
