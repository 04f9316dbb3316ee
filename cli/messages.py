"""The command line's texts in the user's language, from the gettext catalogues (ledger/locale),
chosen by --lang, EVIDENCE_LANG or LANG: every command's and option's help, every message the
ledger and the commands write through `_`/`ngettext`/`N_`, and click's own texts.

Run as `python -m ledger.cli.messages` to extract the texts into ledger/locale/evidence.pot,
merge them into each language's .po and compile the .mo files, with Babel's catalogue tools.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

from ledger.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, N_, _

_ORIGINAL = "_evidence_help_en"

# Where the messages written through `_` are extracted from: the ledger and the commands. The
# bundle's verify.py is left out on purpose: it travels alone with a bundle and reads no catalogue.
SOURCES = (Path(__file__).resolve().parent, LOCALE_DIR.parent)
NOT_EXTRACTED = ("bundle_verify.py",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}

# click's own texts that an officer meets (usage, help headings, refusals of the command line).
# click looks them up through the gettext functions that ledger.cli.app points at ours.
CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Aborted!"), N_("Missing command."),
    N_("Try '{command} {option}' for help."), N_("Error: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing parameter: {param_name}"), N_("Missing {param_type}"), N_("No such command {name!r}."),
    N_("No such option {name!r}."), N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("file"), N_("directory"), N_("path"),
    N_("default: {default}"), N_("env var: {var}"), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("Do you want to continue?"),
    N_("Confirm the action without prompting."), N_("required"),
)
CLICK_PLURALS = (
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."),
)


def _paragraphs(text: str) -> list[str]:
    return inspect.cleandoc(text).split("\n\n")


def _is_code(paragraph: str) -> bool:
    """A paragraph shown as typed (click's \\b marker): an example command, never translated."""
    return paragraph.startswith("\b")


def _translated(text: str, lang: str) -> str:
    """A help text translated paragraph by paragraph; examples stay as they are."""
    return "\n\n".join(p if _is_code(p) else _(p, lang) for p in _paragraphs(text))


def all_commands(root: click.Group):
    """The root and every command below it, groups before their commands."""
    yield root
    for command in root.commands.values():
        if isinstance(command, click.Group):
            yield from all_commands(command)
        else:
            yield command


def _help_ids(root: click.Group) -> list[str]:
    ids: list[str] = []
    for command in all_commands(root):
        ids += [p for p in _paragraphs(_english(command, "help") or "") if p and not _is_code(p)]
        ids += [_english(p, "help") for p in command.params
                if getattr(p, "help", None) and not getattr(p, "hidden", False)]
    return ids


def _english(thing, attribute: str):
    """A help as written, even while `apply_language` has put it in another language."""
    return thing.__dict__.get(_ORIGINAL, getattr(thing, attribute, None))


def _code_ids() -> list:
    """Every text written through `_`, `N_` or `ngettext` in the ledger and the commands
    (a plural as its (singular, plural) pair)."""
    from babel.messages.extract import extract_from_dir

    ids: list = []
    for folder in SOURCES:
        for filename, _line, message, _comments, _context in extract_from_dir(
                folder, method_map=[("**.py", "python")], keywords=KEYWORDS,
                callback=None, strip_comment_tags=True):
            if Path(filename).name in NOT_EXTRACTED or message is None:
                continue
            if isinstance(message, tuple):
                if all(message):
                    ids.append(tuple(message))
            elif message:
                ids.append(message)
    return ids


def message_ids(root: click.Group) -> list:
    """Every text the catalogues translate, in a stable order: helps, then the code's messages,
    then click's texts. A plural is a (singular, plural) pair."""
    ids = _help_ids(root) + _code_ids() + list(CLICK_TEXTS) + list(CLICK_PLURALS)
    return list(dict.fromkeys(ids))


def apply_language(root: click.Group, lang: str) -> None:
    """Set every command's and option's help in `lang`. The English texts are kept aside, so
    that every invocation starts from them."""
    english = lang == DEFAULT_LANGUAGE
    for command in all_commands(root):
        original = command.__dict__.setdefault(_ORIGINAL, command.help)
        if original is not None:
            command.help = original if english else _translated(original, lang)
        for param in command.params:
            kept = param.__dict__.setdefault(_ORIGINAL, getattr(param, "help", None))
            if kept:
                param.help = kept if english else _(kept, lang)


def update_catalogues() -> None:  # pragma: no cover - a maintainer's tool, checked by the test of the catalogues
    """Extract, merge and compile: evidence.pot, LANG/LC_MESSAGES/evidence.po and .mo."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    from ledger.cli import main

    template = Catalog(project="evidence", domain="evidence")
    for msgid in message_ids(main):
        template.add(msgid)
    with open(LOCALE_DIR / "evidence.pot", "wb") as fh:
        write_po(fh, template, width=100, omit_header=False)
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        po = folder / "evidence.po"
        if po.exists():
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=lang, project="evidence", domain="evidence")
            catalog.update(template)
        with open(po, "wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True)
        with open(folder / "evidence.mo", "wb") as fh:
            write_mo(fh, catalog)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy
                                                      or (isinstance(m.string, tuple) and not all(m.string)))]
        print(f"{po}: {len(catalog)} messages, {len(missing)} without a translation", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    update_catalogues()
