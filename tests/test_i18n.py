"""The command line in Spanish: every text of the catalogues has a Spanish translation (none
missing, none fuzzy), the compiled catalogue agrees with its source, and --lang, EVIDENCE_LANG
or a Spanish LANG make the root and group helps speak Spanish."""

from __future__ import annotations

import gettext
import string

from babel.messages.pofile import read_po
from click.testing import CliRunner

from ledger.cli import main
from ledger.cli.messages import message_ids
from ledger.i18n import LOCALE_DIR

PO = LOCALE_DIR / "es" / "LC_MESSAGES" / "evidence.po"
MO = LOCALE_DIR / "es" / "LC_MESSAGES" / "evidence.mo"


def spanish_catalogue():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="es")


def fields(text: str) -> set[str]:
    """The values a message names ({badge}, {n}), which its translation must name too (a help
    text with a lone brace is never formatted: none)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return set()


def test_every_message_has_a_spanish_translation():
    catalog = spanish_catalogue()
    ids = message_ids(main)
    assert len(ids) > 300
    for msgid in ids:
        message = catalog.get(msgid)
        assert message is not None, f"not in {PO.name} (run python -m ledger.cli.messages): {msgid!r}"
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        assert translations and all(translations), f"no Spanish translation: {msgid!r}"
        assert not message.fuzzy, f"fuzzy Spanish translation: {msgid!r}"


def test_translations_name_the_same_values():
    """A translation that drops or misspells {badge} would fail at the moment it is shown."""
    for message in spanish_catalogue():
        if not message.id or not message.string:
            continue
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        if "%(prog)s" in originals[0]:
            continue
        expected = set().union(*(fields(o) for o in originals))
        for text in translations:
            assert fields(text) <= expected, f"{message.id!r}: {text!r} names values the English does not"
            if len(originals) == 1:
                assert fields(text) == expected, f"{message.id!r}: {text!r} drops a value"


def test_the_compiled_catalogue_is_the_source_compiled():
    with open(MO, "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in spanish_catalogue():
        if isinstance(message.id, tuple) and all(message.string):
            forms = (compiled.ngettext(*message.id, 1), compiled.ngettext(*message.id, 2))
            assert forms == (message.string[0], message.string[-1]), f"{MO.name} is stale: {message.id!r}"
        elif message.id and message.string:
            assert compiled.gettext(message.id) == message.string, f"{MO.name} is stale: {message.id!r}"


def run(*args, env=None):
    base = {"EVIDENCE_LANG": None, "LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})})


def test_spanish_locale_gives_a_spanish_root_help():
    out = run("--help", env={"LANG": "es_PE.UTF-8"}).stdout
    assert "Un registro de bienes incautados y evidencia financiera." in out
    assert "Ejemplo:" in out and 'evidence officer add B-1001 --name "Ana Quispe" --role officer' in out
    assert "Registra dinero en efectivo incautado." in out
    assert "--db URL" in out and "--json" in out  # option names stay as they are


def test_lang_option_and_environment():
    assert "Lista, muestra y sigue los bienes incautados." in run("--lang", "es", "item", "--help").stdout
    assert "Lista, muestra y sigue" in run("item", "--help", env={"EVIDENCE_LANG": "es"}).stdout
    english = run("--lang", "en", "--help", env={"LANG": "es_PE.UTF-8"}).stdout
    assert "A ledger for seized assets and financial evidence." in english


def test_english_again_after_spanish():
    """The texts are switched per invocation, never left in the last one's language."""
    assert "Registra dinero" in run("--lang", "es", "--help").stdout
    out = run("--help").stdout
    assert "Register seized cash." in out and "Registra" not in out
