"""Rates, conversion and case totals through the CLI, on both backends."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import rows

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
BCRP_JSON = SAMPLES / "bcrp-usd-pen-2020-10.json"
BCRP_CSV = SAMPLES / "bcrp-usd-pen-2020-10.csv"


def refused(cli, *args, code=1):
    """Run a command that must be refused, and prove it wrote nothing; returns stderr."""
    before = cli.snapshot()
    result = cli(*args)
    assert result.exit_code == code, f"exit {result.exit_code}: {result.stderr}{result.stdout}"
    assert cli.snapshot() == before
    return result.stderr


def add_cash(cli, seizure, amount, currency):
    return cli.ok("cash", "add", seizure, "--amount", amount, "--currency", currency, "--counted-by", "B-1001",
                  "--verified-by", "B-1002", "--by", "B-1001")


# --- rate set and convert ---------------------------------------------------------------------


def test_acceptance_convert_4000_soles(seeded, db_url):
    out = seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.3333", "--source", "TEST", "--by", "B-1001")
    assert "event" in out
    shown = seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06")
    first, *rest = shown.splitlines()
    assert first == "1,200.01 USD"
    assert "2020-10-06 1 USD = 3.3333 PEN, sell, source TEST" in shown
    data = seeded.ok("convert", "4,000.00", "PEN", "--to", "USD", "--on", "2020-10-06", json_out=True)
    assert data["converted"] == "1200.01" and data["amount"] == "4000.00" and data["inverse"] is True
    assert data["rate"]["rate"] == "3.3333" and data["rate"]["source"] == "TEST" and data["rate"]["side"] == "sell"
    assert isinstance(data["rate"]["seq"], int)
    (event,) = rows(db_url, "SELECT seq, type, actor, body FROM events WHERE type = 'rate.set'")
    assert event.actor == "B-1001" and event.seq == data["rate"]["seq"]
    body = json.loads(event.body)["data"]
    assert body == {"date": "2020-10-06", "base": "USD", "quote": "PEN", "rate": "3.3333", "side": "sell",
                    "source": "TEST", "supersedes": None, "reason": None}
    # Direct direction multiplies.
    assert seeded.ok("convert", "1200.01", "USD", "--to", "PEN", "--on", "2020-10-06").splitlines()[0] == \
        "3,999.99 PEN"  # 1200.01 * 3.3333 = 3999.993333


def test_weekend_uses_latest_earlier_rate_within_7_days(seeded):
    seeded.ok("rate", "set", "2020-10-09", "USD", "PEN", "3.5960", "--source", "SBS", "--by", "B-1001")  # Friday
    sunday = seeded.ok("convert", "100", "USD", "--to", "PEN", "--on", "2020-10-11", json_out=True)
    assert sunday["rate"]["date"] == "2020-10-09" and sunday["converted"] == "359.60"
    assert seeded.ok("convert", "100", "USD", "--to", "PEN", "--on", "2020-10-16", json_out=True)["rate"]["date"] \
        == "2020-10-09"
    err = refused(seeded, "convert", "100", "USD", "--to", "PEN", "--on", "2020-10-17")
    assert "No sell rate USD/PEN" in err and "2020-10-17" in err
    assert "evidence rate set 2020-10-17 USD PEN RATE --source SOURCE --side sell --by BADGE" in err
    # Nor a later rate for an earlier day.
    err = refused(seeded, "convert", "100", "PEN", "--to", "USD", "--on", "2020-10-08")
    assert "evidence rate set 2020-10-08 USD PEN RATE" in err


def test_side_and_source_selection(seeded):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5810", "--source", "SBS", "--side", "buy",
              "--by", "B-1001")
    assert seeded.ok("convert", "10", "USD", "--to", "PEN", "--on", "2020-10-06", "--side", "buy",
                     json_out=True)["converted"] == "35.81"
    seeded.ok("rate", "set", "2020-10-05", "USD", "PEN", "3.6000", "--source", "BCRP", "--by", "B-1001")
    err = refused(seeded, "convert", "10", "USD", "--to", "PEN", "--on", "2020-10-06")
    assert "BCRP, SBS" in err and "pass --source BCRP or --source SBS" in err
    assert seeded.ok("convert", "10", "USD", "--to", "PEN", "--on", "2020-10-06", "--source", "BCRP",
                     json_out=True)["rate"]["date"] == "2020-10-05"
    err = refused(seeded, "convert", "10", "USD", "--to", "PEN", "--on", "2020-10-06", "--source", "XYZ")
    assert "from XYZ" in err and "BCRP, SBS" in err and "--source XYZ" in err
    err = refused(seeded, "convert", "10", "USD", "--to", "PEN", "--on", "2020-10-06", "--side", "mid")
    assert "There are buy and sell rates in that window" in err


def test_same_value_again_writes_nothing(seeded):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    before = seeded.snapshot()
    result = seeded("rate", "set", "2020-10-06", "USD", "PEN", "3.587", "--source", "SBS", "--by", "B-1001")
    assert result.exit_code == 0 and "already recorded" in result.stdout
    assert seeded.snapshot() == before


def test_supersede_keeps_old_figures_reproducible(seeded, db_url):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.3333", "--source", "SBS", "--by", "B-1001")
    old = seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", json_out=True)
    err = refused(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    assert "already recorded as 3.3333" in err and "--supersede --reason" in err
    err = refused(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--supersede",
                  "--by", "B-1001")
    assert "--supersede needs --reason" in err
    err = refused(seeded, "rate", "set", "2020-10-07", "USD", "PEN", "3.5870", "--source", "SBS", "--supersede",
                  "--reason", "x", "--by", "B-1001")
    assert "nothing would be superseded" in err

    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--supersede",
              "--reason", "typed the wrong column", "--by", "B-1001")
    new = seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", json_out=True)
    assert new["converted"] == "1115.14" and new["rate"]["seq"] != old["rate"]["seq"]

    listing = seeded.ok("rate", "list", json_out=True)
    assert [(r["rate"], r["superseded_by"]) for r in listing] == [("3.3333", new["rate"]["seq"]), ("3.5870", None)]
    assert "superseded by" in seeded.ok("rate", "list")
    # The old figure is recomputed from the event that recorded the old rate, still in the log.
    (body,) = rows(db_url, "SELECT body FROM events WHERE seq = :seq", seq=old["rate"]["seq"])[0]
    data = json.loads(body)["data"]
    from ledger.money import convert_minor

    assert convert_minor(400000, "PEN", "USD", Decimal(data["rate"]), inverse=True) == old["converted_minor"]
    (new_body,) = rows(db_url, "SELECT body FROM events WHERE seq = :seq", seq=new["rate"]["seq"])[0]
    assert json.loads(new_body)["data"]["supersedes"] == old["rate"]["seq"]
    assert json.loads(new_body)["data"]["reason"] == "typed the wrong column"


@pytest.mark.parametrize("args, expected", [
    (["2020-10-06", "USD", "PEN", "0"], "RATE '0' is out of range"),
    (["2020-10-06", "USD", "PEN", "-3.5"], "is not a rate"),
    (["2020-10-06", "USD", "PEN", "9999999"], "out of range"),
    (["2020-10-06", "USD", "PEN", "1e3"], "is not a rate"),
    (["2020-10-06", "USD", "PEN", "NaN"], "is not a rate"),
    (["2020-10-06", "USD", "PEN", "3,5870"], "is not a rate"),
    (["2020-13-06", "USD", "PEN", "3.58"], "DATE '2020-13-06' is not a real date"),
    (["06/10/2020", "USD", "PEN", "3.58"], "YYYY-MM-DD"),
    (["2099-01-01", "USD", "PEN", "3.58"], "in the future"),
    (["2020-10-06", "XYZ", "PEN", "3.58"], "BASE 'XYZ' is not an ISO 4217"),
    (["2020-10-06", "USD", "S/", "3.58"], "QUOTE 'S/' is not a currency code"),
    (["2020-10-06", "USD", "usd", "3.58"], "both USD"),
])
def test_rate_set_bad_input(seeded, args, expected):
    err = refused(seeded, "rate", "set", *args, "--source", "SBS", "--by", "B-1001")
    assert expected in err


def test_rate_set_needs_a_permitted_officer(seeded):
    assert "--by is required" in refused(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.5", "--source", "S")
    err = refused(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.5", "--source", "S", "--by", "A-4001")
    assert "auditor" in err
    assert refused(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.5", "--source", "S", "--side", "avg",
                   "--by", "B-1001", code=2)


@pytest.mark.parametrize("args, expected", [
    (["-5", "PEN"], "AMOUNT '-5' is not an amount"),
    (["0", "PEN"], "is zero"),
    (["4000.001", "PEN"], "has 3 decimals"),
    (["4.000", "PEN"], "is ambiguous"),
    (["4 000", "PEN"], "is not an amount"),
    (["1e3", "PEN"], "is not an amount"),
    (["Infinity", "PEN"], "is not an amount"),
    (["٤٠٠٠", "PEN"], "is not an amount"),
    (["4000", "pen1"], "is not a currency code"),
    (["4000", "ABC"], "is not an ISO 4217"),
    (["4000", "USD"], "nothing to convert"),
])
def test_convert_bad_input(seeded, args, expected):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5", "--source", "SBS", "--by", "B-1001")
    result = seeded("convert", *args, "--to", "USD", "--on", "2020-10-06")
    assert result.exit_code == 1 and expected in result.stderr, result.stderr
    err = refused(seeded, "convert", "4000", "PEN", "--to", "USD", "--on", "2020-02-30")
    assert "--on '2020-02-30' is not a real date" in err


# --- rate import ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample, fmt", [(BCRP_JSON, "bcrp-json"), (BCRP_CSV, "bcrp-csv")])
def test_import_bcrp_sample_and_reimport_changes_nothing(seeded, db_url, sample, fmt):
    out = seeded.ok("rate", "import", str(sample), "--source", "BCRP", "--by", "B-1001", json_out=True)
    assert out["format"] == fmt and out["imported"] == 21 and out["status"] == "imported"
    import hashlib

    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    assert out["file_sha256"] == digest
    (event,) = rows(db_url, "SELECT seq, body FROM events WHERE type = 'rate.imported'")
    data = json.loads(event.body)["data"]
    assert data["file_sha256"] == digest and data["file_name"] == sample.name and data["format"] == fmt
    assert len(data["rates"]) == 21 and data["rates"][0] == {"date": "2020-10-01", "base": "USD", "quote": "PEN",
                                                              "rate": "3.6030", "side": "sell"}
    stored = rows(db_url, "SELECT date, rate, side, source, seq, file_sha256 FROM rates ORDER BY date")
    assert len(stored) == 21 and {r.seq for r in stored} == {event.seq}
    assert {r.file_sha256 for r in stored} == {digest} and {r.side for r in stored} == {"sell"}
    dates = [r.date for r in stored]
    assert "2020-10-03" not in dates and "2020-10-08" not in dates  # n.d. days skipped
    # Saturday 3 Oct (n.d.) converts at Friday 2 Oct.
    assert seeded.ok("convert", "100", "USD", "--to", "PEN", "--on", "2020-10-03", json_out=True)["rate"]["rate"] \
        == "3.6040"

    before = seeded.snapshot()
    again = seeded("rate", "import", str(sample), "--source", "BCRP", "--by", "B-1001")
    assert again.exit_code == 0 and "already recorded" in again.stdout
    assert seeded.snapshot() == before
    # The other format of the same series holds the same rates: nothing new either.
    other = BCRP_CSV if sample == BCRP_JSON else BCRP_JSON
    assert seeded.ok("rate", "import", str(other), "--source", "BCRP", "--by", "B-1001", json_out=True)["status"] \
        == "already-recorded"
    assert seeded.snapshot() == before


def test_import_plain_csv_with_sides(seeded, db_url, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate,side\n2020-10-06,USD,PEN,3.5870,sell\n2020-10-06,USD,PEN,3.5810,buy\n"
                    "2020-10-06,EUR,PEN,4.2100,\n")
    out = seeded.ok("rate", "import", str(path), "--source", "SBS", "--side", "mid", "--by", "B-1001", json_out=True)
    assert out["format"] == "csv" and out["imported"] == 3
    stored = {(r.base, r.side): r.rate for r in rows(db_url, "SELECT base, side, rate FROM rates")}
    assert stored == {("USD", "sell"): "3.5870", ("USD", "buy"): "3.5810", ("EUR", "mid"): "4.2100"}
    assert seeded.ok("convert", "100", "EUR", "--to", "PEN", "--on", "2020-10-06", "--side", "mid",
                     json_out=True)["converted"] == "421.00"


def test_import_file_with_errors_imports_nothing(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,base,quote,rate\n2020-10-06,USD,PEN,3.5870\n2020-10-07,USD,PEN,abc\n"
                    "2020-10-08,USD,PEN,3.58\n2020-02-30,USD,PEN,3.5\n")
    err = refused(seeded, "rate", "import", str(path), "--source", "SBS", "--by", "B-1001")
    assert "2 bad lines" in err and "line 3:" in err and "line 5:" in err and "nothing was read" in err

    bad_json = json.loads(BCRP_JSON.read_text())
    bad_json["periods"][5]["values"] = ["3,587"]
    jpath = tmp_path / "bad.json"
    jpath.write_text(json.dumps(bad_json))
    err = refused(seeded, "rate", "import", str(jpath), "--source", "BCRP", "--by", "B-1001")
    assert "period 6 (06.Oct.20)" in err

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "is empty" in refused(seeded, "rate", "import", str(empty), "--source", "SBS", "--by", "B-1001")
    binary = tmp_path / "rates.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert "not a UTF-8 text file" in refused(seeded, "rate", "import", str(binary), "--source", "SBS",
                                              "--by", "B-1001")
    assert refused(seeded, "rate", "import", str(tmp_path / "missing.csv"), "--source", "SBS", "--by", "B-1001",
                   code=2)


def test_import_conflict_refused_unless_superseded(seeded, db_url, tmp_path):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.3333", "--source", "BCRP", "--by", "B-1001")
    old = seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", json_out=True)
    err = refused(seeded, "rate", "import", str(BCRP_CSV), "--source", "BCRP", "--by", "B-1001")
    assert "contradicts 1 recorded rate" in err and "line 7: 2020-10-06 USD/PEN sell is 3.5870 in the file" in err
    assert "3.3333 is recorded" in err
    err = refused(seeded, "rate", "import", str(BCRP_CSV), "--source", "BCRP", "--side", "buy", "--by", "B-1001")
    assert "contradicts the BCRP series" in err

    out = seeded.ok("rate", "import", str(BCRP_CSV), "--source", "BCRP", "--supersede", "--reason", "official series",
                    "--by", "B-1001", json_out=True)
    assert out["imported"] == 21 and out["superseded"] == 1
    (event,) = rows(db_url, "SELECT body FROM events WHERE type = 'rate.imported'")
    superseding = [r for r in json.loads(event.body)["data"]["rates"] if "supersedes" in r]
    assert superseding == [{"date": "2020-10-06", "base": "USD", "quote": "PEN", "rate": "3.5870", "side": "sell",
                            "supersedes": old["rate"]["seq"]}]
    assert seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", json_out=True)["converted"] \
        == "1115.14"
    assert rows(db_url, "SELECT superseded_seq FROM rates WHERE rate = '3.3333'")[0][0] == out["seq"]


def test_rate_list_filters(seeded):
    seeded.ok("rate", "import", str(BCRP_JSON), "--source", "BCRP", "--by", "B-1001")
    listed = seeded.ok("rate", "list", "--from", "2020-10-05", "--to", "2020-10-09", json_out=True)
    assert [r["date"] for r in listed] == ["2020-10-05", "2020-10-06", "2020-10-07", "2020-10-09"]
    assert {r["pair"] for r in listed} == {"USD/PEN"} and {r["superseded"] for r in listed} == {False}
    plain = seeded.ok("rate", "list", "--to", "2020-10-01")
    assert "2020-10-01  USD/PEN  3.6030  sell  BCRP" in plain
    assert "--from 'yesterday' is not a date" in refused(seeded, "rate", "list", "--from", "yesterday")


# --- case totals ------------------------------------------------------------------------------


def test_case_totals_per_currency_and_converted(seeded):
    add_cash(seeded, "SZ-000001", "4,000.00", "PEN")
    add_cash(seeded, "SZ-000001", "1,500.00", "PEN")
    add_cash(seeded, "SZ-000001", "1200", "USD")
    err = refused(seeded, "case", "totals", "AQP-2020-0147")
    assert "item EV-000001 (4000.00 PEN, seized 2020-10-06)" in err and "item EV-000002" in err
    assert "evidence rate set 2020-10-06 USD PEN RATE --source SOURCE --side sell --by BADGE" in err

    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.3333", "--source", "TEST", "--by", "B-1001")
    totals = seeded.ok("case", "totals", "AQP-2020-0147", json_out=True)
    # 4000/3.3333 = 1200.012 -> 1200.01; 1500/3.3333 = 450.004 -> 450.00; sum of rounded items.
    assert totals["total"] == "2850.01" and totals["in_currency"] == "USD"
    assert totals["per_currency"] == [
        {"currency": "PEN", "minor": 550000, "amount": "5500.00", "items": 2, "converted_minor": 165001,
         "converted": "1650.01", "deposited_minor": 0, "deposited_items": 0, "deposited": "0.00",
         "undeposited_minor": 550000, "undeposited": "5500.00"},
        {"currency": "USD", "minor": 120000, "amount": "1200.00", "items": 1, "converted_minor": 120000,
         "converted": "1200.00", "deposited_minor": 0, "deposited_items": 0, "deposited": "0.00",
         "undeposited_minor": 120000, "undeposited": "1200.00"},
    ]
    assert [r["rate"] for r in totals["rates"]] == ["3.3333"]
    assert [(i["item_id"], i["converted"], i["rate"] and i["rate"]["rate"]) for i in totals["items"]] == [
        ("EV-000001", "1200.01", "3.3333"), ("EV-000002", "450.00", "3.3333"), ("EV-000003", "1200.00", None)]
    plain = seeded.ok("case", "totals", "AQP-2020-0147")
    assert "total:  US$2,850.01" in plain and "2020-10-06 1 USD = 3.3333 PEN, sell, source TEST" in plain
    assert "S/ 5,500.00" in plain
    in_pen = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN", json_out=True)
    assert in_pen["total"] == "9499.96"  # 5500.00 + 1200 * 3.3333 (= 3999.96)
    assert "--in 'XX' is not a currency code" in refused(seeded, "case", "totals", "AQP-2020-0147", "--in", "XX")
    assert "no case NOPE" in refused(seeded, "case", "totals", "NOPE")
    show = seeded.ok("case", "show", "AQP-2020-0147", json_out=True)
    assert {c["currency"]: c["amount"] for c in show["cash"]} == {"PEN": "5500.00", "USD": "1200.00"}


def test_case_totals_valued_on_seizure_day_in_lima(seeded):
    # 23:30 in Lima on Sunday 11 Oct is already Monday in UTC; the Lima day decides.
    seeded.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-11T23:30", "--place", "Yura",
              "--by", "B-1001")
    add_cash(seeded, "SZ-000002", "100", "USD")
    seeded.ok("rate", "import", str(BCRP_JSON), "--source", "BCRP", "--by", "B-1001")
    totals = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "PEN", json_out=True)
    (item,) = totals["items"]
    assert item["on_date"] == "2020-10-11" and item["rate"]["date"] == "2020-10-09" and item["converted"] == "359.60"
    assert item["inverse"] is False
    empty = seeded.ok("case", "totals", "AQP-2020-0147", "--in", "USD", json_out=True)
    assert empty["total"] == "100.00" and empty["rates"] == []


def test_as_of_reproduces_a_figure_reported_before_a_correction(seeded):
    seeded.ok("cash", "add", "SZ-1", "--amount", "4000", "--currency", "PEN", "--counted-by", "B-1001",
              "--verified-by", "B-1002", "--at", "2020-10-06T09:00", "--by", "B-1001")
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.3333", "--source", "TEST", "--by", "B-1001")
    reported = seeded.ok("case", "totals", "AQP-2020-0147", json_out=True)
    head = seeded.ok("verify", json_out=True)["head_seq"]
    assert reported["total"] == "1200.01"

    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "TEST", "--supersede",
              "--reason", "typing error", "--by", "B-1001")
    seeded.ok("cash", "add", "SZ-1", "--amount", "100", "--currency", "USD", "--counted-by", "B-1001",
              "--verified-by", "B-1002", "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert seeded.ok("case", "totals", "AQP-2020-0147", json_out=True)["total"] == "1215.14"  # 1115.14 + 100

    again = seeded.ok("case", "totals", "AQP-2020-0147", "--as-of", str(head), json_out=True)
    assert again["total"] == reported["total"] and again["rates"] == reported["rates"] and again["as_of"] == head
    plain = seeded.ok("convert", "4000", "PEN", "--to", "USD", "--on", "2020-10-06", "--as-of", str(head))
    assert plain.startswith("1,200.01 USD") and f"as of event {head}" in plain


@pytest.mark.parametrize("value", ["0", "9999", "-1", "abc", "１"])
def test_as_of_must_name_an_event(seeded, value):
    before = seeded.snapshot()
    result = seeded("case", "totals", "AQP-2020-0147", "--as-of", value)
    assert result.exit_code == 1 and "--as-of" in result.stderr and "Traceback" not in result.stderr
    assert seeded.snapshot() == before
