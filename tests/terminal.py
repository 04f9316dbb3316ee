"""A pseudo-terminal for tests of what a person types: prompts answered one by one, and counted."""

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


def run_at_terminal(argv: list[str], cwd: Path, *, answers: list[str] = (), prompt: bytes = b"assphrase",
                    env: dict | None = None, timeout: float = 120) -> tuple[int, str, int]:
    """Run `evidence ARGV` with a pseudo-terminal as its standard streams, typing `answers` in turn
    at each prompt that contains `prompt`. Returns (exit code, screen, prompts seen)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    full = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_") or k == "EVIDENCE_TEST_KDF_LOG2N"}
    full.update(TERM="xterm", XDG_DATA_HOME=str(cwd / "xdg-data"), XDG_CONFIG_HOME=str(cwd / "xdg-config"))
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    proc = subprocess.Popen([sys.executable, "-m", "ledger", *argv], stdin=slave, stdout=slave, stderr=slave,
                            cwd=cwd, env=full, start_new_session=True)
    os.close(slave)
    screen = bytearray()
    pending = list(answers)
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"evidence {' '.join(argv)} still running after {timeout}s:\n{screen.decode()}")
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            screen += chunk
            while screen.count(prompt) > seen:
                seen += 1
                if pending:
                    os.write(master, pending.pop(0).encode() + b"\r")
                else:
                    os.write(master, b"\x04")  # Ctrl-D: nothing more to type
    finally:
        os.close(master)
    return proc.wait(timeout=30), screen.decode("utf-8", "replace"), seen
