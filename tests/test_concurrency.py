"""Several OS processes transferring the same items at once, on both backends: exactly one
wins each round, the others get a plain refusal, no item ever has two holders, and the
chain still verifies."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.cli.test_custody import register_three
from tests.helpers import PASSPHRASE

PROCESSES = 6
RECEIVERS = ["B-1002", "C-3001", "F-2001"]


def run_round(db_url: str, sender: str, cli) -> list[subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(XDG_CONFIG_HOME=cli.keys_home, EVIDENCE_KEY_PASSPHRASE=PASSPHRASE)
    procs = []
    for i in range(PROCESSES):
        to = RECEIVERS[i % len(RECEIVERS)] if RECEIVERS[i % len(RECEIVERS)] != sender else "B-1001"
        args = [sys.executable, "-m", "ledger", "--db", db_url, "custody", "transfer", "EV-1", "EV-2", "EV-3",
                "--from", sender, "--to", to, "--reason", f"race {i}", "--by", sender,
                "--receiver-key", str(cli.key_path(to))]
        procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=60)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def holders(db_url: str) -> list[tuple[str, str]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT id, holder FROM items ORDER BY id")).all()
    finally:
        engine.dispose()


def test_concurrent_transfers_leave_one_holder(seeded, db_url):
    register_three(seeded)
    sender = "B-1001"
    for _round in range(2):
        results = run_round(db_url, sender, seeded)
        for r in results:
            assert r.returncode in (0, 1), r.stderr
            assert "Traceback" not in r.stderr and "locked" not in r.stderr.lower(), r.stderr
            if r.returncode == 1:
                assert r.stderr.startswith("error: ") and "held by" in r.stderr, r.stderr
        winners = [r for r in results if r.returncode == 0]
        assert len(winners) == 1, [r.stderr for r in results]
        winner_to = winners[0].args[winners[0].args.index("--to") + 1]
        assert {h for _, h in holders(db_url)} == {winner_to}
        sender = winner_to
    transfers = seeded.ok("verify", json_out=True)
    assert transfers["ok"]
    history = seeded.ok("item", "history", "EV-1", json_out=True)["events"]
    assert [e["type"] for e in history] == ["item.registered", "custody.transferred", "custody.transferred"]
