"""Several officers at once on PostgreSQL: writer processes hand overlapping sets of items
between officers while reader processes read item lists, case totals and every officer's
holdings. Every read sees each item exactly once with one holder and the same cash; no
driver error reaches a user; the log verifies afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_SKIP, PG_URL, create_pg_database, drop_pg_database, pg_url_for
from tests.helpers import PASSPHRASE, CliHarness, seed_basic

ROOT = Path(__file__).resolve().parents[2]
WRITERS, READERS, WRITER_ROUNDS, READER_ROUNDS = 4, 2, 40, 20
CASE = "AQP-2020-0147"
STATS: dict = {}


@pytest.fixture
def pg_url(request):
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = create_pg_database(template=request.getfixturevalue("pg_template"))
    request.addfinalizer(lambda: drop_pg_database(name))
    return pg_url_for(name)


def _spawn(*args: str, keys_home: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    env.update(XDG_CONFIG_HOME=keys_home, EVIDENCE_KEY_PASSPHRASE=PASSPHRASE)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.pg_worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_concurrent_transfers_and_reads_on_postgresql(pg_url):
    cli = CliHarness(pg_url)
    seed_basic(cli)
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    for n in range(12):
        cli.ok("cash", "add", "SZ-1", "--amount", f"{(n + 1) * 100}.50", "--currency", "PEN" if n % 3 else "USD",
               "--counted-by", "B-1001", "--verified-by", "B-1002", "--by", "B-1001", "--at", "2020-10-06T06:00")
    for n in range(8):
        cli.ok("document", "add", "SZ-1", "--title", f"Doc {n}", "--by", "B-1001", "--at", "2020-10-06T06:00")
    # Spread the items over the holders first, so that every writer finds something to move.
    cli.ok("custody", "transfer", *[f"EV-{n}" for n in range(1, 21, 3)], "--from", "B-1001", "--to", "C-3001",
           "--reason", "reparto", "--by", "B-1001", "--at", "2020-10-06T07:00")
    cli.ok("custody", "transfer", *[f"EV-{n}" for n in range(2, 21, 3)], "--from", "B-1001", "--to", "B-1002",
           "--reason", "reparto", "--by", "B-1001", "--at", "2020-10-06T07:00")
    items = cli.ok("item", "list", "--case", CASE, json_out=True)
    show = cli.ok("case", "show", CASE, json_out=True)
    expect = {"items": sorted(i["id"] for i in items),
              "cash": {c["currency"]: c["amount"] for c in show["cash"]},
              "total_usd": cli.ok("case", "totals", CASE, "--in", "USD", json_out=True)["total"]}
    before = cli.ok("verify", json_out=True)["events"]

    procs = [_spawn("writer", pg_url, CASE, str(s), str(WRITER_ROUNDS), keys_home=cli.keys_home)
             for s in range(WRITERS)]
    procs += [_spawn("reader", pg_url, CASE, str(100 + s), str(READER_ROUNDS), json.dumps(expect),
                     keys_home=cli.keys_home)
              for s in range(READERS)]
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr[-3000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    problems = [x for r in results for x in r["problems"]]
    assert problems == [], problems[:10]

    writers, readers = results[:WRITERS], results[WRITERS:]
    ok = sum(w["transfers_ok"] for w in writers)
    STATS.update(transfers_ok=ok, refused=sum(w["refused"] for w in writers),
                 items_moved=sum(w["items_moved"] for w in writers), reads=sum(r["reads"] for r in readers))
    print(f"\npg concurrency: {STATS}")
    assert ok > 0 and sum(r["reads"] for r in readers) == READERS * READER_ROUNDS
    report = cli.ok("verify", json_out=True)
    assert report["ok"], report["findings"][:5]
    assert report["events"] == before + ok  # one event per successful transfer, none for refusals
    after = cli.ok("item", "list", "--case", CASE, json_out=True)
    assert sorted(i["id"] for i in after) == expect["items"]
    assert cli.ok("case", "totals", CASE, "--in", "USD", json_out=True)["total"] == expect["total_usd"]
