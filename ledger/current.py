"""The rulebook's state read from the current-state tables, for a command about to append.

A command decides its act through the rulebook (ledger.rules.step) like every verifier does;
it needs only the few rows its act touches, so this state reads them on demand, by primary
key, through the session (rows the command already loaded cost nothing), and keeps what the
events of the same transaction change. `ledger.events.append_events` applies every event to
it before anything is written: an act the rules refuse is never appended.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Assignment, AuditCheck, Base, Case, Event, InventoryAudit, Item, Offer, Officer, Seizure
from ledger.replay import row_description_digest
from ledger.rules.disclosure import case_key
from ledger.rules.state import ITEM_DESCRIPTIVE, ITEM_STATE, State, number

_MAPPED = {m.local_table.name: m.class_ for m in Base.registry.mappers}


class _OnDemand(dict):
    """A dict that loads a missing key once (`load(key)` -> value or None) and remembers it."""

    def __init__(self, load):
        super().__init__()
        self._load = load
        self._absent: set = set()

    def _fetch(self, key):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if key in self._absent:
            return None
        value = self._load(key)
        if value is None:
            self._absent.add(key)
        else:
            dict.__setitem__(self, key, value)
        return value

    def get(self, key, default=None):
        value = self._fetch(key)
        return default if value is None else value

    def __contains__(self, key) -> bool:
        return self._fetch(key) is not None

    def __getitem__(self, key):
        value = self._fetch(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key, value) -> None:
        self._absent.discard(key)
        dict.__setitem__(self, key, value)

    def pop(self, key, *default):
        self._fetch(key)
        self._absent.add(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key, default=None):
        value = self._fetch(key)
        if value is None:
            self[key] = default
            return default
        return value


class CurrentState(State):
    """The state as the tables hold it now, read on demand (see the module's docstring)."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        for table in self.rows:
            self.rows[table] = _OnDemand(lambda key, t=table: self._row(t, key))
        self.items = _OnDemand(self._item)
        self.open_offers = _OnDemand(self._open_offer)
        self.open_assignments = _OnDemand(self._open_assignment)
        self.seizures = _OnDemand(self._seizure)
        self.audits = _OnDemand(self._audit)
        self._last_item = None
        self._stepped: list[tuple[int, str | None]] = []  # (seq, case) of this transaction's events

    def _row(self, table: str, key: tuple) -> tuple | None:
        cls = _MAPPED.get(table)
        obj = self.session.get(cls, key if len(key) > 1 else key[0]) if cls is not None else None
        if obj is None:
            return None
        return tuple(getattr(obj, c) for c in self._cols[table])

    def _item(self, label) -> list | None:
        try:
            no = number(label)
        except (TypeError, ValueError):
            return None
        if self._last_item is None:  # items are numbered in order: a larger number is not there yet
            self._last_item = self.session.execute(select(func.max(Item.no))).scalar() or 0
        if no > self._last_item:
            return None
        item = self.session.get(Item, no)
        if item is None or item.id != label:
            return None
        st = [getattr(item, c) for c in ITEM_STATE]
        st.append(row_description_digest(tuple(getattr(item, c) for c in ITEM_DESCRIPTIVE)))
        return st

    def _open_offer(self, label) -> tuple | None:
        offer = self.session.execute(select(Offer).where(Offer.item_no == number(label), Offer.closed_seq.is_(None))
                                     .order_by(Offer.seq.desc()).limit(1)).scalar_one_or_none()
        if offer is None:
            return None
        data = json.loads(self.session.get(Event, offer.seq).body)["data"]
        return (offer.seq, offer.from_badge, offer.to_badge, data.get("location"), data.get("seal"))

    def _open_assignment(self, label) -> int | None:
        return self.session.execute(select(Assignment.seq).where(Assignment.item_no == number(label),
                                                                 Assignment.returned_seq.is_(None))
                                    .order_by(Assignment.seq.desc()).limit(1)).scalar_one_or_none()

    def _seizure(self, label) -> str | None:
        return self.session.execute(select(Seizure.case_no).where(Seizure.id == label)).scalar_one_or_none()

    def _audit(self, label) -> dict | None:
        audit = self.session.execute(select(InventoryAudit).where(InventoryAudit.id == label)).scalar_one_or_none()
        if audit is None:
            return None
        row = {c: getattr(audit, c) for c in self._cols["audits"]}
        checks = {}
        for check in self.session.scalars(select(AuditCheck).where(AuditCheck.audit_no == audit.no)):
            item = self.session.get(Item, check.item_no)
            checks[item.id if item else check.item_no] = {c: getattr(check, c) for c in self._cols["audit_checks"]}
        return {"row": row, "checks": checks}

    def open_audit_at(self, location: str) -> dict | None:
        found = super().open_audit_at(location)  # one started in this transaction
        if found is not None:
            return found
        audit = self.session.execute(select(InventoryAudit).where(InventoryAudit.location == location,
                                                                  InventoryAudit.closed_seq.is_(None))
                                     .order_by(InventoryAudit.no).limit(1)).scalar_one_or_none()
        return None if audit is None else {c: getattr(audit, c) for c in self._cols["audits"]}

    def tally(self, seq: int, case) -> None:
        self._stepped.append((seq, case if type(case) is str else None))

    def index_view(self, before: int) -> tuple[dict, tuple[int, int], dict]:
        """What the case index commits, from the log's rows before seq `before` (one aggregate
        over the case_no index) and this transaction's events not written yet."""
        counts: dict = {}
        written = 0
        for case, count, last in self.session.execute(
                select(Event.case_no, func.count(), func.max(Event.seq)).where(Event.seq < before)
                .group_by(Event.case_no)):
            counts[case] = [count, last]
            written = max(written, last)
        for seq, case in self._stepped:
            if written < seq < before:
                counted = counts.setdefault(case, [0, 0])
                counted[0] += 1
                counted[1] = seq
        keys = {case: case_key(salt) for case, salt in self.session.execute(
            select(Case.case_no, Event.salt).join(Event, Event.seq == Case.opened_seq))}
        keys.update({case: bytes.fromhex(key) for case, key in self.case_keys.items()})
        wide = counts.pop(None, [0, 0])
        return {c: tuple(t) for c, t in counts.items()}, tuple(wide), keys

    def admins(self) -> list[str]:
        return list(self.session.scalars(select(Officer.badge).where(Officer.role == "admin").order_by(Officer.badge)))

    def audited_population(self, location: str) -> list[str]:
        return sorted(self.session.scalars(select(Item.id).where(Item.location == location,
                                                                 Item.status == "in-custody")), key=number)


def current_state(session: Session) -> CurrentState:
    """This transaction's state (one per session, so that its events see each other's effects)."""
    state = session.info.get("rules_state")
    if state is None:
        state = session.info["rules_state"] = CurrentState(session)
    return state
