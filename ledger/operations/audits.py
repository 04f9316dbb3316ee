"""Inventory audits of a location: a full count or a sample nobody could predict and anyone can
re-draw from the log, each item's check beside the record, and the findings recorded at close.

Every act is an event; the audits, audit_checks and audit_findings rows are built by the same
functions the replay uses (ledger.replay), so `verify` re-draws every sample and re-derives
every finding from the log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound, RuleError
from ledger.events import append_event, now_utc
from ledger.i18n import _
from ledger.items import get_item
from ledger.log.checkpoints import current_checkpoint
from ledger.models import AuditCheck, AuditFinding, InventoryAudit, Item
from ledger.registry import get_location, require_actor
from ledger.rules.operations import AUDIT_CHECKED, AUDIT_CLOSED, AUDIT_STARTED
from ledger.rules.state import AUDITED_STATUS, audit_check_row, audit_finding_rows, audit_row
from ledger.validate import check_code, clean_text, utc_iso

AUDIT_PREFIX = "AU-"
NOTE_MAX = 500


def audit_label(no: int) -> str:
    return f"{AUDIT_PREFIX}{no:06d}"


def _percent(value, field: str, low: int, high: int) -> int:
    text = str(value).strip().rstrip("%")
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InputError(_("{field} {value} is not a whole percentage from {low} to {high}.").format(
            field=field, value=repr(str(value)[:20]), low=low, high=high), hint=_("e.g. --confidence 95 --tolerance 2."))
    return int(text)


def _method(sample, confidence, tolerance) -> tuple[int | None, int | None, int | None]:
    if sample is not None and (confidence is not None or tolerance is not None):
        raise InputError(_("Give either --sample N or --confidence and --tolerance, not both."),
                         hint=_("e.g. --sample 30, or --confidence 95 --tolerance 2; neither counts every item."))
    if sample is not None:
        text = str(sample).strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1_000_000:
            raise InputError(_("--sample {value} is not a number of items from 1 to 1000000.").format(
                value=repr(text[:20])), hint=_("e.g. --sample 30; leave it out to count every item."))
        return int(text), None, None
    if (confidence is None) != (tolerance is None):
        raise InputError(_("--confidence and --tolerance go together: the sample size follows from both."),
                         hint=_("e.g. --confidence 95 --tolerance 2."))
    if confidence is None:
        return None, None, None
    return None, _percent(confidence, "--confidence", 50, 99), _percent(tolerance, "--tolerance", 1, 50)


def _population(session: Session, location: str) -> list[str]:
    return list(session.scalars(select(Item.id).where(Item.location == location, Item.status == AUDITED_STATUS)
                                .order_by(Item.no)))


def start_audit(session: Session, location: str, *, by: str | None, sample=None, confidence=None,
                tolerance=None) -> dict:
    """Open an audit of a location. With a sample, the items are drawn from those the log puts
    there, seeded by the log's root just after this start event (nobody can know it before)."""
    code = check_code(location, "LOCATION")
    requested, confidence, tolerance = _method(sample, confidence, tolerance)
    actor = require_actor(session, by, "audit")
    loc = get_location(session, code, "LOCATION")
    still = session.execute(select(InventoryAudit).where(InventoryAudit.location == loc.code,
                                                         InventoryAudit.closed_seq.is_(None))).scalars().first()
    if still is not None:
        raise RuleError(_("Audit {audit} of {location} is still open (started at seq {seq}); a location is audited by "
                          "one audit at a time.").format(audit=still.id, location=loc.code, seq=still.started_seq),
                        hint=_("Close it first: evidence audit close {audit} --by BADGE").format(audit=still.id))
    no = (session.execute(select(func.max(InventoryAudit.no))).scalar() or 0) + 1
    data = {"audit": audit_label(no), "location": loc.code, "sample": requested, "confidence": confidence,
            "tolerance": tolerance}
    when = utc_iso(now_utc())
    ev = append_event(session, AUDIT_STARTED, data, actor=actor.badge, occurred_at=when)
    seed = current_checkpoint(session).root.hex()
    row = audit_row(ev.seq, when, actor.badge, data, _population(session, loc.code), seed)
    session.execute(insert(InventoryAudit), [row])
    return {**_summary(row), "seq": ev.seq, "hash": ev.hash}


def _summary(row: dict) -> dict:
    sample = json.loads(row["sample"])
    return {"id": row["id"], "location": row["location"], "started_seq": row["started_seq"],
            "started_at": row["started_at"], "started_by": row["started_by"], "requested": row["requested"],
            "confidence": row["confidence"], "tolerance": row["tolerance"], "population": row["population"],
            "seed": row["seed"], "sample_size": len(sample), "sample": sample, "closed_seq": row["closed_seq"],
            "closed_at": row["closed_at"], "closed_by": row["closed_by"]}


