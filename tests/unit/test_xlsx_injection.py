"""No user text becomes a formula, and none is cut or altered: the workbook writer fed an injection
corpus directly (including characters the ledger's input checks refuse, to prove the writer does not
rely on them), read back with openpyxl and, when installed, through LibreOffice."""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import LedgerError
from ledger.rates import CaseTotals, ItemValue, RateUsed
from ledger.reports import SHEET_COLUMNS, CaseInventory
from ledger.xlsx.writer import write_case_workbook, xlsx_escape, xlsx_unescape

LEADS = ["=", "+", "-", "@", "\t", "\r", "\n", "\r\n"]
PAYLOADS = ['1+1', 'HYPERLINK("http://x.example","ver")', "cmd|' /C calc'!A0", "SUM(A1:A9)", "DDE(\"x\")"]
CORPUS = (
    [lead + p for lead in LEADS for p in PAYLOADS]
    + ["_x0041_", "lit _x000D_ y _x005F_", "Niño Ñandú «año» — ç", "שלום עליכם", "مرحبا بالعالم", "😀 emoji",
       "trailing space ", "  leading", "a\tb\rc\nd", "'quoted", '"double"', "<xml>&amp;</xml>",
       "x" * 32_767, "=" + "y" * 32_766]
)


def _inventory(texts: list[str]) -> CaseInventory:
    """An inventory whose every text field comes from `texts`, cycling; no database involved."""
    it = itertools.cycle(texts)

    def t():
        return next(it)

    rate = RateUsed(7, "2020-10-06", "USD", "PEN", "3.5870", "sell", t())
    totals = CaseTotals(
        case_no="C-1", in_currency="USD", side="sell", source=None,
        per_currency=[{"currency": "PEN", "minor": 400000, "amount": "4000.00", "items": 1,
                       "converted_minor": 111514, "converted": "1115.14"}],
        items=[ItemValue("EV-000001", "SZ-000001", "PEN", 400000, "2020-10-06", 111514, rate, True)],
        total_minor=111514, rates=[rate],
    )
    when = datetime(2020, 10, 6, 5, 30)
    inv = CaseInventory(
        case_no="C-1", title=t(), prosecutor="F-1", prosecutor_name=t(), court=t(), opened_at=when,
        tz="America/Lima", seizures=[{"id": "SZ-000001", "acta": t(), "at": when, "place": t(), "officer": "B-1",
                                      "officer_name": t(), "from_persons": [t(), t()], "witnesses": [t()]}],
        counts={"cash": {"in-custody": 1}}, totals=totals, head_seq=9, head_hash="ab" * 32,
        exported_at=when, exported_by="F-1", exported_by_name=t(), custody_count=1,
    )
    rows: dict[str, list[dict]] = {}
    for sheet, columns in SHEET_COLUMNS.items():
        row = {}
        for c in columns:
            if c.type == "text" and c.key not in ("status", "rate_side", "action"):
                row[c.key] = t()
        row.update(status="in-custody", action="custody.transferred", rate_side="sell")
        if sheet == "cash":
            row.update(amount=Decimal("4000.00"), currency="PEN", converted=Decimal("1115.14"), in_currency="USD",
                       rate=Decimal("3.5870"))
        rows[sheet] = [row]
    inv.rows = lambda sheet: iter(rows[sheet])  # type: ignore[method-assign]
    inv._expected = rows  # type: ignore[attr-defined]
    return inv


def _texts_written(inv) -> list[str]:
    out = [inv.title, inv.prosecutor_name, inv.court, inv.exported_by_name]
    s = inv.seizures[0]
    out += [s["acta"], s["place"], s["officer_name"]]
    for rows in inv._expected.values():
        out += [v for k, v in rows[0].items() if isinstance(v, str) and k not in ("status", "action", "rate_side")]
    return out


