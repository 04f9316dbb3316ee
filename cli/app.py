"""The root `evidence` group, its global options, and the one bridge from ledger errors
to messages and exit codes.

Nothing heavy is imported here: commands import the ledger's database layer inside
their bodies, so `evidence --help` answers at once.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import click

from ledger.errors import LedgerError


@dataclass
class AppState:
    db: str | None
    tz: str
    json: bool
    key: str | None = None
    _ledger: object = field(default=None, repr=False)
    _keyring: object = field(default=None, repr=False)

    @property
    def keyring(self):
        """Where this command finds the keys it signs with: --key / EVIDENCE_KEY for the acting
        officer, then each officer's own keys folder, then the demo's keys beside the ledger."""
        if self._keyring is None:
            from pathlib import Path

            from ledger.config import sqlite_path
            from ledger.identity.signing import DEMO_KEYS_DIR, Keyring

            try:
                path = sqlite_path(self.url)
            except LedgerError:
                path = None
            self._keyring = Keyring(acting_file=Path(self.key) if self.key else None,
                                    demo_dir=path.parent / DEMO_KEYS_DIR if path is not None else None,
                                    passphrase=_ask_passphrase)
        return self._keyring

    @property
    def url(self) -> str:
        from ledger.config import resolve_db_url

        return resolve_db_url(self.db)

    def ledger(self, *, create_if_new: bool = True):
        """Open the ledger, cached for the command's duration. A new SQLite ledger is created
        by the first write; reading one that does not exist is refused."""
        if self._ledger is None:
            from ledger.config import default_db_path
            from ledger.db import open_ledger

            url = self.url  # refuses an empty or unsupported --db before anything is created
            if not self.db and not os.environ.get("EVIDENCE_DB"):
                default_db_path().parent.mkdir(parents=True, exist_ok=True)
            self._ledger = open_ledger(url, tz=self.tz, create_if_new=create_if_new)
            self._ledger.keyring = self.keyring
        return self._ledger


def _ask_passphrase(badge: str, path) -> str:
    """EVIDENCE_KEY_PASSPHRASE for scripts, else a hidden prompt on stderr (stdout keeps only
    the command's output)."""
    from ledger.errors import InputError
    from ledger.identity.signing import PASSPHRASE_ENV

    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return value
    try:
        return click.prompt(f"Passphrase for {badge}'s key ({path})", hide_input=True, err=True)
    except click.Abort:
        raise InputError(f"No passphrase was given for {badge}'s key. Type it at the prompt, or set "
                         f"{PASSPHRASE_ENV} for scripts.") from None


EXIT_BROKEN_PIPE = 141


def _reader_gone(ctx: click.Context):
    """The reader of our output closed it (`evidence item list | head -1`): no refusal, so no
    message and not exit 1; 128 + SIGPIPE, as a Unix tool killed by it reports, so that a
    script with pipefail still sees that the output was cut short."""
    from .output import silence_stdout

    silence_stdout()
    ctx.exit(EXIT_BROKEN_PIPE)


class LedgerGroup(click.Group):
    """Root group: every LedgerError raised below it becomes a message and its exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError:  # `evidence --help | head -1`
            _reader_gone(ctx)

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            # Flushed here, not at exit, so a reader that went away is noticed below.
            sys.stdout.flush()
            return result
        except LedgerError as exc:
            try:
                click.echo(f"error: {exc.render()}", err=True)
            except BrokenPipeError:
                pass
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            _reader_gone(ctx)
        finally:
            state = ctx.obj
            if isinstance(state, AppState) and state._ledger is not None:
                state._ledger.dispose()


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="EVIDENCE_DB", metavar="URL",
              help="SQLAlchemy URL or a SQLite file path [env EVIDENCE_DB; default ~/.local/share/evidence/ledger.db].")
@click.option("--json", "json_", is_flag=True, help="Machine output: exactly one JSON document on stdout.")
@click.option("--tz", envvar="EVIDENCE_TZ", default="America/Lima", show_default=True,
              help="Zone for reading naive times and showing times [env EVIDENCE_TZ].")
@click.option("--key", envvar="EVIDENCE_KEY", metavar="FILE",
              help="The acting officer's key file [env EVIDENCE_KEY; default ~/.config/evidence/keys/BADGE.key].")
@click.version_option(package_name="evidence-ledger", prog_name="evidence")
@click.pass_context
def main(ctx: click.Context, db: str | None, json_: bool, tz: str, key: str | None) -> None:
    """A ledger for seized assets and financial evidence.

    Evidence officers register what a raid seized and hand it on; auditors verify the
    hash-chained custody log; prosecutors export inventories for the court.

    Example:

    \b
        evidence init --admin ADM-01 --name "Rosa Medina"
        evidence officer add B-1001 --name "Ana Quispe" --role officer --public-key KEY --by ADM-01
    """
    from ledger.validate import check_zone

    ctx.obj = AppState(db=db, tz=check_zone(tz, "--tz"), json=json_, key=key)


def by_option(f):
    """`--by BADGE`, the acting officer, defaulting to $EVIDENCE_OFFICER."""
    return click.option("--by", "by", envvar="EVIDENCE_OFFICER", metavar="BADGE",
                        help="Badge of the officer acting [env EVIDENCE_OFFICER].")(f)


pass_state = click.make_pass_decorator(AppState)
