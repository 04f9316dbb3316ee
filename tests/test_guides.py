"""The guides under docs/ (and their translations under docs/es/) are real: their console
examples run in order on a fresh ledger, in a folder holding docs/samples/, and print what the
guide shows (as test_readme.py does for the README; `...` stands for a value that changes on
every run). A guide in Spanish says so itself (`export EVIDENCE_LANG=es`), as its reader does.

When the program's messages change (a new translation, a reworded message), rewrite a guide's
shown outputs from a real run, then read the diff:

    python -m tests.test_guides --regenerate docs/es/officers.md

Output lines that still match are kept as they are (with their `...`); a changed line is
replaced by what the command printed, with the values that change on every run (the run's
folder, hashes, keys, today's times) turned into `...`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.test_readme import console_examples, differences, matches, run_console

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = sorted(str(p.relative_to(DOCS)) for p in [*DOCS.glob("*.md"), *DOCS.glob("es/*.md")]
                if "```console" in p.read_text(encoding="utf-8"))
# Guides whose examples cannot yet run in one pass from an empty folder, and why. Each is
# reported as skipped, so the gap stays visible.
NOT_YET_RUNNABLE: dict[str, str] = {}
# The commands of a guide that are run. hledger reads the journal example only where it is
# installed; LibreOffice's conversion of a workbook to PDF prints what that installation says, so
# it is shown but not compared.
RUN = ("evidence", "export", "cat", "head", "sha256sum", "cp", "sqlite3", "python3")
OPTIONAL = ("hledger",)


def program(command: str) -> str:
    """The program a console line runs, past any `NAME=value` settings before it."""
    words = command.split()
    while len(words) > 1 and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)
    return words[0]


def runnable(steps: list[tuple[str, list[str]]]) -> list[int]:
    """Indices of the steps the test runs."""
    return [i for i, (command, _) in enumerate(steps)
            if program(command) in RUN or (program(command) in OPTIONAL and shutil.which(program(command)))]


def missing_tools(steps: list[tuple[str, list[str]]]) -> set[str]:
    """The programs a guide runs that this machine lacks (`evidence` and `python3` are this
    Python's, as run_console finds them)."""
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    return {program(command) for command, _ in steps
            if program(command) in RUN and program(command) != "export" and not shutil.which(program(command), path=path)}


# Where a guide tells its reader the source of evidence is: the sample files are copied from its
# docs/samples/ by the guide's own `cp` commands, before the first command that reads them.
SOURCE = "evidence"


def run_guide(path: Path, folder: Path) -> tuple[list[tuple[str, list[str]]], list[int], dict[int, list[str]]]:
    """The guide's steps, the indices of those run, and each run step's output by index. The run
    folder is the reader's home and starts empty but for the source of evidence in ~/evidence:
    a guide that reads a sample file it did not copy fails."""
    steps = console_examples(path.read_text(encoding="utf-8"))
    run = runnable(steps)
    shutil.copytree(DOCS / "samples", folder / SOURCE / "docs" / "samples")
    actual = run_console([steps[i] for i in run], folder)
    return steps, run, {i: actual.get(j, []) for j, i in enumerate(run)}


def test_every_guide_is_run_or_listed():
    assert set(NOT_YET_RUNNABLE) <= set(GUIDES)
    assert set(GUIDES) - set(NOT_YET_RUNNABLE), "no guide is run"
    assert any(g.startswith("es/") for g in GUIDES), "no guide in Spanish is run"


@pytest.mark.slow
@pytest.mark.parametrize("name", GUIDES)
def test_guide_console_examples_run_as_shown(name, tmp_path):
    if name in NOT_YET_RUNNABLE:
        pytest.skip(f"docs/{name}: {NOT_YET_RUNNABLE[name]}")
    missing = missing_tools(console_examples((DOCS / name).read_text(encoding="utf-8")))
    if missing:
        pytest.skip(f"docs/{name} uses {', '.join(sorted(missing))}, not installed here")
    steps, run, actual = run_guide(DOCS / name, tmp_path)
    ran = [steps[i] for i in run]
    problems = differences(ran, {j: actual[i] for j, i in enumerate(run)}, f"docs/{name}")
    assert not problems, f"{len(problems)} of {len(ran)} examples differ; the first:\n{problems[0]}"


# -- rewriting a guide's outputs from a real run ----------------------------------------------
def _masks(folder: Path) -> list[tuple[str, str]]:
    """(pattern, replacement) for the values that differ from run to run."""
    days = [datetime.date.today() + datetime.timedelta(days=d) for d in (-1, 0, 1)]
    when = "|".join(d.isoformat() for d in days)
    return [
        (re.escape(str(folder)) + r"/(?:config|data)(?=/)", "..."),
        (re.escape(str(folder)), "..."),
        (rf"(?:{when})(?:[ T]\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?: ?[-+]\d\d:\d\d|Z)?)?", "..."),
        (r"\+[0-9a-f]{8}\+[A-Za-z0-9+/]{40,}={0,2}", "+..."),
        (r"\b[0-9a-f]{64}\b", "..."),
        (r"\b[0-9a-f]{16}(?:\.\.\.)?(?![0-9a-f])", "..."),
        (r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86,}={0,2}", "..."),
        (r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])", "..."),
    ]


