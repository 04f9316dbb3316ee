"""One concurrent writer for the concurrency workload: for a fixed time, take a random item
from whoever holds it (as read a moment before) and record the handover to this officer.

Run as `python -m bench.worker URL BADGE ITEMS SECONDS START SEED`; prints one JSON line.
"""

from __future__ import annotations

import json
import random
import sys
import time


def main(url: str, badge: str, items: int, seconds: float, start: float, seed: int) -> dict:
    from ledger import custody
    from ledger.db import Ledger
    from ledger.errors import EnvironmentProblem, LedgerError
    from ledger.items import get_item, item_label

    rng = random.Random(seed)
    lg = Ledger(url)
    done = refused = env = 0
    time.sleep(max(0.0, start - time.time()))
    stop = time.time() + seconds
    try:
        while time.time() < stop:
            ref = item_label(rng.randint(1, items))
            with lg.read() as session:
                holder = get_item(session, ref).holder
            if holder == badge:
                continue
            try:
                # both officers sign at one terminal: the holder hands over, this writer receives
                lg.write(custody.transfer_items, [ref], from_badge=holder, to_badge=badge,
                         reason="bench handover", by=holder, receiver_signs=True)
                done += 1
            except EnvironmentProblem:
                env += 1
            except LedgerError:
                refused += 1  # someone else took it between our read and our write
    finally:
        lg.dispose()
    return {"badge": badge, "done": done, "refused": refused, "environment": env}


if __name__ == "__main__":
    url, badge, items, seconds, start, seed = sys.argv[1:7]
    print(json.dumps(main(url, badge, int(items), float(seconds), float(start), int(seed))))
