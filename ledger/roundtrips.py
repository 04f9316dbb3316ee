"""Fewer round trips for one write, because the other writers wait for them.

Every write holds the chain-head lock from its first statement to its commit, so on
PostgreSQL the round trips it makes under the lock, not the work each statement does, set
how many officers can write per second. Here statements that need no answer in between go
in one psycopg pipeline: the lock with the rows the write will check (`Reads`), and the
rows it writes with the COMMIT (`queue_rows`, sent at the next other statement or at the
commit). Each statement still runs on its own, in order, with its own snapshot (READ
COMMITTED), so what is read after the lock is what the lock's last holder committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import Table, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

# An append this small is queued for the commit's round trip; a bulk one (an import) keeps
# SQLAlchemy's multi-row INSERTs, which the server runs faster than as many one-row statements.
PIPELINED_EVENTS = 64

_HEAD = "SELECT seq, hash, edge FROM chain_head WHERE id = 1 FOR UPDATE"
_LAST = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
_SETTING = "SELECT value FROM settings WHERE name = %s"
_FIRST = "SELECT salt, body FROM events WHERE seq = 1"
_MOVE_HEAD = "UPDATE chain_head SET seq = %(seq)s, hash = %(hash)s, root = %(root)s, edge = %(edge)s WHERE id = 1"


class HeadRow(NamedTuple):
    seq: int
    hash: str
    edge: str


class LastEvent(NamedTuple):
    seq: int
    hash: str


@dataclass(frozen=True)
class Reads:
    """The rows a write checks first: officers (with their enrolled keys) and items, as the
    user named them. They are read right after the chain-head lock is granted, in the same
    round trip; the write's own checks refuse names that are not badges or items."""

    officers: Sequence[str | None] = ()
    items: Sequence[str] = ()


def reads_under_lock(plan: Callable[..., Reads]):
    """Mark a write function with what it reads first: `plan` takes the function's arguments
    (all but the session) and returns the `Reads`."""
    def mark(fn):
        fn.reads_under_lock = plan
        return fn
    return mark


def planned_reads(fn, args: tuple, kwargs: dict) -> Reads | None:
    from ledger.errors import LedgerError

    plan = getattr(fn, "reads_under_lock", None)
    if plan is None:
        return None
    try:
        return plan(*args, **kwargs)
    except (LedgerError, TypeError, ValueError):
        return None  # the write itself refuses these arguments, with its own message


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _driver(session: Session):
    """The psycopg connection under the session's transaction."""
    return session.connection().connection.driver_connection


@contextmanager
def _as_sqlalchemy_errors(statement: str) -> Iterator[None]:
    # The callers (Ledger.write) tell lock timeouts, serialization failures and refused rows
    # apart by SQLAlchemy's exception classes, whichever way the statement was sent.
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


# -- the lock and the first reads --------------------------------------------------------
def head_and_last(session: Session, reads: Reads | None = None) -> tuple[HeadRow, LastEvent | None]:
    """Lock the chain head and read it, with the log's last event (to check that the head
    names it) and the rows `reads` names, which stay in the session for the write's checks.
    On PostgreSQL all in one round trip, with the seq from which events are signed, the seq
    from which signatures name the ledger's origin, and that origin (`ledger.events.
    signatures_from` and `ledger.identity.signing.message_to_sign` then read no more)."""
    from ledger.models import ChainHead, Event
    from ledger.rules.state import SIGNATURES_FROM, SIGNATURES_NAME_ORIGIN_FROM

    badges, nos = _names(reads)
    if not is_postgresql(session):
        row = session.execute(select(ChainHead.seq, ChainHead.hash, ChainHead.edge).where(ChainHead.id == 1)
                              .with_for_update()).one()
        last = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).one_or_none()
        _load(session, badges, nos)
        return HeadRow(*row), (LastEvent(*last) if last is not None else None)
    conn = _driver(session)
    reading = _row_reads(badges, nos)
    with _as_sqlalchemy_errors(_HEAD):
        with conn.pipeline():
            head, last, setting = conn.cursor(), conn.cursor(), conn.cursor()
            bound, first = conn.cursor(), conn.cursor()
            head.execute(_HEAD, prepare=False)
            last.execute(_LAST, prepare=False)
            setting.execute(_SETTING, (SIGNATURES_FROM,), prepare=False)
            bound.execute(_SETTING, (SIGNATURES_NAME_ORIGIN_FROM,), prepare=False)
            first.execute(_FIRST, prepare=False)
            cursors = []
            for _model, sql, param in reading:
                cursors.append(conn.cursor())
                cursors[-1].execute(sql, (param,), prepare=False)
        row, last_row, setting_row = head.fetchone(), last.fetchone(), setting.fetchone()
        bound_row, first_row = bound.fetchone(), first.fetchone()
        fetched = [cur.fetchall() for cur in cursors]
    if "signatures_from" not in session.info:
        session.info["signatures_from"] = int(setting_row[0]) if setting_row is not None else None
    if "origin_from" not in session.info:
        session.info["origin_from"] = int(bound_row[0]) if bound_row is not None else None
    if "origin" not in session.info and first_row is not None:
        session.info["origin"] = _origin(*first_row)
    for (model, _sql, _param), rows in zip(reading, fetched, strict=True):
        _adopt(session, model, rows)
    return HeadRow(*row), (LastEvent(*last_row) if last_row is not None else None)


