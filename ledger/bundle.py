"""The offline log bundle: the log exactly as hashed, for an auditor who trusts nothing else.

The bundle is a folder (events.jsonl, HEAD, SHA256SUMS, README.txt, verify.py) written to
a temporary folder beside the target and renamed into place, so a half-written bundle is
never seen. With a case, other cases' events appear only as hashes: the chain still checks
end to end while disclosing nothing about them. docs/FORMAT.md describes every byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import outputs
from ledger.events import canonical_json
from ledger.models import Event

BATCH = 5000
FILES = ("HEAD", "README.txt", "events.jsonl", "verify.py")
MANIFEST = "SHA256SUMS"


def verifier_source() -> bytes:
    """The standalone verify.py shipped in every bundle (ledger/bundle_verify.py)."""
    return resources.files("ledger").joinpath("bundle_verify.py").read_bytes()


def event_line(body: str, digest: str) -> bytes:
    """A disclosed event: the body bytes exactly as hashed, then its hash."""
    return b'{"body":' + body.encode("utf-8") + b',"hash":"' + digest.encode("ascii") + b'"}\n'


def redacted_line(seq: int, prev: str, digest: str) -> bytes:
    return canonical_json({"hash": digest, "prev": prev, "redacted": True, "seq": seq}) + b"\n"


def _check_target(out: str | os.PathLike, force: bool, database) -> Path:
    """--force replaces only a folder holding an earlier bundle and nothing else."""
    return outputs.check_folder(os.fspath(out), force=force, names=(*FILES, MANIFEST), manifest=MANIFEST,
                                what="log bundle", database=database)


def _readme(case_no: str | None, events: int, redacted: int, head: str, generated: str) -> str:
    scope = (f"Case {case_no}: its events are disclosed in full; the {redacted} events of other cases appear only as\n"
             "their hash (\"redacted\": true), so the chain still checks end to end while disclosing nothing\n"
             "about them. Events that belong to no case (officers, locations, exchange rates) are disclosed.\n"
             if case_no else "The whole log, every event disclosed.\n")
    return f"""Evidence ledger: log bundle for an offline audit
=================================================

Generated {generated}. {events} events; head {head}.
{scope}
Files
  events.jsonl  one line per event, in sequence order, each ending in a newline (\\n):
                a disclosed event is   {{"body":BODY,"hash":"HASH"}}
                where BODY is the event exactly as it was hashed (canonical JSON, UTF-8);
                a redacted event is    {{"hash":"HASH","prev":"PREV","redacted":true,"seq":SEQ}}
  HEAD          SEQ:HASH of the last event; give it to 'evidence verify --expect-head' later
                to prove the ledger still holds exactly this log.
  SHA256SUMS    SHA-256 of the other files ('sha256sum -c SHA256SUMS' checks them).
  verify.py     the check below, using only the Python standard library.

How to check it
  python3 verify.py .            (from inside this folder; or give the folder's path)
  Exit 0 and "OK: ..." when every line recomputes and the chain reaches HEAD;
  otherwise "FAILED:" with the first bad line.

What is checked
  HASH = SHA-256( PREV as 64 lowercase hex ASCII characters  +  BODY bytes ), hex lowercase;
  PREV of seq 1 is 64 zeros ("0" * 64), and of every other event the HASH of the line before.
  The body's "seq" must be the line's sequence number (1, 2, 3, ...), with no gaps.
  A redacted line's hash cannot be recomputed (its body is withheld) but it must link:
  the next event's hash is computed from it.
  docs/FORMAT.md in the evidence ledger's source describes every field of BODY.
"""


def export_log(session: Session, out: str | os.PathLike, *, case_no: str | None = None, force: bool = False,
               batch: int = BATCH) -> dict:
    """Write the bundle to `out` atomically; returns a summary."""
    from ledger.events import now_utc
    from ledger.validate import utc_iso

    database = session.get_bind().url
    target = _check_target(out, force, database)
    # One consistent view of the log while others keep appending.
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    if case_no is not None:
        from ledger.registry import get_case

        case_no = get_case(session, case_no, "--case").case_no
    tmp = outputs.temporary_folder(target)
    try:
        sums: dict[str, str] = {}
        events = redacted = 0
        prev = "0" * 64
        h = hashlib.sha256()
        with open(tmp / "events.jsonl", "wb") as fh:
            last = 0
            while True:
                rows = session.execute(
                    select(Event.seq, Event.case_no, Event.body, Event.hash)
                    .where(Event.seq > last).order_by(Event.seq).limit(batch)
                ).all()
                if not rows:
                    break
                for seq, event_case, body, digest in rows:
                    if case_no is None or event_case is None or event_case == case_no:
                        line = event_line(body, digest)
                    else:
                        line = redacted_line(seq, prev, digest)
                        redacted += 1
                    fh.write(line)
                    h.update(line)
                    prev = digest
                    events += 1
                last = rows[-1].seq
            fh.flush()
            os.fsync(fh.fileno())
        sums["events.jsonl"] = h.hexdigest()
        head = f"{events}:{prev}"
        generated = utc_iso(now_utc())
        contents = {
            "HEAD": (head + "\n").encode("ascii"),
            "README.txt": _readme(case_no, events, redacted, head, generated).encode("utf-8"),
            "verify.py": verifier_source(),
        }
        for name, content in contents.items():
            (tmp / name).write_bytes(content)
            sums[name] = hashlib.sha256(content).hexdigest()
        (tmp / MANIFEST).write_text("".join(f"{sums[n]}  {n}\n" for n in FILES), encoding="ascii")
        # The folder may have changed while the log was read: check it again just before.
        _check_target(target, force, database)
        outputs.swap_folder_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"path": str(target), "events": events, "redacted": redacted, "head": head, "case": case_no}

