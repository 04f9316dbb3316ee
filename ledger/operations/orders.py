"""Court orders on a case: the orders and resolutions a court gives about its evidence, and
above all the final disposition order, after which nothing of the case should stay in custody
for long (`evidence due` lists what still does). Each order is an event; `case_orders` is its row.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.events import append_event, now_utc
from ledger.i18n import _
from ledger.models import CaseOrder
from ledger.registry import get_case, require_actor
from ledger.rules.cases import CASE_ORDERED
from ledger.rules.state import case_order_row
from ledger.validate import clean_text, parse_time, utc_iso

NOTE_MAX = 500


def record_order(session: Session, case_no: str, *, order: str | None, final: bool = False,
                 note: str | None = None, by: str | None, at: str | None = None,
                 tz: str = "America/Lima") -> dict:
    """Record a court order on a case, given at `at` (default now); `final` marks the final
    disposition order. A custodian or a prosecutor records it."""
    if order is None or not str(order).strip():
        raise InputError(_("--order is required to record an order on case {case}: name the court order or "
                           "resolution.").format(case=case_no),
                         hint=_('e.g. --order "Sentencia 4-2022, 1er Juzgado Penal de Arequipa".'))
    order = clean_text(order, "--order", max_len=200)
    note = clean_text(note, "--note", max_len=NOTE_MAX, required=False) or None
    when = utc_iso(parse_time(at, tz, "--at")) if at else utc_iso(now_utc())
    actor = require_actor(session, by, "case.order")
    case = get_case(session, case_no)
    data = {"case_no": case.case_no, "order": order, "final": bool(final), "note": note}
    ev = append_event(session, CASE_ORDERED, data, actor=actor.badge, occurred_at=when, case_no=case.case_no)
    row = case_order_row(ev.seq, when, actor.badge, data)
    session.execute(insert(CaseOrder), [row])
    return {"id": ev.seq, "seq": ev.seq, "hash": ev.hash, "case_no": case.case_no, "order": order,
            "final": bool(final), "note": note, "ordered_at": when}

