"""The hash chain: canonical event bodies, their SHA-256, and appending to the log.

Every change to the ledger passes through `append_event`, inside a transaction that has
already locked the chain head, so sequence numbers are gapless and the chain never forks.
docs/FORMAT.md describes these bytes for auditors who re-implement the check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ledger.models import ChainHead, Event, EventItem

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64


def canonical_json(obj: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no floats: the exact bytes that are hashed."""
    _refuse_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _refuse_floats(obj: object) -> None:
    if isinstance(obj, float):
        raise TypeError("event bodies carry numbers as strings or integers, never floats")
    if isinstance(obj, dict):
        for value in obj.values():
            _refuse_floats(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _refuse_floats(value)


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str
    occurred_at: str
    recorded_at: str


def lock_head(session: Session) -> ChainHead:
    """Take the writer's lock on the chain head (PostgreSQL row lock; SQLite already holds
    its write lock from BEGIN IMMEDIATE) and remember the head for this transaction."""
    head = session.info.get("chain_head")
    if head is None:
        row = session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == 1).with_for_update()).one()
        head = {"seq": row.seq, "hash": row.hash}
        session.info["chain_head"] = head
    return head


def build_body(
    *, seq: int, type: str, recorded_at: str, occurred_at: str, actor: str | None,
    case_no: str | None, items: Sequence[str], data: dict,
) -> bytes:
    return canonical_json(
        {
            "v": FORMAT_VERSION,
            "seq": seq,
            "type": type,
            "recorded_at": recorded_at,
            "occurred_at": occurred_at,
            "actor": actor,
            "case": case_no,
            "items": list(items),
            "data": data,
        }
    )


def append_event(
    session: Session,
    type: str,
    data: dict,
    *,
    actor: str | None,
    occurred_at: str | None = None,
    case_no: str | None = None,
    items: Iterable[tuple[int, str]] = (),
    link_items: bool = True,
    recorded_at: str | None = None,
) -> Appended:
    """Append one event after the head. `items` are (number, evidence id) pairs; when the
    item rows do not exist yet (registration), pass link_items=False and call `link_items`
    after inserting them."""
    from ledger.validate import utc_iso

    head = lock_head(session)
    items = list(items)
    seq = head["seq"] + 1
    recorded = recorded_at or utc_iso(now_utc())
    occurred = occurred_at or recorded
    body = build_body(
        seq=seq, type=type, recorded_at=recorded, occurred_at=occurred, actor=actor,
        case_no=case_no, items=[item_id for _, item_id in items], data=data,
    )
    digest = chain_hash(head["hash"], body)
    session.execute(
        insert(Event),
        [{
            "seq": seq, "recorded_at": recorded, "occurred_at": occurred, "actor": actor, "type": type,
            "case_no": case_no, "body": body.decode("utf-8"), "prev_hash": head["hash"], "hash": digest,
        }],
    )
    session.execute(update(ChainHead).where(ChainHead.id == 1).values(seq=seq, hash=digest))
    head["seq"], head["hash"] = seq, digest
    if items and link_items:
        link_event_items(session, seq, [no for no, _ in items])
    return Appended(seq=seq, hash=digest, occurred_at=occurred, recorded_at=recorded)


def link_event_items(session: Session, seq: int, item_nos: Iterable[int]) -> None:
    rows = [{"seq": seq, "item_no": no} for no in item_nos]
    if rows:
        session.execute(insert(EventItem), rows)


def head_of(session: Session) -> tuple[int, str]:
    row = session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == 1)).one()
    return row.seq, row.hash
