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
from secrets import token_bytes
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger import roundtrips
from ledger.errors import RuleError, VerificationFailed
from ledger.i18n import _
from ledger.log.format import FORMAT_VERSION, GENESIS_HASH, MAX_SAFE_INTEGER, SALT_BYTES
from ledger.models import ChainHead, Event, EventItem, EventSignature, insert_rows
from ledger.rules.identity import INITIALIZED, LOG_UPGRADED, SIGNATURES_REQUIRED

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_PLAIN = (str, type(None))  # exact types that need no look inside


def canonical_json(obj: object) -> bytes:
    """The exact bytes that are hashed: RFC 8785 (JCS) for the values bodies hold. Keys are
    ASCII (so sorting by code point is JCS's sorting by UTF-16 unit), numbers are integers
    within ECMAScript's safe range, strings are escaped as JCS escapes them (only quote,
    backslash and control characters), and the text is UTF-8 without whitespace."""
    _check_values(obj)
    return _ENCODER.encode(obj).encode("utf-8")


def _check_values(obj: object) -> None:
    # Called once per event; the exact-type test skips the common leaves cheaply.
    kind = type(obj)
    if kind in _PLAIN:
        return
    if kind is int:
        if -MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER:
            return
        raise TypeError(f"integer {obj} is beyond the range event bodies carry exactly")
    if kind is bool:
        return
    if kind is dict:
        for key, value in obj.items():
            if type(key) is not str or not key.isascii():
                raise TypeError(f"event body keys are ASCII strings, not {key!r}")
            if type(value) not in _PLAIN:
                _check_values(value)
        return
    if kind is list or kind is tuple:
        for value in obj:
            if type(value) not in _PLAIN:
                _check_values(value)
        return
    raise TypeError(f"event bodies carry strings, integers, booleans, null, lists and objects, not {kind.__name__}")


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Appended(NamedTuple):
    seq: int
    hash: str
    occurred_at: str
    recorded_at: str


def lock_head(session: Session, reads: roundtrips.Reads | None = None) -> ChainHead:
    """Take the writer's lock on the chain head (PostgreSQL row lock; SQLite already holds
    its write lock from BEGIN IMMEDIATE) and remember the head for this transaction; read
    the rows `reads` names right after it (see ledger.roundtrips)."""
    head = session.info.get("chain_head")
    if head is None:
        row, last = roundtrips.head_and_last(session, reads)
        head = {"seq": row.seq, "hash": row.hash, "edge": row.edge}
        # A head moved by hand would make this write collide with an event already stored or
        # leave a gap; one primary-key lookup finds it before anything is written.
        expected = (last.seq, last.hash) if last is not None else (0, GENESIS_HASH)
        if (row.seq, row.hash) != expected:
            raise VerificationFailed(
                _("The chain head (seq {head}) does not name the last event of the log (seq {last}); the ledger was "
                  "changed outside this program, and nothing was written.").format(head=row.seq, last=expected[0]),
                hint=_("Run 'evidence verify', and restore the ledger from a backup."),
            )
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


@dataclass(frozen=True)
class NewEvent:
    """One event to append with `append_events`; `items` are (number, evidence id) pairs."""

    type: str
    data: dict
    actor: str | None
    occurred_at: str | None = None
    case_no: str | None = None
    items: Sequence[tuple[int, str]] = ()


def signatures_from(session: Session) -> int | None:
    """The first seq every event must be signed from (None: the log has no admin yet, or it
    predates signatures and `db upgrade` has not fixed that seq), once per transaction."""
    from ledger.models import Setting
    from ledger.rules.state import SIGNATURES_FROM

    if "signatures_from" not in session.info:
        row = session.get(Setting, SIGNATURES_FROM)
        session.info["signatures_from"] = int(row.value) if row is not None else None
    return session.info["signatures_from"]


