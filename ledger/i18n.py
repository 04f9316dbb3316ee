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
    """'1 item', '2 items', '1,204 rows': a number with its noun agreeing."""
    word = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {word}"


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


def _(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """`message` in `lang`, or as written when the catalogue has no translation of it."""
    return translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE) -> str:
    return translations(lang).ngettext(singular, plural, n)
