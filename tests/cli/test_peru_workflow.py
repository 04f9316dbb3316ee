"""Peru's workflow through the CLI: cash deposited with a voucher, items lent in temporary use
and returned, handovers to PRONABI, and court orders on custody events; each seen in item
history, holdings, case totals, the workbook and `verify`, and each refusal writing nothing."""

from __future__ import annotations

from tests.cli.test_custody import register_three
from tests.helpers import rows

BANK = ["--bank", "Banco de la Nación", "--account", "00-068-123456"]


def peru(cli):
    """EV-1 phone, EV-2 document, EV-3 cash 4000.00 PEN, EV-4 cash 250.00 USD, EV-5 vehicle; all
    held by B-1001, then EV-3..EV-5 handed to the custodian C-3001 in the evidence room."""
    register_three(cli)
    cli.ok("cash", "add", "SZ-1", "--amount", "250.00", "--currency", "USD", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("vehicle", "add", "SZ-1", "--make", "Toyota", "--model", "Hilux", "--plate", "V1A-123", "--by", "B-1001",
           "--at", "2020-10-06T06:00")
    cli.ok("custody", "transfer", "EV-3", "EV-4", "EV-5", "--from", "B-1001", "--to", "C-3001", "--reason",
           "Al depósito", "--location", "ER-AQP", "--at", "2020-10-06T09:00", "--order", "Disp. Fiscal 3-2020",
           "--by", "B-1001")


def test_deposit_moves_cash_out_of_custody_into_the_bank(seeded, db_url):
    peru(seeded)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    done = seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--at", "2020-10-07T11:00",
                     "--order", "Res. 12-2020", "--by", "C-3001", json_out=True)
    assert done["items"] == ["EV-000003"] and done["from"] == "C-3001" and done["voucher"] == "0457812"

    item = rows(db_url, "SELECT status, holder, location FROM items WHERE id = 'EV-000003'")[0]
    assert (item.status, item.holder) == ("deposited", None)
    dep = rows(db_url, "SELECT * FROM deposits")
    assert [(d.item_no, d.seq, d.bank, d.account, d.voucher, d.deposited_by, d.court_order, d.case_no)
            for d in dep] == [(3, done["seq"], "Banco de la Nación", "00-068-123456", "0457812", "C-3001",
                               "Res. 12-2020", "AQP-2020-0147")]

    last = seeded.ok("item", "history", "EV-3", json_out=True)["events"][-1]
    assert (last["type"], last["from"], last["to"], last["order"]) == (
        "custody.deposited", "C-3001", "Banco de la Nación 00-068-123456", "Res. 12-2020")
    assert "voucher 0457812" in last["reason"]
    assert "Res. 12-2020" in seeded.ok("item", "history", "EV-3", "--wide")
    # The custodian held the cash the day before, and no longer after the deposit.
    before = seeded.ok("custody", "holdings", "C-3001", "--at", "2020-10-07T10:00", json_out=True)
    after = seeded.ok("custody", "holdings", "C-3001", json_out=True)
    assert "EV-000003" in [h["item"] for h in before["items"]]
    assert [h["item"] for h in after["items"]] == ["EV-000004", "EV-000005"]

    totals = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN", json_out=True)
    per = {p["currency"]: p for p in totals["per_currency"]}
    assert (per["PEN"]["deposited"], per["PEN"]["undeposited"]) == ("4000.00", "0.00")
    assert (per["USD"]["deposited"], per["USD"]["undeposited"]) == ("0.00", "250.00")
    text = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN")
    assert "deposited S/" in text and "undeposited" in text
    # As the log stood before the deposit, nothing was deposited yet.
    early = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN", "--as-of", str(done["seq"] - 1),
                      json_out=True)
    assert {p["currency"]: p["deposited_minor"] for p in early["per_currency"]} == {"PEN": 0, "USD": 0}
    assert seeded.ok("verify", json_out=True)["ok"]


def test_deposited_cash_cannot_move_again_and_cannot_be_deposited_twice(seeded, db_url):
    peru(seeded)
    seeded.ok("custody", "deposit", "EV-3", "EV-4", *BANK, "--voucher", "0457812", "--by", "C-3001")
    before = seeded.snapshot()
    again = seeded("custody", "deposit", "EV-4", *BANK, "--voucher", "0457813", "--by", "C-3001")
    assert again.exit_code == 1 and "already deposited" in again.stderr and "0457812" in again.stderr
    moved = seeded("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "B-1001", "--reason", "x",
                   "--by", "C-3001")
    assert moved.exit_code == 1 and "deposited in a bank" in moved.stderr
    split = seeded("custody", "deposit", "EV-1", "EV-5", *BANK, "--voucher", "1", "--by", "C-3001")
    assert split.exit_code == 1 and "EV-000001: is a phone" in split.stderr and "EV-000005: is a vehicle" in split.stderr
    assert seeded.snapshot() == before
    # The money goes on being evidence: a court may still forfeit the deposit.
    seeded.ok("custody", "dispose", "EV-3", "--action", "forfeited", "--authority", "Sentencia 4-2022",
              "--by", "F-2001")
    assert seeded.ok("verify", json_out=True)["ok"]


