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
    lang: str = "en"
    wide: bool = False
    _ledger: object = field(default=None, repr=False)
    _keyring: object = field(default=None, repr=False)

    @property
    def keyring(self):
        """Where this command finds the keys it signs with: --key / EVIDENCE_KEY for the acting
        officer, then the key agent ('evidence key unlock'), then each officer's own keys folder,
        then the demo's keys beside the ledger."""
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
                                    opener=_open_key, agent=_agent_key)
        return self._keyring

    @property
    def url(self) -> str:
        from ledger.config import resolve_db_url

        return resolve_db_url(self.db)

    def ledger(self, *, create_if_new: bool = False):
        """Open the ledger, cached for the command's duration. Only `init` (create_if_new)
        creates a new SQLite ledger, by its write; any other command on one that does not exist
        is refused, naming `evidence init`, and leaves no file behind."""
        if self._ledger is None:
            from ledger.config import default_db_path
            from ledger.db import open_ledger

            url = self.url  # refuses an empty or unsupported --db before anything is created
            if not self.db and not os.environ.get("EVIDENCE_DB"):
                default_db_path().parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._ledger = open_ledger(url, tz=self.tz, create_if_new=create_if_new)
            self._ledger.keyring = self.keyring
        return self._ledger


def _agent_key(badge: str):
    """The key of `badge` if this user's key agent holds it ('evidence key unlock'), else None."""
    from ledger.identity.agent import held_key

    return held_key(badge)


def _open_key(badge: str, path):
    """EVIDENCE_KEY_PASSPHRASE for scripts, else a hidden prompt on stderr, asked again at a
    terminal after a wrong passphrase."""
    from .passphrases import open_key_file

    return open_key_file(path, badge=badge)


EXIT_BROKEN_PIPE = 141


def _reader_gone(ctx: click.Context):
    """The reader of our output closed it (`evidence item list | head -1`): no refusal, so no
    message and not exit 1; 128 + SIGPIPE, as a Unix tool killed by it reports, so that a
    script with pipefail still sees that the output was cut short."""
    from .output import silence_stdout

    silence_stdout()
    ctx.exit(EXIT_BROKEN_PIPE)


def _setter(attr: str, convert=lambda v: v):
    """Callback of a global option given after the subcommand: overrides the root's value.
    (No state during shell completion, which does not run the root's callback.)"""

    def callback(ctx: click.Context, _param, value):
        state = ctx.find_object(AppState)
        if value not in (None, False) and state is not None:
            setattr(state, attr, convert(value))

    return callback


def _speak_in(value: str) -> str:
    """Make `value` the language of every message from here on; returns it for the state."""
    from ledger.i18n import use

    lang = value.lower()
    use(lang)
    _click_speaks()
    return lang


def _click_speaks() -> None:
    """click's own texts ("Usage:", "No such option", "Missing argument") through the same
    catalogues: click looks them up with the standard gettext functions it imported, which
    are pointed here at the ledger's."""
    import importlib

    from ledger import i18n

    for name in ("core", "exceptions", "parser", "types", "decorators", "formatting", "termui"):
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is not i18n._ and hasattr(module, "_"):
            module._ = i18n._
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext


def _lang_in(args: list[str], root: click.Group | None = None) -> str | None:
    """The value of the last --lang among `args` when it is one of the languages, else None.
    A --lang after a command with a --lang of its own (`export xlsx --lang es`: the workbook's
    language) is that command's, not the interface's."""
    from ledger.i18n import LANGUAGES

    found = None
    command = root
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if isinstance(command, click.Group) and arg in command.commands:
            command = command.commands[arg]
            continue
        if command is not root and command is not None and not isinstance(command, click.Group) and any(
                "--lang" in getattr(p, "opts", ()) and not p.hidden for p in command.params
                if isinstance(p, click.Option)):
            break
        value = arg[len("--lang="):] if arg.startswith("--lang=") else (
            args[i + 1] if arg == "--lang" and i + 1 < len(args) else None)
        if value is not None and value.lower() in LANGUAGES:
            found = value.lower()
    return found


def _zone(value: str) -> str:
    from ledger.validate import check_zone

    return check_zone(value, "--tz")


# The global options (and --wide) as any subcommand accepts them too (`evidence item list --json`). They
# carry no default and no environment variable: the root's own options supply those, and a
# value given here only overrides what the root set. A command with an option of the same
# name keeps its own (`export xlsx --lang` is the workbook's language).
_TRAILING_GLOBALS = (
    ("--db", dict(metavar="URL", callback=_setter("db"))),
    ("--json", dict(is_flag=True, default=False, callback=_setter("json"))),
    ("--tz", dict(metavar="ZONE", callback=_setter("tz", _zone))),
    ("--lang", dict(type=click.Choice(["es", "en"], case_sensitive=False), callback=_setter("lang", _speak_in))),
    ("--wide", dict(is_flag=True, default=False, callback=_setter("wide"))),
)


def _accept_globals(command: click.Command) -> None:
    """Give `command` and everything below it the global options, once."""
    if getattr(command, "_evidence_globals", False):
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for name, attrs in _TRAILING_GLOBALS:
        if name not in taken:
            command.params.append(click.Option(
                [name, "_global_" + name[2:]], expose_value=False, hidden=True, is_eager=True, **attrs))
    command._evidence_globals = True
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_globals(sub)


