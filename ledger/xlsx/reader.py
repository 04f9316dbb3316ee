"""Reading the rows of a workbook for bulk import, streamed with openpyxl's read-only mode.

Cells come back as the text a person sees, never as floats: a spreadsheet stores 4000.5 and
490154203237518 as numbers, and the one validator (`ledger.items.prepare_item`) takes text.
A formula comes back as a `Formula`, for the importer to refuse: the result saved beside it is
whatever the last program wrote, not necessarily what a spreadsheet program shows.
"""

from __future__ import annotations

import datetime as _dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ledger.errors import InputError
from ledger.i18n import _, number

# An .xlsx is a zip archive of XML parts. Limits checked on the archive's directory before any
# part is unpacked, so that a small file that unpacks to gigabytes is refused at once. Python's
# zipfile never returns more than a part's declared size, so the declared sizes bound the work.
MAX_PART_MB = 32  # one part, e.g. the sheet's XML (roughly 100,000 rows of eight columns)
MAX_TOTAL_MB = 64  # all parts together
MAX_RATIO = 100  # unpacked size over packed size; spreadsheets stay well below
_RATIO_FROM = 1 << 20  # parts smaller than this unpack to little whatever their ratio
_MB = 1 << 20


def _too_big_hint() -> str:
    return _("Save the sheet as CSV UTF-8 and import that, or split the list into several workbooks.")


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula rather than a typed value."""

    cell: str  # e.g. "C3"
    text: str  # the formula, e.g. "=400" or "=[1]Sheet1!A1"


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


def _unreadable(path: Path, exc: Exception) -> InputError:
    why = str(exc).strip(chr(34))
    message = (_("{file} is not a readable .xlsx workbook ({why}).") if why else
               _("{file} is not a readable .xlsx workbook (damaged or not a workbook)."))
    return InputError(
        message.format(file=path.name, why=why),
        hint=_("Open it in a spreadsheet program and save it again as .xlsx, or save it as CSV UTF-8."),
    )


def check_archive(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than the limits allow."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    total = 0
    for part in parts:
        if part.file_size > MAX_PART_MB * _MB:
            raise InputError(
                _("{file}: its part {part} unpacks to {size:,.0f} MB, over the limit of {most} MB for one part of an "
                  ".xlsx import.").format(file=path.name, part=part.filename, size=part.file_size / _MB,
                                          most=MAX_PART_MB),
                hint=_too_big_hint(),
            )
        if part.file_size > _RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise InputError(
                _("{file}: its part {part} is packed {ratio} to 1, beyond the {most} to 1 any spreadsheet reaches; the "
                  "file is built to exhaust memory, not to hold a list.").format(
                    file=path.name, part=part.filename, ratio=number(part.file_size // max(part.compress_size, 1)),
                    most=MAX_RATIO),
                hint=_("Ask for the list again, saved by a spreadsheet program as .xlsx or as CSV UTF-8."),
            )
        total += part.file_size
    if total > MAX_TOTAL_MB * _MB:
        raise InputError(
            _("{file} unpacks to {size:,.0f} MB, over the limit of {most} MB for an .xlsx import.").format(
                file=path.name, size=total / _MB, most=MAX_TOTAL_MB),
            hint=_too_big_hint(),
        )
    _refuse_dtds(path)


def _refuse_dtds(path: Path) -> None:
    """Refuse a workbook any of whose XML parts declares a DTD. No spreadsheet program writes
    one, and one is how a file makes its reader expand entities without end ("billion laughs")
    or read another file into a cell (an external entity). A DTD can only stand before the root
    element, so each part is parsed (by defusedxml, which forbids them) only up to its root."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    with zipfile.ZipFile(path) as archive:
        for part in archive.infolist():
            if part.is_dir():
                continue
            with archive.open(part) as stream:
                if not _looks_like_xml(stream.read(512)):
                    continue
            try:
                with archive.open(part) as stream:
                    for _event, _element in iterparse(stream, events=("start",), forbid_dtd=True):
                        break
            except DefusedXmlException:
                raise InputError(
                    _("{file}: its part {part} declares a DTD (<!DOCTYPE> or <!ENTITY>), which no spreadsheet program "
                      "writes and which can make a reader expand entities without end or read other files; nothing "
                      "was imported.").format(file=path.name, part=part.filename),
                    hint=_("Ask for the list again, saved by a spreadsheet program as .xlsx or as CSV UTF-8."),
                ) from None
            except (ParseError, zipfile.BadZipFile, OSError, ValueError) as exc:
                raise _unreadable(path, exc) from exc


def _looks_like_xml(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff\x00 \t\r\n").replace(b"\x00", b"")
    return text.startswith(b"<")


def _cell(cell) -> str | Formula | None:
    if cell.data_type == "f":
        text = getattr(cell.value, "text", cell.value)  # array formulas come as objects
        return Formula(cell.coordinate, str(text or "="))
    return cell_text(cell.value)


def iter_rows(path: Path) -> Iterator[tuple[int, list[str | Formula | None]]]:
    """(row number as the sheet shows it, cell texts) for every row of the first sheet,
    the header included; a formula cell is a `Formula`."""
    from openpyxl import load_workbook

    check_archive(path)
    try:
        # data_only=False: a formula must be seen as one, not as the value cached beside it
        wb = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise _unreadable(path, exc) from exc
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # some writers record wrong dimensions; read what is there
        for number, row in enumerate(ws.iter_rows(), start=1):
            yield number, [_cell(c) for c in row]
    finally:
        wb.close()
