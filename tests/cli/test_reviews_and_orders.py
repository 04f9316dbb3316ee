"""Review dates of items and court orders on cases through the CLI: each an event seen in item
history, `item show`, `case show` and the tables, checked by `verify` (a forged event that breaks
their rules is a finding even with every hash recomputed), and each refusal writing nothing."""

from __future__ import annotations

import json

from ledger.events import chain_hash
from tests.cli.test_peru_workflow import peru
from tests.cli.test_verify import drop_triggers, recompute_tree, sql
from tests.helpers import rows

CASE = "AQP-2020-0147"


def review(cli, *args, **kw):
    return cli.ok("item", "review", *args, json_out=True, **kw)


def test_review_dates_are_events_seen_in_history_show_the_table_and_the_workbook(seeded, db_url, tmp_path):
    peru(seeded)  # EV-1..EV-5; EV-5 a vehicle held by C-3001
    done = review(seeded, "EV-4", "EV-5", "--on", "2021-04-06", "--reason", "Revisión semestral", "--at",
                  "2020-10-07T10:00", "--by", "F-2001")
    assert (done["items"], done["review_on"], done["case_no"]) == (["EV-000004", "EV-000005"], "2021-04-06", CASE)
    stored = rows(db_url, "SELECT * FROM item_reviews ORDER BY item_no")
    assert [(r.item_no, r.case_no, r.review_on, r.reason, r.seq, r.set_at, r.set_by) for r in stored] == [
        (n, CASE, "2021-04-06", "Revisión semestral", done["seq"], "2020-10-07T15:00:00Z", "F-2001") for n in (4, 5)]
    assert seeded.ok("item", "show", "EV-5", json_out=True)["review_on"] == "2021-04-06"
    moved = review(seeded, "EV-5", "--on", "2021-10-06", "--at", "2021-04-06T09:00", "--by", "C-3001")
    cleared = review(seeded, "EV-4", "--clear", "--reason", "Depositar", "--at", "2021-04-06T09:30", "--by", "F-2001")
    assert cleared["review_on"] is None
    stored = {r.item_no: r for r in rows(db_url, "SELECT * FROM item_reviews")}
    assert (stored[5].review_on, stored[5].seq, stored[5].set_by, stored[5].reason) == (
        "2021-10-06", moved["seq"], "C-3001", None)
    assert (stored[4].review_on, stored[4].seq, stored[4].reason) == (None, cleared["seq"], "Depositar")
    assert seeded.ok("item", "show", "EV-4", json_out=True)["review_on"] is None
    events = [e for e in seeded.ok("item", "history", "EV-5", json_out=True)["events"] if e["type"] == "review.set"]
    assert [(e["seq"], e["actor"], e["reason"]) for e in events] == [
        (done["seq"], "F-2001", "review on 2021-04-06: Revisión semestral"),
        (moved["seq"], "C-3001", "review on 2021-10-06")]
    assert "review cleared: Depositar" in seeded.ok("item", "history", "EV-4", "--wide")
    # A review is not a custody act: holder, status and the item's last custody event stay.
    item = rows(db_url, "SELECT holder, status, last_seq FROM items WHERE id = 'EV-000005'")[0]
    assert (item.holder, item.status) == ("C-3001", "in-custody") and item.last_seq < done["seq"]
    assert seeded.ok("item", "show", "EV-5").count("review_on:      2021-10-06") == 1
    assert seeded.ok("verify", json_out=True)["ok"]
    assert seeded.ok("verify", "--case", CASE, json_out=True)["ok"]
    # The workbook's chain of custody shows each review event with its date and reason.
    from openpyxl import load_workbook

    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    seeded.ok("export", "xlsx", CASE, "--out", str(tmp_path / "case.xlsx"), "--by", "F-2001")
    chain = [r for r in load_workbook(tmp_path / "case.xlsx")["Cadena de custodia"].iter_rows(values_only=True)
             if "fecha de revisión" in r]
    assert [(r[0], r[2]) for r in chain] == [(done["seq"], "EV-000004"), (done["seq"], "EV-000005"),
                                             (moved["seq"], "EV-000005"), (cleared["seq"], "EV-000004")]
    for row, reason in zip(chain, ["2021-04-06: Revisión semestral", "2021-04-06: Revisión semestral", "2021-10-06",
                                   "— Depositar"], strict=True):
        assert reason in row, row


