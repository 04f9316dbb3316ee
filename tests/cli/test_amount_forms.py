"""Amounts typed as officers in Peru write them: read when they can mean one thing only (and
the officer told how), refused with both readings when they could mean two."""

from __future__ import annotations

from tests.helpers import rows

CASH = ["cash", "add", "SZ-000001", "--counted-by", "B-1001", "--verified-by", "B-1002",
        "--at", "2020-10-06T09:00", "--by", "B-1001"]


def test_soles_with_symbol_and_decimal_comma_are_read(seeded, db_url):
    result = seeded(*CASH, "--amount", "S/ 4.000,00", "--currency", "PEN")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "EV-000001"
    assert result.stderr == ("note: --amount 'S/ 4.000,00' read as S/ 4,000.00 "
                             "(S/ is PEN; dots between thousands, comma for decimals).\n")
    assert rows(db_url, "SELECT amount_minor, currency FROM items") == [(400000, "PEN")]


def test_dollars_with_symbol_are_read(seeded, db_url):
    result = seeded(*CASH, "--amount", "US$ 1,500.00", "--currency", "USD")
    assert result.exit_code == 0, result.stderr
    assert "read as US$1,500.00 (US$ is USD)" in result.stderr
    assert rows(db_url, "SELECT amount_minor, currency FROM items") == [(150000, "USD")]


def test_plain_amount_gets_no_note(seeded):
    result = seeded(*CASH, "--amount", "4,000.00", "--currency", "PEN")
    assert result.exit_code == 0 and result.stderr == ""


def test_ambiguous_amount_is_refused_naming_both_readings(seeded):
    before = seeded.snapshot()
    result = seeded(*CASH, "--amount", "4.000", "--currency", "PEN")
    assert result.exit_code == 1 and result.stdout == ""
    assert "--amount '4.000' is ambiguous" in result.stderr
    assert "4,000.00 PEN" in result.stderr and "4.000 PEN" in result.stderr
    assert "Write 4,000.00 or 4.00 as you mean it." in result.stderr
    assert seeded.snapshot() == before


def test_symbol_that_disagrees_with_currency_is_refused(seeded):
    before = seeded.snapshot()
    result = seeded(*CASH, "--amount", "US$ 1,500.00", "--currency", "PEN")
    assert result.exit_code == 1
    assert "written in US dollars (US$), but the currency given is PEN" in result.stderr
    assert seeded.snapshot() == before


def test_vehicle_value_with_symbol(seeded, db_url):
    result = seeded("vehicle", "add", "SZ-000001", "--make", "Toyota", "--model", "Yaris", "--value", "S/ 45.000,00",
                    "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert result.exit_code == 0, result.stderr
    assert "read as S/ 45,000.00" in result.stderr
    assert rows(db_url, "SELECT value_minor, value_currency FROM items") == [(4500000, "PEN")]
