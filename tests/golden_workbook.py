"""A fixed case inventory written as a workbook, and everything a reader sees in it.

`tests/data/golden-case-{en,es}.xlsx` were written from `inventory()` by the workbook writer as it
stood before it moved to a public API; `tests/unit/test_xlsx_golden.py` writes the same inventory
with today's writer and compares the two cell by cell (value, type, number format, quote prefix,
bold, wrap), row heights, column widths and the print and protection settings of every sheet.

    python -m tests.golden_workbook --regenerate   # only when the workbook is meant to change
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).parent / "data"
LANGS = ("en", "es")


@dataclass
class _Totals:
    in_currency: str
    side: str
    source: str | None
    per_currency: list
    total_minor: int
    rates: list


# Texts a spreadsheet could mistake for formulas, OOXML escapes, XML specials, control characters,
# leading/trailing blanks, long wrapped texts: each must come back as typed.
HOSTILE = [
    "=HYPERLINK(\"http://x\",\"y\")", "+51 999", "-5", "@SUM(A1)", "\tTab first", "A & B <c> \"d\"",
    "literal _x0041_ stays", "bell\x07char", "  padded  ", "line one\nline two\nline three",
    "carriage\r\nreturn", "palabra " * 30, "Ñandú señor ÁÉÍÓÚ", "x" * 200,
]


def _rows() -> dict[str, list[dict]]:
    t0 = datetime(2020, 10, 6, 5, 30)
    trail = {"seal": "PR-0001", "holder": "C-3001", "holder_name": "Carmen Flores Ticona", "location": "ER-AQP",
             "status": "in-custody", "registered_at": t0, "last_at": datetime(2021, 1, 2, 3, 4, 5)}
    disposed = {**trail, "status": "disposed", "holder": None, "holder_name": None, "location": None,
                "disposition": "returned", "authority": "Resolución 12-2021 & anexo", "disposed_to": "=cmd|' /C calc'!A0"}
    cash = []
    for i, (amount, cur, conv, rate) in enumerate([
        (Decimal("1500.00"), "PEN", Decimal("405.41"), (Decimal("3.7"), "USD/PEN", date(2020, 10, 5), "sell", "SBS", 7)),
        (Decimal("250.50"), "USD", Decimal("250.50"), None),
        (Decimal("1000"), "JPY", Decimal("9.48"), (Decimal("0.0094812345"), "JPY/USD", date(2020, 10, 1), "mid", "BCRP", 9)),
        (Decimal("0.01"), "PEN", Decimal("0"), (Decimal("3.7"), "USD/PEN", date(2020, 10, 5), "sell", "SBS", 7)),
        (Decimal("12345678.99"), "EUR", Decimal("14567890.01"), (Decimal("1.18"), "EUR/USD", date(2020, 10, 5), "buy", "ECB", 11)),
    ], start=1):
        row = {**(trail if i % 2 else disposed), "item": f"IT-{i:06d}", "seizure": "SZ-000001", "amount": amount,
               "currency": cur, "denominations": HOSTILE[i] if i < 4 else "100x10, 50x8", "counted_by": "B-1001",
               "verified_by": "B-1002", "in_currency": "USD", "converted": conv}
        if rate:
            row.update(rate=rate[0], rate_pair=rate[1], rate_date=rate[2], rate_side=rate[3], rate_source=rate[4],
                       rate_seq=rate[5])
        cash.append(row)
    vehicle = [
        {**trail, "item": "IT-000010", "seizure": "SZ-000001", "make": "Toyota", "model": "Hilux 4x4", "plate": "V1A-234",
         "plate_kind": "pe", "vin": "JTEBU5JR2E5123456", "year": 2014, "color": "blanco", "value": Decimal("85000.00"),
         "value_currency": "PEN"},
        {**disposed, "item": "IT-000011", "seizure": "SZ-000002", "make": HOSTILE[0], "model": HOSTILE[5],
         "plate": "ABC 123", "plate_kind": "foreign", "vin": None, "year": None, "color": HOSTILE[9], "value": None,
         "value_currency": None},
    ]
    phone = [
        {**trail, "item": f"IT-{20 + i:06d}", "seizure": "SZ-000001", "make": "Samsung", "model": HOSTILE[i],
         "imei": "490154203237518", "imei2": "356938035643809" if i % 2 else None, "number": "+51 987 654 321"}
        for i in range(len(HOSTILE))
    ]
    document = [
        {**trail, "item": "IT-000040", "seizure": "SZ-000001", "title": HOSTILE[11], "pages": 12,
         "file_name": "acta.pdf", "file_sha256": "ab" * 32, "file_size": 1234567},
        {**disposed, "item": "IT-000041", "seizure": "SZ-000001", "title": HOSTILE[13], "pages": None,
         "file_name": None, "file_sha256": None, "file_size": None},
    ]
    custody = []
    actions = ["item.registered", "custody.transferred", "custody.resealed", "custody.disposed", "custody.deposited",
               "custody.assigned", "custody.returned", "audit.checked", "review.set", "something.new"]
    for n, action in enumerate(actions, start=1):
        custody.append({
            "seq": 100 + n, "at": datetime(2020, 10, 6 + n, 10, 0, n), "item": f"IT-{n:06d}", "action": action,
            "disposition": "destroyed" if action == "custody.disposed" else None,
            "seizure": "SZ-000001" if action == "item.registered" else None,
            "from": "C-3001" if n % 2 else None, "to": "Evidence room, Arequipa" if n % 3 else HOSTILE[n],
            "reason": HOSTILE[n + 1] if n % 2 == 0 else None, "location": "VAULT-1", "seal": f"PR-{n:04d}",
            "old_seal": "PR-0000" if action == "custody.resealed" else None, "by": "B-1001",
            "recorded_at": datetime(2020, 10, 6 + n, 10, 5, n), "hash": f"{n:02x}" * 32,
        })
    return {"cash": cash, "vehicle": vehicle, "phone": phone, "document": document, "custody": custody}


def inventory(*, verified: bool = True, empty: bool = False):
    """The fixed inventory: a subclass of the ledger's own `CaseInventory` whose rows are a list."""
    from ledger.rates import RateUsed
    from ledger.reports import CaseInventory

    rows = {k: [] for k in _rows()} if empty else _rows()

    class FixedInventory(CaseInventory):
        def rows(self, sheet):
            return iter([dict(r) for r in rows[sheet]])

    totals = _Totals(
        in_currency="USD", side="sell", source=None if verified else "SBS",
        per_currency=[
            {"currency": "EUR", "items": 1, "minor": 1234567899, "converted_minor": 1456789001},
            {"currency": "JPY", "items": 1, "minor": 1000, "converted_minor": 948},
            {"currency": "PEN", "items": 2, "minor": 150001, "converted_minor": 40541},
            {"currency": "USD", "items": 1, "minor": 25050, "converted_minor": 25050},
        ],
        total_minor=1456789001 + 948 + 40541 + 25050,
        rates=[RateUsed(7, "2020-10-05", "USD", "PEN", "3.7", "sell", "SBS"),
               RateUsed(9, "2020-10-01", "JPY", "USD", "0.0094812345", "mid", "BCRP"),
               RateUsed(11, "2020-10-05", "EUR", "USD", "1.18", "buy", "ECB")],
    )
    counts = {} if empty else {"cash": {"in-custody": 3, "disposed": 2}, "vehicle": {"in-custody": 1, "disposed": 1},
                               "phone": {"in-custody": len(HOSTILE)}, "document": {"in-custody": 1, "disposed": 1}}
    return FixedInventory(
        case_no="AQP-2020-0147 & 'B'", title="Venta de recién nacidos — " + HOSTILE[9], prosecutor="F-2001",
        prosecutor_name="Rosa Huamán Ccori", court=HOSTILE[0], opened_at=datetime(2020, 10, 6, 4, 0),
        tz="America/Lima",
        seizures=[
            {"id": "SZ-000001", "acta": "ACTA-0001", "at": datetime(2020, 10, 6, 5, 30), "place": HOSTILE[11],
             "officer": "B-1001", "officer_name": "Ana Quispe Mamani", "from_persons": ["Persona Uno", HOSTILE[1]],
             "witnesses": []},
            {"id": "SZ-000002", "acta": HOSTILE[3], "at": datetime(2020, 10, 7, 9, 0), "place": "Calle Misti 123",
             "officer": "B-1002", "officer_name": None, "from_persons": [], "witnesses": ["Testigo Uno", "Testigo Dos"]},
        ],
        counts=counts, totals=totals, head_seq=4242, head_hash="cd" * 32,
        exported_at=datetime(2026, 12, 6, 1, 2, 3), exported_by=None if verified else "A-4001",
        exported_by_name=None if verified else "Jorge Salas Vera",
        custody_count=0 if empty else len(rows["custody"]), verified=verified,
    )