def _speak(root: click.Group, ctx: click.Context) -> None:
    """Put the root's and the groups' helps in the user's language, once per invocation:
    --lang if already read (it is read before --help when typed before it), else
    EVIDENCE_LANG or the locale."""
    top = ctx.find_root()
    state = top.obj if isinstance(top.obj, AppState) else None
    lang = state.lang if state else (top.meta.get("evidence.lang_typed") or top.params.get("lang")
                                     or os.environ.get("EVIDENCE_LANG"))
    from ledger.i18n import resolve_language

    lang = resolve_language(lang.lower() if lang else None)
    _speak_in(lang)
    if top.meta.get("evidence.help_lang") != lang:
        from .messages import apply_language

        apply_language(root, lang)
        top.meta["evidence.help_lang"] = lang


def _json_error(ctx: click.Context, code: int, message: str, hint: str | None, details: list[str]) -> None:
    """With --json, a refusal is also one JSON object on stdout, so a script reading stdout
    sees why (the sentence still goes to stderr for people)."""
    from .output import emit_json, json_written

    state = ctx.obj
    if isinstance(state, AppState) and state.json and not json_written():
        emit_json({"error": {"exit_code": code, "message": message, "hint": hint, "details": list(details)}})


class LedgerGroup(click.Group):
    """Root group: every LedgerError raised below it becomes a message and its exit code.
    Its global options are accepted after any subcommand as well as before it."""

    def get_command(self, ctx: click.Context, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _accept_globals(command)
            _speak(self, ctx)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _speak(self, ctx)
        super().format_help(ctx, formatter)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from ledger.i18n import resolve_language

        # The language first, from wherever --lang stands, so that even a refusal of the
        # command line itself ("No such option") is in it.
        typed = ctx.meta["evidence.lang_typed"] = _lang_in(args, self)
        _speak_in(resolve_language(typed or os.environ.get("EVIDENCE_LANG", "").lower() or None))
        try:
            return super().parse_args(ctx, args)
        except BrokenPipeError:  # `evidence --help | head -1`
            _reader_gone(ctx)

    def invoke(self, ctx: click.Context):
        from .interrupts import EXIT_INTERRUPTED, Interrupts

        with Interrupts() as interrupts:
            try:
                return self._invoke(ctx)
            except KeyboardInterrupt:
                from ledger.i18n import _

                if interrupts.committed:  # raised by code of ours after the commit: the truth is "written"
                    raise
                try:
                    click.echo("", err=True)
                    click.echo(_("Interrupted before the ledger was changed: nothing was written or imported. Run "
                                 "the command again to do it."), err=True)
                except BrokenPipeError:
                    pass
                ctx.exit(EXIT_INTERRUPTED)
            finally:
                if interrupts.held:
                    from ledger.i18n import _

                    try:
                        click.echo(_("Ctrl-C came after the ledger had committed: everything this command reported "
                                     "was written."), err=True)
                    except BrokenPipeError:
                        pass

    def _invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            # Flushed here, not at exit, so a reader that went away is noticed below.
            sys.stdout.flush()
            return result
        except LedgerError as exc:
            try:
                _json_error(ctx, exc.exit_code, exc.message, exc.hint, exc.details)
                from .output import printable

                click.echo(printable(f"error: {exc.render()}"), err=True)
            except BrokenPipeError:
                pass
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # a mistyped option after the subcommand
            _json_error(ctx, exc.exit_code, exc.format_message(), None, [])
            raise
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
@click.option("--lang", envvar="EVIDENCE_LANG", type=click.Choice(["es", "en"], case_sensitive=False), is_eager=True,
              help="Language of messages: es or en [env EVIDENCE_LANG; default from LANG, else en].")
@click.option("--wide", is_flag=True, help="Tables with every column in full (by default they fit 100 columns).")
@click.version_option(package_name="evidence-ledger", prog_name="evidence")
@click.pass_context
def main(ctx: click.Context, db: str | None, json_: bool, tz: str, key: str | None, lang: str | None,
         wide: bool) -> None:
    """A ledger for seized assets and financial evidence.

    Evidence officers register what a raid seized and hand it on; auditors verify the
    hash-chained custody log; prosecutors export inventories for the court.

    The options below may also be given after the command (`evidence item list --json`).

    Example:

    \b
        evidence init --admin ADM-01 --name "Rosa Medina"
        evidence officer add B-1001 --name "Ana Quispe" --role officer --public-key KEY --by ADM-01
    """
    from ledger.i18n import resolve_language
    from ledger.validate import check_zone

    from .output import json_written

    json_written(reset=True)
    lang = _speak_in(resolve_language(ctx.meta.get("evidence.lang_typed") or (lang and lang.lower())))
    ctx.obj = AppState(db=db, tz=check_zone(tz, "--tz"), json=json_, key=key, lang=lang, wide=wide)


def by_option(f):
    """`--by BADGE`, the acting officer, defaulting to $EVIDENCE_OFFICER."""
    return click.option("--by", "by", envvar="EVIDENCE_OFFICER", metavar="BADGE",
                        help="Badge of the officer acting [env EVIDENCE_OFFICER].")(f)


pass_state = click.make_pass_decorator(AppState)
