"""The case index: what lets a case bundle prove that it holds every event of its case.

Before a case bundle is cut, the program appends `log.case_index`, a ledger-wide event nobody
signs, whose data is the root of a small RFC 6962 tree: one entry per case (how many of its
events come before the index, and the last one's seq), each behind a key only a holder of
that case's `case.opened` line can compute, and one entry for the ledger-wide events. A bundle
shows its case's entry and the ledger-wide one under that root, and nothing of any other case
(docs/FORMAT.md 4.2). The rule: an index's root is exactly the one the events before it give.
"""

from __future__ import annotations

import hashlib

from ledger.rules import data
from ledger.rules.book import Event, Rule, define, problem
from ledger.rules.state import State, canonical_text
from ledger.rules.text import _

CASE_INDEX = "log.case_index"
# SHA-256(KEY_CONTEXT || salt of the case's case.opened event): the key of its entry.
KEY_CONTEXT = b"evidence-ledger case index key v1\n"
LEDGER_KEY = bytes(32)  # the ledger-wide entry hides nothing: every bundle holds those events
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def case_key(salt_hex: str) -> bytes:
    """A case's key, from the salt of the event that opened it (all zeros where none is known)."""
    try:
        salt = bytes.fromhex(salt_hex)
    except (TypeError, ValueError):
        return LEDGER_KEY
    return hashlib.sha256(KEY_CONTEXT + salt).digest() if len(salt) == 32 else LEDGER_KEY


def entry(case: str | None, count: int, last: int) -> bytes:
    """An entry as hashed: {"case":…,"events":…,"last":…} in canonical JSON (case null for
    the ledger-wide events)."""
    return canonical_text({"case": case, "events": count, "last": last}).encode("utf-8")


def entry_leaf(key: bytes, case: str | None, count: int, last: int) -> bytes:
    """SHA-256(0x00 || key || entry): an entry committed behind its key, as an event's leaf is
    behind its salt."""
    return hashlib.sha256(LEAF_PREFIX + key + entry(case, count, last)).digest()


def tree_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hashlib.sha256(NODE_PREFIX + tree_root(leaves[:split]) + tree_root(leaves[split:])).digest()


def index_leaves(cases: dict, wide: tuple[int, int], keys: dict) -> list[bytes]:
    """The index's leaves, sorted by their hashes (so a leaf's place tells nothing of the case
    numbers): one per case in `cases` (case -> (count, last seq)), keyed by `keys` (case ->
    key), and the ledger-wide entry `wide` (count, last seq)."""
    leaves = [entry_leaf(keys.get(case, LEDGER_KEY), case, count, last) for case, (count, last) in cases.items()]
    leaves.append(entry_leaf(LEDGER_KEY, None, wide[0], wide[1]))
    return sorted(leaves)


def expected_index(state: State, before: int) -> tuple[str, int]:
    """(root hex, entries) of the index the events before seq `before` give."""
    cases, wide, keys = state.index_view(before)
    leaves = index_leaves(cases, wide, keys)
    return tree_root(leaves).hex(), len(leaves)


def check_index(state: State, ev: Event, out: list, _states) -> None:
    if ev.actor is not None or ev.case is not None or ev.items:
        problem(out, "case-index", ev, _("{type} names an actor, a case or items, but the program records it alone, "
                                         "with no officer acting.").format(type=ev.type))
    if not state.every_case:  # one case's events: its bundle checks its own entry instead
        return
    root, entries = expected_index(state, ev.seq)
    if ev.data["root"] != root or ev.data["entries"] != entries:
        problem(out, "case-index", ev, _("{type} says root {said} over {said_n} entries, but the events before it give "
                                         "root {root} over {n}: the index is forged, or was computed over another "
                                         "log.").format(type=ev.type, said=ev.data["root"], said_n=ev.data["entries"],
                                                        root=root, n=entries))


def _nothing(*_args) -> None:
    return None


define(Rule(CASE_INDEX, None, check_index, _nothing, data=data.CaseIndex))
