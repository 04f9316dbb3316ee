"""`evidence due`: each rule at its threshold (one second before, at, after), the rules stated in
the output, the filters, and refused input."""

from __future__ import annotations

from tests.cli.test_peru_workflow import BANK, peru

# The seizure of seed_basic happened at 2020-10-06T05:30 in Lima (10:30 UTC).
SEIZED = "2020-10-06T05:30"


def due(cli, *args):
    return cli.ok("due", *args, json_out=True)


def entries(report):
    return [(e["rule"], e["item"], e["overdue"]) for e in report["entries"]]


def test_cash_is_due_at_the_configured_hours_after_its_seizure(seeded):
    peru(seeded)  # EV-3 4000 PEN and EV-4 250 USD, seized 2020-10-06T05:30
    assert entries(due(seeded, "--at", "2020-10-08T05:29:59")) == []
    at = due(seeded, "--at", "2020-10-08T05:30")
    assert entries(at) == [("cash-undeposited", "EV-000003", True), ("cash-undeposited", "EV-000004", True)]
    assert at["entries"][0]["due_at"] == "2020-10-08T10:30:00Z"
    assert at["rules"][0]["threshold"] == "48 hours"
    # A day before, --within 1 lists them as falling due; another threshold moves the edge.
    assert entries(due(seeded, "--at", "2020-10-07T05:30", "--within", "1")) == [
        ("cash-undeposited", "EV-000003", False), ("cash-undeposited", "EV-000004", False)]
    assert entries(due(seeded, "--at", "2020-10-07T05:30", "--cash-hours", "24"))[0][2] is True
    assert entries(seeded.ok("due", "--at", "2020-10-07T05:30", json_out=True,
                             env={"EVIDENCE_DUE_CASH_HOURS": "24"}))[0][2] is True
    # Deposited cash is not due any more.
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--at", "2020-10-07T11:00",
              "--by", "C-3001")
    assert entries(due(seeded, "--at", "2020-10-09T00:00")) == [("cash-undeposited", "EV-000004", True)]
    text = seeded.ok("due", "--at", "2020-10-09T00:00")
    assert "rule cash-undeposited: seized cash not deposited within 48 hours of its seizure" in text
    assert "EV-000004" in text and "overdue" in text and "EV-000003" not in text


def test_an_assignment_is_due_the_day_after_its_last_day(seeded):
    peru(seeded)
    seeded.ok("custody", "deposit", "EV-3", "EV-4", *BANK, "--voucher", "1", "--at", "2020-10-07T11:00",
              "--by", "C-3001")
    seeded.ok("custody", "assign", "EV-5", "--to-entity", "Municipalidad", "--order", "Res. 88-2021", "--until",
              "2021-12-31", "--at", "2021-02-01T10:00", "--by", "C-3001")
    assert entries(due(seeded, "--at", "2021-12-31T23:59:59")) == []
    at = due(seeded, "--at", "2022-01-01T00:00")
    assert entries(at) == [("assignment-ended", "EV-000005", True)]
    assert at["entries"][0]["due_at"] == "2022-01-01T05:00:00Z" and "Res. 88-2021" in at["entries"][0]["detail"]
    assert entries(due(seeded, "--at", "2021-12-25T00:00", "--within", "7")) == [
        ("assignment-ended", "EV-000005", False)]
    seeded.ok("custody", "return", "EV-5", "--at", "2022-01-03T09:00", "--by", "C-3001")
    assert entries(due(seeded, "--at", "2022-01-04T00:00")) == []


def test_filters_by_case_and_location(seeded):
    peru(seeded)
    seeded.ok("case", "open", "LIM-2020-0001", "--title", "Otro", "--by", "B-1002", "--at", "2020-10-07T04:00")
    seeded.ok("seizure", "record", "LIM-2020-0001", "--at", "2020-10-07T05:00", "--place", "Lima", "--by", "B-1002")
    seeded.ok("cash", "add", "SZ-2", "--amount", "10.00", "--currency", "PEN", "--counted-by", "B-1002",
              "--verified-by", "B-1001", "--by", "B-1002", "--at", "2020-10-07T06:00")
    late = ["--at", "2020-11-01T00:00"]
    assert [e[1] for e in entries(due(seeded, *late))] == ["EV-000003", "EV-000004", "EV-000006"]
    assert [e[1] for e in entries(due(seeded, *late, "--case", "LIM-2020-0001"))] == ["EV-000006"]
    assert [e[1] for e in entries(due(seeded, *late, "--location", "ER-AQP"))] == ["EV-000003", "EV-000004"]


def test_bad_input_is_refused(seeded):
    for argv, needle in [
        (["due", "--within", "-1"], "--within"),
        (["due", "--within", "many"], "--within"),
        (["due", "--case", "NOPE-1"], "NOPE-1"),
        (["due", "--location", "NOWHERE"], "NOWHERE"),
        (["due", "--cash-hours", "0"], "--cash-hours"),
        (["due", "--at", "yesterday"], "--at"),
    ]:
        result = seeded(*argv)
        assert result.exit_code == 1 and needle in result.stderr, (argv, result.stderr)
    bad_env = seeded("due", env={"EVIDENCE_DUE_CASH_HOURS": "soon"})
    assert bad_env.exit_code == 1 and "EVIDENCE_DUE_CASH_HOURS" in bad_env.stderr
