"""A reader that stops early (`evidence item list | head -1`) is no refusal (exit 1): the
command ends with 141, as a Unix tool killed by SIGPIPE does, and says nothing, neither an
error nor Python's "Exception ignored"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    return env


@pytest.fixture
def many(seeded, tmp_path):
    """Far more listing than a pipe holds (64 KiB), so the writer meets the closed end."""
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title,pages\n" + "".join(f"document,Cuaderno de la operación número {n},{n}\n"
                                                  for n in range(1, 1501)))
    seeded.ok("item", "import", "SZ-000001", str(csv), "--by", "B-1001")
    return seeded


@pytest.mark.parametrize("args", [["item", "list"], ["--json", "item", "list"], ["item", "history", "EV-000001"],
                                  ["verify"], ["--help"], ["--version"], ["item", "list", "--help"]],
                         ids=["list", "list-json", "history", "verify", "help", "version", "list-help"])
def test_reader_closed_before_anything_is_written(seeded, tmp_path, args):
    seeded.ok("document", "add", "SZ-000001", "--title", "Cuaderno", "--by", "B-1001")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        done = subprocess.run([sys.executable, "-m", "ledger", "--db", seeded.db_url, *args], stdout=write_end,
                              stderr=subprocess.PIPE, env=_env(tmp_path), timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr.decode()
    assert done.stderr == b""


def test_item_list_into_head(many, tmp_path):
    shell = (f"{sys.executable} -m ledger --db '{many.db_url}' item list | head -1; "
             "echo \"status ${PIPESTATUS[0]}\"")
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ITEM") and lines[-1] == "status 141", done.stdout + done.stderr
    assert done.stderr == ""


def test_reader_that_reads_a_little_then_closes(many, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ledger", "--db", many.db_url, "--json", "item", "list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    assert proc.stdout.read(100).startswith(b"[")
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141, stderr.decode()
    assert stderr == b""


def test_whole_listing_still_arrives_through_a_pipe(many, tmp_path):
    done = subprocess.run([sys.executable, "-m", "ledger", "--db", many.db_url, "item", "list"],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1 + 1500
