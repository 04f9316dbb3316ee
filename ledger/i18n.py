"""The interface language: which one the officer reads (Spanish or English).

One place decides it, from `--lang`, then `EVIDENCE_LANG`, then the locale, so that every
part of the program (messages, money formats, documents) agrees on it.
"""

from __future__ import annotations

import os

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
