"""Baselines for the export workload, run in a child process: a general-purpose xlsx writer
writing exactly the cell values of the ledger's exported workbook.

`python -m bench.child EXPORTED.xlsx OUT.xlsx [openpyxl|xlsxwriter]` reads every sheet first
(not timed), then times the write and prints one JSON line: seconds, rows, cells. `openpyxl`
is its write-only mode; `xlsxwriter` is XlsxWriter with `constant_memory` (rows streamed to
disk as they are written), the fastest pure-Python writer (the `bench` extra installs it).
"""

from __future__ import annotations

import json
import sys
import time


def read_sheets(src: str) -> list[tuple[str, list[tuple]]]:
    from openpyxl import load_workbook

    wb = load_workbook(src, read_only=True)
    sheets = [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
    wb.close()
    return sheets


def write_openpyxl(sheets, dst: str) -> None:
    from openpyxl import Workbook

    out = Workbook(write_only=True)
    for title, data in sheets:
        ws = out.create_sheet(title)
        for row in data:
            ws.append(row)
    out.save(dst)


def write_xlsxwriter(sheets, dst: str) -> None:
    import xlsxwriter

    # Texts stay texts (no hyperlink guessing); date-times get a date format, as in the export.
    out = xlsxwriter.Workbook(dst, {"constant_memory": True, "strings_to_urls": False,
                                    "default_date_format": "yyyy-mm-dd hh:mm:ss"})
    for title, data in sheets:
        ws = out.add_worksheet(title)
        for r, row in enumerate(data):
            ws.write_row(r, 0, row)
    out.close()


WRITERS = {"openpyxl": write_openpyxl, "xlsxwriter": write_xlsxwriter}


def main(src: str, dst: str, writer: str = "openpyxl") -> dict:
    sheets = read_sheets(src)
    rows = sum(len(r) for _, r in sheets)
    cells = sum(len(row) for _, r in sheets for row in r)
    t0 = time.perf_counter()
    WRITERS[writer](sheets, dst)
    return {"seconds": time.perf_counter() - t0, "rows": rows, "cells": cells, "writer": writer}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
