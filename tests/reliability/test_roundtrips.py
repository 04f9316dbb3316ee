"""The writes' rows wait in a queue for the commit's round trip (ledger.roundtrips) on
PostgreSQL: a read in the same transaction must still see them, and a refusal must leave
nothing, in this write or in the next one on the same connection. On both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ledger import custody
from ledger.db import Ledger
from ledger.errors import RuleError
from ledger.identity.signing import Keyring
from ledger.models import Event, Item
from tests.helpers import PASSPHRASE

TRANSFER = dict(from_badge="B-1001", to_badge="B-1002", reason="handover", by="B-1001", receiver_signs=True)


@pytest.fixture
def two_items(seeded):
    for title in ("Acta de incautación", "Cuaderno"):
        seeded.ok("document", "add", "SZ-1", "--title", title, "--by", "B-1001", "--at", "2020-10-06T06:00")
    lg = Ledger(seeded.db_url)
    lg.keyring = Keyring(demo_dir=Path(seeded.keys_home) / "evidence" / "keys",
                         passphrase=lambda _badge, _path: PASSPHRASE)
    yield seeded, lg
    lg.dispose()


def _holder(lg: Ledger, no: int) -> str:
    with lg.read() as session:
        return session.get(Item, no).holder


def test_a_read_after_the_append_sees_its_rows(two_items):
    cli, lg = two_items

    def transfer_and_read(session):
        done = custody.transfer_items(session, ["EV-1"], **TRANSFER)
        stored = session.execute(select(Event.seq, Event.type).where(Event.seq == done["seq"])).one()
        holder = session.execute(select(Item.holder).where(Item.no == 1)).scalar_one()
        return stored, holder, done["seq"]

    (seq, kind), holder, expected = lg.write(transfer_and_read)
    assert (seq, kind, holder) == (expected, "custody.transferred", "B-1002")
    assert _holder(lg, 1) == "B-1002"


@pytest.mark.parametrize("read_first", [False, True], ids=["rows-still-queued", "rows-sent"])
def test_a_refusal_after_the_append_leaves_nothing_now_or_in_the_next_write(two_items, read_first):
    cli, lg = two_items
    before = cli.snapshot()

    def transfer_then_refuse(session):
        custody.transfer_items(session, ["EV-1"], **TRANSFER)
        if read_first:
            session.execute(select(Event.seq).order_by(Event.seq.desc()).limit(1)).scalar_one()
        raise RuleError("refused after the transfer's rows were made")

    with pytest.raises(RuleError):
        lg.write(transfer_then_refuse)
    assert cli.snapshot() == before
    # The next write takes the same pooled connection: only its own rows may reach the log.
    lg.write(custody.transfer_items, ["EV-2"], **TRANSFER)
    assert (_holder(lg, 1), _holder(lg, 2)) == ("B-1001", "B-1002")
    cli.ok("verify")


def test_refusals_name_what_the_reads_under_the_lock_did_not_find(two_items):
    cli, lg = two_items
    with pytest.raises(Exception, match="EV-000009"):
        lg.write(custody.transfer_items, ["EV-1", "EV-9"], **TRANSFER)
    with pytest.raises(Exception, match="B-7777"):
        lg.write(custody.transfer_items, ["EV-1"], **{**TRANSFER, "to_badge": "B-7777"})
    lg.write(custody.transfer_items, ["EV-1"], **TRANSFER)
    with pytest.raises(Exception, match="held by B-1002"):
        lg.write(custody.transfer_items, ["EV-1"], **TRANSFER)
    assert _holder(lg, 1) == "B-1002"
