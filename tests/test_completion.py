"""Shell completion works as README.md documents it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EVIDENCE = str(Path(sys.executable).parent / "evidence")


def complete(words: str, cword: int) -> str:
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword), "_EVIDENCE_COMPLETE": "bash_complete"}
    return subprocess.run([EVIDENCE], env=env, capture_output=True, text=True, timeout=60).stdout


def test_bash_source_prints_the_completion_script():
    env = {**os.environ, "_EVIDENCE_COMPLETE": "bash_source"}
    out = subprocess.run([EVIDENCE], env=env, capture_output=True, text=True, timeout=60).stdout
    assert "_evidence_completion" in out and "complete " in out


def test_commands_and_options_complete():
    assert "plain,item" in complete("evidence ite", 1).split()
    assert "plain,history" in complete("evidence item hi", 2).split()
    assert "plain,--json" in complete("evidence --js", 1).split()
    assert "plain,--kind" in complete("evidence item list --ki", 3).split()
