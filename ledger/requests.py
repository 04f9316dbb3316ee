"""Idempotent writes: a `--request-id` makes running the same command again harmless.

A retried command (a timeout, a lost connection, a script run twice) finds its request
id already recorded and gets the original result back, rebuilt from the event that
carries the id, instead of applying twice. The
check runs inside the write transaction, under the chain-head lock, so two concurrent
runs with one id cannot both apply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ledger.errors import InputError, RuleError, VerificationFailed
from ledger.events import canonical_json
from ledger.i18n import _
from ledger.models import Event, Request

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
            _("--request-id {value!r} is not a usable request id.").format(value=request_id[:40]),
            hint=_("Use 1 to {most} printable ASCII characters, e.g. a UUID or 'transfer-2020-10-06-001'.").format(
                most=MAX_REQUEST_ID),
        )
    return rid


class RequestEvent(NamedTuple):
    """The event that carries a request id: what a retry's result is rebuilt from."""

    seq: int
    hash: str
    doc: dict


Rebuild = Callable[[Session, RequestEvent], dict]


def request_fields(request_id: str | None, fp: str) -> dict:
    """What an event's data carries for its request id, so the requests table is replayed
    from the log (and a row planted in it is caught) like every other table."""
    return {"request_id": request_id, "request_fingerprint": fp} if request_id is not None else {}


def previous_result(session: Session, request_id: str | None, command: str, fp: str,
                    rebuild: Rebuild) -> dict | None:
    """The result of this request id's earlier run, rebuilt from the event that carries it, or
    None when the id is new. A request id reused for a different command or different
    arguments is refused; a row whose event does not carry the id is a changed table."""
    if request_id is None:
        return None
    req = session.get(Request, request_id)
    if req is None:
        return None
    if req.command != command or req.fingerprint != fp:
        raise RuleError(
            _("--request-id {id} was already used (event {seq}) for a different {command} request.").format(
                id=request_id, seq=req.seq, command=req.command),
            hint=_("Use a new request id for a new request; reuse an id only to retry the very same command."),
        )
    row = session.execute(select(Event.seq, Event.hash, Event.body).where(Event.seq == req.seq)).one_or_none()
    doc = json.loads(row.body) if row is not None else None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or (data.get("request_id"), data.get("request_fingerprint")) != (request_id, fp):
        raise VerificationFailed(
            _("The requests table says --request-id {id} was applied by event {seq}, but that event does not carry "
              "it: the table was changed outside the ledger. Nothing was written.").format(id=request_id, seq=req.seq),
            hint=_("Run 'evidence verify' and have the findings explained before writing to this ledger."),
        )
    result = rebuild(session, RequestEvent(row.seq, row.hash, doc))
    result["replayed"] = True
    return result


def start_request(session: Session, request_id: str | None, command: str, params: dict, rebuild: Rebuild
                  ) -> tuple[str | None, str, dict | None]:
    """Check the id, fingerprint the request, and look it up: (request id, fingerprint, the
    result of an earlier run or None). Call before any other check of the request, so a retry
    is answered even when the act itself could not be repeated."""
    rid = check_request_id(request_id)
    fp = fingerprint(command, params)
    return rid, fp, previous_result(session, rid, command, fp, rebuild)


def record_request(session: Session, seq: int, event_type: str, data: dict) -> None:
    """The requests row of an event whose data carries a request id (none otherwise)."""
    from ledger.rules import RULES

    command = RULES[event_type].request
    if command is not None and data.get("request_id") is not None:
        session.execute(insert(Request), [{"request_id": data["request_id"], "command": command,
                                           "fingerprint": data["request_fingerprint"], "seq": seq}])
