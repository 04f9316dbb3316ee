"""What needs action now or soon: each entry names the rule that put it on the list, and the
rules with their thresholds are part of the report, so a list can be read without the program.

Rules: cash not deposited within the configured hours of its seizure; items in temporary use
past the last day of their assignment. Read from the current-state tables, which `verify`
checks against the log.
"""

from __future__ import annotations

import datetime
import os
import zoneinfo
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.events import now_utc
from ledger.models import Assignment, Item, Seizure
from ledger.validate import from_utc_iso, parse_time, utc_iso

DEFAULT_CASH_HOURS = 48
CASH_HOURS_ENV = "EVIDENCE_DUE_CASH_HOURS"
MAX_WITHIN_DAYS = 3650


@dataclass
class DueEntry:
    rule: str  # cash-undeposited, assignment-ended
    item: str
    kind: str
    case_no: str
    location: str | None
    holder: str | None
    due_at: str  # when it fell due, or falls due (ledger time)
    overdue: bool  # False: falls due within --within days
    detail: str


def _whole(value, field: str, low: int, high: int, hint: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InputError(f"{field} {text[:20]!r} is not a whole number from {low} to {high}.", hint=hint)
    return int(text)


def cash_hours_setting(value=None) -> int:
    """--cash-hours, else $EVIDENCE_DUE_CASH_HOURS, else the default."""
    if value is None:
        value = os.environ.get(CASH_HOURS_ENV) or DEFAULT_CASH_HOURS
        field = f"${CASH_HOURS_ENV}" if os.environ.get(CASH_HOURS_ENV) else "--cash-hours"
    else:
        field = "--cash-hours"
    return _whole(value, field, 1, 24 * 365, "Give the hours within which seized cash must be deposited, e.g. 48.")


def due_report(session: Session, *, within: int | str | None = None, case_no: str | None = None,
               location: str | None = None, cash_hours=None, at: str | None = None,
               tz: str = "America/Lima") -> dict:
    """Everything overdue at `at` (default now), and what falls due within `within` days after."""
    from ledger.registry import get_case, get_location

    days = _whole(within if within is not None else 0, "--within", 0, MAX_WITHIN_DAYS,
                  "Give a number of days, e.g. --within 7.")
    hours = cash_hours_setting(cash_hours)
    now = parse_time(at, tz, "--at") if at else now_utc().replace(microsecond=0)
    horizon = now + datetime.timedelta(days=days)
    case = get_case(session, case_no, "--case").case_no if case_no else None
    place = get_location(session, location, "--location").code if location else None
    scope = [Item.case_no == case] if case else []
    scope += [Item.location == place] if place else []
    entries: list[DueEntry] = []

    cash = session.execute(
        select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Seizure.occurred_at, Seizure.id)
        .join(Seizure, Seizure.no == Item.seizure_no)
        .where(Item.kind == "cash", Item.status == "in-custody", *scope).order_by(Item.no))
    for item, kind, case_of, loc, holder, seized, seizure in cash:
        due = from_utc_iso(seized) + datetime.timedelta(hours=hours)
        if due <= horizon:
            entries.append(DueEntry("cash-undeposited", item, kind, case_of, loc, holder, utc_iso(due), due <= now,
                                    f"seized {seized} ({seizure}), not deposited within {hours} hours"))

    zone = zoneinfo.ZoneInfo(tz)
    lent = session.execute(
        select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Assignment.until, Assignment.entity,
               Assignment.court_order)
        .join(Assignment, Assignment.item_no == Item.no)
        .where(Item.status == "assigned", Assignment.returned_seq.is_(None), *scope).order_by(Item.no))
    for item, kind, case_of, loc, holder, until, entity, order in lent:
        # The use ends with its last day, in the zone the officers keep their calendar in.
        end = datetime.datetime.combine(datetime.date.fromisoformat(until) + datetime.timedelta(days=1),
                                        datetime.time(), zone)
        if end <= horizon:
            entries.append(DueEntry("assignment-ended", item, kind, case_of, loc, holder, utc_iso(end), end <= now,
                                    f"in temporary use by {entity} until {until} ({order}), not returned"))

    entries.sort(key=lambda e: (e.due_at, e.item, e.rule))
    rules = [{"rule": "cash-undeposited", "threshold": f"{hours} hours",
              "text": f"seized cash not deposited within {hours} hours of its seizure"},
             {"rule": "assignment-ended", "threshold": "the --until date",
              "text": "an item in temporary use not returned after the last day of its assignment"}]
    return {"at": utc_iso(now), "within_days": days, "case": case, "location": place, "rules": rules,
            "entries": [asdict(e) for e in entries]}
