"""Identifiers (badges, case numbers, location codes, seals, actas, seizure and item ids) are one
thing whatever their letter case, are kept in capitals, and a second one that reads like an
existing one is refused naming it."""

from __future__ import annotations

import pytest

from tests.helpers import rows


def test_lower_case_identifiers_are_stored_in_capitals(cli, db_url):
    cli.ok("officer", "add", "b-1001", "--name", "Ana Quispe Mamani", "--role", "officer")
    cli.ok("location", "add", "er-aqp", "--name", "Evidence room", "--kind", "evidence-room")
    cli.ok("case", "open", "aqp-2020-0147", "--title", "Venta", "--by", "b-1001", "--at", "2020-10-06T04:00")
    sid = cli.ok("seizure", "record", "aqp-2020-0147", "--at", "2020-10-06T05:30", "--place", "Calle Misti 123",
                 "--acta", "acta-0001", "--by", "B-1001")
    assert sid == "SZ-000001"
    item = cli.ok("document", "add", "sz-000001", "--title", "Cuaderno", "--seal", "s-0001", "--location", "Er-Aqp",
                  "--by", "b-1001")
    assert [tuple(r) for r in rows(db_url, "SELECT badge FROM officers WHERE role <> 'admin'")] == [("B-1001",)]
    assert [tuple(r) for r in rows(db_url, "SELECT code FROM locations")] == [("ER-AQP",)]
    assert [tuple(r) for r in rows(db_url, "SELECT case_no, opened_by FROM cases")] == [("AQP-2020-0147", "B-1001")]
    assert [tuple(r) for r in rows(db_url, "SELECT acta, officer FROM seizures")] == [("ACTA-0001", "B-1001")]
    assert [tuple(r) for r in rows(db_url, "SELECT id, seal, location, holder FROM items")] == [
        (item, "S-0001", "ER-AQP", "B-1001")]
    cli.ok("verify")


def test_lookups_ignore_letter_case(seeded):
    item = seeded.ok("document", "add", "SZ-000001", "--title", "Cuaderno", "--seal", "S-0001", "--by", "B-1001")
    assert "Cuaderno" in seeded.ok("item", "show", item.lower())
    listed = seeded.ok("item", "list", "--case", "aqp-2020-0147", "--holder", "b-1001", json_out=True)
    assert [i["id"] for i in listed] == [item]
    assert seeded.ok("case", "show", "aqp-2020-0147", json_out=True)["case_no"] == "AQP-2020-0147"
    seeded.ok("custody", "transfer", item.lower(), "--from", "b-1001", "--to", "c-3001", "--reason", "Deposit",
              "--location", "er-aqp", "--by", "b-1001")
    # the seal was recorded as S-0001; typed in small letters it is the same seal
    seeded.ok("custody", "reseal", item, "--old-seal", "s-0001", "--new-seal", "s-0002", "--reason", "Lab",
              "--by", "C-3001")
    assert seeded.ok("item", "show", item, json_out=True)["seal"] == "S-0002"


@pytest.mark.parametrize(
    "argv, existing, words",
    [
        (["officer", "add", "b-1001", "--name", "Otra", "--role", "officer"], "B-1001", "already registered"),
        (["officer", "add", "B1001", "--name", "Otra", "--role", "officer"], "B-1001", "reads the same"),
        (["officer", "add", "b_10.01", "--name", "Otra", "--role", "officer"], "B-1001", "reads the same"),
        (["location", "add", "er aqp", "--name", "Otro"], "ER-AQP", "reads the same"),
        (["location", "add", "vault-1", "--name", "Otro"], "VAULT-1", "already registered"),
        (["case", "open", "aqp-2020-0147", "--title", "Otro", "--by", "B-1001"], "AQP-2020-0147", "already open"),
        (["case", "open", "AQP20200147", "--title", "Otro", "--by", "B-1001"], "AQP-2020-0147", "reads the same"),
        (["case", "open", "aqp/2020/0147", "--title", "Otro", "--by", "B-1001"], "AQP-2020-0147", "reads the same"),
    ],
)
def test_a_look_alike_of_an_existing_identifier_is_refused_naming_it(seeded, argv, existing, words):
    before = seeded.snapshot()
    result = seeded(*argv)
    assert result.exit_code == 1, result.output
    assert existing in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr
    assert seeded.snapshot() == before


def test_an_identifier_that_differs_in_a_digit_is_not_a_look_alike(seeded, db_url):
    seeded.ok("officer", "add", "B-10011", "--name", "Otra", "--role", "officer")
    seeded.ok("case", "open", "AQP-2020-0148", "--title", "Otro", "--by", "B-1001")
    assert ("B-10011",) in [tuple(r) for r in rows(db_url, "SELECT badge FROM officers")]


def test_an_unknown_identifier_suggests_its_look_alike(seeded):
    result = seeded("item", "list", "--case", "AQP20200147")
    assert result.exit_code == 1
    assert "no case AQP20200147" in result.stderr and "Did you mean AQP-2020-0147?" in result.stderr
    result = seeded("case", "open", "X-1", "--title", "T", "--by", "B1001")
    assert result.exit_code == 1 and "Did you mean B-1001?" in result.stderr


@pytest.mark.parametrize(
    "argv, field, char",
    [
        (["officer", "add", "\u0412-1001", "--name", "X", "--role", "officer"], "BADGE", "U+0412"),  # Cyrillic VE
        (["location", "add", "ALMAC\u00c9N-1", "--name", "X"], "CODE", "U+00C9"),
        (["case", "open", "AQP-2020-0147\u00ad", "--title", "X", "--by", "B-1001"], "CASE_NO", "U+00AD"),
        (["officer", "add", "B-2002", "--name", "Ana\u3164Quispe", "--role", "officer"], "--name", "U+3164"),
        (["officer", "add", "B-2002", "--name", "Ana\U000e0041", "--role", "officer"], "--name", "U+E0041"),
        (["officer", "add", "B-2002", "--name", "Ana\ufe0f", "--role", "officer"], "--name", "U+FE0F"),
    ],
)
def test_non_ascii_identifiers_and_invisible_characters_are_refused(seeded, argv, field, char):
    before = seeded.snapshot()
    result = seeded(*argv)
    assert result.exit_code == 1, result.output
    assert field in result.stderr and char in result.stderr
    assert seeded.snapshot() == before
