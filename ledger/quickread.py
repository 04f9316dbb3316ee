"""One-row reads of a SQLite ledger with the standard library's driver, opened read-only.

`evidence item show` is what an officer types with a scanner in hand; on SQLite most of its
time went to importing SQLAlchemy, not to the primary-key lookup. This path answers on the
same schema with `sqlite3` (URI `mode=ro`, so it cannot write) and shares every formatting and
refusal with the SQLAlchemy reader through `ledger.itemview`. Whenever it cannot answer for
sure (not SQLite, no file, not a ledger at the latest revision, any driver error) it returns
None, and the caller asks the SQLAlchemy path, which gives the answer or the usual refusal.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from types import SimpleNamespace

from ledger.config import SCHEMA_REVISION, SQLITE_HEADER, lock_timeout_s, sqlite_path
from ledger.errors import LedgerError
from ledger.itemview import check_label, parse_item_ref, parse_label_payload, shown_item


def _open_read_only(url: str) -> sqlite3.Connection | None:
    """A read-only connection to the ledger file behind a plain SQLite URL, inside one read
    transaction (one state of the ledger), or None if anything is out of the ordinary."""
    if "?" in url:
        return None  # URL options: leave them to SQLAlchemy
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
        timeout = lock_timeout_s()
    except (OSError, LedgerError):
        return None
    uri = "file:" + urllib.parse.quote(str(path), safe="/") + "?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        con.execute("BEGIN")
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        con.close()
        return None
    if revision is None or revision[0] != SCHEMA_REVISION:
        con.close()
        return None
    return con


def _row(cur: sqlite3.Cursor) -> SimpleNamespace | None:
    row = cur.fetchone()
    if row is None:
        return None
    return SimpleNamespace(**{d[0]: v for d, v in zip(cur.description, row, strict=True)})


def show_item(url: str, ref: str) -> dict | None:
    """What `ledger.items.show_item` returns for `ref` (an evidence number or a label payload),
    read with sqlite3; raises the same refusals; None when the SQLAlchemy path must answer."""
    con = _open_read_only(url)
    if con is None:
        return None
    try:
        label = parse_label_payload(ref)
        no = label[0] if label is not None else parse_item_ref(ref)
        item = _row(con.execute("SELECT * FROM items WHERE no = ?", (no,))) if no is not None else None
        if item is None:
            return None  # the usual path refuses, naming the numbers one keystroke away
        if label is not None:
            registration = con.execute("SELECT hash FROM events WHERE seq = ?", (item.registered_seq,)).fetchone()
            check_label(item.id, item.case_no, registration[0] if registration else None, ref.strip(), label[1],
                        label[2])
        seizure = con.execute("SELECT id FROM seizures WHERE no = ?", (item.seizure_no,)).fetchone()
        if seizure is None:
            return None
        review = con.execute("SELECT review_on FROM item_reviews WHERE item_no = ?", (item.no,)).fetchone()
        body = (con.execute("SELECT body FROM events WHERE seq = ?", (item.registered_seq,)).fetchone()
                if item.kind == "phone" and item.imei is None else None)
        return shown_item(item, seizure[0], review[0] if review else None, body[0] if body else None)
    except sqlite3.Error:
        return None
    finally:
        con.close()
