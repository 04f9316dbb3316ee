"""Idempotent writes: a `--request-id` makes running the same command again harmless.

A retried command (a timeout, a lost connection, a script run twice) finds its request
id already recorded and gets the original result back instead of applying twice. The
check runs inside the write transaction, under the chain-head lock, so two concurrent
runs with one id cannot both apply.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ledger.errors import InputError, RuleError
from ledger.events import canonical_json
from ledger.models import Request

MAX_REQUEST_ID = 128


def fingerprint(command: str, params: dict) -> str:
    """What the request asked for, so a reused id with different arguments is caught."""
    return hashlib.sha256(canonical_json({"command": command, "params": params})).hexdigest()


def check_request_id(request_id: str | None) -> str | None:
    if request_id is None:
        return None
    rid = request_id.strip()
    if not rid or len(rid) > MAX_REQUEST_ID or not rid.isascii() or not rid.isprintable():
        raise InputError(
            f"--request-id {request_id[:40]!r} is not a usable request id.",
            hint=f"Use 1 to {MAX_REQUEST_ID} printable ASCII characters, e.g. a UUID or 'transfer-2020-10-06-001'.",
        )
    return rid


def previous_result(session: Session, request_id: str | None, command: str, fp: str) -> dict | None:
    """The recorded result of this request id, or None when it is new. A request id reused
    for a different command or different arguments is refused."""
    if request_id is None:
        return None
    req = session.get(Request, request_id)
    if req is None:
        return None
    if req.command != command or req.fingerprint != fp:
        raise RuleError(
            f"--request-id {request_id} was already used (event {req.seq}) for a different {req.command} request.",
            hint="Use a new request id for a new request; reuse an id only to retry the very same command.",
        )
    result = json.loads(req.result)
    result["replayed"] = True
    return result


def start_request(session: Session, request_id: str | None, command: str, params: dict
                  ) -> tuple[str | None, str, dict | None]:
    """Check the id, fingerprint the request, and look it up: (request id, fingerprint, the
    recorded result of an earlier run or None). Call before any other check of the request,
    so a retry is answered even when the act itself could not be repeated."""
    rid = check_request_id(request_id)
    fp = fingerprint(command, params)
    return rid, fp, previous_result(session, rid, command, fp)


def record_request(session: Session, request_id: str | None, command: str, fp: str, result: dict, seq: int) -> None:
    if request_id is None:
        return
    session.execute(insert(Request), [{
        "request_id": request_id, "command": command, "fingerprint": fp,
        "result": json.dumps(result, sort_keys=True, ensure_ascii=False), "seq": seq,
    }])
