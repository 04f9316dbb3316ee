"""`evidence export xlsx`: the workbook read back with openpyxl and checked against the ledger,
in both languages; refusals leave no file; LibreOffice recomputes the totals to the ledger's."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import GOOD_IMEI, GOOD_IMEI2, rows

CASE = "AQP-2020-0147"
# Texts a spreadsheet would take for a formula, accepted by the ledger as ordinary text.
DANGEROUS = ["=HYPERLINK(\"http://x.example\",\"ver\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "=1+1", "lit _x0041_ texto", "Niño Ñandú — «año» ﻿".strip("﻿"), "שלום עליכם مرحبا"]
SHEETS_ES = ["Resumen", "Efectivo", "Vehículos", "Teléfonos", "Documentos", "Cadena de custodia"]
SHEETS_EN = ["Summary", "Cash", "Vehicles", "Phones", "Documents", "Custody"]



@pytest.fixture
def case(seeded):
    """A case with cash in two currencies, a vehicle, a phone, a document, a rate and a custody history;
    user texts that look like formulas in every kind of field."""
    cli = seeded
    at = ["--at", "2020-10-06T07:00"]
    cli.ok("seizure", "record", CASE, "--at", "2020-10-06T06:10", "--place", DANGEROUS[2], "--acta", "ACTA-0002",
           "--by", "B-1002", "--from-person", DANGEROUS[4], "--witness", DANGEROUS[7])
    cli.ok("cash", "add", "SZ-000001", "--amount", "4,000.00", "--currency", "PEN", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--denominations", "200x10,100x20", "--seal", "S-0001", "--location", "ER-AQP",
           "--by", "B-1001", *at)
    cli.ok("cash", "add", "SZ-000001", "--amount", "29,500.55", "--currency", "USD", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--seal", "S-0002", "--by", "B-1001", *at)
    cli.ok("cash", "add", "SZ-000002", "--amount", "0.10", "--currency", "PEN", "--counted-by", "B-1002",
           "--verified-by", "B-1001", "--by", "B-1002", *at)
    cli.ok("vehicle", "add", "SZ-000001", "--make", DANGEROUS[0], "--model", "Yaris", "--plate", "V1A-123",
           "--vin", "1HGCM82633A004352", "--year", "2016", "--color", DANGEROUS[6], "--value", "45000 PEN",
           "--by", "B-1001", *at)
    cli.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--imei2", GOOD_IMEI2, "--make", DANGEROUS[3],
           "--model", DANGEROUS[5], "--number", "+51 959 000 001", "--seal", "S-0003", "--by", "B-1001", *at)
    cli.ok("document", "add", "SZ-000002", "--title", DANGEROUS[1], "--pages", "48", "--by", "B-1002", *at)
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--side", "sell", "--by", "B-1001")
    cli.ok("custody", "transfer", "EV-000001", "EV-000002", "--from", "B-1001", "--to", "C-3001",
           "--reason", DANGEROUS[4], "--at", "2020-10-06T09:00", "--location", "VAULT-1", "--by", "B-1001")
    cli.ok("custody", "reseal", "EV-000001", "--old-seal", "S-0001", "--new-seal", "S-0107",
           "--reason", DANGEROUS[3], "--at", "2020-10-06T10:00", "--by", "C-3001")
    cli.ok("custody", "transfer", "EV-000004", "--from", "B-1001", "--to", "C-3001", "--reason", "Depósito vehicular",
           "--at", "2020-10-06T11:00", "--by", "B-1001")
    cli.ok("custody", "dispose", "EV-000004", "--action", "returned", "--authority", DANGEROUS[1],
           "--to", DANGEROUS[0], "--at", "2020-10-07T10:00", "--by", "C-3001")
    return cli


@pytest.fixture
def outdir(tmp_path):
    """A folder of its own for workbooks (the SQLite ledger lives in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def export(cli, outdir, *args, name="case.xlsx", json_out=True):
    out = outdir / name
    result = cli.ok("export", "xlsx", CASE, "--out", str(out), *args, json_out=json_out)
    return out, result


def load(path):
    from openpyxl import load_workbook

    return load_workbook(path)


def sheet_rows(ws):
    values = [[c.value for c in r] for r in ws.iter_rows()]
    return values[0], [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def shown(value):
    """Text as a spreadsheet application displays it (OOXML _xHHHH_ escapes decoded)."""
    from ledger.xlsx.writer import xlsx_unescape

    return xlsx_unescape(value) if isinstance(value, str) else value


def local(utc_text):
    from ledger.reports import local_naive

    return local_naive(utc_text, "America/Lima")


def test_workbook_matches_the_ledger(case, db_url, outdir):
    out, result = export(case, outdir, "--by", "F-2001")
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert result["rows"] == {"cash": 3, "vehicle": 1, "phone": 1, "document": 1, "custody": 11}
    wb = load(out)
    assert wb.sheetnames == SHEETS_ES

    # Cash: every field, the rate used and the converted value; number formats per currency.
    header, cash = sheet_rows(wb["Efectivo"])
    assert header[:4] == ["Bien", "Incautación", "Importe", "Moneda"]
    assert "Convertido (USD)" in header and "Registrado (America/Lima)" in header
    items = {r.id: r for r in rows(db_url, "SELECT * FROM items ORDER BY no")}
    assert [r["Bien"] for r in cash] == ["EV-000001", "EV-000002", "EV-000003"]
    expected_usd = {"EV-000001": Decimal("1115.14"), "EV-000002": Decimal("29500.55"), "EV-000003": Decimal("0.03")}
    for r in cash:
        item = items[r["Bien"]]
        assert Decimal(str(r["Importe"])) == Decimal(item.amount_minor) / 100
        assert r["Moneda"] == item.currency and r["Precinto"] == item.seal and r["Custodio"] == item.holder
        assert r["Ubicación"] == item.location and r["Denominaciones"] == item.denominations
        assert r["Contado por"] == item.counted_by and r["Verificado por"] == item.verified_by
        assert Decimal(str(r["Convertido (USD)"])) == expected_usd[r["Bien"]]
        assert r["Registrado (America/Lima)"] == datetime(2020, 10, 6, 7, 0)
        if item.currency == "PEN":
            assert (Decimal(str(r["Tipo de cambio"])), r["Par"], r["Lado"], r["Fuente del tipo"]) == \
                   (Decimal("3.587"), "USD/PEN", "venta", "SBS")
            assert r["Fecha del tipo"] == datetime(2020, 10, 6)
        else:
            assert r["Tipo de cambio"] is None and r["Par"] is None
    fmt = {c.value: c.number_format for c in wb["Efectivo"][2]}
    ws = wb["Efectivo"]
    assert ws["C2"].number_format == '"S/" #,##0.00' and ws["C3"].number_format == '"US$" #,##0.00'
    assert fmt is not None
    conv = header.index("Convertido (USD)") + 1
    assert ws.cell(2, conv).number_format == '"US$" #,##0.00'
    assert ws.cell(2, header.index("Registrado (America/Lima)") + 1).is_date

    # Vehicles, phones, documents: every field as stored, user text unchanged.
    _, vehicles = sheet_rows(wb["Vehículos"])
    v, car = vehicles[0], items["EV-000004"]
    assert (v["Bien"], v["Marca"], v["Modelo"], v["Placa"], v["VIN"], v["Año"], shown(v["Color"])) == \
           ("EV-000004", car.make, car.model, car.plate, car.vin, 2016, car.color)
    assert Decimal(str(v["Valor"])) == Decimal("45000") and v["Moneda del valor"] == "PEN"
    assert wb["Vehículos"]["J2"].number_format == '"S/" #,##0.00'
    assert v["Estado"] == "dispuesto" and v["Disposición"] == "returned" and v["Autoridad"] == DANGEROUS[1]
    assert v["Entregado a"] == DANGEROUS[0]
    _, phones = sheet_rows(wb["Teléfonos"])
    p = phones[0]
    assert (p["IMEI"], p["IMEI 2"], p["Marca"], shown(p["Modelo"]), p["Número"]) == \
           (GOOD_IMEI, GOOD_IMEI2, DANGEROUS[3], DANGEROUS[5], "+51 959 000 001")
    _, docs = sheet_rows(wb["Documentos"])
    assert (docs[0]["Título"], docs[0]["Páginas"], docs[0]["Incautación"]) == (DANGEROUS[1], 48, "SZ-000002")

    # Custody: every event on the case's items, oldest first, with its hash, read from the log.
    header, custody = sheet_rows(wb["Cadena de custodia"])
    assert header[:4] == ["Evento", "Fecha (America/Lima)", "Bien", "Acción"]
    events = rows(db_url, "SELECT e.seq, e.hash, e.occurred_at, i.id FROM events e JOIN event_items x ON x.seq = e.seq "
                          "JOIN items i ON i.no = x.item_no ORDER BY e.seq, i.no")
    assert [(r["Evento"], r["Bien"], r["Hash del evento"]) for r in custody] == [(e.seq, e.id, e.hash) for e in events]
    assert [r["Fecha (America/Lima)"] for r in custody] == [local(e.occurred_at) for e in events]
    transfer = [r for r in custody if r["Acción"] == "transferencia" and r["Bien"] != "EV-000004"]
    assert [(r["Bien"], r["De"], r["A"], r["Motivo"], r["Ubicación"]) for r in transfer] == \
           [("EV-000001", "B-1001", "C-3001", DANGEROUS[4], "VAULT-1"), ("EV-000002", "B-1001", "C-3001", DANGEROUS[4], "VAULT-1")]
    [reseal] = [r for r in custody if r["Acción"] == "reprecintado"]
    assert (reseal["Precinto"], reseal["Precinto anterior"], reseal["Motivo"]) == ("S-0107", "S-0001", DANGEROUS[3])
    [disposal] = [r for r in custody if r["Acción"].startswith("disposición")]
    assert disposal["Acción"] == "disposición: devuelto" and disposal["A"] == DANGEROUS[0]
    registered = {r["Bien"]: r["Motivo"] for r in custody if r["Acción"] == "registro"}
    assert registered == {"EV-000001": "registrado (incautación SZ-000001)",
                          "EV-000002": "registrado (incautación SZ-000001)",
                          "EV-000003": "registrado (incautación SZ-000002)",
                          "EV-000004": "registrado (incautación SZ-000001)",
                          "EV-000005": "registrado (incautación SZ-000001)",
                          "EV-000006": "registrado (incautación SZ-000002)"}

    # Summary: header, seizures, ledger figures as values next to formulas, ledger head, exporter.
    summary = {r[0].value: [c.value for c in r[1:]] for r in wb["Resumen"].iter_rows() if r[0].value}
    assert summary["Caso"][0] == CASE and summary["Fiscal"][0] == "F-2001 Rosa Huamán Ccori"
    assert summary["Exportado por"][0] == "F-2001 Rosa Huamán Ccori"
    head = rows(db_url, "SELECT seq, hash FROM chain_head")[0]
    assert summary["Cabeza del libro: evento"][0] == head.seq == result["ledger_head"]["seq"]
    assert summary["Cabeza del libro: hash"][0] == head.hash
    assert summary["SZ-000002"][1] == datetime(2020, 10, 6, 6, 10) and summary["SZ-000002"][2] == DANGEROUS[2]
    assert summary["SZ-000002"][5] == DANGEROUS[4] and summary["SZ-000002"][6] == DANGEROUS[7]
    totals = case.ok("case", "totals", CASE, "--in", "USD", json_out=True)
    assert Decimal(str(summary["Total en USD"][4])) == Decimal(totals["total"]) == Decimal("30615.72")
    assert summary["Total en USD"][5].startswith("=ROUND(SUM('Efectivo'!$N:$N)")
    assert summary["PEN"][:2] == [2, 4000.1] and summary["PEN"][2].startswith("=ROUND(SUMIFS(")
    assert summary["vehículo"] == [0, 1, 1, "=COUNTA('Vehículos'!$A:$A)-1", summary["vehículo"][4], None, None]
    assert [r for r in summary if r == 14] == [] and summary["Evento"][:3] == ["Fecha", "Base", "Cotizada"]

    # Formatting: a filter over the header and every row, frozen headers, print setup, protection, properties.
    for name in SHEETS_ES[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
        assert ws.auto_filter.ref == f"A1:{ws[1][-1].column_letter}{max(ws.max_row, 2)}"
        widths = _widths(ws)
        for cell in ws[1]:
            assert widths[cell.column] >= len(cell.value) + 2
    for ws in wb.worksheets:
        # Printed at a fixed scale (never squeezed to one page width), the case on every page.
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        fit = ws.sheet_properties.pageSetUpPr
        assert int(ws.page_setup.scale) >= 80 and not (fit and fit.fitToPage)
        assert ws.oddFooter.center.text.startswith(f"{CASE} — &A — página &P de &N")
        assert ws.title == SHEETS_ES[0] or ws.print_title_cols.startswith("$A:")
        assert ws.protection.sheet and not ws.protection.sort and not ws.protection.autoFilter
    props = wb.properties
    assert props.creator == "F-2001 Rosa Huamán Ccori" and CASE in props.title and CASE in props.subject
    custom = {p.name: p.value for p in wb.custom_doc_props.props}
    assert custom["ledger_head_hash"] == head.hash and custom["ledger_head_seq"] == head.seq


def test_no_formula_outside_the_summary(case, outdir):
    out, _ = export(case, outdir)
    wb = load(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert ws.title == "Resumen", (ws.title, cell.coordinate, cell.value)
                    assert cell.value.startswith(("=ROUND(SUM", "=COUNTA(", "=D", "=E", "=G")), cell.value
                elif isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s" and cell.quotePrefix


def test_english_workbook(case, outdir):
    out, result = export(case, outdir, "--lang", "en")
    wb = load(out)
    assert wb.sheetnames == SHEETS_EN == list(result["sheets"].values())
    assert [c.value for c in wb["Cash"][1]][:4] == ["Item", "Seizure", "Amount", "Currency"]
    assert "Converted (USD)" in [c.value for c in wb["Cash"][1]]
    assert [c.value for c in wb["Custody"][1]][:4] == ["Event", "Date (America/Lima)", "Item", "Action"]
    _, custody = sheet_rows(wb["Custody"])
    assert [r["Reason"] for r in custody if r["Item"] == "EV-000003"] == ["registered (seizure SZ-000002)"]
    summary = {r[0].value: [c.value for c in r[1:]] for r in wb["Summary"].iter_rows() if r[0].value}
    assert Decimal(str(summary["Total in USD"][4])) == Decimal("30615.72")
    assert summary["Exported by"][0] == "(not stated)"
    assert wb.properties.creator == "evidence"
    assert wb["Vehicles"]["Q2"].value in ("disposed", None) or "disposed" in [c.value for c in wb["Vehicles"][2]]


def test_time_zone_names_the_header(case, outdir):
    out = outdir / "utc.xlsx"
    case.ok("--tz", "UTC", "export", "xlsx", CASE, "--out", str(out))
    ws = load(out)["Cadena de custodia"]
    assert ws["B1"].value == "Fecha (UTC)"
    assert ws["B2"].value == datetime(2020, 10, 6, 12, 0)  # 07:00 in Lima


def test_plain_output_names_file_rows_and_hash(case, outdir):
    out = outdir / "plain.xlsx"
    result = case("export", "xlsx", CASE, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    assert "Efectivo" in result.stdout and "3 rows" in result.stdout
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_empty_case_and_force(seeded, outdir):
    out = outdir / "empty.xlsx"
    seeded.ok("export", "xlsx", CASE, "--out", str(out))
    first = out.read_bytes()
    again = seeded("export", "xlsx", CASE, "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == first
    seeded.ok("export", "xlsx", CASE, "--out", str(out), "--force", "--lang", "en")
    wb = load(out)
    assert wb.sheetnames == SHEETS_EN
    assert wb["Cash"].auto_filter.ref == "A1:X2"  # header and one empty row
    assert sorted(os.listdir(outdir)) == ["empty.xlsx"]


@pytest.mark.parametrize("problem", ["unknown case", "missing folder", "not xlsx", "folder as file", "missing rate"])
def test_refusals_leave_no_file(seeded, outdir, problem):
    out, case_no, extra = outdir / "out.xlsx", CASE, []
    if problem == "unknown case":
        case_no = "AQP-1999-0001"
    elif problem == "missing folder":
        out = outdir / "nope" / "out.xlsx"
    elif problem == "not xlsx":
        out = outdir / "out.csv"
    elif problem == "folder as file":
        out = outdir / "dir.xlsx"
        out.mkdir()
    else:
        seeded.ok("cash", "add", "SZ-1", "--amount", "4000", "--currency", "PEN", "--counted-by", "B-1001",
                  "--verified-by", "B-1002", "--by", "B-1001")
    before = seeded.snapshot()
    listing = sorted(os.listdir(outdir))
    result = seeded("export", "xlsx", case_no, "--out", str(out), *extra)
    assert result.exit_code == 1, result.stdout
    assert result.stdout == "" and result.stderr.startswith("error: ")
    message = {"unknown case": "no case AQP-1999-0001", "missing folder": "does not exist",
               "not xlsx": "must end in .xlsx", "folder as file": "is a folder",
               "missing rate": "cannot be valued in USD"}[problem]
    assert message in result.stderr
    assert sorted(os.listdir(outdir)) == listing
    assert seeded.snapshot() == before
    if problem == "missing rate":
        assert "evidence rate set" in result.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write in any folder")
def test_folder_without_write_permission(seeded, outdir):
    folder = outdir / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = seeded("export", "xlsx", CASE, "--out", str(folder / "out.xlsx"))
        assert result.exit_code == 1 and "no permission" in result.stderr
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_write_failure_removes_the_temporary_file(seeded, outdir, monkeypatch):
    """A crash while writing (here: the disk filling up) leaves neither the workbook nor its temporary file."""
    from ledger.xlsx import writer

    save = writer._save

    def full_disk(wb, filename):
        save(wb, filename)  # the temporary file is complete, then the disk "fills up"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_save", full_disk)
    with pytest.raises(OSError):
        seeded("export", "xlsx", CASE, "--out", str(outdir / "out.xlsx"))
    assert os.listdir(outdir) == []


def test_unknown_exporter_is_refused(seeded, outdir):
    result = seeded("export", "xlsx", CASE, "--out", str(outdir / "x.xlsx"), "--by", "Z-9")
    assert result.exit_code == 1 and "no officer with badge Z-9" in result.stderr
    assert os.listdir(outdir) == []


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("lang", ["es", "en"])
def test_libreoffice_recalculates_to_the_ledger(case, outdir, lang, backend):
    """Recalculate the workbook in LibreOffice and compare every Summary formula with the ledger."""
    if backend != "sqlite":
        pytest.skip("one backend is enough to exercise LibreOffice")
    out, result = export(case, outdir, "--lang", lang)
    profile = outdir.parent / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--calc", "--convert-to",
         'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', "--outdir",
         str(outdir / "lo"), str(out)],
        check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(outdir.parent)},
    )
    csvs = sorted((outdir / "lo").glob("*.csv"))
    assert csvs, "LibreOffice wrote nothing"
    summary_csv = next(p for p in csvs if p.stem.endswith(("Resumen", "Summary"))) if len(csvs) > 1 else csvs[0]
    table = {r[0]: r[1:] for r in csv.reader(summary_csv.open(encoding="utf-8")) if r and r[0]}
    totals = case.ok("case", "totals", CASE, "--in", "USD", json_out=True)

    def money(text_):
        return Decimal(text_.replace("US$", "").replace("S/", "").replace(",", "").strip())

    grand = table["Total en USD" if lang == "es" else "Total in USD"]
    assert money(grand[5]) == money(grand[4]) == Decimal(totals["total"])
    assert money(grand[6]) == 0
    for p in totals["per_currency"]:
        row = table[p["currency"]]
        assert money(row[2]) == money(row[1]) == Decimal(p["amount"])
        assert money(row[5]) == money(row[4]) == Decimal(p["converted"])
        assert money(row[3]) == 0 and money(row[6]) == 0
    kind = "vehículo" if lang == "es" else "vehicle"
    assert table[kind][2:5] == ["1", "1", "0"]
    assert json.dumps(result)  # the command's own report stays a JSON document
    # user text stayed text in LibreOffice too
    if len(csvs) > 1:
        sheet = next(p for p in csvs if "Docu" in p.stem)
        assert list(csv.reader(sheet.open(encoding="utf-8")))[1][2] == DANGEROUS[1]


def _words_by_page(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
    return [[(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in word.findall(page)]
            for page in out.split("<page ")[1:]]


@pytest.mark.skipif(SOFFICE is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) or poppler-utils (pdftotext) is not installed; .ci/run installs them")
@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_demo_workbook_prints_legibly(cli, outdir, lang, backend):
    """The demo case's workbook printed to PDF by LibreOffice: no text under 8 pt, the case, sheet
    and page N of M at the foot of every page, codes as words, no text over other text on any
    page, every text of every sheet printed whole (wrapped cells get rows tall enough, none is
    cut at its neighbour), and the item sheets' pages each led by the item column."""
    from openpyxl import load_workbook

    from ledger.xlsx.writer import TABLE_SCALE

    if backend != "sqlite":
        pytest.skip("one backend is enough to exercise LibreOffice")
    out = outdir / f"demo-{lang}.xlsx"
    cli.ok("demo", "--out", str(out), "--lang", lang)
    profile = outdir.parent / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(outdir / "pdf"), str(out)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(outdir.parent)})
    pages = _words_by_page(outdir / "pdf" / f"demo-{lang}.pdf")
    assert len(pages) > 5
    # A word's box is as tall as the font's ascent plus descent; the item sheets print 11 pt text
    # at TABLE_SCALE, so their commonest box height is what that size measures in LibreOffice's font.
    heights = [round(w[3] - w[1], 1) for page in pages[-3:] for w in page]
    per_point = max(set(heights), key=heights.count) / (11 * TABLE_SCALE / 100)
    page_word, of = ("página", "de") if lang == "es" else ("page", "of")
    case_no = "DEMO-AQP-2020-0147"
    sheets = SHEETS_ES if lang == "es" else SHEETS_EN
    printed = {title: Counter() for title in sheets}
    for n, words in enumerate(pages, start=1):
        text = " ".join(w[4] for w in words)
        assert f"{case_no} — " in text and f"{page_word} {n} {of} {len(pages)}" in text, (n, text[-200:])
        sheet = next(title for title in sheets if f" — {title} — " in text)
        printed[sheet].update(_pieces(w[4] for w in words))
        if sheet not in (sheets[0], sheets[-1]):  # an item sheet's every page starts with the item column
            assert min(words, key=lambda w: (w[1], w[0]))[4] == ("Bien" if lang == "es" else "Item"), (n, text[:80])
        for w in words:
            assert (w[3] - w[1]) / per_point >= 8 - 0.05, (n, w)
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                # Wrapped lines of one cell touch by their descent and ascent; text over text overlaps more.
                across = min(a[2], b[2]) - max(a[0], b[0])
                down = min(a[3], b[3]) - max(a[1], b[1])
                assert across <= 1 or down <= 0.25 * min(a[3] - a[1], b[3] - b[1]), (n, a, b)
    # Every word of every text cell is on its sheet's pages, as often as the cells hold it: a text
    # cut at the next cell or below its row loses its last words.
    for ws in load_workbook(out).worksheets:
        written = Counter(_pieces(word for row in ws.iter_rows() for cell in row
                                  if isinstance(cell.value, str) and not cell.value.startswith("=")
                                  for word in cell.value.split()))
        assert not written - printed[ws.title], ws.title
    everything = " ".join(w[4] for page in pages for w in page)
    assert (" peruana " if lang == "es" else " Peruvian ") in f" {everything} "
    # The wrapped texts of the summary are whole: the title and the end of the rounding note.
    assert "venta de recién nacidos" in everything or "sale of newborns" in everything.lower()
    assert ("divide importes en COTIZADA." if lang == "es" else "QUOTE.") in everything


def _pieces(words):
    """Words split after their hyphens too: a wrapped cell may break "DEMO-FISCALIA" there."""
    for word in words:
        yield from re.findall(r"[^-]+-?|-", word)


def test_item_sheets_print_column_groups_with_the_item_column_repeated(case, outdir):
    """Wide sheets run on to following pages at a scale that keeps text at 8 pt or more: the first
    page holds the identifying columns, each page break falls at a group, the item column repeats,
    and long texts wrap in rows tall enough."""
    from ledger.xlsx import writer

    path, _ = export(case, outdir, "--lang", "en")
    wb = load(path)
    starts = {}
    for ws in wb.worksheets[1:]:
        header = [c.value for c in ws[1]]
        assert 11 * int(ws.page_setup.scale) / 100 >= 8
        assert ws.print_title_cols == ("$A:$C" if ws.title == "Custody" else "$A:$A")
        starts[ws.title] = [header[b.id] for b in ws.col_breaks.brk]
    assert starts["Cash"] == ["Rate", "Seal", "Registered (America/Lima)", "Disposition"]
    assert starts["Phones"] == ["Seal", "Registered (America/Lima)", "Disposition"]
    assert starts["Custody"] == ["Reason", "Previous seal", "Event hash"]
    # A make too long for its column wraps at the top of a row tall enough for its lines.
    make = wb["Vehicles"]["C2"]
    assert make.value == DANGEROUS[0] and make.alignment.wrap_text and make.alignment.vertical == "top"
    assert wb["Vehicles"]["J2"].alignment.vertical == "top"  # the value beside it starts level with it
    heights = {ws.title: {r: d.height for r, d in ws.row_dimensions.items() if d.height} for ws in wb.worksheets[1:]}
    assert heights["Vehicles"][2] >= 3 * writer.LINE_PT and 1 not in heights["Vehicles"]


def test_folder_without_write_permission_as_seen_by_the_system(seeded, outdir, monkeypatch):
    """The same refusal when the system says no (runs even as root, who may write anywhere)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == outdir else real_access(p, mode))
    result = seeded("export", "xlsx", CASE, "--out", str(outdir / "out.xlsx"))
    assert result.exit_code == 1 and "no permission to write in the folder" in result.stderr
    assert os.listdir(outdir) == []


def _widths(ws) -> dict[int, float]:
    """Column number -> width, whether the file groups equal neighbours in one <col> or not."""
    return {i: d.width for d in ws.column_dimensions.values() if d.width for i in range(d.min, d.max + 1)}


def _cells(path):
    wb = load(path)
    return {ws.title: [[(c.value, c.data_type, c.number_format, c.quotePrefix) for c in r] for r in ws.iter_rows()]
            for ws in wb.worksheets}


def test_batches_of_one_give_the_same_workbook(case, db_url, outdir, monkeypatch):
    """Rows and cash totals are read page by page (and valued per page): pages of one row give the
    very same cells as the default pages, and the ledger's own `case totals` figures."""
    from ledger import reports

    first, _ = export(case, outdir, name="default.xlsx")
    monkeypatch.setattr(reports, "BATCH", 1)
    second, _ = export(case, outdir, name="pages.xlsx")
    a, b = _cells(first), _cells(second)
    exported = ("Exportado (America/Lima)",)
    for title in a:
        rows_a = [r for r in a[title] if r[0][0] not in exported]
        rows_b = [r for r in b[title] if r[0][0] not in exported]
        assert rows_a == rows_b, title

    from ledger.db import open_ledger
    from ledger.rates import case_totals

    lg = open_ledger(db_url)
    try:
        with lg.read() as session:
            expected = case_totals(session, CASE, in_currency="USD").as_dict()
            lookup = reports.rate_lookup(session, "sell", None)
            got = reports.stream_totals(session, CASE, lookup, in_currency="USD", side="sell", source=None,
                                        tz="America/Lima", batch=1).as_dict()
    finally:
        lg.dispose()
    assert got["items"] == [] and len(expected["items"]) == 3
    assert {**got, "items": None} == {**expected, "items": None}
