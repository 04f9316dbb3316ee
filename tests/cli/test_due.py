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


# -- review dates --------------------------------------------------------------------------
def test_a_review_is_due_the_day_after_its_date(seeded):
    peru(seeded)  # EV-5 a vehicle held by C-3001 in ER-AQP
    seeded.ok("item", "review", "EV-5", "--on", "2020-12-01", "--reason", "Revisión semestral", "--at",
              "2020-10-07T10:00", "--by", "F-2001")
    only = ["--rule", "review-passed"]
    # The review date is a whole day: the item is listed once the next day begins in Lima.
    assert entries(due(seeded, *only, "--at", "2020-12-01T23:59:59")) == []
    at = due(seeded, *only, "--at", "2020-12-02T00:00")
    assert entries(at) == [("review-passed", "EV-000005", True)]
    assert at["entries"][0]["due_at"] == "2020-12-02T05:00:00Z"
    assert "2020-12-01" in at["entries"][0]["detail"] and "Revisión semestral" in at["entries"][0]["detail"]
    assert entries(due(seeded, *only, "--at", "2020-12-03T00:00")) == [("review-passed", "EV-000005", True)]
    # A day before, --within 1 lists it as falling due.
    assert entries(due(seeded, *only, "--at", "2020-12-01T00:00", "--within", "1")) == [
        ("review-passed", "EV-000005", False)]
    # Days of grace move the edge, from the option or the environment.
    assert entries(due(seeded, *only, "--at", "2020-12-03T23:59:59", "--review-days", "2")) == []
    graced = due(seeded, *only, "--at", "2020-12-04T00:00", "--review-days", "2")
    assert entries(graced) == [("review-passed", "EV-000005", True)]
    assert graced["rules"][0]["threshold"] == "2 day(s) after the review date"
    assert entries(seeded.ok("due", *only, "--at", "2020-12-03T23:59:59", json_out=True,
                             env={"EVIDENCE_DUE_REVIEW_DAYS": "2"})) == []
    # A new date takes it off the list until then; clearing it ends the review.
    seeded.ok("item", "review", "EV-5", "--on", "2021-06-01", "--at", "2020-12-02T10:00", "--by", "C-3001")
    assert entries(due(seeded, *only, "--at", "2020-12-03T00:00")) == []
    assert entries(due(seeded, *only, "--at", "2021-06-02T00:00")) == [("review-passed", "EV-000005", True)]
    seeded.ok("item", "review", "EV-5", "--clear", "--reason", "Se mantiene la incautación", "--at",
              "2021-06-02T09:00", "--by", "F-2001")
    assert entries(due(seeded, *only, "--at", "2021-07-01T00:00")) == []


def test_a_disposed_item_is_never_due_for_review(seeded):
    peru(seeded)
    seeded.ok("item", "review", "EV-5", "--on", "2020-12-01", "--at", "2020-10-07T10:00", "--by", "F-2001")
    seeded.ok("custody", "dispose", "EV-5", "--action", "returned", "--authority", "Res. 9-2020", "--at",
              "2020-11-01T10:00", "--by", "F-2001")
    assert entries(due(seeded, "--rule", "review-passed", "--at", "2021-01-01T00:00")) == []


# -- final disposition orders --------------------------------------------------------------
def test_items_still_held_after_the_final_order(seeded):
    peru(seeded)  # EV-1 phone, EV-2 document (B-1001); EV-3, EV-4 cash, EV-5 vehicle (C-3001)
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "1", "--at", "2020-10-07T11:00", "--by", "C-3001")
    seeded.ok("custody", "dispose", "EV-2", "--action", "destroyed", "--authority", "Res. 1-2021", "--at",
              "2021-01-10T10:00", "--by", "F-2001")
    seeded.ok("custody", "assign", "EV-5", "--to-entity", "Municipalidad", "--order", "Res. 88-2021", "--until",
              "2023-12-31", "--at", "2021-02-01T10:00", "--by", "C-3001")
    # An order that is not final puts nothing on the list.
    seeded.ok("case", "order", "AQP-2020-0147", "--order", "Auto 3-2021", "--at", "2021-05-01T10:00",
              "--by", "F-2001")
    only = ["--rule", "held-after-final-order"]
    assert entries(due(seeded, *only, "--at", "2022-12-31T00:00")) == []
    seeded.ok("case", "order", "AQP-2020-0147", "--order", "Sentencia 4-2022", "--final", "--at",
              "2022-03-01T10:00", "--by", "F-2001")
    # 30 days by default: one second before, at, and after.
    assert entries(due(seeded, *only, "--at", "2022-03-31T09:59:59")) == []
    at = due(seeded, *only, "--at", "2022-03-31T10:00")
    # Every item not disposed of: in custody (EV-1, EV-4), deposited cash (EV-3), lent (EV-5).
    assert entries(at) == [("held-after-final-order", f"EV-00000{n}", True) for n in (1, 3, 4, 5)]
    assert {e["due_at"] for e in at["entries"]} == {"2022-03-31T15:00:00Z"}
    assert "Sentencia 4-2022" in at["entries"][0]["detail"] and "in-custody" in at["entries"][0]["detail"]
    assert at["rules"] == [{"rule": "held-after-final-order", "threshold": "30 days",
                            "setting": "--order-days, $EVIDENCE_DUE_ORDER_DAYS", "text": at["rules"][0]["text"]}]
    assert len(entries(due(seeded, *only, "--at", "2022-04-01T10:00"))) == 4
    assert entries(due(seeded, *only, "--at", "2022-03-30T10:00", "--within", "1"))[0][2] is False
    assert len(entries(due(seeded, *only, "--at", "2022-03-01T10:00", "--order-days", "0"))) == 4
    assert entries(seeded.ok("due", *only, "--at", "2022-03-31T10:00", json_out=True,
                             env={"EVIDENCE_DUE_ORDER_DAYS": "31"})) == []
    # What is disposed of leaves the list.
    seeded.ok("custody", "dispose", "EV-3", "--action", "forfeited", "--authority", "Sentencia 4-2022",
              "--at", "2022-03-15T10:00", "--by", "F-2001")
    assert [e[1] for e in entries(due(seeded, *only, "--at", "2022-04-01T10:00"))] == [
        "EV-000001", "EV-000004", "EV-000005"]


