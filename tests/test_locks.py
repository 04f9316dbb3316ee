"""Writers and the chain head: a lock held elsewhere makes a writer give up after
EVIDENCE_LOCK_TIMEOUT seconds (exit 4), and a head moved by hand is found before anything is
written (exit 3), never as a database traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, PASSPHRASE, rows

ADD = ["officer", "add", "B-9001", "--name", "Nadia Ramos", "--role", "officer", "--by", ADMIN]


def _writer(db_url: str, timeout: str, *args: str, cli=None) -> tuple[subprocess.CompletedProcess, float]:
    """`evidence ARGS` (default: the admin adds an officer) in a process of its own, with the
    test's keys (`cli`, the harness) to sign."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env["EVIDENCE_LOCK_TIMEOUT"] = timeout
    if cli is not None:
        env.update(XDG_CONFIG_HOME=cli.keys_home, EVIDENCE_KEY_PASSPHRASE=PASSPHRASE)
    start = time.monotonic()
    # The subprocess timeout turns a writer that hangs into a failure instead of a stuck suite.
    done = subprocess.run([sys.executable, "-m", "ledger", "--db", db_url, *(args or ADD)], env=env,
                          capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - start


def _assert_gave_up(done, took: float, limit: float):
    assert done.returncode == 4, done.stderr
    assert took < limit, f"the writer waited {took:.1f}s"
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "locked" in done.stderr and "another evidence command" in done.stderr
    assert "lock" in done.stderr.split("\n", 1)[1] and "try again" in done.stderr
    assert done.stdout == ""


def test_postgresql_writer_gives_up_on_a_head_locked_elsewhere(cli, backend, db_url):
    if backend != "postgresql":
        pytest.skip("PostgreSQL row lock; SQLite's write lock is tested below")
    import psycopg

    cli.ok("officer", "add", "B-1001", "--name", "Ana Quispe", "--role", "officer")
    before = cli.snapshot()
    holder = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        holder.execute("SELECT * FROM chain_head FOR UPDATE")
        done, took = _writer(db_url, "2", cli=cli)
    finally:
        holder.rollback()
        holder.close()
    _assert_gave_up(done, took, 20)
    assert cli.snapshot() == before
    # Once the lock is gone the same command goes through.
    done, _ = _writer(db_url, "2", cli=cli)
    assert done.returncode == 0, done.stderr


def test_sqlite_busy_timeout_follows_evidence_lock_timeout(cli, backend, db_url):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    cli.ok("officer", "add", "B-1001", "--name", "Ana Quispe", "--role", "officer")
    before = cli.snapshot()
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        done, took = _writer(db_url, "1", cli=cli)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Well under the 30 s default: the setting, not the default, decided the wait.
    _assert_gave_up(done, took, 15)
    assert "more than 1 second." in done.stderr
    assert cli.snapshot() == before


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "1e9"])
def test_bad_lock_timeout_is_refused(cli, backend, value):
    result = cli(*ADD, env={"EVIDENCE_LOCK_TIMEOUT": value})
    assert result.exit_code == 4, result.output
    assert "EVIDENCE_LOCK_TIMEOUT" in result.stderr and "seconds" in result.stderr
    assert [row for row in cli.snapshot().get("officers") if "admin" not in row] == []


def _move_head(db_url: str, seq: int, hash_: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE chain_head SET seq = :seq, hash = :hash WHERE id = 1"),
                         {"seq": seq, "hash": hash_})
    finally:
        engine.dispose()


@pytest.mark.parametrize("direction", ["back", "forward"])
def test_displaced_head_is_found_before_writing(seeded, db_url, direction):
    events = rows(db_url, "SELECT seq, hash FROM events ORDER BY seq")
    if direction == "back":
        _move_head(db_url, events[-2].seq, events[-2].hash)
    else:
        _move_head(db_url, events[-1].seq + 1, "f" * 64)
    before = seeded.snapshot()
    for args in (ADD, ["document", "add", "SZ-000001", "--title", "Contrato", "--by", "B-1001"]):
        result = seeded(*args)
        shown = f"exit {result.exit_code}\nstderr: {result.stderr}"
        assert result.exit_code == 3, shown
        assert "does not name the last event of the log" in result.stderr, shown
        assert "evidence verify" in result.stderr, shown
        for leak in ("IntegrityError", "INSERT", "Traceback", "[SQL"):
            assert leak not in result.stderr and leak not in result.stdout, shown
    assert seeded.snapshot() == before


def test_integrity_error_in_a_write_is_a_sentence(ledger):
    """Whatever constraint the database still refuses, the user meets a sentence, not SQL."""
    from ledger.errors import VerificationFailed

    def clash(session):
        session.execute(text("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})

    with pytest.raises(VerificationFailed) as caught:
        ledger.write(clash)
    message = caught.value.render()
    assert caught.value.exit_code == 3
    assert "nothing was written" in message and "evidence verify" in message
    assert "INSERT" not in message and "IntegrityError" not in message

