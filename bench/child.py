"""Baseline for the export workload, run in a child process: bare openpyxl write-only
writing exactly the cell values of the ledger's exported workbook.

`python -m bench.child EXPORTED.xlsx OUT.xlsx` reads every sheet first (not timed), then
times the write and prints one JSON line: seconds, rows, cells.
"""

from __future__ import annotations

import json
import sys
import time


def main(src: str, dst: str) -> dict:
    from openpyxl import Workbook, load_workbook

    wb = load_workbook(src, read_only=True)
    sheets = [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
    wb.close()
    rows = sum(len(r) for _, r in sheets)
    cells = sum(len(row) for _, r in sheets for row in r)
    t0 = time.perf_counter()
    out = Workbook(write_only=True)
    for title, data in sheets:
        ws = out.create_sheet(title)
        for row in data:
            ws.append(row)
    out.save(dst)
    return {"seconds": time.perf_counter() - t0, "rows": rows, "cells": cells}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
