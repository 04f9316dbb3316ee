"""`python -m bench.compare_import KEPT_DIR OTHER_EVIDENCE [ROUNDS]`: CPU seconds (user + system,
the command and its validating process) and wall time of `evidence item import` of the same CSV
into copies of the same seeded ledger, by another release's `evidence` (OTHER_EVIDENCE, e.g. a
venv of an earlier commit) and this one, alternated so both see the same load. KEPT_DIR is a
folder `python -m bench --only import --keep KEPT_DIR` left (seeded.db, items.csv, keys/)."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench import data


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    kept, other = Path(argv[0]), argv[1]
    rounds = int(argv[2]) if len(argv) > 2 else 2
    data.use_keys(kept / "keys")
    env = {**os.environ, "EVIDENCE_OFFICER": "", "EVIDENCE_TZ": "America/Lima"}
    mine = str(Path(sys.executable).with_name("evidence"))
    for n in range(rounds):
        for name, exe in (("other", other), ("this", mine)):
            db = kept / f"compare-{n}.db"
            shutil.copyfile(kept / "seeded.db", db)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([exe, "--db", f"sqlite:///{db}", "item", "import", "SZ-1", str(kept / "items.csv"),
                                   "--by", "B-1001", "--at", "2020-10-06T09:00"], capture_output=True, text=True,
                                  env=env)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            con = sqlite3.connect(db)
            rows = con.execute("SELECT count(*) FROM event_signatures").fetchone()[0]
            con.close()
            print(f"round {n + 1} {name:<5} exit {done.returncode}: CPU {cpu:.2f} s, wall {wall:.2f} s, "
                  f"{rows:,} signature rows, load {os.getloadavg()[0]:.1f}", flush=True)
            db.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
