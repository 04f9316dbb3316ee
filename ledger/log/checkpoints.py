"""The log's head as a C2SP checkpoint: origin, tree size and root, from the chain head row.

The origin names this ledger among all others: the first event's leaf hash (its salt is
random), so it is derived from the log like everything else and never changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import RuleError
from ledger.i18n import _
from ledger.log.merkle import leaf_commitment
from ledger.models import ChainHead, Event

ORIGIN_PREFIX = "evidence-ledger/"


def origin_from_leaf(first_leaf: bytes) -> str:
    return ORIGIN_PREFIX + first_leaf.hex()[:16]


def ledger_origin(session: Session) -> str | None:
    row = session.execute(select(Event.salt, Event.body).where(Event.seq == 1)).one_or_none()
    if row is None:
        return None
    return origin_from_leaf(leaf_commitment(bytes.fromhex(row.salt), row.body.encode("utf-8")))


def current_checkpoint(session: Session):
    """The checkpoint of the log as it stands (a `ledger.log.note.Checkpoint`)."""
    from ledger.log.note import Checkpoint

    head = session.execute(select(ChainHead.seq, ChainHead.root).where(ChainHead.id == 1)).one()
    origin = ledger_origin(session)
    if origin is None:
        raise RuleError(_("The log is empty, so it has no checkpoint yet."),
                        hint=_("Record something first (evidence officer add ...), then ask for the checkpoint."))
    return Checkpoint(origin, head.seq, bytes.fromhex(head.root))
