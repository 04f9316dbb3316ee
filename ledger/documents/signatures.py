"""Who signed the acts a court paper shows, checked before the paper says so.

A document that prints "signed by X with key K, verified" must have checked it: each event's
signatures are checked here over the event's leaf with the keys the log itself enrolled (learnt
from the ledger-wide events' bodies, which `ledger.verify.require_verified` has already checked
against their hashes), never with the keys table. A signature that fails stops the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import VerificationFailed
from ledger.i18n import _
from ledger.identity.signing import learn_signing, new_signing_state, required_signers, signature_problems
from ledger.log.merkle import leaf_commitment
from ledger.models import Event, EventSignature

KEY_EVENTS = ("identity.initialized", "identity.signatures_required", "officer.added", "officer.key_added",
              "officer.key_revoked")


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
    """The signatures of the events `seqs`, each checked; refuses (exit 3) when one is missing,
    made with a key not enrolled for its signer at that seq, or does not verify."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    signing = new_signing_state()
    for seq, body in session.execute(select(Event.seq, Event.body).where(Event.type.in_(KEY_EVENTS))
                                     .order_by(Event.seq)):
        learn_signing(signing, seq, json.loads(body))
    stored: dict[int, dict[str, tuple[str, str]]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for row in session.scalars(select(EventSignature).where(EventSignature.seq.in_(chunk))):
            stored.setdefault(row.seq, {})[row.signer] = (row.key_id, row.signature)
    out: dict[int, EventSignatures] = {}
    problems: list[str] = []
    start = signing["start"]
    for i in range(0, len(wanted), 500):
        rows = session.execute(select(Event.seq, Event.actor, Event.body, Event.salt)
                               .where(Event.seq.in_(wanted[i:i + 500])).order_by(Event.seq)).all()
        for seq, actor, body, salt in rows:
            signed = stored.get(seq, {})
            if start is None or seq < start:
                if signed:
                    problems.append(_("event {seq} carries signatures, but the ledger signs events only from seq "
                                      "{start} on.").format(seq=seq, start=start))
                out[seq] = EventSignatures(seq, (), False)
                continue
            data = json.loads(body).get("data") or {}
            signers = required_signers(actor, data)
            leaf = leaf_commitment(bytes.fromhex(salt), body.encode("utf-8"))
            found = signature_problems(seq, leaf, signers, signed, signing["keys"].get)
            problems += [_("event {seq} {problem}").format(seq=seq, problem=text) for _column, text in found]
            out[seq] = EventSignatures(seq, tuple(Signer(b, signed[b][0]) for b in signers if b in signed), True)
    if problems:
        raise VerificationFailed(
            _("The signatures of {n} event(s) the document would show do not verify against the log; nothing was "
              "made.").format(n=len(problems)), details=problems[:20],
            hint=_("Run 'evidence verify' and have the findings explained."))
    return out
