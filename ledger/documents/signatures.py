"""Who signed the acts a court paper shows, checked before the paper says so.

A document that prints "signed by X with key K, verified" must have checked it: the reader of
every court document (`ledger.verify.require_verified`) checks each event of the case and every
ledger-wide one, their rules and their signatures over their leaves with the keys the log
itself enrolled, before anything is made; a signature that fails stops the document there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Event, EventSignature, Setting
from ledger.rules.custody import required_signers
from ledger.rules.state import SIGNATURES_FROM


@dataclass(frozen=True)
class Signer:
    """One signature an event carries, checked: the officer and the id of the key that made it."""

    badge: str
    key_id: str


@dataclass(frozen=True)
class EventSignatures:
    """The checked signatures of one event, actor first; `required` is False for an event the
    ledger recorded before it required signatures (it carries none)."""

    seq: int
    signers: tuple[Signer, ...]
    required: bool


def checked_signatures(session: Session, seqs: Iterable[int]) -> dict[int, EventSignatures]:
    """The signatures of the events `seqs` as the ledger holds them, each actor first. The
    document's reader has checked them already: `ledger.verify.require_verified` checks every
    event of the case and every ledger-wide one (their rules and their signatures, with the keys
    the log enrolled) before any court document is made, so this only reads who signed."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    start_row = session.get(Setting, SIGNATURES_FROM)
    start = int(start_row.value) if start_row is not None else None
    stored: dict[int, dict[str, str]] = {}
    actors: dict[int, tuple[str | None, dict]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for row in session.scalars(select(EventSignature).where(EventSignature.seq.in_(chunk))):
            stored.setdefault(row.seq, {})[row.signer] = row.key_id
        for seq, actor, body in session.execute(select(Event.seq, Event.actor, Event.body).where(Event.seq.in_(chunk))):
            actors[seq] = (actor, json.loads(body).get("data") or {})
    out: dict[int, EventSignatures] = {}
    for seq in wanted:
        if start is None or seq < start:
            out[seq] = EventSignatures(seq, (), False)
            continue
        actor, data = actors[seq]
        signed = stored.get(seq, {})
        out[seq] = EventSignatures(seq, tuple(Signer(b, signed[b]) for b in required_signers(actor, data)
                                              if b in signed), True)
    return out
