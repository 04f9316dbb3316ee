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

# The newest file in migrations/versions (a test keeps them equal). Here rather than in ledger.db
# so that the stdlib read path (ledger.quickread) can check it without importing SQLAlchemy.
SCHEMA_REVISION = "0006"
SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_TZ = "America/Lima"
DEFAULT_LOCK_TIMEOUT_S = 30
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# The URL schemes the program has drivers for; any other ends in a driver import error deep
# inside SQLAlchemy, so it is refused up front with the forms that work.
_SCHEMES = {"sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg"}
SUPPORTED_FORMS = "sqlite:///path.db, a plain file path, or postgresql://user@host/db"


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
            f"{source} is set but empty, so it names no ledger.",
            hint=f"Give {source} a ledger: {SUPPORTED_FORMS}; or unset it to use the default ledger.",
        )
    value = db or str(default_db_path())
    if _URL_RE.match(value):
        scheme, rest = value.split("://", 1)
        if scheme.lower() not in _SCHEMES:
            raise EnvironmentProblem(
                f"{source} {hide_password(value)} is not a kind of database this program can use.",
                hint=f"Give {SUPPORTED_FORMS}.",
            )
        if scheme.lower() in ("postgresql", "postgres"):
            # psycopg 3 is the PostgreSQL driver; a bare URL would ask for psycopg2.
            return "postgresql+psycopg://" + rest
        return scheme.lower() + "://" + rest
    return "sqlite:///" + str(Path(value).expanduser().absolute())


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
            f"EVIDENCE_LOCK_TIMEOUT={raw!r} is not a number of seconds between 0 and 86400.",
            hint=f"Set it to a number of seconds such as 30, or unset it for the default of "
                 f"{DEFAULT_LOCK_TIMEOUT_S}.",
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
