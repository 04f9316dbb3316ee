"""What needs action now or soon: each entry names the rule that put it on the list, and the
rules with their thresholds are part of the report, so a list can be read without the program.

Rules: cash not deposited within the configured hours of its seizure; items in temporary use
past the last day of their assignment; items whose review date has passed; items of a case
still held some days after the case's final disposition order. Each threshold is an option,
else an environment variable, else a default. Read from the current-state tables, which
`verify` checks against the log.
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
from ledger.i18n import N_, _
from ledger.models import Assignment, CaseOrder, Item, ItemReview, Seizure
from ledger.validate import from_utc_iso, local_iso, parse_time, utc_iso

DEFAULT_CASH_HOURS = 48
CASH_HOURS_ENV = "EVIDENCE_DUE_CASH_HOURS"
DEFAULT_REVIEW_DAYS = 0
REVIEW_DAYS_ENV = "EVIDENCE_DUE_REVIEW_DAYS"
DEFAULT_ORDER_DAYS = 30
ORDER_DAYS_ENV = "EVIDENCE_DUE_ORDER_DAYS"
RULES_ENV = "EVIDENCE_DUE_RULES"
MAX_WITHIN_DAYS = 3650
RULES = ("cash-undeposited", "assignment-ended", "review-passed", "held-after-final-order")


@dataclass
class DueEntry:
    rule: str  # one of RULES
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
        raise InputError(_("{field} {value} is not a whole number from {low} to {high}.").format(
            field=field, value=repr(text[:20]), low=low, high=high), hint=_(hint))
    return int(text)


def _setting(value, option: str, env: str, default: int, low: int, high: int, hint: str) -> int:
    """The option's value, else the environment variable's, else the default; the message names
    whichever was wrong."""
    if value is None and os.environ.get(env):
        return _whole(os.environ[env], f"${env}", low, high, hint)
    return _whole(default if value is None else value, option, low, high, hint)


def cash_hours_setting(value=None) -> int:
    """--cash-hours, else $EVIDENCE_DUE_CASH_HOURS, else the default."""
    return _setting(value, "--cash-hours", CASH_HOURS_ENV, DEFAULT_CASH_HOURS, 1, 24 * 365,
                    N_("Give the hours within which seized cash must be deposited, e.g. 48."))


def review_days_setting(value=None) -> int:
    """--review-days, else $EVIDENCE_DUE_REVIEW_DAYS, else 0: days of grace after a review date."""
    return _setting(value, "--review-days", REVIEW_DAYS_ENV, DEFAULT_REVIEW_DAYS, 0, MAX_WITHIN_DAYS,
                    N_("Give the days an item may go past its review date before it is listed, e.g. 0."))


def order_days_setting(value=None) -> int:
    """--order-days, else $EVIDENCE_DUE_ORDER_DAYS, else 30: days after a final order."""
    return _setting(value, "--order-days", ORDER_DAYS_ENV, DEFAULT_ORDER_DAYS, 0, MAX_WITHIN_DAYS,
                    N_("Give the days within which a case's items must be disposed of after its final order, "
                       "e.g. 30."))


def rules_setting(values=None) -> tuple[str, ...]:
    """--rule (repeatable), else $EVIDENCE_DUE_RULES (comma-separated), else every rule."""
    field = "--rule"
    if not values and os.environ.get(RULES_ENV):
        values, field = os.environ[RULES_ENV].split(","), f"${RULES_ENV}"
    chosen = [str(v).strip().lower() for v in values or () if str(v).strip()]
    unknown = [v for v in chosen if v not in RULES]
    if unknown:
        raise InputError(_("{field} {value} is not a rule of 'evidence due'.").format(
            field=field, value=repr(unknown[0][:40])), hint=_("Use one or more of: {rules}.").format(
                rules=", ".join(RULES)))
    return tuple(r for r in RULES if r in chosen) if chosen else RULES


def _day_after(day: str, days: int, zone) -> datetime.datetime:
    """The start of the day `days` + 1 days after `day`, in the zone the officers keep their
    calendar in: a date is a whole day, and it has passed when the next one begins."""
    return datetime.datetime.combine(datetime.date.fromisoformat(day) + datetime.timedelta(days=days + 1),
                                     datetime.time(), zone)


def due_report(session: Session, *, within: int | str | None = None, case_no: str | None = None,
               location: str | None = None, cash_hours=None, review_days=None, order_days=None, rules=None,
               at: str | None = None, tz: str = "America/Lima") -> dict:
    """Everything overdue at `at` (default now), and what falls due within `within` days after."""
    from ledger.registry import get_case, get_location

    days = _whole(within if within is not None else 0, "--within", 0, MAX_WITHIN_DAYS,
                  N_("Give a number of days, e.g. --within 7."))
    hours = cash_hours_setting(cash_hours)
    grace = review_days_setting(review_days)
    after_order = order_days_setting(order_days)
    chosen = rules_setting(rules)
    now = parse_time(at, tz, "--at") if at else now_utc().replace(microsecond=0)
    horizon = now + datetime.timedelta(days=days)
    case = get_case(session, case_no, "--case").case_no if case_no else None
    place = get_location(session, location, "--location").code if location else None
    scope = [Item.case_no == case] if case else []
    scope += [Item.location == place] if place else []
    zone = zoneinfo.ZoneInfo(tz)
    entries: list[DueEntry] = []

    def add(rule, item, kind, case_of, loc, holder, due, detail) -> None:
        if due <= horizon:
            entries.append(DueEntry(rule, item, kind, case_of, loc, holder, utc_iso(due), due <= now, detail))

    if "cash-undeposited" in chosen:
        cash = session.execute(
            select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Seizure.occurred_at, Seizure.id)
            .join(Seizure, Seizure.no == Item.seizure_no)
            .where(Item.kind == "cash", Item.status == "in-custody", *scope).order_by(Item.no))
        for item, kind, case_of, loc, holder, seized, seizure in cash:
            add("cash-undeposited", item, kind, case_of, loc, holder,
                from_utc_iso(seized) + datetime.timedelta(hours=hours),
                _("seized {at} ({seizure}), not deposited within {hours} hours").format(
                    at=local_iso(seized, tz), seizure=seizure, hours=hours))

    if "assignment-ended" in chosen:
        lent = session.execute(
            select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Assignment.until,
                   Assignment.entity, Assignment.court_order)
            .join(Assignment, Assignment.item_no == Item.no)
            .where(Item.status == "assigned", Assignment.returned_seq.is_(None), *scope).order_by(Item.no))
        for item, kind, case_of, loc, holder, until, entity, order in lent:
            # The use ends with its last day.
            add("assignment-ended", item, kind, case_of, loc, holder, _day_after(until, 0, zone),
                _("in temporary use by {entity} until {until} ({order}), not returned").format(
                    entity=entity, until=until, order=order))

    if "review-passed" in chosen:
        reviewed = session.execute(
            select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Item.status,
                   ItemReview.review_on, ItemReview.reason, ItemReview.seq)
            .join(ItemReview, ItemReview.item_no == Item.no)
            .where(ItemReview.review_on.is_not(None), Item.status != "disposed", *scope).order_by(Item.no))
        for item, kind, case_of, loc, holder, status, review_on, reason, seq in reviewed:
            add("review-passed", item, kind, case_of, loc, holder, _day_after(review_on, grace, zone),
                (_("review date {on} (event {seq}: {reason}) passed; {status}") if reason else
                 _("review date {on} (event {seq}) passed; {status}")).format(on=review_on, seq=seq, reason=reason,
                                                                              status=status))

    if "held-after-final-order" in chosen:
        finals: dict[str, tuple] = {}  # case -> its latest recorded final order
        for row in session.execute(
                select(CaseOrder.case_no, CaseOrder.seq, CaseOrder.court_order, CaseOrder.ordered_at)
                .where(CaseOrder.is_final == 1, *([CaseOrder.case_no == case] if case else []))
                .order_by(CaseOrder.seq)):
            finals[row.case_no] = row
        if finals:
            held = session.execute(
                select(Item.id, Item.kind, Item.case_no, Item.location, Item.holder, Item.status)
                .where(Item.case_no.in_(list(finals)), Item.status != "disposed", *scope).order_by(Item.no))
            for item, kind, case_of, loc, holder, status in held:
                final = finals[case_of]
                add("held-after-final-order", item, kind, case_of, loc, holder,
                    from_utc_iso(final.ordered_at) + datetime.timedelta(days=after_order),
                    _("final order {order} of {at} (event {seq}); still {status}, not disposed of").format(
                        order=final.court_order, at=local_iso(final.ordered_at, tz), seq=final.seq, status=status))

    entries.sort(key=lambda e: (e.due_at, e.item, e.rule))
    stated = {
        "cash-undeposited": {"threshold": _("{hours} hours").format(hours=hours),
                             "setting": f"--cash-hours, ${CASH_HOURS_ENV}",
                             "text": _("seized cash not deposited within {hours} hours of its seizure").format(
                                 hours=hours)},
        "assignment-ended": {"threshold": _("the --until date"), "setting": _("the assignment's --until"),
                             "text": _("an item in temporary use not returned after the last day of its assignment")},
        "review-passed": {"threshold": _("the review date") if not grace else
                          _("{days} day(s) after the review date").format(days=grace),
                          "setting": f"--review-days, ${REVIEW_DAYS_ENV}",
                          "text": _("an item not disposed of whose review date has passed by more than {days} "
                                    "day(s)").format(days=grace) if grace else
                          _("an item not disposed of whose review date has passed")},
        "held-after-final-order": {"threshold": _("{days} days").format(days=after_order),
                                   "setting": f"--order-days, ${ORDER_DAYS_ENV}",
                                   "text": _("an item not disposed of {days} days after its case's final disposition "
                                             "order").format(days=after_order)},
    }
    return {"at": utc_iso(now), "within_days": days, "case": case, "location": place,
            "rules": [{"rule": r, **stated[r]} for r in chosen], "entries": [asdict(e) for e in entries]}