def test_court_orders_are_events_seen_in_case_show_and_the_table(seeded, db_url):
    peru(seeded)
    first = seeded.ok("case", "order", CASE, "--order", "Auto 3-2021", "--note", "Mantener la incautación",
                      "--at", "2021-05-01T10:00", "--by", "F-2001", json_out=True)
    final = seeded.ok("case", "order", "aqp-2020-0147", "--order", "Sentencia 4-2022", "--final", "--at",
                      "2022-03-01T10:00", "--by", "C-3001", json_out=True)
    assert (final["case_no"], final["final"], final["ordered_at"]) == (CASE, True, "2022-03-01T15:00:00Z")
    stored = rows(db_url, "SELECT * FROM case_orders ORDER BY seq")
    assert [(r.seq, r.case_no, r.court_order, r.is_final, r.ordered_at, r.recorded_by, r.note) for r in stored] == [
        (first["seq"], CASE, "Auto 3-2021", 0, "2021-05-01T15:00:00Z", "F-2001", "Mantener la incautación"),
        (final["seq"], CASE, "Sentencia 4-2022", 1, "2022-03-01T15:00:00Z", "C-3001", None)]
    shown = seeded.ok("case", "show", CASE, json_out=True)["orders"]
    assert [(o["order"], o["final"]) for o in shown] == [("Auto 3-2021", False), ("Sentencia 4-2022", True)]
    text = seeded.ok("case", "show", CASE)
    assert "court orders:" in text and "2022-03-01 10:00 -05:00  FINAL Sentencia 4-2022" in text
    assert "Auto 3-2021  (Mantener la incautación)" in text
    assert seeded.ok("verify", json_out=True)["ok"]
    assert seeded.ok("verify", "--case", CASE, json_out=True)["ok"]


def test_bad_reviews_are_refused_and_write_nothing(seeded):
    peru(seeded)
    seeded.ok("case", "open", "LIM-2020-0001", "--title", "Otro", "--by", "B-1002", "--at", "2020-10-07T04:00")
    seeded.ok("seizure", "record", "LIM-2020-0001", "--at", "2020-10-07T05:00", "--place", "Lima", "--by", "B-1002")
    seeded.ok("document", "add", "SZ-2", "--title", "Agenda", "--by", "B-1002", "--at", "2020-10-07T06:00")
    seeded.ok("custody", "dispose", "EV-2", "--action", "destroyed", "--authority", "Res. 1-2021", "--at",
              "2021-01-10T10:00", "--by", "F-2001")
    review(seeded, "EV-5", "--on", "2021-04-06", "--at", "2020-10-07T10:00", "--by", "F-2001")
    before = seeded.snapshot()
    by = ["--by", "F-2001"]
    for argv, needle in [
        (["EV-5", *by], "--on is required"),
        (["EV-5", "--on", "2021-04-06", "--clear", *by], "not both"),
        (["EV-5", "--on", "06/04/2021", *by], "is not a date"),
        (["EV-5", "--on", "2021-04-06", *by], "already 2021-04-06"),
        (["EV-5", "--on", "2020-10-01", "--at", "2020-10-07T10:00", *by], "before the day it is set"),
        (["EV-4", "--clear", *by], "EV-000004: has no review date to clear"),
        (["EV-2", "--on", "2022-01-01", *by], "EV-000002: was disposed of"),
        (["EV-1", "--on", "2022-01-01", "--at", "2020-10-06T05:00", *by], "before its last recorded event"),
        (["EV-1", "EV-6", "--on", "2022-01-01", *by], "2 cases"),
        (["EV-1", "EV-1", "--on", "2022-01-01", *by], "named twice"),
        (["EV-99", "--on", "2022-01-01", *by], "EV-000099"),
        (["EV-1", "--on", "2022-01-01", "--by", "B-1001"], "may not set review dates"),
        (["EV-1", "--on", "2022-01-01", "--by", "A-4001"], "may not set review dates"),
        (["EV-1", "--on", "2022-01-01"], "--by is required"),
        (["EV-1", "--on", "2022-01-01", "--at", "2999-01-01T00:00", *by], "--at"),
    ]:
        result = seeded("item", "review", *argv)
        assert result.exit_code == 1 and needle in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    both = seeded("item", "review", "EV-2", "EV-4", "--clear", *by)
    assert both.exit_code == 1 and "2 reasons" in both.stderr
    assert "EV-000002: was disposed of" in both.stderr and "EV-000004: has no review date" in both.stderr
    assert seeded.snapshot() == before


