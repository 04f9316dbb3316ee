"""`evidence demo` tells the Arequipa case end to end in a ledger of its own."""

from __future__ import annotations

from click.testing import CliRunner
from openpyxl import load_workbook

from ledger.cli import main
from tests.helpers import snapshot


def run(args, cwd, env=None):
    """Run the CLI with `cwd` as the current folder, where the demo writes its files."""
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, env={"EVIDENCE_DB": None, "EVIDENCE_OFFICER": None, **(env or {})})
    finally:
        os.chdir(old)


def test_demo_in_a_new_folder_verifies_and_exports(tmp_path):
    result = run(["demo"], tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in ("== 1. The people", "SZ-000003", "EV-000013", "3.5870", "not an official figure",
                     "DEMO-201 offers to DEMO-301", "DEMO-301 accepts offer", "verify: clean", "head to keep:", "total in USD: US$29,799.31"):
        assert expected in out
    assert (tmp_path / "evidence-demo.db").exists()
    wb = load_workbook(tmp_path / "evidence-demo.xlsx")
    assert wb.sheetnames == ["Resumen", "Efectivo", "Vehículos", "Teléfonos", "Documentos", "Cadena de custodia"]
    for ws in wb.worksheets:
        assert ws.max_row > 1, f"sheet {ws.title} is empty"

    db_url = f"sqlite:///{tmp_path / 'evidence-demo.db'}"
    from tests.helpers import CliHarness

    cli = CliHarness(db_url)
    assert cli("verify").exit_code == 0
    holders = {i["id"]: i["holder"] for i in cli.ok("item", "list", json_out=True)}
    assert holders["EV-000011"] == "DEMO-501"  # the contracts went to the prosecutor
    assert holders["EV-000004"] == "DEMO-201"  # phones came back from the lab
    # Everything has a holder but the soles, deposited in the bank (the voucher is the evidence).
    assert [i for i, h in holders.items() if not h] == ["EV-000002", "EV-000008"]


def test_demo_shows_the_evidence_room(tmp_path):
    """A deposit with its voucher in the case totals, an audit of the evidence room whose sample an
    independent function re-draws from an exported copy of the log, with the two planted
    discrepancies in its findings, and `due` listing the undeposited dollars and the vehicles
    whose review date passed."""
    from tests.cli.test_audits import redraw_from_bundle
    from tests.helpers import CliHarness

    result = run(["demo"], tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in ("deposits the soles (EV-000002, EV-000008) in Banco de la Nación (ejemplo), account "
                     "DEMO-00-068-0147, voucher DEMO-0457812",
                     "case totals PEN: S/ 26,900.00 deposited, S/ 0.00 not deposited",
                     "case totals USD: US$0.00 deposited, US$22,300.00 not deposited",
                     "sets the review date of the vehicles (EV-000003, EV-000009): 2021-04-06",
                     "audit AU-000001 of DEMO-ER by DEMO-401: 3 of 6 item(s) drawn",
                     "seal-mismatch, seal DEMO-S-9999 on the item", "missing, not found at DEMO-ER",
                     "Re-drawn from an exported copy of the log", "rule review-passed: the review date",
                     "verify: clean", "total in USD: US$29,799.31"):
        assert expected in out, expected
    due_lines = [line.split()[:2] for line in out.splitlines() if line.startswith("    cash-undeposited")
                 or line.startswith("    review-passed")]
    assert due_lines == [["cash-undeposited", "EV-000001"], ["cash-undeposited", "EV-000007"],
                         ["review-passed", "EV-000003"], ["review-passed", "EV-000009"]]

    cli = CliHarness(f"sqlite:///{tmp_path / 'evidence-demo.db'}")
    audit = cli.ok("audit", "show", "AU-000001", json_out=True)
    cli.ok("export", "log", "--out", str(tmp_path / "copy"))
    assert redraw_from_bundle(tmp_path / "copy", "AU-000001") == (audit["audit"]["seed"], audit["audit"]["sample"])
    drawn = audit["audit"]["sample"]
    assert [(f["item"], f["kind"]) for f in audit["findings"]] == [(drawn[0], "seal-mismatch"),
                                                                   (drawn[1], "missing")]
    totals = cli.ok("case", "totals", "DEMO-AQP-2020-0147", "--in", "USD", json_out=True)
    assert {p["currency"]: (p["deposited"], p["undeposited"]) for p in totals["per_currency"]} == {
        "PEN": ("26900.00", "0.00"), "USD": ("0.00", "22300.00")}
    due = cli.ok("due", "--case", "DEMO-AQP-2020-0147", "--at", "2021-04-07T09:00", json_out=True)
    assert [(e["rule"], e["item"], e["overdue"]) for e in due["entries"]] == [
        ("cash-undeposited", "EV-000001", True), ("cash-undeposited", "EV-000007", True),
        ("review-passed", "EV-000003", True), ("review-passed", "EV-000009", True)]
    assert cli.ok("verify", json_out=True)["ok"]


def test_demo_never_writes_into_an_existing_ledger(tmp_path):
    assert run(["demo"], tmp_path).exit_code == 0
    before = snapshot(f"sqlite:///{tmp_path / 'evidence-demo.db'}")
    again = run(["demo"], tmp_path)
    assert again.exit_code == 1
    assert "already holds a ledger" in again.stderr and "never writes into an existing ledger" in again.stderr
    assert snapshot(f"sqlite:///{tmp_path / 'evidence-demo.db'}") == before


def test_demo_into_an_empty_database_named_with_db(backend, db_url, tmp_path):
    result = run(["--db", db_url, "demo", "--out", str(tmp_path / "aqp.xlsx"), "--lang", "en"], tmp_path)
    assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "aqp.xlsx").sheetnames[0] == "Summary"
    assert not (tmp_path / "evidence-demo.db").exists()


def test_demo_refuses_a_db_that_holds_a_ledger(seeded, tmp_path):
    before = seeded.snapshot()
    result = run(["--db", seeded.db_url, "demo", "--out", str(tmp_path / "x.xlsx")], tmp_path)
    assert result.exit_code == 1
    assert "never writes into an existing ledger" in result.stderr
    assert seeded.snapshot() == before
    assert not (tmp_path / "x.xlsx").exists()


def test_demo_data_is_visibly_fictitious():
    from ledger import demo_data as D

    assert all("DEMO" in badge for badge, *_ in D.OFFICERS)
    assert all("ejemplo" in s["place"] for s in D.SEIZURES)
    assert "no oficial" in D.RATE["source"]


def test_demo_json_is_one_document(tmp_path):
    import json

    result = run(["--json", "demo"], tmp_path)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["workbook"].endswith("evidence-demo.xlsx")
    assert any(line.startswith("  verify: clean") for line in doc["narration"])
