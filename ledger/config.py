"""Where the ledger lives: turning `--db`, `EVIDENCE_DB` or the default path into a URL.

Kept free of SQLAlchemy so that the command line can resolve its settings without paying
for the database layer until a command actually needs it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import EnvironmentProblem
from ledger.i18n import N_, _

# The newest file in migrations/versions (a test keeps them equal). Here rather than in ledger.db
# so that the stdlib read path (ledger.quickread) can check it without importing SQLAlchemy.
SCHEMA_REVISION = "0007"
SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_TZ = "America/Lima"
DEFAULT_LOCK_TIMEOUT_S = 30
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# The URL schemes the program has drivers for; any other ends in a driver import error deep
# inside SQLAlchemy, so it is refused up front with the forms that work.
_SCHEMES = {"sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg"}
SUPPORTED_FORMS = N_("sqlite:///path.db, a plain file path, or postgresql://user@host/db")


def supported_forms() -> str:
    """SUPPORTED_FORMS in the current language."""
    return _(SUPPORTED_FORMS)


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "evidence" / "ledger.db"


def resolve_db_url(db: str | None) -> str:
    """A SQLAlchemy URL from `--db`/`EVIDENCE_DB`; a plain path means a SQLite file."""
    if db is None:
        db = os.environ.get("EVIDENCE_DB")
        source = "EVIDENCE_DB"
    else:
        source = "--db"
    if db is not None and not db.strip():
        # An empty value would otherwise fall back to the default ledger without a word.
        raise EnvironmentProblem(
            _("{source} is set but empty, so it names no ledger.").format(source=source),
            hint=_("Give {source} a ledger: {forms}; or unset it to use the default ledger.").format(
                source=source, forms=supported_forms()),
        )
    value = db or str(default_db_path())
    if _URL_RE.match(value):
        scheme, rest = value.split("://", 1)
        if scheme.lower() not in _SCHEMES:
            raise EnvironmentProblem(
                _("{source} {url} is not a kind of database this program can use.").format(
                    source=source, url=hide_password(value)),
                hint=_("Give {forms}.").format(forms=supported_forms()),
            )
        if scheme.lower() in ("postgresql", "postgres"):
            # psycopg 3 is the PostgreSQL driver; a bare URL would ask for psycopg2.
            return "postgresql+psycopg://" + rest
        return scheme.lower() + "://" + rest
    return "sqlite:///" + str(Path(value).expanduser().absolute())


def create_private_file(path: Path) -> bool:
    """Create the empty ledger file `path` readable and writable by its user only (0600), never
    through a symbolic link; True when this call created it. SQLite gives its -wal and -shm
    files the same mode. A folder the program makes for it is 0700."""
    if path.exists():
        return False
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)  # the umask may only take bits away; this makes the mode exact
    finally:
        os.close(fd)
    return True


def remove_ledger_file(path: Path) -> None:
    """Remove a ledger file this command created and then did not complete, with SQLite's own
    files beside it, so that a refused command leaves nothing behind."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def lock_timeout_s() -> float:
    """How long a writer waits for another's lock: EVIDENCE_LOCK_TIMEOUT seconds, default 30."""
    raw = os.environ.get("EVIDENCE_LOCK_TIMEOUT")
    if raw is None or not raw.strip():
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    # A wait of 0 would mean "forever" to PostgreSQL and "give up at once" to SQLite.
    if not (0 < value <= 86_400):
        raise EnvironmentProblem(
            _("EVIDENCE_LOCK_TIMEOUT={raw!r} is not a number of seconds between 0 and 86400.").format(raw=raw),
            hint=_("Set it to a number of seconds such as 30, or unset it for the default of "
                   "{default}.").format(default=DEFAULT_LOCK_TIMEOUT_S),
        )
    return value


def hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path.split("?", 1)[0])


@dataclass(frozen=True)
class Settings:
    db_url: str
    tz: str = DEFAULT_TZ
    json: bool = False