def test_bad_orders_are_refused_and_write_nothing(seeded):
    before = seeded.snapshot()
    for argv, needle in [
        ([CASE, "--final", "--by", "F-2001"], "--order is required"),
        ([CASE, "--order", "  ", "--by", "F-2001"], "--order is required"),
        (["NOPE-1", "--order", "Sentencia 4-2022", "--by", "F-2001"], "NOPE-1"),
        ([CASE, "--order", "Sentencia 4-2022", "--by", "B-1001"], "may not record court orders"),
        ([CASE, "--order", "Sentencia 4-2022", "--at", "2022-02-30T10:00", "--by", "F-2001"], "--at"),
        ([CASE, "--order", "Sentencia\u202e 4-2022", "--by", "F-2001"], "--order"),
    ]:
        result = seeded("case", "order", *argv)
        assert result.exit_code == 1 and needle in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    assert seeded.snapshot() == before


# -- verify: forged events with every hash recomputed -----------------------------------------
def forge(db_url, seq: int, edit) -> None:
    """Rewrite event `seq`'s body with `edit`, then every later hash, the head and the tree, as a
    forger who knows the format would, so that only the replay's rules can tell."""
    drop_triggers(db_url)
    found = sql(db_url, "SELECT seq, body, prev_hash FROM events WHERE seq >= :s ORDER BY seq", params={"s": seq})[0]
    prev = found[0].prev_hash
    for r in found:
        body = edit(r.body) if r.seq == seq else r.body
        digest = chain_hash(prev, body.encode())
        sql(db_url, "UPDATE events SET body = :b, prev_hash = :p, hash = :h WHERE seq = :s",
            params={"b": body, "p": prev, "h": digest, "s": r.seq})
        prev = digest
    sql(db_url, "UPDATE chain_head SET hash = :h", params={"h": prev})
    recompute_tree(db_url)


def messages(cli) -> list[str]:
    result = cli("verify", json_out=True)
    assert result.exit_code == 3, result.stdout + result.stderr
    return [f["message"] for f in json.loads(result.stdout)["findings"]]


def test_verify_finds_a_review_cleared_that_was_never_set(seeded, db_url):
    peru(seeded)
    done = review(seeded, "EV-5", "--on", "2021-04-06", "--at", "2020-10-07T10:00", "--by", "F-2001")
    forge(db_url, done["seq"], lambda body: body.replace('"review_on":"2021-04-06"', '"review_on":null'))
    found = messages(seeded)
    assert any("review cleared, but none was pending" in m for m in found), found
    assert any("item_reviews" in m and "review_on" in m for m in found), found


def test_verify_finds_a_review_of_a_disposed_item(seeded, db_url):
    peru(seeded)
    seeded.ok("custody", "dispose", "EV-1", "--action", "destroyed", "--authority", "Res. 1-2021", "--at",
              "2020-10-07T09:00", "--by", "F-2001")
    done = review(seeded, "EV-5", "--on", "2021-04-06", "--at", "2020-10-07T10:00", "--by", "F-2001")
    # The review event names the disposed phone EV-1 instead of the vehicle.
    forge(db_url, done["seq"], lambda body: body.replace('"items":["EV-000005"]', '"items":["EV-000001"]'))
    assert any("review date set after the item was disposed of" in m for m in messages(seeded))


def test_verify_finds_an_order_on_a_case_never_opened(seeded, db_url):
    done = seeded.ok("case", "order", CASE, "--order", "Sentencia 4-2022", "--final", "--by", "F-2001",
                     json_out=True)
    forge(db_url, done["seq"], lambda body: body.replace(f'"case_no":"{CASE}"', '"case_no":"AQP-2099-0001"'))
    found = messages(seeded)
    assert any("court order on case AQP-2099-0001, not opened before" in m for m in found), found
