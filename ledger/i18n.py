"""The interface language: which one the officer reads (Spanish or English).

One place decides it, from `--lang`, then `EVIDENCE_LANG`, then the locale, so that every
part of the program (messages, money formats, documents) agrees on it.
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


def resolve_language(option: str | None = None, environ: dict | None = None) -> str:
    """`--lang` (or EVIDENCE_LANG, passed in as the option by the command line) if given;
    else the locale as gettext reads it (LC_ALL, LC_MESSAGES, LANG: the first one set),
    Spanish when it starts with `es`; else English."""
    if option:
        return option
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "es" if value.lower().startswith("es") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 item', '2 items', '1,204 rows': a number with its noun agreeing. English only: a text
    the user reads counts with `ngettext("{n} item", "{n} items", n).format(n=number(n))`."""
    word = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {word}"


def number(n: int) -> str:
    """A count as the officer reads it: 1,204 (the grouping Peru writes in either language)."""
    return f"{n:,}"


# -- gettext catalogues ---------------------------------------------------------------------
# Compiled catalogues ship in the package (ledger/locale/LANG/LC_MESSAGES/evidence.mo); the
# sources (.po, and the template evidence.pot) sit beside them. `python -m ledger.cli.messages`
# extracts the messages and compiles the catalogues with Babel's tools.
DOMAIN = "evidence"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang` (English: none, the messages are written in it)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


# The language of this invocation: the command line sets it once (`use`) from --lang,
# EVIDENCE_LANG or the locale, before any command runs; the ledger's messages are written
# through `_` and `ngettext` and so come out in it. English until told otherwise (library use,
# tests that call the ledger directly).
_current = DEFAULT_LANGUAGE


def use(lang: str) -> None:
    """Speak `lang` from now on (one of LANGUAGES)."""
    global _current
    _current = lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def current() -> str:
    return _current


def _(message: str, lang: str | None = None) -> str:
    """`message` in `lang` (default: the current language), or as written when the catalogue
    has no translation of it. A message with values names them: `_("No officer {badge}.").format(
    badge=badge)`, so that a translation may put them in its own order."""
    return translations(lang or _current).gettext(message)


def translator(lang: str):
    """`_` for one document in `lang`, whatever the interface speaks: `_ = translator(lang)`
    and then `_("Seal")` as anywhere else (the catalogue tools find the texts by that name).
    An unknown language gives English."""
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).gettext


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """The singular or plural form of a message for `n`, in the current language."""
    return translations(lang or _current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for the catalogues where it is written (a table header, a constant) and
    leaves it as it is; `_` translates it where it is shown."""
    return message


def or_list(values) -> str:
    """'A', 'A or B', 'A or B or C' (each value as given), in the current language."""
    return _joined(list(values), N_("{first} or {second}"))


def and_list(values) -> str:
    """'A', 'A and B', 'A and B and C', in the current language."""
    return _joined(list(values), N_("{first} and {second}"))


def _joined(values: list, pattern: str) -> str:
    if not values:
        return ""
    listed = values[0]
    for value in values[1:]:
        listed = _(pattern).format(first=listed, second=value)
    return listed


# The rulebook (ledger.rules) imports only the standard library, so that every bundle can
# carry it; here it is given the catalogues, to speak the reader's language like the rest.
from ledger.rules import text as _rules_text  # noqa: E402

_rules_text.install(_)
