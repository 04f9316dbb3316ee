"""Acts: the events one command writes, signed once (docs/FORMAT.md 1.6.1).

An act is a run of consecutive signed events; its signatures are stored on its last event, and
an event of the signed part that carries none belongs to the act of the next event that does.
An act of one event is signed as every event was before, over its leaf (FORMAT.md 1.6). An act
of several is signed over a commitment to exactly its events: the RFC 6962 root of its own
leaves, with its first and last seq and the ledger's origin. So an event moved out of an act or
into it, an act cut short or lengthened, or a signature moved to another act changes the
message, and no signature verifies.

Each event's required signers (its actor and the co-signers its body names) must sign the act
that contains it; the act's signers are theirs, in order of first appearance. Standard library
only: the writer, `verify` and the bundle's verify.py group and commit acts here.
"""

from __future__ import annotations

from bisect import bisect_left
from hashlib import sha256

from ledger.rules.custody import required_signers

# Domain separation: an act signature is never an event signature (v1, v2) nor a note's.
CONTEXT_V3 = b"evidence-ledger act signature v3\n"


def act_root(leaves: list[bytes]) -> bytes:
    """The RFC 6962 root of an act's leaf commitments (each already SHA-256(0x00 || salt ||
    body)): the same tree the log builds over all its leaves, over the act's alone."""
    if not leaves:
        raise ValueError("an act has at least one event")
    level = list(leaves)
    # Bottom-up, carrying an odd last node up unchanged: the same root as RFC 6962's recursive
    # split at the largest power of two below the size.
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def act_message(origin: str, first: int, last: int, root: bytes) -> bytes:
    """`v3 context || origin || LF || first (8 bytes, big-endian) || last (8 bytes) || root`."""
    return CONTEXT_V3 + origin.encode("utf-8") + b"\n" + first.to_bytes(8, "big") + last.to_bytes(8, "big") + root


def act_signers(required: list[list[str]]) -> list[str]:
    """Who signs an act: the required signers of each of its events (`required_signers`), each
    once, in order of first appearance."""
    return list(dict.fromkeys(badge for signers in required for badge in signers))


def event_signers(actor: str | None, data: dict) -> list[str]:
    """The signers one event needs (the rulebook's `required_signers`)."""
    return required_signers(actor, data)


def key_valid_for_act(added_seq: int, revoked_seq: int | None, first: int, last: int) -> bool:
    """A key signs an act when it is valid at every one of its events: enrolled at or before its
    first, not revoked before its last (a key revoked by the act's last event still signs it)."""
    return added_seq <= first and (revoked_seq is None or last <= revoked_seq)


def act_range(seq: int, bounds, start: int) -> tuple[int, int] | None:
    """The (first, last) seq of the act that holds event `seq` of the signed part (which starts at
    seq `start`), given `bounds`: in order, every seq that carries signatures (an act's last)
    and every event recorded unsigned inside the signed part (no act spans one); None when no
    signature follows it. An act's last is the first bound at or after `seq`; its first, the
    event after the bound before."""
    i = bisect_left(bounds, seq)
    if i == len(bounds):
        return None
    return max((bounds[i - 1] if i else 0) + 1, start), bounds[i]
