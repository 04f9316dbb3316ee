"""A mistyped badge, case number, evidence number, seizure id, location or rate source is
still refused, but the refusal names the closest registered ones."""

from __future__ import annotations

import pytest

from ledger.suggest import closest, did_you_mean, near_numbers
from tests.helpers import GOOD_IMEI

CASH = ["cash", "add", "SZ-000001", "--amount", "10", "--currency", "PEN", "--at", "2020-10-06T09:00"]


def refused(cli, *args):
    before = cli.snapshot()
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert cli.snapshot() == before
    return result.stderr


def test_badge_typo(seeded):
    err = refused(seeded, *CASH, "--counted-by", "B-1010", "--verified-by", "B-1002", "--by", "B-1001")
    assert "no officer with badge B-1010 is registered. Did you mean B-1001" in err
    err = refused(seeded, "custody", "holdings", "B-1011")
    assert "Did you mean B-1001" in err
    err = refused(seeded, "case", "open", "X-1", "--title", "t", "--by", "F-2010")
    assert "Did you mean F-2001?" in err


def test_case_number_typo(seeded):
    err = refused(seeded, "case", "show", "AQP-2020-0174")
    assert "no case AQP-2020-0174 is registered" in err and "Did you mean AQP-2020-0147?" in err


def test_location_typo(seeded):
    err = refused(seeded, *CASH, "--counted-by", "B-1001", "--verified-by", "B-1002", "--location", "ER-AQ",
                  "--by", "B-1001")
    assert "Did you mean ER-AQP?" in err


def test_evidence_number_typo(seeded):
    seeded.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--make", "Nokia", "--model", "105",
              "--at", "2020-10-06T09:00", "--by", "B-1001")
    err = refused(seeded, "item", "show", "EV-000010")
    assert "no item 'EV-000010' is registered" in err and "Did you mean EV-000001?" in err
    err = refused(seeded, "custody", "transfer", "EV-000010", "--from", "B-1001", "--to", "C-3001",
                  "--reason", "storage", "--by", "B-1001")
    assert "Did you mean EV-000001?" in err


def test_seizure_id_typo(seeded):
    err = refused(seeded, *CASH[:2], "SZ-000010", *CASH[3:], "--counted-by", "B-1001", "--verified-by", "B-1002",
                  "--by", "B-1001")
    assert "no seizure 'SZ-000010' is registered" in err and "Did you mean SZ-000001?" in err


def test_rate_source_in_other_letters(seeded):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "BCRP", "--by", "B-1001")
    err = refused(seeded, "convert", "100", "USD", "--to", "PEN", "--on", "2020-10-06", "--source", "bcrp")
    assert "Did you mean --source BCRP? Otherwise add it with" in err


def test_nothing_close_gets_no_guess(seeded):
    err = refused(seeded, "case", "show", "LIM-1999-9")
    assert "Did you mean" not in err


@pytest.mark.parametrize("value, names, expected", [
    ("B-1010", ["B-1002", "B-1001", "C-3001"], ["B-1001", "B-1002"]),
    ("bcrp", ["SBS", "BCRP"], ["BCRP"]),
    ("er aqp", ["ER-AQP", "VAULT-1"], ["ER-AQP"]),
    ("ZZZZ", ["B-1001"], []),
])
def test_closest(value, names, expected):
    assert closest(value, names)[:len(expected)] == expected
    assert len(closest(value, names)) <= 3


def test_did_you_mean_wording():
    assert did_you_mean([]) == ""
    assert did_you_mean(["B-1001"]) == "Did you mean B-1001? "
    assert did_you_mean(["A", "B", "C"], "--source ") == "Did you mean --source A, --source B or --source C? "


def test_near_numbers_are_one_keystroke_away():
    near = near_numbers(42)
    assert {24, 4, 2, 43, 142, 402}.issubset(near) and 42 not in near and 0 not in near