def _origin(salt: str, body: str) -> str:
    from ledger.log.checkpoints import origin_from_leaf
    from ledger.log.merkle import leaf_commitment

    return origin_from_leaf(leaf_commitment(bytes.fromhex(salt), body.encode("utf-8")))


def _names(reads: Reads | None) -> tuple[list[str], list[int]]:
    """The badges and item numbers `reads` names, as the checks will look them up."""
    from ledger.errors import LedgerError
    from ledger.itemview import parse_item_ref
    from ledger.validate import check_badge

    if reads is None:
        return [], []
    badges: set[str] = set()
    for badge in reads.officers:
        try:
            badges.add(check_badge(badge))
        except LedgerError:
            continue
    nos = {parse_item_ref(ref) for ref in reads.items if isinstance(ref, str)}
    return sorted(badges), sorted(no for no in nos if no is not None)


def _row_reads(badges: list[str], nos: list[int]) -> list[tuple[type, str, list]]:
    from ledger.models import Item, Officer, OfficerKey

    out = []
    for model, key, values in ((Officer, "badge", badges), (OfficerKey, "badge", badges), (Item, "no", nos)):
        if values:
            table = model.__table__
            names = ", ".join(c.name for c in table.c)
            out.append((model, f"SELECT {names} FROM {table.name} WHERE {key} = ANY(%s)", values))  # noqa: S608 - names from the metadata
    return out


def _adopt(session: Session, model, rows: list[tuple]) -> None:
    """Rows read outside the ORM, put into the session as if a query had loaded them."""
    columns = _attributes(model)
    held = session.info.setdefault("read_under_lock", [])
    for row in rows:
        obj = model(**dict(zip(columns, row, strict=True)))
        make_transient_to_detached(obj)
        key = identity_key(instance=obj)
        if key in session.identity_map:
            continue  # what the session already holds wins, as with a query
        session.add(obj)
        held.append(obj)  # the identity map holds its objects weakly


@cache
def _attributes(model) -> list[str]:
    """The mapped attribute of each column, in the table's column order (as _row_reads reads them)."""
    mapper = sa_inspect(model)
    return [mapper.get_property_by_column(column).key for column in model.__table__.c]


def _load(session: Session, badges: list[str], nos: list[int]) -> None:
    from ledger.models import Item, Officer, OfficerKey

    held = session.info.setdefault("read_under_lock", [])
    if badges:
        held.extend(session.scalars(select(Officer).where(Officer.badge.in_(badges))))
        held.extend(session.scalars(select(OfficerKey).where(OfficerKey.badge.in_(badges))))
    if nos:
        held.extend(session.scalars(select(Item).where(Item.no.in_(nos))))


def items_by_number(session: Session, nos: Sequence[int]) -> dict:
    """The items rows numbered `nos` that exist, by number: those read under the lock from
    the session, the others with one query."""
    from ledger.models import Item

    found = {}
    for no in nos:
        obj = session.identity_map.get(identity_key(Item, no))
        if obj is not None:
            found[no] = obj
    rest = [no for no in nos if no not in found]
    if rest:
        found.update((i.no, i) for i in session.scalars(select(Item).where(Item.no.in_(rest))))
    return found


