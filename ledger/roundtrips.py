"""Fewer round trips for one write, because the other writers wait for them.

Every write holds the chain-head lock from its first statement to its commit, so on
PostgreSQL the round trips it makes under the lock, not the work each statement does, set
how many officers can write per second. Here the statements that need no answer in
between go in one psycopg pipeline: each still runs on its own, in order, with its own
snapshot (READ COMMITTED), so what is read after the lock is what its last holder committed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# An append this small goes in one pipeline; a bulk one (an import) keeps SQLAlchemy's
# multi-row INSERTs, which the server runs faster than as many one-row statements.
PIPELINED_EVENTS = 64

_HEAD = "SELECT seq, hash, edge FROM chain_head WHERE id = 1 FOR UPDATE"
_LAST = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
_SETTING = "SELECT value FROM settings WHERE name = %s"
_MOVE_HEAD = "UPDATE chain_head SET seq = %(seq)s, hash = %(hash)s, root = %(root)s, edge = %(edge)s WHERE id = 1"


class HeadRow(NamedTuple):
    seq: int
    hash: str
    edge: str


class LastEvent(NamedTuple):
    seq: int
    hash: str


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


def head_and_last(session: Session) -> tuple[HeadRow, LastEvent | None]:
    """Lock the chain head and read it, with the log's last event (to check that the head
    names it). On PostgreSQL, also the seq from which events are signed, in the same round
    trip (`ledger.events.signatures_from` then reads no more)."""
    from ledger.identity.signing import SIGNATURES_FROM
    from ledger.models import ChainHead, Event

    if not is_postgresql(session):
        row = session.execute(select(ChainHead.seq, ChainHead.hash, ChainHead.edge).where(ChainHead.id == 1)
                              .with_for_update()).one()
        last = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).one_or_none()
        return HeadRow(*row), (LastEvent(*last) if last is not None else None)
    conn = _driver(session)
    with _as_sqlalchemy_errors(_HEAD):
        with conn.pipeline():
            head, last, setting = conn.cursor(), conn.cursor(), conn.cursor()
            head.execute(_HEAD)
            last.execute(_LAST)
            setting.execute(_SETTING, (SIGNATURES_FROM,))
        row, last_row, setting_row = head.fetchone(), last.fetchone(), setting.fetchone()
    if "signatures_from" not in session.info:
        session.info["signatures_from"] = int(setting_row[0]) if setting_row is not None else None
    return HeadRow(*row), (LastEvent(*last_row) if last_row is not None else None)


def append_rows(session: Session, events: Sequence[dict], head: dict, signatures: Sequence[dict],
                links: Sequence[dict]) -> bool:
    """Write the rows of an append (events, the moved head, signatures, item links) in one
    round trip on PostgreSQL. False, having written nothing, where the caller's own path
    is the better one: SQLite (no network), or a bulk append."""
    if not is_postgresql(session) or len(events) > PIPELINED_EVENTS:
        return False
    from ledger.models import Event, EventItem, EventSignature

    conn = _driver(session)
    statements = [(_insert(Event.__table__, events[0]), events), (_MOVE_HEAD, [head])]
    if signatures:
        statements.append((_insert(EventSignature.__table__, signatures[0]), signatures))
    if links:
        statements.append((_insert(EventItem.__table__, links[0]), links))
    with _as_sqlalchemy_errors(statements[0][0]):
        with conn.pipeline():
            cur = conn.cursor()
            for sql, rows in statements:
                if len(rows) == 1:
                    cur.execute(sql, rows[0])
                else:
                    cur.executemany(sql, rows)
    return True


def _insert(table: Table, row: dict) -> str:
    names = [table.c[key].name for key in row]  # a key that is not a column stops here
    return (f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 - names from the metadata
            f"VALUES ({', '.join(f'%({key})s' for key in row)})")


def load_officers(session: Session, badges: Sequence[str | None]) -> None:
    """Read the named officers and their enrolled keys in one statement, so that the checks
    and the signing that follow find them in the session instead of asking one by one. Names
    that are not badges are left to those checks to refuse."""
    from ledger.errors import LedgerError
    from ledger.models import Officer, OfficerKey
    from ledger.validate import check_badge

    wanted = set()
    for badge in badges:
        try:
            wanted.add(check_badge(badge))
        except LedgerError:
            continue
    if wanted:
        # The session's identity map holds its objects weakly: keep them for the transaction.
        session.info.setdefault("loaded_officers", []).extend(session.execute(
            select(Officer, OfficerKey).outerjoin(OfficerKey, OfficerKey.badge == Officer.badge)
            .where(Officer.badge.in_(sorted(wanted)))).all())
