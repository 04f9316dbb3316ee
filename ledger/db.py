"""Engines and transactions for both backends, and the refusal of a stale schema.

One write transaction per command: SQLite takes its write lock up front (BEGIN IMMEDIATE)
and PostgreSQL locks the chain-head row first, so every writer sees the state it decides
on. Both wait at most EVIDENCE_LOCK_TIMEOUT seconds for another writer. Driver errors that
a user can meet (locked, unreachable, not a database, serialization failures after retries,
a constraint the stored rows break) become sentences here; nothing else in the ledger sees them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ledger.config import (
    SCHEMA_REVISION,
    SQLITE_HEADER,
    hide_password,
    lock_timeout_s,
    sqlite_path,
    supported_forms,
)
from ledger.errors import EnvironmentProblem, LedgerError, VerificationFailed
from ledger.i18n import _, ngettext

WRITE_RETRIES = 8
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired
INSUFFICIENT_PRIVILEGE = "42501"

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return _postgresql_engine(url)


def _postgresql_engine(url: str) -> Engine:
    # psycopg logs "error ignored terminating <Pipeline>: pipeline aborted" when a pipeline that
    # failed is closed; with no handler configured Python prints it to stderr, before the one
    # sentence the refusal becomes (Ledger.write). The error itself still reaches Ledger.write.
    if not logging.getLogger("psycopg").handlers:
        logging.getLogger("psycopg").addHandler(logging.NullHandler())
    lock_ms = int(lock_timeout_s() * 1000)
    engine = create_engine(url, connect_args={"connect_timeout": 10}, pool_pre_ping=False)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Without it a writer waits forever behind any session holding the head's row lock.
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {lock_ms}")
        dbapi_conn.commit()

    return engine


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path)
    timeout = lock_timeout_s()
    engine = create_engine(url, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _check_sqlite_file(path) -> None:
    """Refuse a path SQLite would fail on later with a driver error: a missing folder, a
    folder, or a file that is not a SQLite database (a CSV given as --db)."""
    if not path.parent.exists():
        raise EnvironmentProblem(
            _("The folder {folder} for the ledger file does not exist.").format(folder=path.parent),
            hint=_("Create the folder first, or give another path with --db."),
        )
    if path.is_dir():
        raise EnvironmentProblem(
            _("{path} is a folder, not a ledger file.").format(path=path),
            hint=_("Give --db {forms}.").format(forms=supported_forms()),
        )
    if not path.exists():
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise EnvironmentProblem(
            _("The ledger file {path} cannot be read: {problem}.").format(path=path, problem=exc.strerror or exc),
            hint=_("Check the file's permissions, or give another path with --db."),
        ) from exc
    # An empty file is a valid, empty SQLite database (SQLite writes the header on first use).
    if header and header != SQLITE_HEADER:
        raise EnvironmentProblem(
            _("{path} is not a SQLite database, so it cannot be a ledger.").format(path=path),
            hint=_("Give --db {forms}.").format(forms=supported_forms()),
        )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def environment_error(exc: BaseException, url: str) -> EnvironmentProblem:
    text_ = _first_line(exc)
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if code == LOCK_NOT_AVAILABLE or "locked" in text_ or "busy" in text_:
        wait = lock_timeout_s()
        return EnvironmentProblem(
            ngettext("The ledger {url} stayed locked by another writer for more than {wait} second.",
                     "The ledger {url} stayed locked by another writer for more than {wait} seconds.",
                     1 if wait == 1 else 2).format(url=hide_password(url), wait=f"{wait:g}"),
            hint=_("Look for another evidence command still running, or a database session holding the "
                   "ledger's lock, and try again when it has finished (EVIDENCE_LOCK_TIMEOUT sets the wait "
                   "in seconds)."),
        )
    if code == INSUFFICIENT_PRIVILEGE:
        # The server refused a grant the login lacks (the guide's grants not run yet, or a
        # table a later migration added): not a wrong URL.
        return EnvironmentProblem(
            _("The database login of {url} is not allowed to do what this command needs "
              "({problem}).").format(url=hide_password(url), problem=text_),
            hint=_("Ask the database's administrator for the grants in docs/postgresql.md (step 3), which every "
                   "login needs after each 'evidence db upgrade'."),
        )
    if "file is not a database" in text_:
        return EnvironmentProblem(
            _("{path} is not a SQLite database, so it cannot be a ledger.").format(path=hide_password(url)),
            hint=_("Give --db {forms}.").format(forms=supported_forms()),
        )
    return EnvironmentProblem(
        _("The ledger database {url} cannot be used: {problem}.").format(url=hide_password(url), problem=text_),
        hint=_("Check --db / EVIDENCE_DB and that the database server is running."),
    )


def _first_line(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's SQL, parameters and links."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(exc).__name__


def _integrity_error(exc: IntegrityError) -> VerificationFailed:
    # The ledger checks every rule before it writes, so a constraint the database still
    # refuses means the stored rows are not what the ledger left there.
    return VerificationFailed(
        _("The database refused to record this change because it conflicts with rows already "
          "stored ({problem}); nothing was written.").format(problem=_first_line(exc)),
        hint=_("The ledger may have been changed outside this program: run 'evidence verify'."),
    )


LOGIN_REFUSALS = ("is not mapped to a badge", "writes as badge", "is not an admin login", "only with an admin's event")


def _login_refusal(exc: DBAPIError) -> LedgerError | None:
    """PostgreSQL's trigger refused an event whose actor is not the connected login's badge."""
    from ledger.errors import RuleError

    text_ = _first_line(exc)
    if getattr(getattr(exc, "orig", None), "sqlstate", None) == INSUFFICIENT_PRIVILEGE and any(m in text_ for m in LOGIN_REFUSALS):
        return RuleError(_("The database refused the event: {problem}; nothing was written.").format(problem=text_),
                         hint=_("Connect with your own database login (--db / EVIDENCE_DB), and act as your own "
                                "badge (--by)."))
    return None


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01")  # serialization failure, deadlock detected


class Ledger:
    """An open ledger database: engine, schema check and transactions."""

    def __init__(self, url: str, *, tz: str = "America/Lima", engine: Engine | None = None):
        self.url = url
        self.tz = tz
        self.engine = engine or make_engine(url)
        # A new SQLite ledger is only created by the first write, so that a reader given a
        # mistyped path says so instead of leaving an empty ledger file behind.
        self._create_on_write = False
        self.keyring = None  # where writes find their signers' keys (ledger.identity.signing.Keyring)

    # -- schema --------------------------------------------------------------------
    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            raise environment_error(exc, self.url) from exc

    def table_names(self) -> list[str]:
        """The tables in the database apart from Alembic's own."""
        try:
            with self.engine.connect() as conn:
                return sorted(t for t in inspect(conn).get_table_names() if t != "alembic_version")
        except DBAPIError as exc:
            raise environment_error(exc, self.url) from exc

    def is_empty(self) -> bool:
        return not self.table_names()

    def missing_file(self) -> bool:
        """True for a SQLite ledger whose file does not exist yet."""
        path = sqlite_path(self.url)
        return path is not None and not path.exists()

    def ensure_schema(self, *, create_if_new: bool) -> None:
        """Refuse a schema that is not the latest (exit 4). A brand-new SQLite file is
        created and migrated by the first write when `create_if_new` is set."""
        if self.missing_file() and create_if_new:
            self._create_on_write = True
            return
        if self.missing_file():
            raise self._no_ledger()
        current = self.current_revision()
        if current == SCHEMA_REVISION:
            return
        if current is None and self.is_empty():
            if create_if_new and is_sqlite(self.engine):
                self._create_on_write = True
                return
            raise self._no_ledger()
        raise schema_problem(self.url, current, self.table_names())

    def exists(self) -> bool:
        """False for a SQLite ledger that the first write will create."""
        return not self._create_on_write

    def require_existing(self) -> None:
        """Refuse (exit 4) a SQLite ledger file that does not exist, rather than create it."""
        if self.missing_file():
            raise self._no_ledger()

    def _no_ledger(self) -> EnvironmentProblem:
        path = sqlite_path(self.url)
        if path is None:
            return EnvironmentProblem(
                _("The database {url} holds no ledger yet.").format(url=hide_password(self.url)),
                hint=_("Run 'evidence db upgrade' to create the schema."),
            )
        return EnvironmentProblem(
            (_("No ledger exists at {path} (the file is empty).") if path.exists()
             else _("No ledger exists at {path}.")).format(path=path),
            hint=_("Check --db / EVIDENCE_DB for a mistake; to start a new ledger there, run 'evidence init "
                   "--admin BADGE --name NAME' (or 'evidence db upgrade' for the bare schema)."),
        )

    # -- transactions --------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        if self._create_on_write:
            raise self._no_ledger()
        try:
            with Session(self.engine) as session:
                if self.engine.dialect.name == "postgresql":
                    # Every reader sees one state of the ledger: a document or a check made
                    # while officers write never mixes rows from before and after a commit.
                    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                yield session
                session.rollback()
        except LedgerError:
            raise
        except OperationalError as exc:
            raise environment_error(exc, self.url) from exc

    def write(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run fn(session, ...) in one write transaction holding the chain-head lock; commit
        on success, roll back on any refusal. Serialization failures and deadlocks are retried."""
        from ledger import commits, roundtrips
        from ledger.events import lock_head

        if self._create_on_write:
            from ledger.config import remove_ledger_file

            created = self.missing_file()
            try:
                upgrade_schema(self.engine)
                self._create_on_write = False
                if created:
                    return self.write(fn, *args, **kwargs)
            except BaseException:
                if created:  # a refused first write leaves no ledger file behind
                    self.engine.dispose()
                    remove_ledger_file(sqlite_path(self.url))
                    self._create_on_write = True
                raise
        delay = 0.02
        for attempt in range(WRITE_RETRIES):
            try:
                conn = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
                try:
                    with Session(bind=conn) as session:
                        if self.keyring is None:
                            from ledger.identity.signing import Keyring

                            # Each signer's key file is opened once per ledger handle (as the CLI
                            # does for one command), not again by every write it makes.
                            self.keyring = Keyring()
                        session.info["keyring"] = self.keyring
                        try:
                            lock_head(session, roundtrips.planned_reads(fn, args, kwargs))
                            result = fn(session, *args, **kwargs)
                        except KeyboardInterrupt:
                            # Ctrl-C may land in the middle of a statement (a COPY): the driver's
                            # connection cannot roll back then, so it is dropped, and the server
                            # rolls the transaction back itself. Nothing was written.
                            conn.invalidate()
                            raise
                        commits.committing()
                        roundtrips.commit(session)
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
                if isinstance(exc, IntegrityError):
                    raise _integrity_error(exc) from exc
                refused = _login_refusal(exc)
                if refused is not None:
                    raise refused from exc
                raise environment_error(exc, self.url) from exc
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def schema_problem(url: str, current: str | None, tables: list[str]) -> EnvironmentProblem:
    """Why a database that is not empty is not a ledger at the latest revision: tables without
    a recorded revision, a revision this program does not know, or one it can upgrade."""
    shown = hide_password(url)
    if current is None:
        listed = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        return EnvironmentProblem(
            _("The database {url} holds tables ({tables}) but no record of a ledger schema revision "
              "(the alembic_version table is missing or empty).").format(url=shown, tables=listed),
            hint=_("If it is a ledger, restore it from a backup; if it is not a ledger made by this program, "
                   "give --db an empty database or a new file."),
        )
    from ledger.migrate import known_revisions  # Alembic, only where a revision is in question

    if current not in known_revisions():
        return EnvironmentProblem(
            _("The database {url} is at schema revision {current}, which this version of evidence does "
              "not know (its newest is {newest}).").format(url=shown, current=current, newest=SCHEMA_REVISION),
            hint=_("If a newer evidence made or upgraded this ledger, upgrade this program; otherwise "
                   "restore the ledger from a backup."),
        )
    return EnvironmentProblem(
        _("The ledger schema is at revision {current}, but this version of evidence needs {needed}.").format(
            current=current, needed=SCHEMA_REVISION),
        hint=_("Run 'evidence db upgrade' (after a backup), then repeat the command."),
    )


def open_ledger(url: str, *, tz: str = "America/Lima", create_if_new: bool = True) -> Ledger:
    ledger = Ledger(url, tz=tz)
    ledger.ensure_schema(create_if_new=create_if_new)
    return ledger


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; refuse (exit 4) a database Alembic would fail on."""
    from ledger.config import create_private_file, sqlite_path
    from ledger.migrate import known_revisions, upgrade  # Alembic loads only for a schema change

    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is not None:
        create_private_file(path)  # 0600 before SQLite creates it with the umask's mode
    probe = Ledger(engine.url.render_as_string(hide_password=False), engine=engine)
    current = probe.current_revision()
    if (current is None and not probe.is_empty()) or (current is not None and current not in known_revisions()):
        raise schema_problem(probe.url, current, probe.table_names())
    try:
        upgrade(engine, revision)
    except DBAPIError as exc:
        raise environment_error(exc, probe.url) from exc