# -- the writes, with the commit ---------------------------------------------------------
def append_rows(session: Session, events: Sequence[dict], head: dict, signatures: Sequence[dict],
                links: Sequence[dict]) -> bool:
    """Queue the rows of an append (events, the moved head, signatures, item links) on
    PostgreSQL. False, having done nothing, where the caller's own path is the better one:
    SQLite (no network), or a bulk append."""
    from ledger.models import Event, EventItem, EventSignature

    if not is_postgresql(session) or len(events) > PIPELINED_EVENTS:
        return False
    queue_rows(session, _insert(Event.__table__, events[0]), events)
    queue_rows(session, _MOVE_HEAD, [head])
    if signatures:
        queue_rows(session, _insert(EventSignature.__table__, signatures[0]), signatures)
    if links:
        queue_rows(session, _insert(EventItem.__table__, links[0]), links)
    return True


def update_items(session: Session, nos: Sequence[int], values: dict) -> None:
    """Set `values` on the items rows numbered `nos` (queued on PostgreSQL)."""
    from sqlalchemy import update

    from ledger.models import Item

    if not is_postgresql(session):
        session.execute(update(Item).where(Item.no.in_(nos)).values(**values)
                        .execution_options(synchronize_session=False))
        return
    table = Item.__table__
    sets = ", ".join(f"{table.c[key].name} = %({key})s" for key in values)
    queue_rows(session, f"UPDATE {table.name} SET {sets} WHERE no = ANY(%(nos_)s)",  # noqa: S608 - names from the metadata
               [{**values, "nos_": list(nos)}])


def _insert(table: Table, row: dict) -> str:
    names = [table.c[key].name for key in row]  # a key that is not a column stops here
    return (f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 - names from the metadata
            f"VALUES ({', '.join(f'%({key})s' for key in row)})")


def queue_rows(session: Session, sql: str, rows: Sequence[dict]) -> None:
    """Queue one statement and its rows for this transaction. The queue goes to the server
    before any other statement the session sends through SQLAlchemy (so every later read sees
    these rows), and at the latest with the COMMIT (`commit`). Code that sends statements on
    the driver's own connection inside a write must call `send_queued_on` first, as
    `ledger.items.bulk_insert` does before its COPY."""
    conn = session.connection()
    queue = session.info.get("queued")
    if queue is None:
        queue = session.info["queued"] = []
        event.listen(session, "before_commit", send_queued)
        event.listen(session, "after_transaction_end", _forget_queue)
    if session.info.get("queued_on") is not conn:
        session.info["queued_on"] = conn
        event.listen(conn, "before_cursor_execute", lambda *_args: send_queued(session))
    conn.info["send_queued"] = lambda: send_queued(session)
    queue.append((sql, rows))


def _forget_queue(session: Session, transaction) -> None:
    # Rolled back or committed, the rows of that transaction must never go into another one.
    if transaction.parent is None:
        if session.info.get("queued"):
            session.info["queued"].clear()
        conn = session.info.get("queued_on")
        if conn is not None:
            conn.info.pop("send_queued", None)


def send_queued_on(conn) -> None:
    """Before a statement sent on the driver's own connection (a COPY): what is queued first."""
    send = conn.info.get("send_queued")
    if send is not None:
        send()


def _send(conn, queue: list) -> None:
    # Row by row inside the pipeline, unprepared: psycopg's executemany prepares its statement,
    # and every later ROLLBACK on the connection (each reader ends with one) then costs a
    # DEALLOCATE ALL round trip.
    cur = conn.cursor()
    for sql, rows in queue:
        for row in rows:
            cur.execute(sql, row, prepare=False)


def send_queued(session: Session) -> None:
    """Send what is queued now, in one round trip."""
    queue = session.info.get("queued")
    if not queue:
        return
    conn = _driver(session)
    pending, queue[:] = list(queue), []
    with _as_sqlalchemy_errors(pending[0][0]):
        with conn.pipeline():
            _send(conn, pending)


def commit(session: Session) -> None:
    """Commit the session, the queued rows and the COMMIT in one round trip on PostgreSQL."""
    if session.info.get("queued"):
        session.flush()  # objects added to the session go first: the queue is sent before them
    queue = session.info.get("queued")
    if queue:
        conn = _driver(session)
        pending, queue[:] = list(queue), []
        with _as_sqlalchemy_errors(pending[0][0]):
            with conn.pipeline():
                _send(conn, pending)
                conn.commit()
    session.commit()  # the driver has committed: this only ends the session's transaction