def test_the_latest_recorded_final_order_counts(seeded):
    peru(seeded)
    seeded.ok("case", "order", "AQP-2020-0147", "--order", "Sentencia 4-2022", "--final", "--at",
              "2022-03-01T10:00", "--by", "F-2001")
    # Recorded again with the date corrected, by an order of the appeals court.
    seeded.ok("case", "order", "AQP-2020-0147", "--order", "Sentencia de vista 11-2022", "--final", "--at",
              "2022-08-01T10:00", "--by", "F-2001")
    only = ["--rule", "held-after-final-order", "--case", "AQP-2020-0147"]
    assert entries(due(seeded, *only, "--at", "2022-08-31T09:59:59")) == []
    later = due(seeded, *only, "--at", "2022-08-31T10:00")
    assert len(later["entries"]) == 5 and "Sentencia de vista 11-2022" in later["entries"][0]["detail"]


# -- the rules stated and chosen -----------------------------------------------------------
def test_every_rule_is_stated_with_its_threshold_and_setting(seeded):
    report = due(seeded, "--cash-hours", "24", "--review-days", "3", "--order-days", "60")
    stated = {r["rule"]: r for r in report["rules"]}
    assert list(stated) == ["cash-undeposited", "assignment-ended", "review-passed", "held-after-final-order"]
    assert (stated["cash-undeposited"]["threshold"], stated["review-passed"]["threshold"],
            stated["held-after-final-order"]["threshold"]) == ("24 hours", "3 day(s) after the review date",
                                                               "60 days")
    text = " ".join(seeded.ok("due", "--order-days", "60").split())  # the statements wrap at 100 columns
    for rule in stated:
        assert f"rule {rule}: " in text
    assert "[threshold 60 days; set by --order-days, $EVIDENCE_DUE_ORDER_DAYS]" in text
    assert "[threshold 48 hours; set by --cash-hours, $EVIDENCE_DUE_CASH_HOURS]" in text
    chosen = due(seeded, "--rule", "review-passed", "--rule", "cash-undeposited")
    assert [r["rule"] for r in chosen["rules"]] == ["cash-undeposited", "review-passed"]
    from_env = seeded.ok("due", json_out=True, env={"EVIDENCE_DUE_RULES": "assignment-ended, review-passed"})
    assert [r["rule"] for r in from_env["rules"]] == ["assignment-ended", "review-passed"]


def test_rule_choice_filters_entries(seeded):
    peru(seeded)
    seeded.ok("item", "review", "EV-5", "--on", "2020-10-08", "--at", "2020-10-07T10:00", "--by", "F-2001")
    late = ["--at", "2020-11-01T00:00"]
    assert {e[0] for e in entries(due(seeded, *late))} == {"cash-undeposited", "review-passed"}
    assert {e[0] for e in entries(due(seeded, *late, "--rule", "review-passed"))} == {"review-passed"}


def test_bad_thresholds_and_rules_are_refused(seeded):
    for argv, needle in [
        (["due", "--review-days", "-1"], "--review-days"),
        (["due", "--review-days", "a week"], "--review-days"),
        (["due", "--order-days", "3651"], "--order-days"),
        (["due", "--rule", "overdue-everything"], "overdue-everything"),
    ]:
        result = seeded(*argv)
        assert result.exit_code == 1 and needle in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    for env, needle in [({"EVIDENCE_DUE_ORDER_DAYS": "soon"}, "EVIDENCE_DUE_ORDER_DAYS"),
                        ({"EVIDENCE_DUE_REVIEW_DAYS": "-2"}, "EVIDENCE_DUE_REVIEW_DAYS"),
                        ({"EVIDENCE_DUE_RULES": "cash,review"}, "EVIDENCE_DUE_RULES")]:
        result = seeded("due", env=env)
        assert result.exit_code == 1 and needle in result.stderr, (env, result.stderr)
