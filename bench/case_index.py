"""The case index's cost, measured (docs/FORMAT.md 4.2): on a log of EVENTS events spread over
CASES cases (one case holds most of them, as the bench's import makes it), the time to append a
`log.case_index` (one aggregate over the events' case_no index, under the write lock), the time of
`evidence export log --case` for a small case with and without an index to append first, and what
the completeness adds to that case's bundle (the index event's line and the case-index file).

    python -m bench.case_index [EVENTS] [CASES]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import data
from bench.workloads import register_in_process
from ledger.db import open_ledger

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
CASES = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
SMALL = "BENCH-SMALL"
tmp = Path(tempfile.mkdtemp(prefix="evidence-case-index-"))
data.use_keys(tmp / "keys")
path = tmp / "log.db"
url = data.fresh_sqlite(data.migrated_template(tmp / "t.db"), path)
data.seed(url)
started = time.perf_counter()
register_in_process(url, EVENTS - CASES - 15)


def other_cases(session):
    from ledger import registry
    from ledger.items import prepare_item, register_items

    for n in range(CASES - 2):
        registry.open_case(session, f"BENCH-{n:05d}", title=f"Bench case {n}", by="B-1001", at="2020-10-06T04:00")
    registry.open_case(session, SMALL, title="The case exported", by="B-1001", at="2020-10-06T04:00")
    registry.record_seizure(session, SMALL, at="2020-10-06T05:30", place="Bench street 2", by="B-1001")
    specs = [prepare_item(row.pop("kind"), row) for row in (
        dict(zip(data.HEADER, data.item_row(EVENTS + i), strict=True)) for i in range(10))]
    register_items(session, "SZ-2", specs, by="B-1001", at="2020-10-06T09:00")


lg = open_ledger(url)
lg.write(other_cases)
total = lg.engine.connect().exec_driver_sql("SELECT count(*) FROM events").scalar()
print(f"log: {total:,} events, {CASES:,} cases, built in {time.perf_counter() - started:.0f} s", flush=True)

from ledger import bundle  # noqa: E402 - after the log is built, as a command would import it

wall, cpu = time.perf_counter(), time.process_time()
seq = lg.write(bundle.append_case_index)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
lg.dispose()
print(f"append log.case_index at seq {seq:,}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)


def export(out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ledger", "--db", url, "export", "log", "--case", SMALL, "--out", str(out)],
                   check=True, capture_output=True, env={**os.environ, "EVIDENCE_LANG": "en"})
    return time.perf_counter() - t0


reused = export(tmp / "reused")  # the log ends with an index: nothing is written
lg = open_ledger(url)
lg.write(lambda session: __import__("ledger.registry", fromlist=["x"]).open_case(
    session, "BENCH-LAST", title="One more", by="B-1001", at="2020-10-06T04:00"))
lg.dispose()
appended = export(tmp / "appended")  # one event after the index: a new one is appended first
folder = tmp / "appended"
size = sum(p.stat().st_size for p in folder.iterdir() if p.name != "verify.py")
lines = (folder / "events.jsonl").read_bytes().splitlines(keepends=True)
added = len(lines[-1]) + (folder / "case-index").stat().st_size + 78  # + its SHA256SUMS line
t0 = time.perf_counter()
checked = subprocess.run([sys.executable, "-I", str(folder / "verify.py"), str(folder)], capture_output=True, text=True)
verified = time.perf_counter() - t0
assert checked.returncode == 0 and "note: complete:" in checked.stdout, checked.stdout
tree = __import__("json").loads((folder / "manifest.json").read_text())["tree_size"]
print(f"export log --case {SMALL} ({len(lines)} events of {tree:,}): {reused:.2f} s cutting at the log's last "
      f"index, {appended:.2f} s appending one first (+{appended - reused:.2f} s)")
print(f"bundle (without verify.py): {size:,} bytes, of which completeness {added:,} bytes "
      f"({added / size * 100:.1f} %: the index event's line {len(lines[-1]):,}, case-index "
      f"{(folder / 'case-index').stat().st_size:,}); verify.py checks it in {verified:.2f} s")
shutil.rmtree(tmp)
