"""A stateful model test of custody: Hypothesis draws random sequences of registrations,
transfers (offers, and handovers both officers sign at once; many of them invalid), accepts and
declines of offers, reseals, witnessed dispositions, rate entries, review dates and court orders,
runs them through the ledger's public functions, and after every step compares holders,
statuses, seals, current rates, review dates and the number of events with a plain in-memory
model, and runs `verify`.

A step the model expects to be refused must raise a LedgerError and write nothing; a step it
expects to pass must pass. Runs on SQLite always and on PostgreSQL when EVIDENCE_TEST_PG_URL is set.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.conftest import PG_SKIP, PG_URL, create_pg_database, drop_pg_database, pg_url_for

ROLES = {"B-1001": "officer", "B-1002": "officer", "C-3001": "custodian", "F-2001": "prosecutor",
         "A-4001": "auditor"}
# Hypothesis leans towards the first choice of a list: put the useful ones first.
BADGES = ["C-3001", "B-1001", "B-1002", "F-2001", "A-4001"]
MAY_HOLD = {"officer", "custodian", "prosecutor"}
START = datetime(2020, 10, 6, 11, 0, tzinfo=UTC)
SEALS = ["S-1", "S-2", "S-3"]
DAYS = ["2020-10-05", "2020-10-06", "2020-10-07"]
VALUES = ["3.5000", "3.6000"]
SETTINGS = {"sqlite": settings(max_examples=60, stateful_step_count=40, deadline=None,
                               suppress_health_check=list(HealthCheck)),
            "postgresql": settings(max_examples=20, stateful_step_count=30, deadline=None,
                                   suppress_health_check=list(HealthCheck))}


def at_text(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


class CustodyMachine(RuleBasedStateMachine):
    backend = "sqlite"
    sqlite_template: Path | None = None
    pg_template: str | None = None

    def __init__(self):
        super().__init__()
        from ledger.db import open_ledger
        from ledger.registry import add_officer, open_case, record_seizure

        if self.backend == "sqlite":
            self.tmp = tempfile.mkdtemp(prefix="stateful-")
            path = Path(self.tmp) / "ledger.db"
            shutil.copyfile(self.sqlite_template, path)
            url = f"sqlite:///{path}"
        else:
            self.pg_name = create_pg_database(template=self.pg_template)
            url = pg_url_for(self.pg_name)
        import base64

        from ledger.identity import keys
        from ledger.identity.signing import Keyring
        from ledger.registry import init_ledger

        self.ledger = open_ledger(url)
        self.keys = tempfile.mkdtemp(prefix="stateful-keys-")
        self.ledger.keyring = Keyring(demo_dir=Path(self.keys), passphrase=lambda _b, _p: "k")
        made = {b: keys.generate_key_file(Path(self.keys) / f"{b}.key", b, "k") for b in ["ADM-1", *ROLES]}
        self.ledger.write(init_ledger, "ADM-1", name="Admin", unit=None, public_key=made["ADM-1"].public_key)
        for badge, role in ROLES.items():
            self.ledger.write(add_officer, badge, name=f"Officer {badge}", role=role, by="ADM-1",
                              public_key=base64.b64encode(made[badge].public_key).decode())
        self.ledger.write(open_case, "AQP-1", title="Caso", by="B-1001", at="2020-10-06T04:00")
        self.ledger.write(record_seizure, "AQP-1", at="2020-10-06T05:30", place="Arequipa", by="B-1001")
        self.events = len(ROLES) + 3
        self.clock = 0  # minutes after START: the latest moment any accepted act happened
        self.items: dict[str, dict] = {}  # EV-000001 -> holder, status, seal, last (minutes)
        self.rates: dict[tuple[str, str], str] = {}  # (day, source) -> current value
        self.reviews: dict[str, str | None] = {}  # EV-000001 -> its review date (None: cleared)

    def teardown(self):
        self.ledger.dispose()
        shutil.rmtree(self.keys, ignore_errors=True)
        if self.backend == "sqlite":
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            drop_pg_database(self.pg_name)

    # -- running a step ---------------------------------------------------------------
    def attempt(self, expect_ok: bool, fn, *args, **kw):
        from ledger.errors import LedgerError

        try:
            result = self.ledger.write(fn, *args, **kw)
        except LedgerError as exc:
            assert not expect_ok, f"refused but the model expected success: {exc.render()}"
            assert exc.exit_code == 1 and exc.message.strip()
            STATS[f"{fn.__name__} refused"] = STATS.get(f"{fn.__name__} refused", 0) + 1
            return None
        assert expect_ok, f"accepted but the model expected a refusal: {result}"
        STATS[f"{fn.__name__} ok"] = STATS.get(f"{fn.__name__} ok", 0) + 1
        return result

    def when(self, dt: int) -> int:
        return max(0, self.clock + dt)

    # -- rules ------------------------------------------------------------------------
    @rule(by=st.sampled_from(BADGES), seal=st.none() | st.sampled_from(SEALS),
          dt=st.integers(0, 30))
    def register(self, by, seal, dt):
        from ledger.items import prepare_item, register_items

        minutes = self.when(dt)
        spec = prepare_item("document", {"title": f"Documento {len(self.items) + 1}", "seal": seal})
        ok = ROLES[by] in ("officer", "custodian")
        done = self.attempt(ok, register_items, "SZ-000001", [spec], by=by, at=at_text(minutes))
        if done:
            self.items[done[0].id] = {"holder": by, "status": "in-custody", "seal": seal, "last": minutes,
                                      "offered_to": None}
            self.events += 1
            self.clock = max(self.clock, minutes)

    def pick(self, data, label: str) -> str:
        """An item number: mostly one that exists, sometimes one that does not."""
        known = sorted(self.items, reverse=True)
        return data.draw(st.sampled_from([*known, "EV-000099"]), label=label)

    # Weighted towards a plausible handover, so that about half the transfers are accepted and
    # the accepted path is exercised as much as the refusals.
    @rule(data=st.data(), size=st.integers(1, 3), sender=st.sampled_from(["holder"] * 16 + BADGES),
          receiver=st.sampled_from(["other"] * 12 + BADGES), by=st.sampled_from(["sender"] * 10 + BADGES),
          dt=st.integers(-3, 30),
          seal=st.none() | st.sampled_from(SEALS), both_sign=st.booleans())
    @precondition(lambda self: self.items)
    def transfer(self, data, size, sender, receiver, by, dt, seal, both_sign):
        from ledger.custody import transfer_items

        first = self.pick(data, "item")
        holder = (self.items.get(first) or {}).get("holder")
        # The other items: mostly ones of the same holder (a plausible handover), sometimes any.
        same = sorted(i for i, v in self.items.items() if v["holder"] == holder and i != first)
        plausible = st.lists(st.sampled_from(same), max_size=size - 1, unique=True) if same else st.just([])
        anything = st.lists(st.sampled_from([*self.items, "EV-000099"]), max_size=size - 1)
        ids = [first] + data.draw(plausible | anything, label="more")
        refs = [i.replace("EV-0000", "EV-") for i in ids]  # short and long forms both name an item
        if sender == "holder":  # most draws name the actual holder, so that many transfers pass
            sender = (self.items.get(ids[0]) or {}).get("holder") or "B-1001"
        if receiver == "other":
            receiver = next(b for b in ["B-1002", "C-3001", "B-1001", "F-2001"] if b != sender)
        by = sender if by == "sender" else by
        minutes = self.when(dt)
        ok = (ROLES[by] != "auditor" and sender != receiver and ROLES[receiver] in MAY_HOLD and by == sender
              and len(set(ids)) == len(ids) and all(i in self.items for i in ids)
              and all(self.items[i]["status"] == "in-custody" and self.items[i]["holder"] == sender
                      and minutes >= self.items[i]["last"] for i in ids))
        done = self.attempt(ok, transfer_items, refs, from_badge=sender, to_badge=receiver, reason="Entrega",
                            by=by, at=at_text(minutes), seal=seal, receiver_signs=both_sign)
        if done:
            for i in ids:
                if both_sign:
                    self.items[i].update(holder=receiver, last=minutes, **({"seal": seal} if seal else {}))
                else:  # an offer: the holder's until the receiver accepts
                    self.items[i].update(status="in-transit", offered_to=receiver, last=minutes,
                                         pending_seal=seal)
            self.events += 1
            self.clock = max(self.clock, minutes)

    @rule(data=st.data(), by=st.sampled_from(["receiver"] * 6 + BADGES), dt=st.integers(-3, 30),
          accept=st.booleans())
    @precondition(lambda self: self.items)
    def answer(self, data, by, dt, accept):
        """The receiver accepts an offer (or declines it; the holder may withdraw it)."""
        from ledger.custody import accept_items, decline_items

        waiting = sorted(i for i, v in self.items.items() if v["status"] == "in-transit")
        ref = data.draw(st.sampled_from(waiting), label="offered") if waiting and data.draw(
            st.integers(0, 3), label="which") else self.pick(data, "item")
        item = self.items.get(ref)
        if by == "receiver":
            by = (item or {}).get("offered_to") or "C-3001"
        minutes = self.when(dt)
        pending = item is not None and item["status"] == "in-transit" and minutes >= item["last"]
        if accept:
            ok = pending and by == item["offered_to"]
            done = self.attempt(ok, accept_items, [ref], by=by, seal_ok=True, at=at_text(minutes))
        else:
            ok = pending and by in (item["offered_to"], item["holder"])
            done = self.attempt(ok, decline_items, [ref], reason="No", by=by, at=at_text(minutes))
        if done:
            if accept:
                seal = item["pending_seal"]
                item.update(holder=item["offered_to"], **({"seal": seal} if seal else {}))
            item.update(status="in-custody", offered_to=None, last=minutes)
            self.events += 1
            self.clock = max(self.clock, minutes)

    @rule(data=st.data(), old=st.sampled_from(["right", "right", "none", *SEALS]), new=st.sampled_from(SEALS),
          by=st.sampled_from(["holder"] * 3 + BADGES), dt=st.integers(-10, 30))
    @precondition(lambda self: self.items)
    def reseal(self, data, old, new, by, dt):
        from ledger.custody import reseal_item

        ref = self.pick(data, "item")
        item = self.items.get(ref)
        if old == "right":
            old = (item or {}).get("seal") or "none"
        if by == "holder":
            by = (item or {}).get("holder") or "B-1001"
        minutes = self.when(dt)
        ok = (ROLES[by] != "auditor" and item is not None and item["status"] == "in-custody"
              and old == (item["seal"] or "none") and new != item["seal"]
              and (by == item["holder"] or ROLES[by] == "custodian") and minutes >= item["last"])
        done = self.attempt(ok, reseal_item, ref, old_seal=old, new_seal=new, reason="Peritaje", by=by,
                            at=at_text(minutes))
        if done:
            item.update(seal=new, last=minutes)
            self.events += 1
            self.clock = max(self.clock, minutes)

    @rule(data=st.data(), by=st.sampled_from(["F-2001", *BADGES]), dt=st.integers(-10, 30),
          action=st.sampled_from(["returned", "destroyed", "forfeited"]))
    @precondition(lambda self: self.items)
    def dispose(self, data, by, dt, action):
        from ledger.custody import dispose_item

        ref = self.pick(data, "item")
        item = self.items.get(ref)
        minutes = self.when(dt)
        ok = (ROLES[by] in ("custodian", "prosecutor") and item is not None and item["status"] == "in-custody"
              and minutes >= item["last"])
        witness = "B-1002" if by != "B-1002" else "C-3001"
        done = self.attempt(ok, dispose_item, ref, action=action, authority="Resolución 1", by=by,
                            at=at_text(minutes), witness=witness)
        if done:
            item.update(holder=None, status="disposed", last=minutes)
            self.events += 1
            self.clock = max(self.clock, minutes)

    @rule(day=st.sampled_from(DAYS), value=st.sampled_from(VALUES), source=st.sampled_from(["SBS", "BCRP"]),
          supersede=st.booleans(), by=st.sampled_from(["B-1001", "A-4001"]))
    def rate(self, day, value, source, supersede, by):
        from ledger.rates import set_rate

        current = self.rates.get((day, source))
        same = current == value
        ok = by != "A-4001" and (same or (current is None) != supersede)
        done = self.attempt(ok, set_rate, day, "USD", "PEN", value, source=source, by=by, side="sell",
                            supersede=supersede, reason="corrección" if supersede else None)
        if done:
            assert done["status"] == ("already-recorded" if same else "superseded" if current else "recorded")
            if not same:
                self.rates[(day, source)] = value
                self.events += 1

    @rule(data=st.data(), on=st.sampled_from(["2021-01-01", "clear", "2021-01-01", "clear", "2021-06-01",
                                              "2020-10-05"]),
          by=st.sampled_from(["F-2001", "C-3001", "F-2001", "B-1001"]), dt=st.integers(-3, 30))
    @precondition(lambda self: self.items)
    def review(self, data, on, by, dt):
        from ledger.operations.reviews import set_review

        ref = self.pick(data, "item")
        item = self.items.get(ref)
        minutes = self.when(dt)
        day = (START + timedelta(minutes=minutes) - timedelta(hours=5)).date().isoformat()  # Lima, UTC-5
        current = self.reviews.get(ref)
        ok = (ROLES[by] in ("custodian", "prosecutor") and item is not None and item["status"] != "disposed"
              and minutes >= item["last"]
              and (current is not None if on == "clear" else on != current and on >= day))
        done = self.attempt(ok, set_review, [ref], on=None if on == "clear" else on, clear=on == "clear",
                            reason="Revisión", by=by, at=at_text(minutes))
        if done:
            self.reviews[ref] = None if on == "clear" else on
            self.events += 1
            self.clock = max(self.clock, minutes)

    @rule(final=st.booleans(), by=st.sampled_from(["F-2001", "C-3001", "B-1001"]), dt=st.integers(0, 30))
    @precondition(lambda self: len(self.items) >= 2)
    def order(self, final, by, dt):
        from ledger.operations.orders import record_order

        minutes = self.when(dt)
        done = self.attempt(ROLES[by] in ("custodian", "prosecutor"), record_order, "AQP-1", order="Sentencia 1",
                            final=final, by=by, at=at_text(minutes))
        if done:
            self.events += 1
            self.clock = max(self.clock, minutes)

    # -- checks after every step ----------------------------------------------------------
    @rule()
    def rebuild(self):
        """`db rebuild` at any point writes every table back exactly as the commands left it."""
        from ledger.rebuild import rebuild_tables
        from tests.helpers import snapshot

        before = snapshot(self.ledger.url)
        done = self.ledger.write(rebuild_tables)
        assert done.events == self.events
        assert snapshot(self.ledger.url) == before
        STATS["rebuild ok"] = STATS.get("rebuild ok", 0) + 1

    @invariant()
    def matches_the_model(self):
        from sqlalchemy import select

        from ledger.models import Item, Rate
        from ledger.verify import head_seq, verify_log

        with self.ledger.read() as session:
            rows = {i.id: {"holder": i.holder, "status": i.status, "seal": i.seal} for i in session.scalars(select(Item))}
            model = {k: {"holder": v["holder"], "status": v["status"], "seal": v["seal"]} for k, v in self.items.items()}
            assert rows == model
            assert head_seq(session) == self.events
            current = {(r.date, r.source): r.rate for r in
                       session.scalars(select(Rate).where(Rate.superseded_seq.is_(None)))}
            assert current == self.rates
            from ledger.models import ItemReview

            reviews = {f"EV-{r.item_no:06d}": r.review_on for r in session.scalars(select(ItemReview))}
            assert reviews == self.reviews
        with self.ledger.read() as session:
            report = verify_log(session)
            assert report.ok, [f.as_dict() for f in report.findings]


STATS: dict[str, int] = {}


def _run(backend: str, request) -> None:
    machine = type(f"CustodyMachine_{backend}", (CustodyMachine,), {"backend": backend})
    if backend == "sqlite":
        machine.sqlite_template = request.getfixturevalue("sqlite_template")
    else:
        machine.pg_template = request.getfixturevalue("pg_template")
    STATS.clear()
    run_state_machine_as_test(machine, settings=SETTINGS[backend])
    print(f"\nstateful {backend}: {dict(sorted(STATS.items()))}")


@pytest.mark.slow
def test_custody_model_sqlite(request):
    _run("sqlite", request)


@pytest.mark.slow
def test_custody_model_postgresql(request):
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _run("postgresql", request)
