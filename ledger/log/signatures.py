"""The message an officer's Ed25519 signature of an event covers (docs/FORMAT.md 1.6).

Standard library only, and nothing of the application: the ledger's writer, `verify` and the
bundle's verify.py build the message here, so they cannot disagree about its bytes.

A signature names the ledger it was made in (its origin, section 1.4) as well as the event's
leaf, so a signature made in another ledger (a training copy started on its own, with the
same officers' keys) never verifies in this one. Signatures made before a ledger bound them to
its origin keep the message they were made over (`v1`); which one applies at a seq is fixed by
the log itself (`identity.initialized` with `signatures_name_origin`, or the
`identity.signatures_name_origin` event `evidence db upgrade` appends).
"""

from __future__ import annotations

# Domain separation: an event signature can never be mistaken for a note or checkpoint signature.
CONTEXT_V1 = b"evidence-ledger event signature v1\n"
CONTEXT_V2 = b"evidence-ledger event signature v2\n"


def event_message(leaf: bytes, origin: str | None = None) -> bytes:
    """The signed message of the event whose leaf commitment is `leaf`: with `origin` (a ledger
    whose signatures name it, from the seq it fixes), `v2 context || origin || LF || leaf`;
    without (a signature made before that seq), `v1 context || leaf`."""
    if origin is None:
        return CONTEXT_V1 + leaf
    return CONTEXT_V2 + origin.encode("utf-8") + b"\n" + leaf


def names_origin(seq: int, origin_from: int | None) -> bool:
    """Whether the signatures of event `seq` name the origin, in a log whose signatures name it
    from seq `origin_from` (None: they never did yet)."""
    return origin_from is not None and seq >= origin_from
