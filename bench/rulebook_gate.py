"""The rulebook's decision on every append, measured: the same file imported into fresh copies of
one seeded ledger with the decision (`ledger.events._decide`) and with it switched off, alternated,
CPU seconds of the importing process (the least of two rounds each).

    python -m bench.rulebook_gate [ITEMS]
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import data
from ledger import events
from ledger.bulk import import_file, open_file
from ledger.db import open_ledger

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
tmp = Path(tempfile.mkdtemp())
data.use_keys(tmp / "keys")
template = data.migrated_template(tmp / "t.db")
seeded = tmp / "seeded.db"
shutil.copyfile(template, seeded)
data.seed(f"sqlite:///{seeded}")
csv = data.write_items_csv(tmp / "items.csv", N)
real = events._decide


def run(gate: bool) -> float:
    path = tmp / f"run-{time.time_ns()}.db"
    shutil.copyfile(seeded, path)
    events._decide = real if gate else (lambda *a, **k: None)
    lg = open_ledger(f"sqlite:///{path}")
    cpu = time.process_time()
    lg.write(import_file, "SZ-000001", open_file(csv, parallel=False), by="B-1001")
    took = time.process_time() - cpu
    lg.dispose()
    return took


res: dict[bool, list[float]] = {True: [], False: []}
for _ in range(2):
    for gate in (False, True):
        res[gate].append(run(gate))
print(f"import of {N} items, CPU s: without the gate {min(res[False]):.2f}, with it {min(res[True]):.2f} "
      f"(+{(min(res[True]) / min(res[False]) - 1) * 100:.0f} %)")