def test_temporary_use_assign_and_return(seeded, db_url):
    peru(seeded)
    done = seeded.ok("custody", "assign", "EV-5", "--to-entity", "Municipalidad de Arequipa", "--order",
                     "Res. 88-2021", "--until", "2021-12-31", "--at", "2021-02-01T10:00", "--by", "C-3001",
                     json_out=True)
    item = rows(db_url, "SELECT status, holder FROM items WHERE id = 'EV-000005'")[0]
    assert (item.status, item.holder) == ("assigned", "C-3001")  # the custodian still answers for it
    before = seeded.snapshot()
    moved = seeded("custody", "transfer", "EV-5", "--from", "C-3001", "--to", "B-1001", "--reason", "x",
                   "--by", "C-3001")
    assert moved.exit_code == 1 and "assigned in temporary use" in moved.stderr
    twice = seeded("custody", "assign", "EV-5", "--to-entity", "Otra", "--order", "Res. 9", "--until", "2021-12-31",
                   "--by", "C-3001")
    assert twice.exit_code == 1 and "custody return EV-000005" in twice.stderr
    assert seeded.snapshot() == before

    back = seeded.ok("custody", "return", "EV-5", "--at", "2021-12-30T09:00", "--by", "C-3001", json_out=True)
    assert back["assignment"] == done["seq"] and back["entity"] == "Municipalidad de Arequipa"
    [a] = rows(db_url, "SELECT * FROM assignments")
    assert (a.seq, a.entity, a.court_order, a.until, a.returned_seq, a.returned_at) == (
        done["seq"], "Municipalidad de Arequipa", "Res. 88-2021", "2021-12-31", back["seq"], "2021-12-30T14:00:00Z")
    assert rows(db_url, "SELECT status FROM items WHERE id = 'EV-000005'")[0][0] == "in-custody"
    events = seeded.ok("item", "history", "EV-5", json_out=True)["events"]
    assert [e["type"] for e in events][-2:] == ["custody.assigned", "custody.returned"]
    assert events[-2]["to"] == "Municipalidad de Arequipa" and events[-2]["order"] == "Res. 88-2021"
    again = seeded("custody", "return", "EV-5", "--by", "C-3001")
    assert again.exit_code == 1 and "not assigned" in again.stderr
    assert seeded.ok("verify", json_out=True)["ok"]


def test_handover_to_pronabi_with_its_act(seeded, db_url):
    peru(seeded)
    done = seeded.ok("custody", "dispose", "EV-5", "--action", "to-pronabi", "--authority", "Res. 15-2021",
                     "--act", "ae-2021-0042", "--order", "Res. 15-2021", "--by", "F-2001", json_out=True)
    assert (done["action"], done["to"], done["act"], done["holder"]) == ("to-pronabi", "PRONABI", "AE-2021-0042",
                                                                         "C-3001")
    item = rows(db_url, "SELECT status, holder, disposition, disposed_to FROM items WHERE id = 'EV-000005'")[0]
    assert tuple(item) == ("disposed", None, "to-pronabi", "PRONABI")
    last = seeded.ok("item", "history", "EV-5", json_out=True)["events"][-1]
    assert "act AE-2021-0042" in last["reason"] and last["order"] == "Res. 15-2021"
    assert seeded.ok("verify", json_out=True)["ok"]


def test_the_workbook_shows_deposited_and_assigned_items(seeded, tmp_path):
    from openpyxl import load_workbook

    peru(seeded)
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--by", "C-3001")
    seeded.ok("custody", "assign", "EV-5", "--to-entity", "Municipalidad", "--order", "Res. 88-2021",
              "--until", "2030-12-31", "--by", "C-3001")
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    for lang, words in (("es", ("depositado", "asignado en uso temporal")), ("en", ("deposited", "assigned"))):
        out = tmp_path / f"case-{lang}.xlsx"
        seeded.ok("export", "xlsx", "AQP-2020-0147", "--out", str(out), "--lang", lang)
        cells = {str(c.value) for ws in load_workbook(out) for row in ws.iter_rows() for c in row if c.value}
        assert set(words) <= cells, lang


def test_verify_finds_a_deposit_row_the_log_never_made(seeded, db_url):
    from sqlalchemy import create_engine, text

    peru(seeded)
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--by", "C-3001")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE deposits SET voucher = '0457899'"))
    engine.dispose()
    result = seeded("verify")
    assert result.exit_code == 3 and "deposits" in result.stdout + result.stderr and "0457899" in result.stdout


def test_a_deposit_retried_with_its_request_id_applies_once(seeded, db_url):
    peru(seeded)
    argv = ["custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--request-id", "dep-1", "--by", "C-3001"]
    first = seeded.ok(*argv, json_out=True)
    again = seeded.ok(*argv, json_out=True)
    assert again["replayed"] and again["seq"] == first["seq"] and again["voucher"] == "0457812"
    assert len(rows(db_url, "SELECT * FROM deposits")) == 1
    other = seeded(*argv[:-4], "--voucher", "0457899", "--request-id", "dep-1", "--by", "C-3001")
    assert other.exit_code == 1 and "dep-1" in other.stderr
