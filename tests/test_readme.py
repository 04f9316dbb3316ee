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

README = Path(__file__).resolve().parent.parent / "README.md"


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def test_readme_console_examples_run_as_shown(tmp_path):
    steps = console_examples(README.read_text(encoding="utf-8"))
    assert len(steps) > 20
    script = []
    for i, (command, _) in enumerate(steps):
        script.append(f"echo '@@@ {i}'")
        script.append(f"{command} 2>&1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    out = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300).stdout
    chunks = re.split(r"^@@@ (\d+)\n", out, flags=re.M)[1:]
    actual = {int(chunks[i]): chunks[i + 1].rstrip("\n").splitlines() for i in range(0, len(chunks), 2)}
    for i, (command, expected) in enumerate(steps):
        got = actual.get(i, [])
        assert len(got) == len(expected) and all(matches(e, a) for e, a in zip(expected, got, strict=True)), (
            f"README example `{command}`\nexpected:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(got)
        )
