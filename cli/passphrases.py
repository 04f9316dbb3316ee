"""Passphrases: asked at a hidden prompt (on stderr, so stdout keeps only the command's output)
or read from EVIDENCE_KEY_PASSPHRASE for scripts. A new one is asked twice and checked against
the rules for key files; an existing one may be typed again, up to three times, at a terminal."""

from __future__ import annotations

import os
import sys

import click

from ledger.i18n import _

PASSPHRASE_ENV = "EVIDENCE_KEY_PASSPHRASE"
NEW_PASSPHRASE_ENV = "EVIDENCE_NEW_KEY_PASSPHRASE"  # `key passwd` in a script
TRIES_AT_A_TERMINAL = 3


def _prompt(text: str, *, confirm: bool, refusal: str) -> str:
    from ledger.errors import InputError

    try:
        return click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)
    except click.Abort:
        raise InputError(refusal) from None


def new_passphrase(name: str, *, env: str = PASSPHRASE_ENV) -> str:
    """The passphrase of a new key file of `name`: asked twice (never a third time) and refused,
    with a sentence, when it is too short or too common."""
    from ledger.identity import keys

    value = os.environ.get(env)
    if value is None:
        text = (_("New passphrase for the key of {name}") if env != PASSPHRASE_ENV else
                _("Passphrase for the new key of {name}"))
        value = _prompt(text.format(name=name), confirm=True,
                        refusal=_("No passphrase was given. Type it at the prompt, or set {env} for scripts.").format(
                            env=env))
    return keys.check_new_passphrase(value)


def open_key_file(path, *, badge: str | None = None):
    """The key file at `path` opened with its passphrase (a `keys.KeyFile`). At a terminal a
    wrong passphrase is said and asked again, up to three times in all."""
    from ledger.identity import keys

    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return keys.load_key_file(path, value)
    name = badge or keys.read_key_name(path)  # a wrong file is refused before the passphrase is asked
    tries = TRIES_AT_A_TERMINAL if sys.stdin.isatty() else 1
    for attempt in range(1, tries + 1):
        if badge:
            text = _("Passphrase for {badge}'s key ({path})").format(badge=badge, path=path)
            refusal = _("No passphrase was given for {badge}'s key. Type it at the prompt, or set {env} for "
                        "scripts.").format(badge=badge, env=PASSPHRASE_ENV)
        else:
            text = _("Passphrase of key {name}").format(name=name)
            refusal = _("No passphrase was given. Type it at the prompt, or set {env} for scripts.").format(
                env=PASSPHRASE_ENV)
        secret = _prompt(text, confirm=False, refusal=refusal)
        try:
            return keys.load_key_file(path, secret)
        except keys.WrongPassphrase:
            if attempt == tries:
                raise
            click.echo(_("That passphrase does not open {path}; try again.").format(path=path), err=True)
    raise AssertionError("unreachable")
