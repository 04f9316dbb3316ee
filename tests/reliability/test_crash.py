"""Crash safety on SQLite: CLI writes (item imports of hundreds of rows, transfers of many
items at once, handovers offered by the holder and accepted by the receiver) run in their own
processes and are killed with SIGKILL at random moments.
After every kill the file passes `PRAGMA integrity_check`, `verify` is clean, every command
that had exited 0 is fully present, and the killed one is fully present or fully absent.

The kill moments are calibrated per round: each kind of command (import, transfer, offer,
accept) is first run to its end to time it, and every command of that kind that runs to its end
before its kill moment times it again, so a machine that becomes faster or slower (other tests
running beside this one) moves the kill moments with it instead of letting every command finish.
The test ends after KILLS kills, and never runs more than MAX_ROUNDS rounds.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import PASSPHRASE, CliHarness, seed_basic

KILLS = 30
MAX_ROUNDS = 60
IMPORT_ROWS = 500
TRANSFER_MAX = 2000
OTHER = {"B-1001": "C-3001", "C-3001": "B-1001"}
ROOT = Path(__file__).resolve().parents[2]
STATS: dict[str, int] = {}


def _env(keys_home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(XDG_CONFIG_HOME=keys_home, EVIDENCE_KEY_PASSPHRASE=PASSPHRASE)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(db: Path, args: list[str], keys_home: str, err: Path) -> subprocess.Popen:
    # Output to files, not pipes: the test waits on the process, never on a full pipe.
    with err.open("w") as err_file:
        return subprocess.Popen([sys.executable, "-m", "ledger", "--db", f"sqlite:///{db}", *args],
                                stdout=subprocess.DEVNULL, stderr=err_file, env=_env(keys_home))


def _kind(args: list[str]) -> str:
    """Which of the four kinds of command the round runs: each is timed on its own."""
    if args[:2] == ["item", "import"]:
        return "import"
    if args[:2] == ["custody", "accept"]:
        return "accept"
    return "transfer" if "--receiver-key" in args else "offer"


def _query(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _write_import(path: Path, k: int) -> None:
    lines = ["kind,title,pages"] + [f"document,imp{k}-{i},{i % 9 + 1}" for i in range(IMPORT_ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Crasher:
    def __init__(self, tmp: Path, db: Path):
        self.tmp, self.db = tmp, db
        self.cli = CliHarness(f"sqlite:///{db}")
        self.holders: dict[str, str] = {}  # item -> holder, from committed commands only
        self.imports: list[int] = []  # committed imports
        self.transfers: list[str] = []  # reasons of committed transfers
        self.offers: dict[str, tuple[list[str], str, str]] = {}  # reason -> (items, sender, receiver), not answered
        self.accepted: list[str] = []  # reasons of offers accepted
        self.k = 0

    def op(self) -> tuple[list[str], callable]:
        """The next command, and a function telling whether it is in the ledger (True),
        absent (False), or half there (raises)."""
        self.k += 1
        k = self.k
        waiting = {i for items, _, _ in self.offers.values() for i in items}
        held = sorted(i for i, h in self.holders.items() if h == "B-1001" and i not in waiting)
        if not k % 2 and self.offers and k % 3 == 0:
            return self._accept()
        sender = "B-1001" if len(held) * 2 >= len(self.holders) else "C-3001"
        items = sorted(i for i, h in self.holders.items() if h == sender and i not in waiting)[:TRANSFER_MAX]
        if k % 2 or not items:
            path = self.tmp / f"imp{k}.csv"
            _write_import(path, k)

            def present() -> bool:
                [(n,)] = _query(self.db, "SELECT count(*) FROM items WHERE title LIKE ?", (f"imp{k}-%",))
                assert n in (0, IMPORT_ROWS), f"import {k}: {n} of {IMPORT_ROWS} rows in the ledger"
                if n:
                    for (item,) in _query(self.db, "SELECT id FROM items WHERE title LIKE ?", (f"imp{k}-%",)):
                        self.holders[item] = "B-1001"
                    self.imports.append(k)
                return bool(n)

            return ["item", "import", "SZ-1", str(path), "--by", "B-1001"], present
        receiver, reason = OTHER[sender], f"xfer{k}"
        if k % 4 == 2:  # an offer: the items wait, in transit, for the receiver's acceptance
            return self._offer(items, sender, receiver, reason)

        def present() -> bool:
            events = _query(self.db, "SELECT seq FROM events WHERE type = 'custody.transferred' AND body LIKE ?",
                            (f'%"reason":"{reason}"%',))
            assert len(events) <= 1, f"transfer {reason} recorded {len(events)} times"
            marks = ",".join("?" * len(items))
            now = dict(_query(self.db, f"SELECT id, holder FROM items WHERE id IN ({marks})", items))
            if not events:
                assert all(now[i] == sender for i in items), f"{reason} absent but some items moved"
                return False
            [(n,)] = _query(self.db, "SELECT count(*) FROM event_items WHERE seq = ?", (events[0][0],))
            assert n == len(items), f"{reason}: the event names {n} of {len(items)} items"
            assert all(now[i] == receiver for i in items), f"{reason} present but some items did not move"
            for i in items:
                self.holders[i] = receiver
            self.transfers.append(reason)
            return True

        return ["custody", "transfer", *items, "--from", sender, "--to", receiver, "--reason", reason,
                "--by", sender, "--receiver-key", str(self.cli.key_path(receiver))], present

    def _offer(self, items: list[str], sender: str, receiver: str, reason: str) -> tuple[list[str], callable]:
        def present() -> bool:
            events = _query(self.db, "SELECT seq FROM events WHERE type = 'custody.offered' AND body LIKE ?",
                            (f'%"reason":"{reason}"%',))
            assert len(events) <= 1, f"offer {reason} recorded {len(events)} times"
            marks = ",".join("?" * len(items))
            now = _query(self.db, f"SELECT holder, status FROM items WHERE id IN ({marks})", items)
            assert {h for h, _ in now} == {sender}, f"{reason}: an offer moved items"
            statuses = {s for _, s in now}
            if not events:
                assert statuses == {"in-custody"}, f"{reason} absent but some items are in transit"
                return False
            assert statuses == {"in-transit"}, f"{reason} present but some items are not in transit"
            self.offers[reason] = (items, sender, receiver)
            return True

        return ["custody", "transfer", *items, "--from", sender, "--to", receiver, "--reason", reason,
                "--by", sender], present

    def _accept(self) -> tuple[list[str], callable]:
        reason, (items, sender, receiver) = next(iter(self.offers.items()))

        def present() -> bool:
            marks = ",".join("?" * len(items))
            now = set(_query(self.db, f"SELECT holder, status FROM items WHERE id IN ({marks})", items))
            if now == {(sender, "in-transit")}:
                return False
            assert now == {(receiver, "in-custody")}, f"acceptance of {reason} half done: {now}"
            for i in items:
                self.holders[i] = receiver
            del self.offers[reason]
            self.accepted.append(reason)
            return True

        return ["custody", "accept", *items, "--seal-ok", "--by", receiver], present

    def check_all(self) -> None:
        assert _query(self.db, "PRAGMA integrity_check") == [("ok",)]
        report = self.cli.ok("verify", json_out=True)
        assert report["ok"], report["findings"][:5]
        counts = dict(_query(self.db, "SELECT substr(title, 1, instr(title, '-') - 1), count(*) FROM items "
                                      "WHERE title LIKE 'imp%' GROUP BY 1"))
        assert counts == {f"imp{k}": IMPORT_ROWS for k in self.imports}
        [(n,)] = _query(self.db, "SELECT count(*) FROM events WHERE type = 'custody.transferred'")
        assert n == len(self.transfers)
        [(n,)] = _query(self.db, "SELECT count(*) FROM events WHERE type = 'custody.accepted'")
        assert n == len(self.accepted)
        [(n,)] = _query(self.db, "SELECT count(*) FROM offers WHERE closed_seq IS NULL")
        assert n == sum(len(items) for items, _, _ in self.offers.values())
        assert dict(_query(self.db, "SELECT id, holder FROM items")) == self.holders


@pytest.mark.slow
def test_sigkill_during_writes_loses_nothing_and_leaves_nothing_half_done(tmp_path, sqlite_template):
    import shutil

    db = tmp_path / "ledger.db"
    shutil.copyfile(sqlite_template, db)
    crasher = Crasher(tmp_path, db)
    seed_basic(crasher.cli)
    rng = random.Random(int(os.environ.get("EVIDENCE_CRASH_SEED", "20201006")))
    err = tmp_path / "stderr.txt"
    timed: dict[str, float] = {}  # kind -> seconds its last uninterrupted command took
    kills = completed = rounds = 0
    kinds: dict[str, int] = {}
    started_all = time.monotonic()
    while kills < KILLS and rounds < MAX_ROUNDS:
        rounds += 1
        args, present = crasher.op()
        kind = _kind(args)
        # The first command of a kind runs to its end; the others are killed at a random moment
        # within 0.45-1.1x the last uninterrupted one (a few land after the commit, or too late).
        kill_at = rng.uniform(0.45, 1.1) * timed[kind] if kind in timed else None
        started = time.monotonic()
        proc = _start(db, args, crasher.cli.keys_home, err)
        try:
            proc.wait(timeout=kill_at if kill_at is not None else 300)
        except subprocess.TimeoutExpired:
            if kill_at is None:
                proc.kill()
                raise
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            kinds[kind] = kinds.get(kind, 0) + 1
            present()  # either way, but whole
        else:
            timed[kind] = time.monotonic() - started
            text = err.read_text(encoding="utf-8", errors="replace")
            assert proc.returncode == 0, text
            assert "Traceback" not in text
            completed += 1
            assert present(), "a command that exited 0 is missing from the ledger"
        crasher.check_all()
    STATS.update(kills=kills, kills_by_kind=kinds, completed=completed, rounds=rounds, imports=len(crasher.imports),
                 transfers=len(crasher.transfers), accepted=len(crasher.accepted),
                 last_ms={k: round(v * 1000) for k, v in timed.items()}, seconds=round(time.monotonic() - started_all))
    print(f"\ncrash: {STATS}")
    assert kills >= KILLS, f"only {kills} kills landed in {rounds} rounds"