def _unsigned_refusal(session: Session, head_seq: int, ev: NewEvent) -> RuleError:
    if head_seq == 0:
        return RuleError(_("This ledger has no admin yet, so nobody is authorised to write in it."),
                         hint=_("Start it with 'evidence init --admin BADGE --name NAME', which also makes the "
                                "admin's key."))
    return RuleError(_("This ledger was made before officers signed their events, and a {type} event must now be "
                       "signed.").format(type=ev.type),
                     hint=_("Run 'evidence db upgrade', then 'evidence init --admin BADGE --name NAME'."))


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
    [appended] = append_events(
        session,
        [NewEvent(type, data, actor, occurred_at, case_no, list(items))],
        link_items=link_items, recorded_at=recorded_at,
    )
    return appended


def append_events(
    session: Session,
    events: Sequence[NewEvent],
    *,
    link_items: bool = True,
    recorded_at: str | None = None,
) -> list[Appended]:
    """Append events in order after the head, chaining them in Python and writing them with
    one executemany: the bulk path (an import of 100,000 items) and the single path share
    these bytes. All events of one call carry the same recorded time."""
    from ledger.validate import utc_iso

    if not events:
        return []
    head = lock_head(session)
    if session.new or session.dirty or session.deleted:
        session.flush()  # keep the order of writes the ORM would have kept
    from ledger.log.merkle import RightEdge, leaf_commitment
    from ledger.rules.identity import NEVER_SIGNED, UNSIGNED_TYPES

    seq, prev = head["seq"], head["hash"]
    required_from = signatures_from(session)
    from ledger.identity.signing import ActSigner

    act = session.info.get("act")  # an act open over several appends (signing.one_act), or this append's own
    signer = act or ActSigner(session)
    edge = head["edge"] if isinstance(head["edge"], RightEdge) else RightEdge.from_text(head["edge"])
    recorded = recorded_at or utc_iso(now_utc())
    rows: list[dict] = []
    out: list[Appended] = []
    links: list[dict] = []
    for ev in events:
        seq += 1
        occurred = ev.occurred_at or recorded
        body = build_body(
            seq=seq, type=ev.type, recorded_at=recorded, occurred_at=occurred, actor=ev.actor,
            case_no=ev.case_no, items=[item_id for _, item_id in ev.items], data=ev.data,
        )
        digest = chain_hash(prev, body)
        salt = token_bytes(SALT_BYTES)
        leaf = leaf_commitment(salt, body)
        edge.append(leaf)
        if required_from is None and ev.type == INITIALIZED:
            required_from = session.info["signatures_from"] = seq
        if required_from is not None and seq >= required_from and ev.type not in NEVER_SIGNED:
            signer.add(seq, leaf, ev.type, ev.actor, ev.data)
        elif ev.type not in UNSIGNED_TYPES:
            raise _unsigned_refusal(session, head["seq"], ev)
        _decide(session, seq, occurred, ev, digest, salt.hex())
        rows.append({
            "seq": seq, "recorded_at": recorded, "occurred_at": occurred, "actor": ev.actor, "type": ev.type,
            "case_no": ev.case_no, "body": body.decode("utf-8"), "prev_hash": prev, "hash": digest,
            "salt": salt.hex(),
        })
        if link_items:
            links.extend({"seq": seq, "item_no": no} for no, _ in ev.items)
        out.append(Appended(seq=seq, hash=digest, occurred_at=occurred, recorded_at=recorded))
        prev = digest
    signatures = [] if act is not None else signer.rows()  # one signature per act (FORMAT.md 1.6.1)
    moved = {"seq": seq, "hash": prev, "root": edge.root().hex(), "edge": edge.to_text()}
    if not roundtrips.append_rows(session, rows, moved, signatures, links):
        conn = session.connection()
        insert_rows(conn, Event.__table__, rows)
        conn.execute(update(ChainHead.__table__).where(ChainHead.__table__.c.id == 1).values(**moved))
        if signatures:
            insert_rows(conn, EventSignature.__table__, signatures)
        if links:
            insert_rows(conn, EventItem.__table__, links)
    head["seq"], head["hash"], head["edge"] = seq, prev, edge
    return out