CASES = {  # file suffix -> (lang, inventory options)
    "en": ("en", {}),
    "es": ("es", {}),
    "es-unverified": ("es", {"verified": False}),
    "en-empty": ("en", {"empty": True}),
}


def golden(name: str) -> Path:
    return DATA / f"golden-case-{name}.xlsx"


def write(name: str, out: Path) -> Path:
    from ledger.xlsx.writer import write_case_workbook

    lang, options = CASES[name]
    write_case_workbook(inventory(**options), out, lang=lang, force=True)
    return out


def _color(c) -> str | None:
    return None if c is None else c.rgb[-6:]


def seen(path: Path) -> dict:
    """Everything a reader of the workbook sees, sheet by sheet, as plain data."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = []
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells.append((c.coordinate, c.value, c.data_type, c.number_format, bool(c.quotePrefix),
                              bool(c.font.b), bool(c.alignment.wrap_text), c.alignment.vertical))
        ps, po = ws.page_setup, ws.print_options
        out[ws.title] = {
            "cells": cells,
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
            # Per column, whether the file groups equal neighbours in one <col min max> or not.
            "widths": {i: d.width for d in ws.column_dimensions.values() if d.width
                       for i in range(d.min or 0, (d.max or 0) + 1)},
            "freeze": ws.freeze_panes, "print_titles": ws.print_titles,
            "col_breaks": [b.id for b in ws.col_breaks.brk], "row_breaks": [b.id for b in ws.row_breaks.brk],
            "page": (ps.orientation, str(ps.paperSize), ps.scale, ps.pageOrder, ps.fitToWidth, ps.fitToHeight),
            "fit": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
            "grid": po.gridLines,
            "header": (ws.oddHeader.center.text, ws.oddHeader.center.color),
            "footer": ws.oddFooter.center.text,
            "tab": _color(ws.sheet_properties.tabColor),  # RGB; the alpha byte of a tab colour is not shown
            "protection": {k: getattr(ws.protection, k) for k in (
                "sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows", "insertColumns",
                "insertRows", "insertHyperlinks", "deleteColumns", "deleteRows", "selectLockedCells",
                "selectUnlockedCells", "sort", "autoFilter", "pivotTables", "password")},
            # The rows a reader can filter and sort from the header's buttons: the earlier writer made
            # them an Excel table (TableStyleMedium2), XlsxWriter's constant_memory mode a sheet autofilter.
            "filter": ([t.autoFilter.ref for t in ws.tables.values()] if ws.tables else
                       [ws.auto_filter.ref] if ws.auto_filter.ref else []),
            "margins": (ws.page_margins.left, ws.page_margins.right, ws.page_margins.top, ws.page_margins.bottom,
                        ws.page_margins.header, ws.page_margins.footer),
        }
    props = wb.properties
    out["properties"] = (props.title, props.subject, props.creator, props.keywords, props.description,
                         props.lastModifiedBy)
    out["language"] = props.language
    out["custom"] = sorted((p.name, p.value) for p in wb.custom_doc_props)
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    for name in CASES:
        print(write(name, golden(name)))
