"""The command line's texts in the user's language: the root help and the command groups' helps
come from the gettext catalogues (ledger/locale), chosen by --lang, EVIDENCE_LANG or LANG.

Run as `python -m ledger.cli.messages` to extract the texts into ledger/locale/evidence.pot,
merge them into each language's .po and compile the .mo files, with Babel's catalogue tools.
"""

from __future__ import annotations

import inspect
import sys

import click

from ledger.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALE_DIR, _

_ORIGINAL = "_evidence_help_en"


def _paragraphs(text: str) -> list[str]:
    return inspect.cleandoc(text).split("\n\n")


def _is_code(paragraph: str) -> bool:
    """A paragraph shown as typed (click's \\b marker): an example command, never translated."""
    return paragraph.startswith("\b")


def _translated(text: str, lang: str) -> str:
    """A help text translated paragraph by paragraph; examples stay as they are."""
    return "\n\n".join(p if _is_code(p) else _(p, lang) for p in _paragraphs(text))


def translated_commands(root: click.Group):
    """(command, whole help translated?) for every text the catalogues hold: the root and every
    group in full; a top-level command by its first paragraph, which the root's list shows."""
    yield root, True
    for command in root.commands.values():
        yield command, isinstance(command, click.Group)
        if isinstance(command, click.Group):
            yield from ((c, True) for c in command.commands.values() if isinstance(c, click.Group))


def message_ids(root: click.Group) -> list[str]:
    """Every text the catalogues translate, in a stable order."""
    ids: list[str] = []
    for command, whole in translated_commands(root):
        paragraphs = _paragraphs(command.help or "")
        ids += [p for p in (paragraphs if whole else paragraphs[:1]) if p and not _is_code(p)]
        if command is root:
            ids += [p.help for p in root.params if getattr(p, "help", None)]
    return list(dict.fromkeys(ids))


def apply_language(root: click.Group, lang: str) -> None:
    """Set the helps of the root and the groups (and the root's options) in `lang`. The English
    texts are kept aside, so that every invocation starts from them."""
    for command, whole in translated_commands(root):
        original = command.__dict__.setdefault(_ORIGINAL, command.help)
        if original is None:
            continue
        if whole:
            command.help = original if lang == DEFAULT_LANGUAGE else _translated(original, lang)
        else:
            first = _paragraphs(original)[0]
            command.short_help = None if lang == DEFAULT_LANGUAGE else _(first, lang).split(". ")[0].rstrip(".")
        if command is root:
            for param in root.params:
                kept = param.__dict__.setdefault(_ORIGINAL, getattr(param, "help", None))
                if kept:
                    param.help = kept if lang == DEFAULT_LANGUAGE else _(kept, lang)


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
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        print(f"{po}: {len(catalog)} messages, {len(missing)} without a translation", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    update_catalogues()
