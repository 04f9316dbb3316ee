"""What a forger who knows the format does after changing the `events` table of an SQLite
ledger (docs/auditors.md, section 5): recompute every event's prev_hash and hash in order, the
Merkle tree and the chain_head row, so that the log looks intact to anyone who checks only the
database. The officers' signatures cannot be recomputed without their keys, and a head or a
checkpoint kept outside the database cannot be changed at all.

    python3 rehash.py LEDGER.db    (with the Python that evidence is installed in)
"""

import sqlite3
import sys

from ledger.events import chain_hash
from ledger.log.merkle import RightEdge, leaf_commitment

with sqlite3.connect(sys.argv[1]) as db:
    prev, edge, seq = "0" * 64, RightEdge(), 0
    rows = db.execute("SELECT seq, salt, body, prev_hash, hash FROM events ORDER BY seq").fetchall()
    for seq, salt, body, old_prev, old_hash in rows:
        digest = chain_hash(prev, body.encode())
        if (old_prev, old_hash) != (prev, digest):
            db.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        edge.append(leaf_commitment(bytes.fromhex(salt), body.encode()))
        prev = digest
    db.execute("UPDATE chain_head SET seq = ?, hash = ?, root = ?, edge = ?",
               (seq, prev, edge.root().hex(), edge.to_text()))
