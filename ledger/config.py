"""Where the ledger lives: turning `--db`, `EVIDENCE_DB` or the default path into a URL.

Kept free of SQLAlchemy so that the command line can resolve its settings without paying
for the database layer until a command actually needs it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TZ = "America/Lima"
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "evidence" / "ledger.db"


def resolve_db_url(db: str | None) -> str:
    """A SQLAlchemy URL from `--db`/`EVIDENCE_DB`; a plain path means a SQLite file."""
    value = db or os.environ.get("EVIDENCE_DB") or str(default_db_path())
    if _URL_RE.match(value):
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the PostgreSQL driver; a bare URL would ask for psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return "sqlite:///" + str(Path(value).expanduser().absolute())


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