@pytest.mark.parametrize("lang", ["es", "en"])
def test_corpus_comes_back_as_text_and_unchanged(tmp_path, lang):
    from openpyxl import load_workbook

    inv = _inventory(CORPUS)
    written = write_case_workbook(inv, tmp_path / "c.xlsx", lang=lang)
    wb = load_workbook(written.path)
    formulas, texts = [], []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((ws.title, cell.value))
                elif isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    shown = xlsx_unescape(cell.value)
                    texts.append(shown)
                    if shown.startswith(("=", "+", "-", "@", "\t", "\r", "\n")):
                        assert cell.quotePrefix, (ws.title, cell.coordinate)
    # The only formulas are the Summary's own: counts, per-currency and grand totals, differences.
    summary = wb.worksheets[0].title
    assert formulas and all(title == summary for title, _ in formulas)
    assert all(f.startswith(("=COUNTA(", "=ROUND(SUMIFS(", "=ROUND(SUM(", "=D", "=E", "=G")) for _, f in formulas)
    assert len(formulas) == 4 * 2 + 1 * 4 + 2  # kinds x 2, one currency x 4, grand total x 2
    # Every text handed to the writer is in the workbook exactly, none cut, none lost.
    for text_ in _texts_written(inv):
        if text_ not in texts:
            assert any(text_ in t for t in texts), repr(text_[:40])  # joined lists (from_persons) hold it
    assert "x" * 32_767 in texts and "=" + "y" * 32_766 in texts
    assert wb.properties.creator.endswith(inv.exported_by_name)


def _cells(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[(c.coordinate, c.value, c.data_type, c.number_format, c.quotePrefix, c.font.b) for c in r]
                       for r in ws.iter_rows()] for ws in wb.worksheets}


def test_control_characters_are_written_as_codes_and_come_back(tmp_path):
    """Characters XML cannot hold (which the ledger refuses at input anyway) do not break the
    export: they are stored as _xHHHH_ codes, which spreadsheet applications decode."""
    from openpyxl import load_workbook

    odd = "bell \x07 esc \x1b nul \x00 \ufffe end"
    inv = _inventory([odd])
    written = write_case_workbook(inv, tmp_path / "c.xlsx")
    texts = {xlsx_unescape(c.value) for ws in load_workbook(written.path).worksheets for r in ws.iter_rows()
             for c in r if isinstance(c.value, str)}
    assert odd in texts
    assert xlsx_escape("\x07") == "_x0007_" and xlsx_unescape(xlsx_escape(odd)) == odd


@pytest.mark.parametrize("where", ["summary", "rows"])
def test_text_over_the_cell_limit_is_refused_and_no_file_is_left(tmp_path, where):
    inv = _inventory(["z" * 32_768] if where == "summary" else ["short"])
    if where == "rows":  # only an item sheet's text is too long: refused from the fast row path
        inv._expected["phone"][0]["model"] = "z" * 32_768
    with pytest.raises(LedgerError, match="does not fit in a spreadsheet cell"):
        write_case_workbook(inv, tmp_path / "c.xlsx")
    assert os.listdir(tmp_path) == []


@given(st.text(alphabet=st.sampled_from(list("_x0123456789AaFfD\r\n\t=+-@ yéש")), max_size=40))
def test_escape_round_trips(text_):
    assert xlsx_unescape(xlsx_escape(text_)) == text_
    assert "\r" not in xlsx_escape(text_)


def test_escape_examples():
    assert xlsx_escape("_x0041_") == "_x005F_x0041_"
    assert xlsx_escape("a\rb") == "a_x000D_b"
    assert xlsx_escape("_x00ZZ_ plain") == "_x00ZZ_ plain"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_the_corpus_as_typed(tmp_path):
    """What a spreadsheet application displays is the text, not a formula result, not an escape."""
    short = [t for t in CORPUS if len(t) < 1000]
    inv = _inventory(short)
    written = write_case_workbook(inv, tmp_path / "c.xlsx", lang="en")
    out = tmp_path / "lo"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", str(out),
         written.path],
        check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
    )
    cells = set()
    for path in out.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                cells.update(row)
    row = inv._expected["document"][0]
    for key in ("title", "file_name", "make", "reason"):
        if key in row:
            assert row[key] in cells, (key, row[key])
    assert inv.title in cells and inv.court in cells
