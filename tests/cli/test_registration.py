"""Registering officers, locations, cases, seizures and items of every kind through the CLI."""

from __future__ import annotations

import json

from tests.helpers import GOOD_IMEI, GOOD_IMEI2, rows


def test_each_creation_prints_its_identifier(seeded, db_url, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 fictitious scan\n")
    cash = seeded.ok("cash", "add", "SZ-000001", "--amount", "4,000.00", "--currency", "PEN", "--counted-by", "B-1001",
                     "--verified-by", "B-1002", "--denominations", "200x10,100x20", "--seal", "S-0001",
                     "--location", "ER-AQP", "--by", "B-1001")
    car = seeded.ok("vehicle", "add", "SZ-000001", "--make", "Toyota", "--model", "Yaris", "--plate", "v1a-123",
                    "--vin", "1HGCM82633A004352", "--year", "2016", "--value", "45000 PEN", "--by", "B-1001")
    phone = seeded.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--imei2", GOOD_IMEI2, "--make", "Samsung",
                      "--model", "Galaxy A10", "--number", "+51 959 000 001", "--by", "B-1001")
    doc = seeded.ok("document", "add", "SZ-000001", "--title", "Cuaderno de cuentas", "--pages", "48",
                    "--file", str(scan), "--by", "B-1001")
    assert [cash, car, phone, doc] == ["EV-000001", "EV-000002", "EV-000003", "EV-000004"]

    items = {r.id: r for r in rows(db_url, "SELECT * FROM items ORDER BY no")}
    assert items["EV-000001"].amount_minor == 400000 and items["EV-000001"].currency == "PEN"
    assert items["EV-000001"].holder == "B-1001" and items["EV-000001"].location == "ER-AQP"
    assert items["EV-000002"].plate == "V1A-123" and items["EV-000002"].value_minor == 4500000
    assert items["EV-000003"].imei2 == GOOD_IMEI2
    import hashlib

    assert items["EV-000004"].file_sha256 == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert items["EV-000004"].file_size == scan.stat().st_size
    events = rows(db_url, "SELECT seq, type FROM events ORDER BY seq")
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events][-4:] == ["item.registered"] * 4


def test_json_output_is_one_document(seeded):
    out = seeded.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--make", "Nokia", "--model", "105",
                    "--by", "B-1001", json_out=True)
    assert out["id"] == "EV-000001"
    listing = seeded.ok("item", "list", json_out=True)
    assert [i["id"] for i in listing] == ["EV-000001"]
    shown = seeded.ok("item", "show", "EV-000001", json_out=True)
    assert shown["imei"] == GOOD_IMEI and shown["holder"] == "B-1001"
    case = seeded.ok("case", "show", "AQP-2020-0147", json_out=True)
    assert case["counts"] == {"phone": {"in-custody": 1}}
    for cmd in (["officer", "list"], ["location", "list"], ["case", "list"], ["db", "status"]):
        result = seeded(*cmd, json_out=True)
        assert result.exit_code == 0
        json.loads(result.stdout)


def test_item_list_filters(seeded):
    seeded.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Nokia", "--model", "105", "--by", "B-1001")
    seeded.ok("document", "add", "SZ-1", "--title", "Contrato", "--by", "B-1002")
    assert [i["id"] for i in seeded.ok("item", "list", "--kind", "document", json_out=True)] == ["EV-000002"]
    assert [i["id"] for i in seeded.ok("item", "list", "--holder", "B-1001", json_out=True)] == ["EV-000001"]
    assert seeded.ok("item", "list", "--status", "disposed", json_out=True) == []
    plain = seeded.ok("item", "list", "--case", "AQP-2020-0147")
    assert "EV-000001" in plain and "Contrato" in plain


def test_vin_check_digit_is_a_warning_not_a_refusal(seeded):
    result = seeded("vehicle", "add", "SZ-1", "--make", "Toyota", "--model", "Hilux", "--vin", "8AJFR22G104512345",
                    "--by", "B-1001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "EV-000001"
    assert "warning:" in result.stderr and "--vin" in result.stderr


def test_case_show_reports_cash_per_currency(seeded):
    for amount, cur in (("4000.00", "PEN"), ("1500", "USD"), ("250.50", "PEN")):
        seeded.ok("cash", "add", "SZ-1", "--amount", amount, "--currency", cur, "--counted-by", "B-1001",
                  "--verified-by", "B-1002", "--by", "B-1001")
    report = seeded.ok("case", "show", "AQP-2020-0147", json_out=True)
    assert {c["currency"]: c["amount"] for c in report["cash"]} == {"PEN": "4250.50", "USD": "1500.00"}
    assert report["seizures"][0]["acta"] == "ACTA-0001"


def test_auditor_may_not_register(seeded):
    before = seeded.snapshot()
    result = seeded("document", "add", "SZ-1", "--title", "X", "--by", "A-4001")
    assert result.exit_code == 1
    assert "A-4001" in result.stderr and "auditor" in result.stderr
    assert seeded.snapshot() == before


def test_python_dash_m_ledger_runs_the_cli():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "ledger", "--help"], capture_output=True, text=True, check=True)
    assert "evidence" in out.stdout.lower() and "custody" in out.stdout.lower() or "case" in out.stdout


def test_item_list_json_refusal_is_one_json_object_on_stdout(seeded):
    result = seeded("item", "list", "--holder", "B-9999", json_out=True)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": {
        "exit_code": 1, "message": "--holder: no officer with badge B-9999 is registered.",
        "hint": "Check the badge with 'evidence officer list', or register it with 'evidence officer add'.",
        "details": []}}
    assert "--holder" in result.stderr
