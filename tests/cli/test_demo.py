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
    assert all(h for h in holders.values())


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
