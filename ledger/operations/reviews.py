"""Review dates: the day by which someone must look again at why an item is still held (a
prosecutor's diary date, the evidence room's periodic review). Setting, moving or clearing one
is an event, so `evidence due` lists items whose date has passed and `verify` checks the rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound, RuleError
from ledger.events import append_event, now_utc
from ledger.i18n import _
from ledger.items import item_label
from ledger.models import Item, ItemReview
from ledger.registry import require_actor
from ledger.rules.items import REVIEW_SET
from ledger.rules.state import review_row
from ledger.validate import clean_text, local_iso, parse_time, utc_iso

REASON_MAX = 500


def _review_date(text: str | None) -> str:
    if text is None or not str(text).strip():
        raise InputError(_("--on is required: give the review date as YYYY-MM-DD, or --clear to end the review."))
    try:
        return datetime.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise InputError(_("--on {value} is not a date; write it as YYYY-MM-DD, e.g. 2021-04-06.").format(
            value=repr(str(text)[:40]))) from None


def _items(session: Session, refs: Sequence[str]) -> list[Item]:
    from ledger.custody import item_numbers

    nos = item_numbers(refs, "review", example="evidence item review EV-000001 --on ...")
    found = {i.no: i for i in session.scalars(select(Item).where(Item.no.in_(nos)))}
    missing = [item_label(n) for n in nos if n not in found]
    if missing:
        raise NotFound(_("ITEM: no item {items} is registered; nothing was written.").format(items=", ".join(missing)),
                       hint=_("Evidence numbers look like EV-000042; 'evidence item list' shows them."))
    items = [found[n] for n in nos]
    cases = sorted({i.case_no for i in items})
    if len(cases) > 1:
        raise RuleError(_("The items belong to {n} cases ({cases}); one review date is set on the items of one "
                          "case.").format(n=len(cases), cases=", ".join(cases)), hint=_("Run it once per case."))
    return items


def set_review(session: Session, refs: Sequence[str], *, on: str | None = None, clear: bool = False,
               reason: str | None = None, by: str | None, at: str | None = None,
               tz: str = "America/Lima") -> dict:
    """Set (or move) the review date of items, or clear it once the review is done. A custodian
    or a prosecutor records it; disposed items need no review."""
    if clear and on is not None:
        raise InputError(_("Give either --on DATE (set or move the review date) or --clear (the review is done), "
                           "not both."))
    review_on = None if clear else _review_date(on)
    reason = clean_text(reason, "--reason", max_len=REASON_MAX, required=False) or None
    when = utc_iso(parse_time(at, tz, "--at")) if at else utc_iso(now_utc())
    actor = require_actor(session, by, "item.review")
    items = _items(session, refs)
    pending = {r.item_no: r for r in session.scalars(select(ItemReview).where(
        ItemReview.item_no.in_([i.no for i in items])))}
    day = local_iso(when, tz)[:10]
    errors: list[str] = []
    for item in items:
        current = pending.get(item.no)
        current_on = current.review_on if current is not None else None
        if item.status == "disposed":
            errors.append(_("item {item}: was disposed of ({disposition}, {authority}); a disposed item needs no "
                            "review.").format(item=item.id, disposition=item.disposition, authority=item.authority))
        elif when < item.last_at:
            errors.append(_("item {item}: --at {at} is before its last recorded event (seq {seq} at {last}); give a "
                            "later --at.").format(item=item.id, at=local_iso(when, tz), seq=item.last_seq,
                                                  last=local_iso(item.last_at, tz)))
        elif review_on is None and current_on is None:
            errors.append(_("item {item}: has no review date to clear; see 'evidence item show {item}'.").format(
                item=item.id))
        elif review_on is not None and review_on == current_on:
            errors.append(_("item {item}: its review date is already {on}; give another date, or --clear once the "
                            "review is done.").format(item=item.id, on=review_on))
        elif review_on is not None and review_on < day:
            errors.append(_("item {item}: --on {on} is before the day it is set ({day}); a review date lies "
                            "ahead.").format(item=item.id, on=review_on, day=day))
    if len(errors) == 1:
        raise RuleError(errors[0])
    if errors:
        raise RuleError(_("The review date was refused for {n} reasons; nothing was written:").format(n=len(errors)),
                        details=errors)

    data = {"review_on": review_on, "reason": reason}
    case_no = items[0].case_no
    ev = append_event(session, REVIEW_SET, data, actor=actor.badge, occurred_at=when, case_no=case_no,
                      items=[(i.no, i.id) for i in items])
    for item in items:
        row = review_row(ev.seq, when, actor.badge, case_no, item.id, data)
        if item.no in pending:
            session.execute(update(ItemReview).where(ItemReview.item_no == item.no).values(**row)
                            .execution_options(synchronize_session=False))
        else:
            session.execute(insert(ItemReview), [row])
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "items": [i.id for i in items], "case_no": case_no,
            "review_on": review_on, "reason": reason, "occurred_at": when}

