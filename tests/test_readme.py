"""The README's console examples are real: run them in order on a fresh ledger and compare.

A `$ ` line is a command; the lines after it, up to the next command, are its output (stdout
and stderr as a terminal shows them). `...` in an expected line stands for any text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every ```console block, in order; a block indented
    under a list item is read without its indentation."""
    steps: list[tuple[str, list[str]]] = []
    for indent, block in re.findall(r"^( *)```console\n(.*?)^\1```", text, flags=re.S | re.M):
        for line in block.splitlines():
            line = line[len(indent):] if line.startswith(indent) else line
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def run_console(steps: list[tuple[str, list[str]]], cwd: Path) -> dict[int, list[str]]:
    """Run the commands in order in one shell in `cwd`, with a fresh home, no EVIDENCE_
    settings and an English locale; each command's output lines (stdout and stderr as a
    terminal shows them). An `export NAME=VALUE` step holds for the commands after it."""
    script = []
    for i, (command, _) in enumerate(steps):
        script.append(f"echo '@@@ {i}'")
        script.append(f"{command} 2>&1")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EVIDENCE_") and k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env["LANG"] = "C.UTF-8"  # English unless the text itself sets EVIDENCE_LANG or --lang
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["HOME"] = str(cwd)
    env["XDG_DATA_HOME"] = str(cwd / "data")
    env["XDG_CONFIG_HOME"] = str(cwd / "config")
    env["COLUMNS"] = "100"
    out = subprocess.run(["bash", "-c", "\n".join(script)], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600).stdout
    chunks = re.split(r"^@@@ (\d+)\n", out, flags=re.M)[1:]
    return {int(chunks[i]): chunks[i + 1].rstrip("\n").splitlines() for i in range(0, len(chunks), 2)}


def differences(steps: list[tuple[str, list[str]]], actual: dict[int, list[str]], where: str) -> list[str]:
    """One report per command whose output is not what the text shows."""
    found = []
    for i, (command, expected) in enumerate(steps):
        got = actual.get(i, [])
        if not (len(got) == len(expected) and all(matches(e, a) for e, a in zip(expected, got, strict=True))):
            found.append(f"{where} example `{command}`\nexpected:\n" + "\n".join(expected)
                         + "\ngot:\n" + "\n".join(got))
    return found


@pytest.mark.slow
def test_readme_console_examples_run_as_shown(tmp_path):
    steps = console_examples(README.read_text(encoding="utf-8"))
    assert len(steps) > 20
    problems = differences(steps, run_console(steps, tmp_path), "README")
    assert not problems, problems[0]
