"""Commands that draw progress bars, run as a person runs them: in a terminal.

click's CliRunner never looks like a terminal, so the branch that draws a bar on stderr is
taken only here: a real `python -m ledger` process whose stdin, stdout and stderr are a
pseudo-terminal. Each command must exit 0, show its bar, print no traceback and leave the
database or the file it promised.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.test_bundle import run_verify
from tests.helpers import PASSPHRASE, rows

CASE = "AQP-2020-0147"


def run_in_terminal(argv: list[str], cwd: Path, timeout: float = 180, *, keys_home: str | None = None,
                    passphrase: str | None = None) -> tuple[int, str]:
    """Run `evidence ARGV` with a pseudo-terminal as its standard streams; (exit code, screen text).
    With `passphrase`, it is typed at the key's passphrase prompt, as an officer would."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(TERM="xterm", XDG_DATA_HOME=str(cwd / "xdg-data"), XDG_CONFIG_HOME=keys_home or str(cwd / "xdg-config"))
    proc = subprocess.Popen([sys.executable, "-m", "ledger", *argv], stdin=slave, stdout=slave, stderr=slave,
                            cwd=cwd, env=env, start_new_session=True)
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"evidence {' '.join(argv)} still running after {timeout}s:\n{screen.decode()}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it, the process is done
                break
            if not chunk:
                break
            screen += chunk
            if passphrase is not None and b"Passphrase for" in screen:
                os.write(master, passphrase.encode() + b"\r")
                passphrase = None
    finally:
        os.close(master)
    return proc.wait(timeout=30), screen.decode("utf-8", "replace")


def ok_in_terminal(argv: list[str], cwd: Path, *, shows: str, cli=None) -> str:
    """`cli` (the test's harness) lends the officers' keys; the passphrase is typed at the prompt."""
    code, screen = run_in_terminal(argv, cwd, keys_home=cli.keys_home if cli else None,
                                   passphrase=PASSPHRASE if cli else None)
    assert code == 0, screen
    assert "Traceback" not in screen and "Exception" not in screen and "Warning" not in screen, screen
    assert shows in screen, f"no progress '{shows}' drawn:\n{screen}"
    return screen


def test_item_import_in_a_terminal(seeded, tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title,pages\n" + "".join(f"document,Cuaderno {n},{n}\n" for n in range(1, 41)))
    screen = ok_in_terminal(["--db", seeded.db_url, "item", "import", "SZ-000001", str(csv), "--by", "B-1001"],
                            tmp_path, shows="importing", cli=seeded)  # validated and registered together
    assert "imported 40 items into SZ-000001" in screen
    assert rows(seeded.db_url, "SELECT count(*) FROM items WHERE kind = 'document'")[0][0] == 40


def test_item_import_refused_in_a_terminal_is_a_sentence(seeded, tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title,pages\ndocument,Cuaderno,3\ndocument,Libreta,-3\n")
    before = seeded.snapshot()
    code, screen = run_in_terminal(["--db", seeded.db_url, "item", "import", "SZ-000001", str(csv),
                                    "--by", "B-1001"], tmp_path)
    assert code == 1, screen
    assert "error:" in screen and "column pages" in screen and "Traceback" not in screen, screen
    assert seeded.snapshot() == before


def test_verify_in_a_terminal(seeded, tmp_path):
    seeded.ok("document", "add", "SZ-000001", "--title", "Cuaderno", "--by", "B-1001")
    screen = ok_in_terminal(["--db", seeded.db_url, "verify"], tmp_path, shows="verifying")
    assert "verify: clean" in screen


def test_export_xlsx_in_a_terminal(seeded, tmp_path):
    for n in range(3):
        seeded.ok("document", "add", "SZ-000001", "--title", f"Cuaderno {n}", "--by", "B-1001")
    out = tmp_path / "case.xlsx"
    screen = ok_in_terminal(["--db", seeded.db_url, "export", "xlsx", CASE, "--out", str(out), "--lang", "en"],
                            tmp_path, shows="writing")
    assert f"wrote {out}" in screen
    sheet = load_workbook(out)["Documents"]
    assert sheet.max_row >= 4  # header and the three documents


def test_export_log_in_a_terminal(seeded, tmp_path):
    out = tmp_path / "bundle"
    ok_in_terminal(["--db", seeded.db_url, "export", "log", "--out", str(out)], tmp_path, shows=str(out))
    assert run_verify(out).returncode == 0
    head = seeded.ok("verify", json_out=True)["head"]
    assert (out / "HEAD").read_text() == f"{head}\n"


def test_rate_import_in_a_terminal(seeded, tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("date,base,quote,rate\n2020-10-05,USD,PEN,3.5810\n2020-10-06,USD,PEN,3.5870\n")
    code, screen = run_in_terminal(["--db", seeded.db_url, "rate", "import", str(rates), "--source", "SBS",
                                    "--by", "B-1001"], tmp_path, keys_home=seeded.keys_home, passphrase=PASSPHRASE)
    assert code == 0 and "Traceback" not in screen, screen
    assert "Passphrase for B-1001's key" in screen and PASSPHRASE not in screen  # asked, and not echoed
    listed = seeded.ok("rate", "list", json_out=True)
    assert sorted((r["date"], r["rate"]) for r in listed) == [("2020-10-05", "3.5810"), ("2020-10-06", "3.5870")]


@pytest.mark.usefixtures("backend")
def test_demo_in_a_terminal(db_url, tmp_path):
    out = tmp_path / "aqp.xlsx"
    code, screen = run_in_terminal(["--db", db_url, "demo", "--out", str(out), "--lang", "en"], tmp_path)
    assert code == 0 and "Traceback" not in screen, screen
    assert "verify: clean" in screen
    assert load_workbook(out).sheetnames[0] == "Summary"
    assert rows(db_url, "SELECT count(*) FROM items")[0][0] >= 13


def test_every_progress_bar_is_drawn_through_the_one_helper():
    """A bar made elsewhere would again be untested in a terminal: cli/output.progress is the one place."""
    cli = Path(__file__).resolve().parents[2] / "cli"
    makers = [p.name for p in cli.glob("*.py") if "click.progressbar(" in p.read_text(encoding="utf-8")]
    assert makers == ["output.py"]