def get_audit(session: Session, ref: str, field: str = "AUDIT") -> InventoryAudit:
    text = str(ref).strip().upper()
    digits = text[len(AUDIT_PREFIX):] if text.startswith(AUDIT_PREFIX) else text
    found = None
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:
        found = session.get(InventoryAudit, int(digits))
    if found is None:
        raise NotFound(_("{field}: no audit {ref} was started.").format(field=field, ref=repr(str(ref)[:40])),
                       hint=_("Audit numbers look like AU-000001; 'evidence audit start' prints them."))
    return found


def finding_texts(session: Session, audit_ref: str) -> list[dict]:
    """An audit's findings as `show_audit` lists them ({"item", "kind", "detail"}), with each
    detail worded in the reader's language: derived again from the checks, as the close and
    `verify` derive them (what is recorded stays in English)."""
    audit = get_audit(session, audit_ref)
    checks = [_row_of(c) for c in session.scalars(select(AuditCheck).where(AuditCheck.audit_no == audit.no))]
    return [{"item": f"EV-{f['item_no']:06d}", "kind": f["kind"], "detail": f["detail"]}
            for f in sorted(audit_finding_rows(_row_of(audit), checks, say=_), key=lambda f: (f["item_no"], f["kind"]))]


def _row_of(model_obj) -> dict:
    return {c.name: getattr(model_obj, c.key) for c in model_obj.__table__.columns}


def check_item(session: Session, audit_ref: str, item_ref: str, *, by: str | None, found: bool, missing: bool,
               seal: str | None = None, location: str | None = None, unexpected: bool = False,
               note: str | None = None) -> dict:
    """Record what the auditor found for one item (a scanned label's payload names it too). An
    item outside the audit's sample is refused unless flagged --unexpected."""
    if found == missing:
        raise InputError(_("Say what the check found: --found or --missing (one of them)."),
                         hint=_("e.g. evidence audit check AU-000001 EV-000042 --found --seal S-0042 --by A-4001"))
    if missing and (seal or location or unexpected):
        raise InputError(_("--missing records an item that is not there: --seal, --location and --unexpected go "
                           "with --found."))
    seal = check_code(seal, "--seal") if seal else None
    location = check_code(location, "--location") if location else None
    note = clean_text(note, "--note", max_len=NOTE_MAX, required=False) or None
    actor = require_actor(session, by, "audit")
    audit = get_audit(session, audit_ref)
    if audit.closed_seq is not None:
        raise RuleError(_("audit {audit} was closed (event {seq}); a closed audit takes no more checks.").format(
            audit=audit.id, seq=audit.closed_seq), hint=_("Start a new audit for a new count."))
    item = get_item(session, item_ref)
    if location:
        location = get_location(session, location).code
    in_sample = item.id in json.loads(audit.sample)
    if unexpected and in_sample:
        raise RuleError(_("item {item} is in audit {audit}'s sample, so it is not unexpected; drop "
                          "--unexpected.").format(item=item.id, audit=audit.id))
    if not unexpected and not in_sample:
        text = (_("item {item} is not in audit {audit}'s sample (the record puts it at {where}, {status}); if it was "
                  "found at {location}, record it with --unexpected.") if item.location else
                _("item {item} is not in audit {audit}'s sample (the record puts it at no location, {status}); if it "
                  "was found at {location}, record it with --unexpected."))
        raise RuleError(text.format(item=item.id, audit=audit.id, where=item.location, status=item.status,
                                    location=audit.location),
                        hint=_("'evidence audit show {audit}' lists the items drawn.").format(audit=audit.id))
    done = session.get(AuditCheck, (audit.no, item.no))
    if done is not None:
        raise RuleError(_("item {item} was already checked in audit {audit} (event {seq}: {result}); each item is "
                          "checked once.").format(item=item.id, audit=audit.id, seq=done.seq, result=done.result))
    data = {"audit": audit.id, "item": item.id, "result": "found" if found else "missing",
            "unexpected": bool(unexpected)}
    for key, value in (("seal", seal), ("location", location), ("note", note)):
        if value is not None:
            data[key] = value
    when = max(utc_iso(now_utc()), item.last_at)
    ev = append_event(session, AUDIT_CHECKED, data, actor=actor.badge, occurred_at=when, case_no=item.case_no,
                      items=[(item.no, item.id)])
    row = audit_check_row(ev.seq, when, actor.badge, data, item.seal, item.location)
    session.execute(insert(AuditCheck), [row])
    return {"id": ev.seq, "seq": ev.seq, "audit": audit.id, "item": item.id, "result": row["result"],
            "unexpected": bool(unexpected), "seal": seal, "record_seal": item.seal, "location": location,
            "record_location": item.location, "note": note}


