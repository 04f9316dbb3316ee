"""Reading the rows of a workbook for bulk import, streamed with openpyxl's read-only mode.

Cells come back as the text a person sees, never as floats: a spreadsheet stores 4000.5 and
490154203237518 as numbers, and the one validator (`ledger.items.prepare_item`) takes text.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from ledger.errors import InputError


def cell_text(value: object) -> str | None:
    """The text of one cell; None when empty. Numbers keep their shortest exact decimal form
    (4000.5 -> '4000.5', 2016.0 -> '2016'), dates their ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr() is the shortest text that reads back as the same double: what the sheet shows
        return format(Decimal(repr(value)), "f")
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def iter_rows(path: Path) -> Iterator[tuple[int, list[str | None]]]:
    """(row number as the sheet shows it, cell texts) for every row of the first sheet,
    the header included."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise InputError(
            f"{path.name} is not a readable .xlsx workbook ({str(exc).strip(chr(34)) or 'damaged or not a workbook'}).",
            hint="Open it in a spreadsheet program and save it again as .xlsx, or save it as CSV UTF-8.",
        ) from exc
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # some writers record wrong dimensions; read what is there
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in row]
    finally:
        wb.close()