def masked(line: str, folder: Path, known: str = "") -> str:
    """`line` with what differs on every run as `...`; a value the guide itself shows elsewhere
    (in `known`, e.g. a file's SHA-256 that `sha256sum` prints) is the same on every run and
    stays."""
    for pattern, replacement in _masks(folder):
        line = re.sub(pattern, lambda m, r=replacement: m.group(0) if m.group(0) in known else r, line)
    return line


def rewritten_outputs(expected: list[str], got: list[str], folder: Path, known: str = "") -> list[str]:
    """The lines a guide should show for a command that printed `got`: each old line that still
    matches its new line is kept; any other line is the new one, masked."""
    same_shape = len(expected) == len(got)
    return [e if same_shape and matches(e, a) else masked(a, folder, known)
            for e, a in zip(expected if same_shape else [""] * len(got), got, strict=True)]


def regenerate(path: Path) -> list[str]:
    """Rewrite the console outputs of the guide at `path` from a real run; the commands whose
    output changed."""
    known = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="evidence-guide-") as tmp:
        folder = Path(tmp).resolve()
        steps, run, actual = run_guide(path, folder)
        new: dict[int, list[str]] = {}
        for i in run:
            expected, got = steps[i][1], actual[i]
            if not (len(got) == len(expected) and all(map(matches, expected, got))):
                new[i] = rewritten_outputs(expected, got, folder, known)
    out: list[str] = []
    step, skipping, fence = -1, False, None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if fence is None:
            opening = re.match(r"^( *)```console\n", line)
            if opening:
                fence = opening.group(1)
            out.append(line)
            continue
        if line.startswith(fence + "```"):
            fence, skipping = None, False
            out.append(line)
            continue
        body = line[len(fence):] if line.startswith(fence) else line
        if body.startswith("$ "):
            step += 1
            skipping = step in new
            out.append(line)
            if skipping:
                out.extend(f"{fence}{x}".rstrip() + "\n" for x in new[step])
            continue
        if not skipping:
            out.append(line)
    path.write_text("".join(out), encoding="utf-8")
    return [steps[i][0] for i in sorted(new)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.test_guides",
                                     description="Rewrite the console outputs a guide shows from a real run.")
    parser.add_argument("--regenerate", nargs="+", metavar="GUIDE.md", required=True, type=Path)
    args = parser.parse_args(argv)
    for path in args.regenerate:
        changed = regenerate(path)
        print(f"{path}: {len(changed)} example(s) rewritten")
        for command in changed:
            print(f"  $ {command}")
    print("Read the diff (git diff docs/), put back `...` where a value changes on every run, and run "
          "pytest tests/test_guides.py.")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def test_regenerate_rewrites_only_what_changed(tmp_path):
    guide = tmp_path / "guide.md"
    cols = (DOCS / "samples" / "cols.csv").read_text(encoding="utf-8").splitlines()
    guide.write_text("Text.\n\n```console\n$ export X=1\n$ cp ~/evidence/docs/samples/cols.csv .\n$ cat cols.csv\n"
                     "stale output\n```\n\n- item\n\n  ```console\n  $ cat cols.csv\n  " + "\n  ".join(cols)
                     + "\n  ```\n", encoding="utf-8")
    assert regenerate(guide) == ["cat cols.csv"]
    steps = console_examples(guide.read_text(encoding="utf-8"))
    assert steps == [("export X=1", []), ("cp ~/evidence/docs/samples/cols.csv .", []), ("cat cols.csv", cols),
                     ("cat cols.csv", cols)]
    assert guide.read_text(encoding="utf-8").startswith("Text.\n\n```console\n$ export X=1\n$ cp ")


def test_a_guide_that_reads_a_sample_it_did_not_copy_fails(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("```console\n$ cat cols.csv\nkind,amount\n```\n", encoding="utf-8")
    steps, run, actual = run_guide(guide, tmp_path)
    assert differences([steps[i] for i in run], {j: actual[i] for j, i in enumerate(run)}, "guide")


def test_regenerated_lines_keep_their_dots_and_hide_what_changes_on_every_run(tmp_path):
    kept = rewritten_outputs(["head: 53:...", "old"], ["head: 53:" + "ab" * 32, "new in " + str(tmp_path)], tmp_path)
    assert kept == ["head: 53:...", "new in ..."]
    assert masked(f"key 0123456789abcdef in {tmp_path}/config/evidence/keys/B-1.key", tmp_path) == \
        "key ... in .../evidence/keys/B-1.key"
    assert masked("verifier key: B-1001+1a2b3c4d+" + "A" * 44, tmp_path) == "verifier key: B-1001+..."
    digest = "a6f90edc683247122f0f332ef7759fa040fe339fe41a25c20cfe034d13324e95"
    assert masked(f"file_sha256: {digest}", tmp_path, known=f"{digest}  cuaderno-scan.pdf") == f"file_sha256: {digest}"