def _decide(session: Session, seq: int, occurred: str, ev: NewEvent, digest: str, salt: str = "") -> None:
    """The act through the rulebook, on the state the tables hold (and this transaction's
    events so far changed): refused, before anything is written, where a verifier would find
    the event breaking a rule. The commands check first and explain in their own words; this
    is the one decision every one of them goes through."""
    from ledger.current import current_state
    from ledger.rules import Event as RulesEvent
    from ledger.rules import step

    problems = step(current_state(session), RulesEvent(seq, ev.type, occurred, ev.actor, ev.case_no,
                                                       [item_id for _, item_id in ev.items], ev.data, digest, salt))
    if problems:
        shown = [f"{p.item + ': ' if p.item else ''}{p.message} [{p.rule}]" for p in problems]
        raise RuleError(_("The ledger's rules refuse this {type} event, so nothing was written: {problem}").format(
            type=ev.type, problem=shown[0]), details=shown[1:],
            hint=_("See docs/FORMAT.md section 5 for the rule; 'evidence item history ITEM' shows the item's record."))


def link_event_items(session: Session, seq: int, item_nos: Iterable[int]) -> None:
    rows = [{"seq": seq, "item_no": no} for no in item_nos]
    if rows:
        insert_rows(session.connection(), EventItem.__table__, rows)


def head_of(session: Session) -> tuple[int, str]:
    row = session.execute(select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == 1)).one()
    return row.seq, row.hash


def record_format_upgrade(session: Session) -> dict | None:
    """After the migration to format 2: if the log's last event is a format 1 body, append the
    `log.upgraded` event that records the format 1 head. Nothing when already done or new."""
    last = session.execute(select(Event.seq, Event.hash, Event.body).order_by(Event.seq.desc()).limit(1)).one_or_none()
    if last is None or json.loads(last.body).get("v") != 1:
        return None
    head = f"{last.seq}:{last.hash}"
    ev = append_event(session, LOG_UPGRADED, {"from": 1, "to": FORMAT_VERSION, "format_1_head": head}, actor=None)
    return {"seq": ev.seq, "format_1_head": head}


def record_signatures_required(session: Session) -> dict | None:
    """After the migration to signed events: a log made before them records from which seq
    every event must be signed (the next one). Nothing when already done, or for a new ledger
    (its first event, `evidence init`, starts the signed log)."""
    from ledger.models import Setting
    from ledger.rules import state as replay

    if signatures_from(session) is not None:
        return None
    if session.execute(select(Event.seq).limit(1)).first() is None:
        return None
    lock_head(session)
    from_seq = session.info["chain_head"]["seq"] + 2
    ev = append_event(session, SIGNATURES_REQUIRED, {"from": from_seq}, actor=None)
    session.add(Setting(**replay.setting_row(ev.seq, "signatures_from", str(from_seq))))
    session.info["signatures_from"] = from_seq
    session.flush()
    return {"seq": ev.seq, "signatures_from": from_seq}


def record_origin_binding(session) -> dict | None:
    """After `evidence db upgrade`: a log whose events were signed before signatures named the
    ledger's origin records, in an `identity.signatures_name_origin` event the program appends
    unsigned, that every signature from the next seq names it. Nothing when that seq is fixed
    already, or when no event is signed yet (the `identity.initialized` that starts signing
    fixes it itself)."""
    from ledger.identity.signing import origin_bound_from
    from ledger.log.checkpoints import ledger_origin
    from ledger.models import Setting
    from ledger.rules.identity import SIGNATURES_NAME_ORIGIN
    from ledger.rules.state import SIGNATURES_NAME_ORIGIN_FROM, setting_row

    start = signatures_from(session)
    if origin_bound_from(session) is not None or start is None:
        return None
    head = lock_head(session)["seq"]
    if head < start:
        return None
    ev = append_event(session, SIGNATURES_NAME_ORIGIN, {"from": head + 2}, actor=None)
    session.add(Setting(**setting_row(ev.seq, SIGNATURES_NAME_ORIGIN_FROM, str(ev.seq + 1))))
    session.info["origin_from"] = ev.seq + 1
    session.flush()
    return {"seq": ev.seq, "from": ev.seq + 1, "origin": ledger_origin(session)}
