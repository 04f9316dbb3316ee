"""The workbook a reader sees does not change with the library that writes it: a fixed inventory
(tests/golden_workbook.py) written today equals, cell by cell, the golden workbooks in tests/data
written by the earlier writer — values, types, number formats, quote prefixes, bold and wrapped
cells, row heights, column widths, print layout, protection and tables of every sheet."""

from __future__ import annotations

import pytest

from tests.golden_workbook import CASES, golden, seen, write


@pytest.mark.parametrize("name", sorted(CASES))
def test_workbook_equals_the_golden_one(name, tmp_path):
    got = seen(write(name, tmp_path / "case.xlsx"))
    want = seen(golden(name))
    assert got["sheets"] == want["sheets"]
    for title in want["sheets"]:
        g, w = got[title], want[title]
        assert g["cells"] == w["cells"], title
        # XlsxWriter stores a row height in whole pixels (0.75 pt): 32 pt is written as 32.25.
        assert g["heights"].keys() == w["heights"].keys(), title
        assert all(abs(g["heights"][r] - h) < 0.75 for r, h in w["heights"].items()), title
        for key in w:
            if key != "heights":
                assert g[key] == w[key], (title, key)
    assert got["properties"] == want["properties"]
    # XlsxWriter has no core "language" property: the workbook states its language as a custom one.
    assert got["language"] == want["language"] or ("language", want["language"]) in got["custom"]
    generator = [v for k, v in got["custom"] if k == "generator"]
    assert generator and generator[0].startswith("evidence ")
    mine = ("generator", "language")
    assert [p for p in got["custom"] if p[0] not in mine] == [p for p in want["custom"] if p[0] not in mine]


def test_the_golden_workbooks_hold_what_the_comparison_relies_on():
    """The golden files are not empty shells: formulas on the summary, texts that look like
    formulas kept as quoted text, escapes and several money formats on the data sheets."""
    s = seen(golden("es"))
    summary = s["Resumen"]["cells"]
    assert any(c[2] == "f" and str(c[1]).startswith("=ROUND(SUMIFS(") for c in summary)
    cash = s["Efectivo"]["cells"]
    assert {c[3] for c in cash if c[2] == "n"} >= {'"S/" #,##0.00', '"US$" #,##0.00', '"JPY" #,##0', "0.0000######"}
    phones = s["Teléfonos"]["cells"]
    assert ("D2", '=HYPERLINK("http://x","y")', "s", "General", True, False, True, "top") in phones
    assert any(c[1] == "literal _x005F_x0041_ stays" for c in phones)  # shown as typed, not as "literal A"
    assert s["Efectivo"]["heights"] and s["Efectivo"]["col_breaks"]
    assert seen(golden("es-unverified"))["Resumen"]["header"] == ("NO VERIFICADO", "C00000")
