"""Every command's help in Spanish: with --lang es, each command's --help shows the Spanish of
its description (from the catalogue) and of its options' helps, and none of their English; the
examples stay as typed; option names, environment variables and commands quoted in a help stay
as they are in its translation."""

from __future__ import annotations

import inspect
import re

import click
import pytest
from click.testing import CliRunner

from ledger.cli import main
from ledger.cli.messages import apply_language
from ledger.i18n import _


def run(*args, env=None):
    base = {"EVIDENCE_LANG": None, "LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})})


def squeeze(text: str) -> str:
    """`text` without its whitespace: click rewraps the paragraphs of a help (and may break a
    line after a hyphen), so a paragraph is found in the output by its characters alone."""
    return re.sub(r"\s+", "", text)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def spanish(text: str) -> str:
    return _(text, "es")


def _commands(group: click.Group = main, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, path + (name,))
        else:
            yield path + (name,), command


def _english(command: click.Command) -> tuple[list[str], list[str]]:
    """The command's help paragraphs (examples, click's \\b blocks, left out) and its visible
    options' helps, as written in the code."""
    paragraphs = [p for p in inspect.cleandoc(command.help or "").split("\n\n") if p and not p.startswith("\b")]
    options = [p.help for p in command.params if getattr(p, "help", None) and not getattr(p, "hidden", False)]
    return paragraphs, options


apply_language(main, "en")  # the helps as written, whatever an earlier invocation left
COMMANDS = {path: command for path, command in _commands()}
ENGLISH = {path: _english(command) for path, command in COMMANDS.items()}
HELP_TEXTS = sorted({text for paragraphs, options in ENGLISH.values() for text in paragraphs + options})


@pytest.mark.parametrize("path", sorted(ENGLISH), ids=lambda path: " ".join(path) or "evidence")
def test_every_help_speaks_spanish(path):
    result = run("--lang", "es", *path, "--help")
    assert result.exit_code == 0, result.output
    out = squeeze(result.stdout)
    paragraphs, options = ENGLISH[path]
    assert paragraphs, f"{path}: a command without a help"
    assert squeeze(first_sentence(spanish(paragraphs[0]))) in out
    for text in paragraphs + options:
        assert spanish(text) != text, f"no Spanish translation of {text!r}"
        assert squeeze(spanish(text)) in out, f"not shown in Spanish: {text!r}"
        assert squeeze(text) not in out, f"shown in English: {text!r}"
    command = COMMANDS[path]
    if isinstance(command, click.Group):  # the list of its commands: each one's Spanish beginning
        for name in command.commands:
            first = ENGLISH[path + (name,)][0][0]
            assert squeeze(name + spanish(first))[:30] in out, f"{name}'s short help is not Spanish"
            assert squeeze(name + first)[:30] not in out, f"{name}'s short help is English"


CODE = re.compile(r"`[^`]+`|--[a-z][a-z0-9-]*|\bEVIDENCE_[A-Z_]+|'(?:evidence|python3|hledger) [^']*'")


@pytest.mark.parametrize("text", HELP_TEXTS, ids=lambda text: text[:40])
def test_translations_keep_names_and_code(text):
    """What the officer types (options, commands, variables, code) reads the same in Spanish;
    officers are 'oficiales', never 'efectivos' (cash)."""
    translation = " ".join(spanish(text).split())
    for code in CODE.findall(" ".join(text.split())):
        assert code in translation, f"{text!r}: {code} is missing from {translation!r}"
    assert not re.search(r"\befectivos\b", translation), translation


def test_custody_transfer_in_spanish():
    result = run("--lang", "es", "custody", "transfer", "--help")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Uso: ")
    assert "Ofrece uno o más bienes a otro oficial, todos o ninguno" in " ".join(out.split())
    assert "Ejemplo:" in out and "Example:" not in out
    assert ('evidence custody transfer EV-000001 EV-000002 --from B-1001 --to C-3001 --reason "Into the evidence room"'
            in out)  # the example as typed
    assert "--receiver-key KEYFILE" in out and "--request-id ID" in out
    assert "Placa del oficial que actúa [env EVIDENCE_OFFICER]." in " ".join(out.split())
    assert "Offer one or more items" not in out and "Badge of the officer acting" not in out


def test_spanish_locale_and_environment():
    out = " ".join(run("officer", "add", "--help", env={"LANG": "es_PE.UTF-8"}).stdout.split())
    assert "Registra a un oficial con la autorización de un administrador (--by ADMIN" in out
    assert "efectivo" not in out
    out = " ".join(run("due", "--help", env={"EVIDENCE_LANG": "es"}).stdout.split())
    assert "Cuatro reglas, cada una con su umbral" in out
    assert "(held-after-final-order, vea 'case order --final')" in out
    assert "[env EVIDENCE_DUE_CASH_HOURS; por defecto 48]" in out


def test_english_again_after_spanish():
    assert "Ofrece uno o más bienes" in run("--lang", "es", "custody", "transfer", "--help").stdout
    out = run("custody", "transfer", "--help").stdout
    assert "Offer one or more items to another officer" in out and "Ofrece" not in out


def test_lang_after_the_command():
    out = run("custody", "transfer", "--help", "--lang", "es").stdout
    assert "Ofrece uno o más bienes" in out