def close_audit(session: Session, audit_ref: str, *, by: str | None) -> dict:
    """Close an audit: its findings (missing, seal mismatch, wrong location, unexpected, not
    checked) are recorded from its checks, and it takes no more."""
    actor = require_actor(session, by, "audit")
    audit = get_audit(session, audit_ref)
    if audit.closed_seq is not None:
        raise RuleError(_("audit {audit} was already closed (event {seq}); an audit is closed once.").format(
            audit=audit.id, seq=audit.closed_seq),
                        hint=_("'evidence audit show {audit}' shows its findings.").format(audit=audit.id))
    ev = append_event(session, AUDIT_CLOSED, {"audit": audit.id}, actor=actor.badge)
    when = ev.occurred_at
    session.execute(update(InventoryAudit).where(InventoryAudit.no == audit.no)
                    .values(closed_seq=ev.seq, closed_at=when, closed_by=actor.badge)
                    .execution_options(synchronize_session=False))
    session.expire(audit)
    checks = [_row_of(c) for c in session.scalars(select(AuditCheck).where(AuditCheck.audit_no == audit.no))]
    findings = audit_finding_rows(_row_of(audit), checks)
    if findings:
        session.execute(insert(AuditFinding), findings)
    report = show_audit(session, audit.id)
    return {**asdict(report), "seq": ev.seq}


# -- the report ----------------------------------------------------------------------
@dataclass
class AuditLine:
    item: str
    kind: str | None
    case_no: str | None
    in_sample: bool
    result: str  # found, missing, not checked
    seal: str | None
    record_seal: str | None
    location: str | None
    record_location: str | None
    checked_by: str | None
    checked_at: str | None
    note: str | None


@dataclass
class AuditReport:
    audit: dict
    lines: list[AuditLine] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)  # {"item", "kind", "detail"}
    final: bool = False  # the findings the close recorded; else those the checks so far give


def show_audit(session: Session, audit_ref: str) -> AuditReport:
    """The audit, each item drawn or found with its check, and its findings (recorded at close,
    or as they stand so far)."""
    audit = get_audit(session, audit_ref)
    summary = _summary(_row_of(audit))
    checks = {c.item_no: c for c in session.scalars(select(AuditCheck).where(AuditCheck.audit_no == audit.no))}
    sample_nos = [int(i.split("-", 1)[1]) for i in summary["sample"]]
    nos = sorted(set(sample_nos) | set(checks))
    items = {i.no: i for i in session.scalars(select(Item).where(Item.no.in_(nos)))} if nos else {}
    lines = []
    for no in nos:
        it, c = items.get(no), checks.get(no)
        lines.append(AuditLine(
            item=f"EV-{no:06d}", kind=it.kind if it else None, case_no=it.case_no if it else None,
            in_sample=no in sample_nos, result=c.result if c else "not checked", seal=c.seal if c else None,
            record_seal=c.record_seal if c else (it.seal if it else None), location=c.location if c else None,
            record_location=c.record_location if c else (it.location if it else None),
            checked_by=c.checked_by if c else None, checked_at=c.checked_at if c else None,
            note=c.note if c else None))
    if audit.closed_seq is not None:
        rows = session.scalars(select(AuditFinding).where(AuditFinding.audit_no == audit.no)
                               .order_by(AuditFinding.item_no, AuditFinding.kind))
        found = [{"item": f"EV-{f.item_no:06d}", "kind": f.kind, "detail": f.detail} for f in rows]
    else:
        found = [{"item": f"EV-{f['item_no']:06d}", "kind": f["kind"], "detail": f["detail"]}
                 for f in audit_finding_rows(_row_of(audit), [_row_of(c) for c in checks.values()])]
    return AuditReport(summary, lines, found, audit.closed_seq is not None)


# -- re-drawing a sample from an exported copy of the log -----------------------------------
def redraw_from_bundle(folder, audit_ref: str) -> dict:
    """An audit's seed and sample drawn again from a full log bundle ('evidence export log'):
    the bundle's events replayed and their leaves appended, as `verify` does with the database,
    but from the copy alone. Returns {"audit", "seed", "sample", "events"}."""
    from pathlib import Path

    from ledger.log.merkle import RightEdge, leaf_commitment
    from ledger.rules import Event, State, step

    path = Path(folder) / "events.jsonl"
    replay = State()
    replay.edge = RightEdge()
    events = 0
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                body = entry["body"]
                replay.edge.append(leaf_commitment(bytes.fromhex(entry["salt"]), body.encode("utf-8")))
                doc = json.loads(body)
                step(replay, Event.from_body(doc, entry["hash"]), check=False)
                events += 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(_("{path} is not the events file of a full log bundle ({error}).").format(
            path=path, error=f"{exc.__class__.__name__}: {exc}"),
                         hint=_("Export one with 'evidence export log --out DIR' (without --case).")) from None
    label = str(audit_ref).strip().upper()
    drawn = replay.audits.get(label)
    if drawn is None:
        raise NotFound(_("AUDIT: the bundle at {folder} holds no audit {audit}.").format(folder=folder, audit=label),
                       hint=_("Export the log again after the audit started."))
    return {"audit": label, "seed": drawn["row"]["seed"], "sample": json.loads(drawn["row"]["sample"]),
            "events": events}


def audit_export(session: Session, ref: str):
    """The audit as `show_audit` gives it, for its workbook, once the whole log verifies (an
    audit spans every case whose items stand in its room)."""
    from ledger.i18n import N_
    from ledger.verify import require_log_verified

    require_log_verified(session, N_("the audit workbook"))
    return show_audit(session, ref)
