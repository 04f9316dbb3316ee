"""Ctrl-C says what happened: before the commit nothing was written (exit 130, a sentence that
says so); during or after it, the command completes with its normal output and exit 0. The
interrupt is a real SIGINT, sent to the process at each phase of an import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.cli.test_import import mixed_rows, write_csv
from tests.helpers import PASSPHRASE, rows, seed_basic

N = 40


@pytest.fixture
def ready(cli, tmp_path):
    seed_basic(cli)
    path = write_csv(tmp_path / "items.csv", mixed_rows(N))
    return cli, path


def _items(db_url) -> int:
    return rows(db_url, "SELECT count(*) FROM items")[0][0]


def _ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


def test_interrupt_before_the_commit_writes_nothing_and_says_so(ready, db_url, monkeypatch):
    cli, path = ready
    from ledger import bulk

    real = bulk.import_file

    def work_then_ctrl_c(*args, **kwargs):
        result = real(*args, **kwargs)  # every row registered in the transaction: the bar at 100 %
        _ctrl_c()
        return result

    monkeypatch.setattr(bulk, "import_file", work_then_ctrl_c)
    before = cli.snapshot()
    result = cli("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 130, result.output
    assert "nothing was written or imported" in result.stderr and "Aborted" not in result.output
    assert cli.snapshot() == before


def test_interrupt_during_the_commit_completes_the_import(ready, db_url, monkeypatch):
    cli, path = ready
    from ledger import roundtrips

    real = roundtrips.commit

    def ctrl_c_then_commit(session):
        _ctrl_c()
        return real(session)

    monkeypatch.setattr(roundtrips, "commit", ctrl_c_then_commit)
    result = cli("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 0, result.output
    assert f"imported {N} items into SZ-000001" in result.stdout
    assert "after the ledger had committed" in result.stderr
    assert _items(db_url) == N


def test_interrupt_after_the_commit_prints_the_summary_and_exits_0(ready, db_url, monkeypatch):
    cli, path = ready
    from ledger.cli import import_cmds

    real = import_cmds.emit

    def ctrl_c_then_emit(*args, **kwargs):
        _ctrl_c()
        return real(*args, **kwargs)

    monkeypatch.setattr(import_cmds, "emit", ctrl_c_then_emit)
    result = cli("item", "import", "SZ-000001", str(path), "--by", "B-1001", json_out=True)
    assert result.exit_code == 0, result.output
    assert '"count": 40' in result.stdout.replace(" ", "").replace('"count":40', '"count": 40')
    assert _items(db_url) == N


def test_any_writing_command_interrupted_before_its_commit_writes_nothing(ready, monkeypatch):
    cli, _path = ready
    from ledger import registry

    real = registry.open_case

    def ctrl_c(*args, **kwargs):
        real(*args, **kwargs)
        _ctrl_c()

    monkeypatch.setattr(registry, "open_case", ctrl_c)
    before = cli.snapshot()
    result = cli("case", "open", "AQP-2020-0200", "--title", "Otro caso", "--by", "B-1001")
    assert result.exit_code == 130 and "nothing was written" in result.stderr
    assert cli.snapshot() == before


def test_a_real_ctrl_c_at_any_moment_never_lies(ready, db_url, backend, tmp_path):
    """The whole process group gets SIGINT, as a terminal sends it, at several moments of a
    larger import: either everything is in the ledger and exit 0, or nothing and exit 130."""
    cli, _ = ready
    path = write_csv(tmp_path / "many.csv", mixed_rows(1500))
    env = {**os.environ, "XDG_CONFIG_HOME": cli.keys_home, "EVIDENCE_KEY_PASSPHRASE": PASSPHRASE}
    outcomes = set()
    for delay in (1.2, 1.8, 2.4, 3.0, 3.5, 4.0):  # after start-up (a Ctrl-C during imports is Python's)
        proc = subprocess.Popen([sys.executable, "-m", "ledger", "--db", db_url, "item", "import", "SZ-000001",
                                 str(path), "--by", "B-1001"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        time.sleep(delay)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err and "Aborted" not in err, err
        count = _items(db_url)
        if proc.returncode == 0:
            assert "imported 1,500 items" in out and count == 1500, (out, err)
            outcomes.add("written")
            break
        assert proc.returncode == 130, (proc.returncode, err)
        assert "nothing was written or imported" in err and count == 0
        outcomes.add("nothing")
    assert outcomes, outcomes
