"""Output that fits and reads one way: tables within 100 columns on the demo ledger (--wide
for every column), money as the money module shows it, nouns that agree with their numbers,
and --json refusals as one JSON object on stdout."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from cli.output import Col, fit_columns, table
from ledger.cli import main
from ledger.i18n import count

WIDTH = 100


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["demo"], env={"EVIDENCE_DB": None, "EVIDENCE_OFFICER": None})
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return str(folder / "evidence-demo.db")


def run(db, *args):
    result = CliRunner().invoke(main, ["--db", db, *args], env={"EVIDENCE_OFFICER": None, "EVIDENCE_TZ": None})
    assert result.exit_code == 0, result.output
    return result.stdout


def demo_ids(db, what):
    return [r["id"] for r in json.loads(run(db, "--json", what, "list"))] if what == "item" else []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_table_of_the_demo_fits_100_columns(demo_db, lang):
    """In Spanish too: its headers and labels are longer, the tables still fit."""
    items = demo_ids(demo_db, "item")
    officers = [o["badge"] for o in json.loads(run(demo_db, "--json", "officer", "list"))]
    commands = [["item", "list"], ["case", "list"], ["officer", "list"], ["location", "list"], ["rate", "list"],
                ["case", "show", "DEMO-AQP-2020-0147"], ["due"]]
    commands += [["item", "history", i] for i in items]
    commands += [["custody", "holdings", b, "--at", "2020-10-07T12:00"] for b in officers]
    for args in commands:
        out = run(demo_db, "--lang", lang, *args)
        too_wide = [line for line in out.splitlines() if len(line) > WIDTH]
        assert not too_wide, f"evidence --lang {lang} {' '.join(args)}: {len(too_wide[0])} columns:\n{too_wide[0]}"


def test_item_history_is_wider_with_wide(demo_db):
    narrow = run(demo_db, "item", "history", "EV-000001")
    wide = run(demo_db, "item", "history", "EV-000001", "--wide")
    assert "RECORDED" not in narrow.splitlines()[1] and "RECORDED" in wide.splitlines()[1]
    assert "Ingreso del dinero incautado a bóveda" in wide
    assert max(len(line) for line in wide.splitlines()) > WIDTH


def test_item_list_shows_money_as_the_ledger_does(demo_db):
    out = run(demo_db, "item", "list")
    assert "US$15,000.00" in out and "S/ 12,400.00" in out
    assert "15000.00 USD" not in out
    shown = run(demo_db, "item", "show", "EV-000001")
    assert "amount:         US$15,000.00" in shown
    assert json.loads(run(demo_db, "--json", "item", "show", "EV-000001"))["amount"] == "15000.00"


def test_fit_drops_empty_then_optional_columns_and_cuts_free_text():
    rows = [{"a": "x" * 30, "b": "", "c": "y" * 30, "d": "z" * 60}]
    cols = [Col("a", "A"), Col("b", "B", drop=2), Col("c", "C", drop=1), Col("d", "D", flex=20)]
    fitted = fit_columns(rows, cols, width=60)
    assert [c.key for c in fitted] == ["a", "d"]
    lines = table(rows, cols, width=60)
    assert max(len(line) for line in lines) <= 60 and lines[1].endswith("…")
    assert len(table(rows, cols, wide=True)[1]) > 100


def test_plurals():
    assert count(1, "item") == "1 item"
    assert count(2, "item") == "2 items"
    assert count(1204, "row") == "1,204 rows"
    assert count(0, "cash item") == "0 cash items"


def test_import_says_1_item(seeded, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("kind,title\ndocument,Cuaderno\n", encoding="utf-8")
    out = seeded.ok("item", "import", "SZ-000001", str(path), "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert out.startswith("imported 1 item into SZ-000001: 1 document\n")


def test_json_refusal_is_one_object_on_stdout_and_a_sentence_on_stderr(seeded):
    result = seeded("case", "show", "AQP-2020-0174", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 1 and error["message"] == "CASE_NO: no case AQP-2020-0174 is registered."
    assert error["hint"].startswith("Did you mean AQP-2020-0147?")
    assert result.stderr.startswith("error: CASE_NO: no case AQP-2020-0174 is registered.")
    usage = seeded("item", "list", "--kind", "boat", "--json")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"]["exit_code"] == 2
    assert "--kind" in usage.stderr


def test_verify_findings_stay_one_json_document(seeded, db_url):
    """verify --json writes its report and exits 3: no second document is added."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE officers SET name = 'Someone Else' WHERE badge = 'B-1001'"))
    engine.dispose()
    result = seeded("verify", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["ok"] is False
