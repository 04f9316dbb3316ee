"""Engines and transactions for both backends, and the refusal of a stale schema.

One write transaction per command: SQLite takes its write lock up front (BEGIN IMMEDIATE)
and PostgreSQL locks the chain-head row first, so every writer sees the state it decides
on. Driver errors that a user can meet (locked, unreachable, serialization failures after
retries) become `EnvironmentProblem` sentences here; nothing else in the ledger sees them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from ledger.config import hide_password, sqlite_path
from ledger.errors import EnvironmentProblem, LedgerError

SCHEMA_REVISION = "0002"  # the newest file in migrations/versions; a test keeps them equal
BUSY_TIMEOUT_S = 30
WRITE_RETRIES = 8

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, connect_args={"connect_timeout": 10}, pool_pre_ping=False)


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise EnvironmentProblem(
            f"The folder {path.parent} for the ledger file does not exist.",
            hint="Create the folder first, or give another path with --db.",
        )
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _environment_error(exc: BaseException, url: str) -> EnvironmentProblem:
    text_ = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "locked" in text_ or "busy" in text_:
        return EnvironmentProblem(
            f"The ledger {hide_password(url)} stayed locked by another writer for more than {BUSY_TIMEOUT_S} seconds.",
            hint="Try the command again in a moment.",
        )
    return EnvironmentProblem(
        f"The ledger database {hide_password(url)} cannot be used: {text_}.",
        hint="Check --db / EVIDENCE_DB and that the database server is running.",
    )


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01")  # serialization failure, deadlock detected


class Ledger:
    """An open ledger database: engine, schema check and transactions."""

    def __init__(self, url: str, *, tz: str = "America/Lima", engine: Engine | None = None):
        self.url = url
        self.tz = tz
        self.engine = engine or make_engine(url)

    # -- schema --------------------------------------------------------------------
    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            raise _environment_error(exc, self.url) from exc

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            return not inspect(conn).get_table_names()

    def ensure_schema(self, *, create_if_new: bool) -> None:
        """Refuse a schema that is not the latest (exit 4). A brand-new SQLite file is
        created and migrated when `create_if_new` is set."""
        current = self.current_revision()
        if current == SCHEMA_REVISION:
            return
        if current is None and create_if_new and is_sqlite(self.engine) and self.is_empty():
            from ledger.migrate import upgrade

            upgrade(self.engine)
            return
        if current is None:
            raise EnvironmentProblem(
                f"The database {hide_password(self.url)} holds no ledger yet.",
                hint="Run 'evidence db upgrade' to create the schema.",
            )
        raise EnvironmentProblem(
            f"The ledger schema is at revision {current}, but this version of evidence needs {SCHEMA_REVISION}.",
            hint="Run 'evidence db upgrade' (after a backup), then repeat the command.",
        )

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session:
                yield session
                session.rollback()
        except LedgerError:
            raise
        except OperationalError as exc:
            raise _environment_error(exc, self.url) from exc

    def write(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run fn(session, ...) in one write transaction holding the chain-head lock; commit
        on success, roll back on any refusal. Serialization failures and deadlocks are retried."""
        from ledger.events import lock_head

        delay = 0.02
        for attempt in range(WRITE_RETRIES):
            try:
                conn = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
                try:
                    with Session(bind=conn) as session:
                        lock_head(session)
                        result = fn(session, *args, **kwargs)
                        session.commit()
                        return result
                finally:
                    conn.close()
            except LedgerError:
                raise
            except DBAPIError as exc:
                if _is_retryable(exc) and attempt + 1 < WRITE_RETRIES:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                if isinstance(exc, OperationalError):
                    raise _environment_error(exc, self.url) from exc
                raise
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def open_ledger(url: str, *, tz: str = "America/Lima", create_if_new: bool = True) -> Ledger:
    ledger = Ledger(url, tz=tz)
    ledger.ensure_schema(create_if_new=create_if_new)
    return ledger
