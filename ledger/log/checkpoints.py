"""The log's head as a C2SP checkpoint: origin, tree size and root, from the chain head row.

The origin names this ledger among all others: the first event's leaf hash (its salt is
random), so it is derived from the log like everything else and never changes. Here too: the
root of the log's first N events, and consistency proofs from a kept checkpoint to now.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import InputError, LedgerError, RuleError, VerificationFailed
from ledger.i18n import _
from ledger.log.merkle import RightEdge, Tree, leaf_commitment
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


# --------------------------------------------------------------------------- this ledger's trees

_BATCH = 5000


def _leaf_hashes(session: Session, size: int) -> Iterator[bytes]:
    """Leaves 1..size rebuilt from the events' salts and bodies, in seq order, a batch at a time."""
    last = 0
    while last < size:
        rows = session.execute(select(Event.seq, Event.salt, Event.body)
                               .where(Event.seq > last, Event.seq <= size).order_by(Event.seq).limit(_BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield leaf_commitment(bytes.fromhex(row.salt), row.body.encode("utf-8"))
        last = rows[-1].seq


def root_at(session: Session, size: int) -> tuple[int, bytes]:
    """(leaves found, root) of the tree of this log's first `size` events, from the events
    themselves (not from the head row), in O(log n) memory."""
    edge = RightEdge()
    for leaf in _leaf_hashes(session, size):
        edge.append(leaf)
    return edge.size, edge.root()


def _check_origin(session: Session, checkpoint, what: str) -> None:
    ours = ledger_origin(session)
    if checkpoint.origin != ours:
        raise InputError(_("{what} is a checkpoint of the log {theirs}, not of this ledger ({ours}).").format(
            what=what, theirs=checkpoint.origin, ours=ours),
            hint=_("Give a checkpoint this ledger wrote."))


def _not_contained(what: str, checkpoint, size: int, root: bytes | None) -> VerificationFailed:
    if root is None:
        return VerificationFailed(
            _("{what} has tree size {size}, but this log has only {events} events: this ledger does not contain "
              "it.").format(what=what, size=checkpoint.size, events=size),
            hint=_("Events were removed from this ledger since, or the checkpoint is of another copy of it; keep the "
                   "file and run 'evidence verify --since' with it."))
    return VerificationFailed(
        _("{what} has root {theirs} at size {size}, but this ledger's first {size} events have root {ours}: this "
          "ledger does not contain it.").format(what=what, theirs=checkpoint.root.hex(), size=checkpoint.size,
                                                ours=root.hex()),
        hint=_("The log was rewritten, or the checkpoint is of a forked copy of it; keep the file and run 'evidence "
               "verify --since' with it."))


def require_contained(session: Session, checkpoint, what: str) -> None:
    """Refuse (exit 3, naming both roots) a checkpoint whose root is not the root of this
    ledger's first SIZE events; another ledger's checkpoint is refused with exit 1."""
    _check_origin(session, checkpoint, what)
    found, root = root_at(session, checkpoint.size)
    if found < checkpoint.size:
        raise _not_contained(what, checkpoint, found, None)
    if root != checkpoint.root:
        raise _not_contained(what, checkpoint, found, root)


def prove_consistency(session: Session, old, what: str = "--from", *, to=None, tree: Tree | None = None):
    """The consistency proof (`ledger.log.consistency.ConsistencyProof`) from the checkpoint
    `old` to `to` (default: the current checkpoint), both of which this ledger must contain.
    `tree`, when the caller holds it already, is the tree of the log's current leaves."""
    from ledger.log.consistency import ConsistencyProof

    current = current_checkpoint(session)
    to = current if to is None else to
    _check_origin(session, old, what)
    if tree is None:
        tree = Tree(list(_leaf_hashes(session, current.size)))
        if tree.size != current.size or tree.root() != current.root:
            raise VerificationFailed(
                _("The events of the log give the root {root} at size {size}, not the chain head's {expected}; no "
                  "proof was made.").format(root=tree.root().hex(), size=tree.size, expected=current.root.hex()),
                hint=_("Run 'evidence verify' and explain its findings first."))
    if old.size > to.size:
        raise _not_contained(what, old, to.size, None)
    if tree.root(old.size) != old.root:
        raise _not_contained(what, old, old.size, tree.root(old.size))
    return ConsistencyProof(old.size, tuple(tree.consistency_proof(old.size, to.size)), to)


def proof_to_current(session: Session, since, proof) -> tuple[object, list]:
    """`verify --since OLD --proof FILE`: (the current checkpoint, the findings of checking the
    proof from OLD to it), from the roots alone: no event is read."""
    from ledger.findings import Finding
    from ledger.log.consistency import check_extends

    findings = []
    current = current_checkpoint(session)
    try:
        check_extends(since, current, proof)
    except LedgerError as exc:
        findings.append(Finding("head", None, None, exc.message))
    return current, findings


def log_key_name(session: Session) -> str:
    """The name of the ledger's own key: its origin (C2SP: the log's key is named by it)."""
    origin = ledger_origin(session)
    if origin is None:
        raise RuleError(_("The log is empty, so it has no origin to name its key by yet."),
                        hint=_("Start the ledger first (evidence init ...), then make its key."))
    return origin


def check_log_key_name(name: str, origin: str, path) -> None:
    """A log key (named evidence-ledger/...) signs only its own ledger's checkpoints."""
    if name.startswith(ORIGIN_PREFIX) and name != origin:
        raise InputError(_("Key file {path} is the log key of {theirs}, not of this ledger ({ours}); it would sign "
                           "another log's name.").format(path=path, theirs=name, ours=origin),
                         hint=_("Sign with this ledger's log key (evidence key generate --log), or an auditor's."))
