"""Every command explains itself: non-empty help that ends with an example."""

from __future__ import annotations

import click
import pytest

from ledger.cli import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(cmd, click.Group):
            yield path, cmd
            yield from _commands(cmd, path)
        else:
            yield path, cmd


ALL = list(_commands(main))


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_command_has_help(path, cmd):
    assert (cmd.help or "").strip(), f"'evidence {' '.join(path)}' has no help text"


LEAVES = [(p, c) for p, c in ALL if not isinstance(c, click.Group)]


@pytest.mark.parametrize("path, cmd", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_command_help_ends_with_an_example(path, cmd):
    text = (cmd.help or "").strip()
    assert "Example:" in text, f"'evidence {' '.join(path)}' --help has no Example"
    example = text.split("Example:", 1)[1].strip().lstrip("\b").strip()
    assert example.startswith("evidence "), f"the example of 'evidence {' '.join(path)}' is not a command line"
    assert example.split()[1:len(path) + 1] == list(path) or " ".join(path) in example


def test_contract_commands_exist():
    """The commands CLI.md promises are all reachable."""
    names = {" ".join(p) for p, _ in ALL}
    for expected in ["db upgrade", "db status", "officer add", "officer list", "location add", "location list",
                     "case open", "case list", "case show", "seizure record", "cash add", "vehicle add", "phone add",
                     "document add", "item list", "item show", "item history", "item import", "custody transfer",
                     "custody reseal", "custody dispose", "custody holdings", "rate set", "rate import", "rate list",
                     "convert", "case totals", "verify", "export xlsx", "export log", "demo"]:
        assert expected in names


@pytest.mark.parametrize("path, cmd", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_example_is_shown_on_one_line(path, cmd):
    """Examples are marked not to be re-wrapped, so they can be pasted as they stand."""
    from click.testing import CliRunner

    out = CliRunner().invoke(main, [*path, "--help"], terminal_width=80).output
    example = out.split("Example:", 1)[1].strip().splitlines()[0].strip()
    assert example.startswith("evidence ") and example == " ".join(example.split())
    expected = (cmd.help or "").split("Example:", 1)[1].replace("\b", "").strip().splitlines()[0].strip()
    assert example == expected
