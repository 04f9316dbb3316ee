"""`evidence db rebuild`: every current-state table written again from the log, through the
rulebook. Recovery after a damaged table, and the proof that the tables are the log: the
whole `verify` runs first, and a log that breaks a rule (or whose chain, tree or signatures
do not hold) is refused, naming its first bad seq, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ledger.errors import VerificationFailed
from ledger.findings import Finding
from ledger.i18n import _
from ledger.models import Base, Event, insert_rows
from ledger.replay import item_row
from ledger.rules.items import REGISTERED
from ledger.rules.state import DERIVED, ITEM_STATE, State, columns, number
from ledger.verify import BATCH, _parse_canonical, verify_log

# Tables in the order their rows may be inserted (each after those it refers to).
_ORDER = [t.name for t in Base.metadata.sorted_tables if t.name in DERIVED]


@dataclass
class Rebuilt:
    events: int
    head: str
    rows: dict[str, int]  # table -> rows written (or that would be, with check)
    findings: list[Finding]  # with check: where the stored tables differ from the log

    def as_dict(self) -> dict:
        return {"events": self.events, "head": self.head, "rows": self.rows, "ok": not self.findings,
                "findings": [f.as_dict() for f in self.findings]}


def rebuild_tables(session: Session, *, check: bool = False, follow_rules: bool = True) -> Rebuilt:
    """Replay the whole log (ledger.verify) and, unless `check`, replace every current-state
    table with what the replay built. Refused (VerificationFailed, nothing written) when the
    log itself has a finding. `follow_rules=False` writes the tables even for a log that breaks
    the rules, as an insider with the database file could (tests use it to make a forgery's
    tables agree with its log); the program never does."""
    report = verify_log(session)
    bad = report.log_findings
    if bad and follow_rules:
        shown = [f.render() for f in bad[:20]] + ([_("... and {n} more.").format(n=len(bad) - 20)]
                                                  if len(bad) > 20 else [])
        raise VerificationFailed(
            _("The log breaks its rules or its chain ({n} finding(s)); the first bad event is seq {seq}, and no table "
              "was rebuilt.").format(n=len(bad), seq=report.first_bad_seq), details=shown,
            hint=_("Run 'evidence verify' and have the findings explained; a log is never rebuilt past them."))
    state = report.state
    counts = {t: len(state.rows[t]) for t in state.rows}
    counts["items"] = len(state.items)
    if check:
        counts["event_items"] = sum(1 for _ in _links(session))
        return Rebuilt(report.events, f"{report.head_seq}:{report.head_hash}", counts, report.table_findings)
    for name in reversed(_ORDER):
        session.execute(delete(Base.metadata.tables[name]))
    for name in _ORDER:
        table = Base.metadata.tables[name]
        if name == "items":
            for rows in _items(session, state):
                insert_rows(session.connection(), table, rows)
        elif name == "event_items":
            counts[name] = 0
            links: list[dict] = []
            for seq, no in _links(session):
                links.append({"seq": seq, "item_no": no})
                if len(links) >= BATCH:
                    insert_rows(session.connection(), table, links)
                    counts[name] += len(links)
                    links = []
            insert_rows(session.connection(), table, links)
            counts[name] += len(links)
        else:
            cols = columns(name)
            rows = [dict(zip(cols, row, strict=True)) for row in state.rows[name].values()]
            for at in range(0, len(rows), BATCH):
                insert_rows(session.connection(), table, rows[at:at + BATCH])
    session.info.pop("chain_head", None)
    return Rebuilt(report.events, f"{report.head_seq}:{report.head_hash}", counts, [])


def _bodies(session: Session, *where):
    last = 0
    while True:
        rows = session.execute(select(Event.seq, Event.occurred_at, Event.case_no, Event.body)
                               .where(Event.seq > last, *where).order_by(Event.seq).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _items(session: Session, state: State):
    """Full items rows: the description from each registration, the rest from the state."""
    rows: list[dict] = []
    for row in _bodies(session, Event.type == REGISTERED):
        data = _parse_canonical(row.body)["data"]
        st = state.items.get(data["item"])
        if st is None or st[ITEM_STATE.index("registered_seq")] != row.seq:
            continue
        rows.append({**item_row(row.seq, row.occurred_at, row.case_no, data),
                     **dict(zip(ITEM_STATE, st[:len(ITEM_STATE)], strict=True))})
        if len(rows) >= BATCH:
            yield rows
            rows = []
    if rows:
        yield rows


def _links(session: Session):
    """(seq, item number) of every item every event names, as event_items holds them."""
    for row in _bodies(session):
        for item in _parse_canonical(row.body).get("items") or ():
            yield row.seq, number(item)
