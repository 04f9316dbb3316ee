"""The rulebook's words: its sentences are marked for the catalogues like the rest of the
program's, and said in the reader's language once the application installs its translator
(ledger.i18n does at import). Shipped in a bundle, where no catalogue travels, they stay English.
"""

_translate = None


def install(translate) -> None:
    """Say the rulebook's sentences through `translate` (a gettext-style function)."""
    global _translate
    _translate = translate


def _(message: str) -> str:
    return _translate(message) if _translate is not None else message


def N_(message: str) -> str:
    return message
