"""The prosecutor's case workbook: a `CaseInventory` written as an .xlsx court exhibit.

The only module that writes with openpyxl. It streams (write-only mode), stores every text as
a string cell (never a formula, whatever it starts with), keeps the Summary's totals as formulas
next to the ledger's own figures, and writes to a temporary file renamed into place, so a
refusal or a crash never leaves a partial workbook behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.custom import BoolProperty, IntProperty, StringProperty
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from ledger.errors import InputError, LedgerError
from ledger.i18n import _
from ledger.reports import ITEM_KINDS, SHEET_COLUMNS, CaseInventory, Column

LANGS = ("en", "es")
EXCEL_CELL_MAX = 32_767
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.0000######"
# Texts a spreadsheet would read as the start of a formula (or DDE) if typed into a cell.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
SYMBOLS = {"PEN": "S/", "USD": "US$"}
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
TABLE_NAMES = {"cash": "Cash", "vehicle": "Vehicles", "phone": "Phones", "document": "Documents", "custody": "Custody"}
SHEETS = ("summary", *ITEM_KINDS, "custody")

# Labels per language: (en, es).
SHEET_NAMES = {
    "summary": ("Summary", "Resumen"), "cash": ("Cash", "Efectivo"), "vehicle": ("Vehicles", "Vehículos"),
    "phone": ("Phones", "Teléfonos"), "document": ("Documents", "Documentos"),
    "custody": ("Custody", "Cadena de custodia"),
}
HEADERS = {
    "item": ("Item", "Bien"), "seizure": ("Seizure", "Incautación"), "amount": ("Amount", "Importe"),
    "currency": ("Currency", "Moneda"), "denominations": ("Denominations", "Denominaciones"),
    "counted_by": ("Counted by", "Contado por"), "verified_by": ("Verified by", "Verificado por"),
    "rate": ("Rate", "Tipo de cambio"), "rate_pair": ("Rate pair", "Par"), "rate_date": ("Rate date", "Fecha del tipo"),
    "rate_side": ("Side", "Lado"), "rate_source": ("Rate source", "Fuente del tipo"),
    "rate_seq": ("Rate event", "Evento del tipo"), "converted": ("Converted ({cur})", "Convertido ({cur})"),
    "seal": ("Seal", "Precinto"), "holder": ("Holder", "Custodio"), "holder_name": ("Holder name", "Nombre del custodio"),
    "location": ("Location", "Ubicación"), "status": ("Status", "Estado"),
    "registered_at": ("Registered ({tz})", "Registrado ({tz})"), "last_at": ("Last event ({tz})", "Último evento ({tz})"),
    "disposition": ("Disposition", "Disposición"), "authority": ("Authority", "Autoridad"),
    "disposed_to": ("Disposed to", "Entregado a"), "make": ("Make", "Marca"), "model": ("Model", "Modelo"),
    "plate": ("Plate", "Placa"), "plate_kind": ("Plate kind", "Tipo de placa"), "vin": ("VIN", "VIN"),
    "year": ("Year", "Año"), "color": ("Color", "Color"), "value": ("Value", "Valor"),
    "value_currency": ("Value currency", "Moneda del valor"), "imei": ("IMEI", "IMEI"), "imei2": ("IMEI 2", "IMEI 2"),
    "number": ("Number", "Número"), "title": ("Title", "Título"), "pages": ("Pages", "Páginas"),
    "file_name": ("File", "Archivo"), "file_sha256": ("File SHA-256", "SHA-256 del archivo"),
    "file_size": ("File bytes", "Bytes del archivo"), "seq": ("Event", "Evento"), "at": ("Date ({tz})", "Fecha ({tz})"),
    "action": ("Action", "Acción"), "from": ("From", "De"), "to": ("To", "A"), "reason": ("Reason", "Motivo"),
    "old_seal": ("Previous seal", "Precinto anterior"), "by": ("By", "Por"),
    "recorded_at": ("Recorded ({tz})", "Anotado ({tz})"), "hash": ("Event hash", "Hash del evento"),
}
WORDS = {
    "in-custody": ("in custody", "en custodia"), "disposed": ("disposed", "dispuesto"),
    "cash": ("cash", "efectivo"), "vehicle": ("vehicle", "vehículo"), "phone": ("phone", "teléfono"),
    "document": ("document", "documento"),
    "item.registered": ("registered", "registro"), "custody.transferred": ("transfer", "transferencia"),
    "custody.resealed": ("reseal", "reprecintado"), "custody.disposed": ("disposal", "disposición"),
    "returned": ("returned", "devuelto"), "destroyed": ("destroyed", "destruido"),
    "forfeited": ("forfeited", "decomisado"), "auctioned": ("auctioned", "subastado"),
    "transferred-to-agency": ("transferred to agency", "transferido a otra entidad"),
    "to-pronabi": ("handed to PRONABI", "entregado al PRONABI"), "deposited": ("deposited", "depositado"),
    "assigned": ("assigned", "asignado en uso temporal"), "custody.deposited": ("deposit", "depósito"),
    "custody.assigned": ("temporary use", "uso temporal"), "custody.returned": ("return from use", "devolución"),
    "audit.checked": ("audit check", "verificación de auditoría"),
    "review.set": ("review date", "fecha de revisión"),
    "buy": ("buy", "compra"), "sell": ("sell", "venta"), "mid": ("mid", "promedio"),
    "pe": ("Peruvian", "peruana"), "foreign": ("foreign", "extranjera"),
}
WORD_COLUMNS = ("status", "rate_side", "plate_kind")  # codes shown as words in the workbook's language
TEXT = {
    "heading": ("Inventory of seized assets", "Inventario de bienes incautados"),
    "case_no": ("Case", "Caso"), "title": ("Title", "Título"), "prosecutor": ("Prosecutor", "Fiscal"),
    "court": ("Court", "Juzgado o fiscalía"), "opened_at": ("Opened ({tz})", "Abierto ({tz})"),
    "seizures": ("Seizures", "Incautaciones"), "sz_id": ("Seizure", "Incautación"), "acta": ("Record (acta)", "Acta"),
    "sz_at": ("Date ({tz})", "Fecha ({tz})"), "place": ("Place", "Lugar"),
    "officer": ("Officer in charge", "Oficial a cargo"), "officer_name": ("Name", "Nombre"),
    "from_persons": ("Seized from", "Incautado a"), "witnesses": ("Witnesses", "Testigos"),
    "counts": ("Items by kind and status", "Bienes por tipo y estado"), "kind": ("Kind", "Tipo"),
    "total": ("Total (ledger)", "Total (libro)"), "total_sheet": ("Total (sheet formula)", "Total (fórmula de la hoja)"),
    "difference": ("Difference", "Diferencia"),
    "cash": ("Cash per currency", "Efectivo por moneda"), "currency": ("Currency", "Moneda"),
    "items": ("Items", "Bienes"), "amount_ledger": ("Amount (ledger)", "Importe (libro)"),
    "amount_sheet": ("Amount (sheet formula)", "Importe (fórmula de la hoja)"),
    "conv_ledger": ("In {cur} (ledger)", "En {cur} (libro)"),
    "conv_sheet": ("In {cur} (sheet formula)", "En {cur} (fórmula de la hoja)"),
    "grand_total": ("Total in {cur}", "Total en {cur}"),
    "report": ("Valuation", "Valoración"), "in_currency": ("Report currency", "Moneda del informe"),
    "side": ("Rate side", "Lado del tipo"), "source": ("Rate source", "Fuente del tipo"),
    "any_source": ("(the only source with a rate)", "(la única fuente con tipo)"),
    "rounding": ("Rounding", "Redondeo"),
    "rounding_text": ("Each item ROUND_HALF_UP to the cent of the report currency; the total is the sum of the "
                      "rounded items. A rate 1 BASE = RATE QUOTE multiplies amounts in BASE and divides amounts "
                      "in QUOTE.",
                      "Cada bien se redondea ROUND_HALF_UP al céntimo de la moneda del informe; el total es la suma "
                      "de los bienes redondeados. Un tipo 1 BASE = TIPO COTIZADA multiplica importes en BASE y "
                      "divide importes en COTIZADA."),
    "rates": ("Rates used", "Tipos de cambio usados"), "rate_seq": ("Event", "Evento"),
    "rate_date": ("Date", "Fecha"), "base": ("Base", "Base"), "quote": ("Quote", "Cotizada"),
    "rate": ("Rate", "Tipo"), "no_rates": ("(no conversion needed)", "(no hizo falta convertir)"),
    "ledger": ("Ledger", "Libro mayor"), "head_seq": ("Ledger head: event", "Cabeza del libro: evento"),
    "head_hash": ("Ledger head: hash", "Cabeza del libro: hash"),
    "verified": ("Checked against the log", "Verificado contra el libro"),
    "verified_yes": ("yes: the case's tables equal the replay of the log up to event {seq}",
                     "sí: las tablas del caso coinciden con la reproducción del libro hasta el evento {seq}"),
    "not_verified": ("NOT VERIFIED", "NO VERIFICADO"),
    "footer": ("{case} — &A — page &P of &N", "{case} — &A — página &P de &N"),
    "not_verified_long": ("NOT VERIFIED: exported with --unverified; the rows were not checked against the log",
                          "NO VERIFICADO: exportado con --unverified; las filas no se verificaron contra el libro"),
    "exported_by": ("Exported by", "Exportado por"), "exported_at": ("Exported ({tz})", "Exportado ({tz})"),
    "tz": ("Time zone", "Zona horaria"), "nobody": ("(not stated)", "(no indicado)"),
    "none": ("(none)", "(ninguno)"),
    "subject": ("Inventory of case {case}", "Inventario del caso {case}"),
    "registered_from": ("registered (seizure {seizure})", "registrado (incautación {seizure})"),
}

_XSTRING_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_XSTRING_CODE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Characters XML cannot carry (CR would be read back as LF): written as OOXML _xHHHH_ escapes.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
# Anything a text needs done to it before it goes into the sheet's XML; most texts need nothing.
_NEEDS_WORK = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x")
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def xlsx_escape(text: str) -> str:
    """Escape text for an OOXML string: a literal `_x0041_` would otherwise be shown as "A" by
    Excel, a bare CR would be read back as LF by any XML parser, and control characters XML
    cannot hold at all are written as their `_xHHHH_` code (what Excel itself does)."""
    text = _XSTRING_ESCAPE.sub(r"_x005F_\1", text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def xlsx_unescape(text: str) -> str:
    """What Excel or LibreOffice display for a stored OOXML string (the inverse of `xlsx_escape`)."""
    return _XSTRING_CODE.sub(lambda m: chr(int(m.group(1), 16)), text)


def money_format(currency: str) -> str:
    """`"S/" #,##0.00`, `"US$" #,##0.00`, or the ISO code for other currencies, at their minor unit."""
    from ledger.money import minor_exponent

    decimals = minor_exponent(currency)
    return f'"{SYMBOLS.get(currency, currency)}" #,##0' + ("." + "0" * decimals if decimals else "")


@dataclass
class WrittenWorkbook:
    path: str
    sha256: str
    bytes: int
    rows: dict[str, int] = field(default_factory=dict)  # sheet key -> data rows
    sheets: dict[str, str] = field(default_factory=dict)  # sheet key -> sheet name


# -- the output path ---------------------------------------------------------------------------
def check_output_path(out: str, *, force: bool = False, database=None) -> Path:
    """Refuse, before anything is read or written, an output the command could not complete
    or must not replace (ledger.outputs has the rule every writer shares)."""
    from ledger.outputs import check_file

    return check_file(out, force=force, suffix=".xlsx", example="AQP-2020-0147.xlsx", database=database)


# -- cells -------------------------------------------------------------------------------------
class _Cells:
    """Cell factory for one sheet: types and formats decided here, once."""

    def __init__(self, ws, lang: str):
        self.ws = ws
        self.i = LANGS.index(lang)

    def text(self, value: str | None, *, bold: bool = False, wrap: bool = False) -> WriteOnlyCell | None:
        if value is None:
            return None
        value = str(value)
        if len(value) > EXCEL_CELL_MAX:
            raise _too_long(value)
        cell = WriteOnlyCell(self.ws, value=xlsx_escape(value))
        cell.data_type = "s"  # never a formula, whatever it starts with
        if value.startswith(FORMULA_LEADS):
            cell.quotePrefix = True  # and stays text if someone edits the cell
        if bold:
            cell.font = Font(bold=True)
        if wrap:
            cell.alignment = WRAP
        return cell

    def number(self, value, fmt: str | None = None, *, bold: bool = False) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(self.ws, value=value)
        if fmt:
            cell.number_format = fmt
        if bold:
            cell.font = Font(bold=True)
        return cell

    def formula(self, expr: str, fmt: str | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=expr)
        cell.data_type = "f"
        if fmt:
            cell.number_format = fmt
        return cell

    def value(self, col: Column, row: dict, lang: str) -> WriteOnlyCell | None:
        """A data cell of an item or custody sheet, as `_RowWriter.render` writes it."""
        cell = self._value(col, row, lang)
        if cell is not None and col.type != "text":
            cell.alignment = TOP  # level with the first line of a wrapped neighbour
        return cell

    def _value(self, col: Column, row: dict, lang: str) -> WriteOnlyCell | None:
        v = row.get(col.key)
        if v is None:
            return None
        if col.type == "money":
            return self.number(v, money_format(row[col.currency_key]))
        if col.type == "rate":
            return self.number(v, RATE_FORMAT)
        if col.type == "int":
            return self.number(int(v), "#,##0" if col.key == "file_size" else "0")
        if col.type == "datetime":
            return self.number(v, DATETIME_FORMAT)
        if col.type == "date":
            return self.number(v, DATE_FORMAT)
        if col.key in WORD_COLUMNS:
            v = _word(v, lang)
        return self.text(v, wrap=True)


def _too_long(value: str) -> LedgerError:
    return LedgerError(
        _("A text of {n} characters does not fit in a spreadsheet cell ({most} at most); "
          "the workbook was not written.").format(n=len(value), most=EXCEL_CELL_MAX),
        hint=_("Report this: the ledger should have refused such a text when it was typed."),
    )


def _word(key: str, lang: str) -> str:
    return WORDS[key][LANGS.index(lang)] if key in WORDS else key


def _label(table: dict, key: str, lang: str, **fmt) -> str:
    return table[key][LANGS.index(lang)].format(**fmt)


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# -- sheets ------------------------------------------------------------------------------------
def _setup_sheet(ws, widths: Iterable[int], footer: str, *, header_rows: int | None = 1, stamp: str | None = None,
                 title_columns: str | None = None, breaks: Iterable[int] = ()) -> None:
    """Screen and print layout. A table sheet prints at 90 %, its columns running on to
    following pages (a new page at each column in `breaks`, counted from 0) with `title_columns` (the item's
    number) repeated on each, because fitting two dozen columns to one A4 width makes the text
    too small to read; the summary fits one page width. Every page's footer names the case, the
    sheet and page N of M."""
    if stamp:  # printed at the top of every page, and a red tab on screen
        ws.oddHeader.center.text = stamp
        ws.oddHeader.center.color = "C00000"
        ws.sheet_properties.tabColor = "C00000"
    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    if header_rows:
        ws.freeze_panes = f"A{header_rows + 1}"
        ws.print_title_rows = f"1:{header_rows}"
    if title_columns:
        ws.print_title_cols = title_columns
    for col in breaks:
        ws.col_breaks.append(Break(id=col))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    # A fixed scale, never "fit to width": 11 pt text printed at no less than 8.8 pt.
    ws.page_setup.scale = TABLE_SCALE if title_columns else SUMMARY_SCALE
    ws.page_setup.pageOrder = "overThenDown"  # a row's pages follow each other
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = footer
    # Protected against accidental edits, without a password; filtering and sorting stay allowed.
    protection = ws.protection
    protection.sheet = True
    protection.autoFilter = False
    protection.sort = False
    protection.formatColumns = False
    protection.formatRows = False


SUMMARY_SCALE = 80


def _footer(inv: CaseInventory, lang: str) -> str:
    return _label(TEXT, "footer", lang, case=inv.case_no.replace("&", "&&"))  # "&" starts a field code


# Where a printed page of a table sheet may start. The first page across holds the identifying
# and most useful columns (what an item is, and for cash how much and who counted it); each
# following page, with the identifying columns repeated, a group that reads together: the
# valuation, the custody state, the dates, the disposition. Groups that fit share a page.
PAGE_GROUPS = {
    "cash": ("rate", "converted", "seal", "registered_at", "disposition"),
    "vehicle": ("value", "seal", "registered_at", "disposition"),
    "phone": ("seal", "registered_at", "disposition"),
    "document": ("file_sha256", "seal", "registered_at", "disposition"),
    "custody": ("reason", "old_seal", "hash"),
}
TABLE_SCALE = 90  # 11 pt text printed at 9.9 pt: the first group of the widest sheet fits a page
# The printable width of A4 landscape (297 mm less openpyxl's default 0.75" side margins, 734 pt)
# in column width units as LibreOffice prints them at 100 % (7 pt each), less some slack.
PAGE_WIDTH = 102
LINE_PT = 15  # the height of one line of 11 pt text in a row


def _page_breaks(keys: list[str], widths: list[int], groups: Iterable[str], repeated: int) -> list[int]:
    """The columns (counted from 0) that start a new printed page: the groups packed onto pages
    in order, a group starting a new page when it does not fit beside the previous ones and the
    `repeated` columns, and a group wider than a page broken where the page is full."""
    room = PAGE_WIDTH * 100 / TABLE_SCALE - sum(widths[:repeated])
    starts = sorted({keys.index(k) for k in groups if k in keys} | {len(keys)})
    breaks, used, start = [], 0.0, repeated
    for end in starts:
        if end <= start:
            continue
        if used and used + sum(widths[start:end]) > room:
            breaks.append(start)
            used = 0
        for col in range(start, end):
            if used and used + widths[col] > room:
                breaks.append(col)
                used = 0
            used += widths[col]
        start = end
    return breaks


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` (in widths of "0") needs for `text`, by a greedy word wrap
    that counts characters as wide as "0" (most letters are narrower, so it rounds up): spreadsheets
    do not grow a row for wrapped text when the file is printed, so the writer sets the height."""
    per_line = max(1, int(width))
    lines = 0
    for part in str(text).split("\n"):
        lines += 1
        if len(part) <= per_line:
            continue
        used = 0
        for word in part.split(" "):
            need = used + 1 + len(word) if used else len(word)
            if need <= per_line:
                used = need
                continue
            if used:
                lines += 1
            full, used = divmod(len(word), per_line)  # a word longer than a line breaks anywhere
            if full and not used:
                full, used = full - 1, per_line
            lines += full
    return lines


def _row_height(lines: int) -> float:
    return LINE_PT * lines + 2


def _stamp(inv: CaseInventory, lang: str) -> str | None:
    return None if inv.verified else _label(TEXT, "not_verified", lang)


def headers_for(sheet: str, lang: str, tz: str, in_currency: str) -> list[str]:
    return [_label(HEADERS, c.key, lang, tz=tz, cur=in_currency) for c in SHEET_COLUMNS[sheet]]


def _write_table_sheet(
    wb: Workbook, inv: CaseInventory, sheet: str, lang: str, progress: Callable[[int], None] | None,
) -> int:
    columns = SHEET_COLUMNS[sheet]
    ws = wb.create_sheet(_label(SHEET_NAMES, sheet, lang))
    headers = headers_for(sheet, lang, inv.tz, inv.totals.in_currency)
    # Wide enough for the header and its filter button; write-only mode fixes widths before any row.
    # A printed date and time ("2020-10-06 10:00:00") needs 20, or it runs into the next cell.
    widths = [max(c.width, len(h) + 4, 20 if c.type == "datetime" else 0) for c, h in zip(columns, headers, strict=True)]
    repeated = 3 if sheet == "custody" else 1
    breaks = _page_breaks([c.key for c in columns], widths, PAGE_GROUPS[sheet], repeated)
    _setup_sheet(ws, widths, _footer(inv, lang), stamp=_stamp(inv, lang),
                 title_columns=f"A:{get_column_letter(repeated)}", breaks=breaks)
    cells = _Cells(ws, lang)
    ws.append([cells.text(h, bold=True) for h in headers])
    rows = _RowWriter(ws, columns, widths, lang) if RAW_ROWS and _raw_stream_available() else None
    custody = sheet == "custody"
    n = 0
    for row in inv.rows(sheet):
        if custody:
            row = _custody_words(row, lang)
        n += 1
        if rows is not None:
            rows.append(row, n + 1)
        else:
            values = [cells.value(c, row, lang) for c in columns]
            lines = max((_wrapped_lines(xlsx_unescape(v.value), w) for v, w in zip(values, widths, strict=True)
                         if v is not None and v.data_type == "s"), default=1)
            if lines > 1:
                ws.row_dimensions[n + 1].height = _row_height(lines)
            ws.append(values)
        if progress and n % 100 == 0:
            progress(100)
    if progress and n % 100:
        progress(n % 100)
    if n == 0:
        ws.append([])  # a table needs one data row; an empty one reads as "no items"
    ref = f"A1:{get_column_letter(len(columns))}{max(n, 1) + 1}"
    table = Table(displayName=TABLE_NAMES[sheet], ref=ref)
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(headers, start=1)]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "you must add table columns manually": done above
        ws.add_table(table)
    return n


def _custody_words(row: dict, lang: str) -> dict:
    action = _word(row["action"], lang)
    if row.get("disposition"):
        action = f"{action}: {_word(row['disposition'], lang)}"
    out = {**row, "action": action}
    if row.get("seizure") and not row.get("reason"):
        out["reason"] = _label(TEXT, "registered_from", lang, seizure=row["seizure"])
    return out


# -- the fast row path -------------------------------------------------------------------------
# openpyxl's write-only sheets spend most of their time per cell: a cell object, its style
# lookup, an ElementTree element serialised through et_xmlfile. The item and custody sheets
# are written instead as the same XML text, one string per row, into the very stream openpyxl
# opened for the sheet (so openpyxl still writes everything around the rows: dimensions, panes,
# columns, protection, tables, styles, the package). The cells are what openpyxl would write
# for them (`_Cells.value`, kept as the path when the stream is not et_xmlfile's, e.g. with lxml
# installed); a test compares both paths cell by cell.
RAW_ROWS = True


def _raw_stream_available() -> bool:
    """True when openpyxl streams sheets through et_xmlfile (no lxml), whose writer takes text."""
    try:
        from et_xmlfile.xmlfile import xmlfile as et_xmlfile
        from openpyxl.worksheet._write_only import WriteOnlyWorksheet
        from openpyxl.worksheet._writer import WorksheetWriter
        from openpyxl.xml.functions import xmlfile
    except ImportError:  # pragma: no cover - et_xmlfile is openpyxl's own dependency
        return False
    # The hook below uses these private names; on an openpyxl without them, the ordinary
    # cell-by-cell path writes the same workbook.
    hooks = (hasattr(WriteOnlyWorksheet, "_get_writer") and hasattr(WriteOnlyWorksheet, "_values_to_row")
             and hasattr(WorksheetWriter, "write_row"))
    return xmlfile is et_xmlfile and hooks


class _RawRow(tuple):
    """One row already rendered as XML text, passed through `ws.append` to the sheet's stream."""


class _RowWriter:
    """Renders data rows of one write-only sheet as `<row>` XML and hands them to its stream."""

    TEXT, WORD, MONEY, NUMBER, INT, TIME = range(6)

    def __init__(self, ws, columns: tuple[Column, ...], widths: list[int], lang: str):
        self.ws = ws
        self.lang = LANGS.index(lang)
        self._styles: dict[tuple, str] = {}
        self.wrap = self.style(wrap=True)
        self.quote = self.style(quote=True, wrap=True)
        self.cols = []
        for i, (c, width) in enumerate(zip(columns, widths, strict=True), start=1):
            letter = get_column_letter(i)
            if c.type == "money":
                self.cols.append((c.key, letter, self.MONEY, c.currency_key))
            elif c.type == "rate":
                self.cols.append((c.key, letter, self.NUMBER, self.style(RATE_FORMAT)))
            elif c.type == "int":
                self.cols.append((c.key, letter, self.INT, self.style("#,##0" if c.key == "file_size" else "0")))
            elif c.type in ("datetime", "date"):
                fmt = DATETIME_FORMAT if c.type == "datetime" else DATE_FORMAT
                self.cols.append((c.key, letter, self.TIME, self.style(fmt)))
            else:  # text wraps within its column; `extra` is the width the row height is measured by
                self.cols.append((c.key, letter, self.WORD if c.key in WORD_COLUMNS else self.TEXT, width))
        self._money: dict[str, str] = {}
        self._serials: dict = {}
        self._hook()

    def style(self, fmt: str | None = None, *, quote: bool = False, wrap: bool = False) -> str:
        """The ` s="N"` attribute of data cells with this number format (or quote prefix, or
        wrapped text), registered in the workbook's styles exactly as openpyxl registers a styled
        cell's."""
        key = (fmt, quote, wrap)
        attr = self._styles.get(key)
        if attr is None:
            cell = WriteOnlyCell(self.ws)
            if fmt:
                cell.number_format = fmt
            if quote:
                cell.quotePrefix = True
            cell.alignment = WRAP if wrap else TOP
            attr = self._styles[key] = f' s="{cell.style_id}"' if cell.has_style else ""
        return attr

    def _hook(self) -> None:
        """Let `ws.append(_RawRow((xml,)))` put `xml` into the sheet's stream; other rows go
        through openpyxl as usual."""
        ws = self.ws
        ws._get_writer()
        writer = ws._writer
        to_row, write_row = ws._values_to_row, writer.write_row

        def values_to_row(row, row_idx):
            return row if type(row) is _RawRow else to_row(row, row_idx)

        def write_raw(xf, row, row_idx):
            if type(row) is _RawRow:
                xf._file(row[0])
            else:
                write_row(xf, row, row_idx)

        ws._values_to_row = values_to_row
        writer.write_row = write_raw

    def append(self, row: dict, r: int) -> None:
        self.ws.append(_RawRow((self.render(row, r),)))

    def render(self, row: dict, r: int) -> str:
        """`render_careful`'s XML, built faster for the common row: its texts are checked for
        anything needing escapes in one search over them all, and a date-time's serial number is
        remembered (an export repeats the same few registration and event times)."""
        get = row.get
        out = []
        add = out.append
        texts = []
        lines = 1
        serials = self._serials
        for key, letter, kind, extra in self.cols:
            v = get(key)
            if v is None:
                continue
            if kind <= self.WORD:
                if kind == self.WORD:
                    v = WORDS[v][self.lang] if v in WORDS else v
                elif type(v) is not str:
                    v = str(v)
                if not v:
                    continue
                if len(v) > extra or "\n" in v:  # most texts fit one line: no need to measure
                    if len(v) > EXCEL_CELL_MAX:
                        raise _too_long(v)
                    lines = max(lines, _wrapped_lines(v, extra))
                texts.append(v)
                style = self.quote if v.startswith(FORMULA_LEADS) else self.wrap
                space = ' xml:space="preserve"' if v != v.strip() else ""
                add(f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{space}>{v}</t></is></c>')
            elif kind == self.TIME:
                serial = serials.get(v)
                if serial is None:
                    serial = f"{to_excel(v):.16g}"
                    if len(serials) < 65_536:
                        serials[v] = serial
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{serial}</v></c>')
            elif kind == self.INT:
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{int(v):.16g}</v></c>')
            else:
                if kind == self.MONEY:
                    code = row[extra]
                    extra = self._money.get(code)
                    if extra is None:
                        extra = self._money[code] = self.style(money_format(code))
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{float(v):.16g}</v></c>')
        # "\n" cannot join two texts into a match: it is not in the class, and it parts "_" from "x".
        if texts and _NEEDS_WORK.search("\n".join(texts)):
            return self.render_careful(row, r)
        head = f'<row r="{r}" ht="{_row_height(lines)}" customHeight="1">' if lines > 1 else f'<row r="{r}">'
        return head + "".join(out) + "</row>"

    def render_careful(self, row: dict, r: int) -> str:
        """A row whose texts may need XML or OOXML escapes, cell by cell."""
        get = row.get
        out = [f'<row r="{r}">']
        add = out.append
        lines = 1
        for key, letter, kind, extra in self.cols:
            v = get(key)
            if v is None:
                continue
            if kind <= self.WORD:
                if kind == self.WORD:
                    v = WORDS[v][self.lang] if v in WORDS else v
                elif type(v) is not str:
                    v = str(v)
                if not v:
                    continue
                if len(v) > extra or "\n" in v:  # most texts fit one line: no need to measure
                    lines = max(lines, _wrapped_lines(v, extra))
                add(self.text_cell(f"{letter}{r}", v))
            elif kind == self.TIME:
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{to_excel(v):.16g}</v></c>')
            elif kind == self.INT:
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{int(v):.16g}</v></c>')
            else:
                if kind == self.MONEY:
                    code = row[extra]
                    extra = self._money.get(code)
                    if extra is None:
                        extra = self._money[code] = self.style(money_format(code))
                add(f'<c r="{letter}{r}"{extra} t="n"><v>{float(v):.16g}</v></c>')
        if lines > 1:
            out[0] = f'<row r="{r}" ht="{_row_height(lines)}" customHeight="1">'
        add("</row>")
        return "".join(out)

    def text_cell(self, ref: str, v: str) -> str:
        """A string cell: inline, never a formula; a quote prefix when it starts like one."""
        if len(v) > EXCEL_CELL_MAX:
            raise _too_long(v)
        style = self.quote if v.startswith(FORMULA_LEADS) else self.wrap
        if _NEEDS_WORK.search(v):
            v = xlsx_escape(v).translate(_XML_TEXT)
        space = ' xml:space="preserve"' if v != v.strip() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{v}</t></is></c>'


def _write_summary(wb: Workbook, inv: CaseInventory, lang: str) -> None:
    from ledger.money import from_minor, minor_exponent

    t = inv.totals
    cur = t.in_currency
    ws = wb.create_sheet(_label(SHEET_NAMES, "summary", lang))
    widths = [28, 20, 20, 22, 20, 24, 24, 20]  # one A4 landscape width at SUMMARY_SCALE
    _setup_sheet(ws, widths, _footer(inv, lang), header_rows=None, stamp=_stamp(inv, lang))
    c = _Cells(ws, lang)

    def lab(key: str, **kw) -> WriteOnlyCell:
        return c.text(_label(TEXT, key, lang, tz=inv.tz, cur=cur, case=inv.case_no), bold=True, wrap=True)

    row_no = 0

    def put(cells: list) -> int:
        nonlocal row_no
        lines = max((_wrapped_lines(cell.value, widths[i]) for i, cell in enumerate(cells)
                     if cell is not None and cell.alignment is not None and cell.alignment.wrap_text), default=1)
        if lines > 1:
            ws.row_dimensions[row_no + 1].height = _row_height(lines)
        ws.append(cells)
        row_no += 1
        return row_no

    put([c.text(f"{_label(TEXT, 'heading', lang)} — {inv.case_no}", bold=True)])
    if not inv.verified:
        put([c.text(_label(TEXT, "not_verified_long", lang), bold=True)])
    put([])
    put([lab("case_no"), c.text(inv.case_no)])
    put([lab("title"), c.text(inv.title, wrap=True)])
    prosecutor = " ".join(x for x in (inv.prosecutor, inv.prosecutor_name) if x) or None
    put([lab("prosecutor"), c.text(prosecutor)])
    put([lab("court"), c.text(inv.court)])
    put([lab("opened_at"), c.number(inv.opened_at, DATETIME_FORMAT)])
    put([])

    put([lab("seizures")])
    put([lab(k) for k in ("sz_id", "acta", "sz_at", "place", "officer", "officer_name", "from_persons", "witnesses")])
    for s in inv.seizures:
        put([c.text(s["id"]), c.text(s["acta"]), c.number(s["at"], DATETIME_FORMAT), c.text(s["place"], wrap=True),
             c.text(s["officer"]), c.text(s["officer_name"]),
             c.text("; ".join(s["from_persons"]) or None, wrap=True), c.text("; ".join(s["witnesses"]) or None, wrap=True)])
    if not inv.seizures:
        put([c.text(_label(TEXT, "none", lang))])
    put([])

    put([lab("counts")])
    put([lab("kind"), c.text(_word("in-custody", lang), bold=True), c.text(_word("disposed", lang), bold=True),
         lab("total"), lab("total_sheet"), lab("difference")])
    for kind in ITEM_KINDS:
        by = inv.counts.get(kind, {})
        sheet = _quote_sheet(_label(SHEET_NAMES, kind, lang))
        r = row_no + 1
        put([c.text(_word(kind, lang)), c.number(by.get("in-custody", 0)), c.number(by.get("disposed", 0)),
             c.number(inv.item_count(kind)), c.formula(f"=COUNTA({sheet}!$A:$A)-1"), c.formula(f"=E{r}-D{r}")])
    put([])

    cash = _quote_sheet(_label(SHEET_NAMES, "cash", lang))
    letters = {col.key: get_column_letter(i) for i, col in enumerate(SHEET_COLUMNS["cash"], start=1)}
    amount_col, cur_col, conv_col = (f"{cash}!${letters[k]}:${letters[k]}" for k in ("amount", "currency", "converted"))
    digits = minor_exponent(cur)
    fmt_in = money_format(cur)
    put([lab("cash")])
    put([lab("currency"), lab("items"), lab("amount_ledger"), lab("amount_sheet"), lab("difference"),
         lab("conv_ledger"), lab("conv_sheet"), lab("difference")])
    for p in t.per_currency:
        code = p["currency"]
        fmt = money_format(code)
        r = row_no + 1
        put([
            c.text(code), c.number(p["items"]), c.number(from_minor(p["minor"], code), fmt),
            c.formula(f"=ROUND(SUMIFS({amount_col},{cur_col},$A{r}),{minor_exponent(code)})", fmt),
            c.formula(f"=D{r}-C{r}", fmt),
            c.number(from_minor(p["converted_minor"], cur), fmt_in),
            c.formula(f"=ROUND(SUMIFS({conv_col},{cur_col},$A{r}),{digits})", fmt_in),
            c.formula(f"=G{r}-F{r}", fmt_in),
        ])
    r = row_no + 1
    put([lab("grand_total"), c.number(sum(p["items"] for p in t.per_currency)), None, None, None,
         c.number(from_minor(t.total_minor, cur), fmt_in, bold=True),
         c.formula(f"=ROUND(SUM({conv_col}),{digits})", fmt_in), c.formula(f"=G{r}-F{r}", fmt_in)])
    put([])

    put([lab("report")])
    put([lab("in_currency"), c.text(cur)])
    put([lab("side"), c.text(_word(t.side, lang))])
    put([lab("source"), c.text(t.source or _label(TEXT, "any_source", lang))])
    put([lab("rounding"), c.text(_label(TEXT, "rounding_text", lang), wrap=True)])
    put([])
    put([lab("rates")])
    put([lab(k) for k in ("rate_seq", "rate_date", "base", "quote", "rate", "side", "source")])
    for rate in t.rates:
        put([c.number(rate.seq, "0"), c.number(date.fromisoformat(rate.date), DATE_FORMAT), c.text(rate.base),
             c.text(rate.quote), c.number(Decimal(rate.rate), RATE_FORMAT), c.text(_word(rate.side, lang)),
             c.text(rate.source)])
    if not t.rates:
        put([c.text(_label(TEXT, "no_rates", lang))])
    put([])

    put([lab("ledger")])
    put([lab("head_seq"), c.number(inv.head_seq, "0")])
    put([lab("head_hash"), c.text(inv.head_hash)])
    put([lab("verified"), c.text(_label(TEXT, "verified_yes", lang, seq=inv.head_seq) if inv.verified
                                 else _label(TEXT, "not_verified_long", lang))])
    exporter = " ".join(x for x in (inv.exported_by, inv.exported_by_name) if x) or _label(TEXT, "nobody", lang)
    put([lab("exported_by"), c.text(exporter)])
    put([lab("exported_at"), c.number(inv.exported_at, DATETIME_FORMAT)])
    put([lab("tz"), c.text(inv.tz)])


def _set_properties(wb: Workbook, inv: CaseInventory, lang: str) -> None:
    import ledger

    props = wb.properties

    def plain(text: str) -> str:  # document properties are bare XML: no _xHHHH_ codes there
        return _XML_UNSAFE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))

    author = plain(" ".join(x for x in (inv.exported_by, inv.exported_by_name) if x) or "evidence")
    props.title = f"{_label(TEXT, 'heading', lang)} — {inv.case_no}"
    props.subject = plain(_label(TEXT, "subject", lang, case=inv.case_no) + f": {inv.title}")
    props.creator = author
    props.lastModifiedBy = author
    props.keywords = inv.case_no
    props.description = f"ledger head event {inv.head_seq} {inv.head_hash}; time zone {inv.tz}"
    props.language = {"en": "en", "es": "es-PE"}[lang]
    created = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    props.created = props.modified = created
    custom = wb.custom_doc_props
    custom.append(StringProperty(name="case_no", value=inv.case_no))
    custom.append(IntProperty(name="ledger_head_seq", value=inv.head_seq))
    custom.append(StringProperty(name="ledger_head_hash", value=inv.head_hash))
    custom.append(BoolProperty(name="verified_against_log", value=inv.verified))
    custom.append(StringProperty(name="report_currency", value=inv.totals.in_currency))
    if inv.exported_by:
        custom.append(StringProperty(name="exported_by", value=plain(inv.exported_by)))
    custom.append(StringProperty(name="generator", value=f"evidence {getattr(ledger, '__version__', '')}".strip()))


def build_workbook(wb: Workbook, inv: CaseInventory, lang: str, progress: Callable[[int], None] | None = None) -> dict:
    """Fill a write-only workbook; returns the data rows written per sheet."""
    if lang not in LANGS:
        raise InputError(_("--lang {lang!r} is not a language of the workbook.").format(lang=lang),
                         hint=_("Use en or es."))
    _set_properties(wb, inv, lang)
    _write_summary(wb, inv, lang)
    return {sheet: _write_table_sheet(wb, inv, sheet, lang, progress) for sheet in (*ITEM_KINDS, "custody")}


def _discard(wb: Workbook) -> None:
    """After a failure mid-stream, close the write-only sheets and delete their temporary files."""
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            if ws._rows is not None:
                ws._rows.close()
        writer = ws._writer
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.xf.close()
            with contextlib.suppress(Exception):
                writer.cleanup()


def write_case_workbook(
    inv: CaseInventory, out: str | Path, *, lang: str = "es", force: bool = False,
    progress: Callable[[int], None] | None = None, database=None,
) -> WrittenWorkbook:
    """Write the workbook to a temporary file beside `out`, then move it into place.
    Without `force`, an `out` that appears meanwhile is not overwritten; `database` (the
    ledger's URL) is never overwritten."""
    from ledger.outputs import staged_file

    path = check_output_path(str(out), force=force, database=database)
    with staged_file(path, out=out, force=force) as tmp:
        wb = Workbook(write_only=True)
        try:
            rows = build_workbook(wb, inv, lang, progress)
        except BaseException:
            _discard(wb)
            raise
        _save(wb, tmp)
        digest, size = _sha256(tmp)
    sheets = {k: _label(SHEET_NAMES, k, lang) for k in SHEETS}
    return WrittenWorkbook(path=str(path), sha256=digest, bytes=size, rows=rows, sheets=sheets)


def _save(wb: Workbook, path: Path) -> None:
    """`wb.save(path)` (openpyxl's `save_workbook`) with zlib at level 1 instead of 6: deflating
    the sheets took six times as long for a file a fifth smaller (a 100,000-item case: 157 MB
    of sheet XML, 3.7 s and 15.0 MB at level 6, 0.6 s and 18.5 MB at level 1)."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    if wb.write_only and not wb.worksheets:  # as Workbook.save does
        wb.create_sheet()
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1)
    try:
        wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        ExcelWriter(wb, archive).save()  # writes every part and closes the archive
    finally:
        archive.close()


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
        os.fsync(fh.fileno())
    return h.hexdigest(), size


# -- an inventory audit --------------------------------------------------------------------------
AUDIT_TEXT = {
    "audit": ("Audit", "Auditoría"), "items": ("Items", "Bienes"), "findings": ("Findings", "Hallazgos"),
    "location": ("Location", "Ubicación"), "started": ("Started ({tz})", "Inicio ({tz})"),
    "started_by": ("Auditor", "Auditor"), "closed": ("Closed ({tz})", "Cierre ({tz})"),
    "method": ("Method", "Método"), "population": ("Items at the location", "Bienes en la ubicación"),
    "sample_size": ("Items drawn", "Bienes sorteados"), "seed": ("Seed (log root)", "Semilla (raíz del registro)"),
    "item": ("Item", "Bien"), "kind": ("Kind", "Tipo"), "result": ("Result", "Resultado"),
    "seal": ("Seal found", "Precinto hallado"), "record_seal": ("Seal on record", "Precinto registrado"),
    "found_at": ("Found at", "Hallado en"), "record_location": ("Location on record", "Ubicación registrada"),
    "checked_by": ("Checked by", "Verificado por"), "note": ("Note", "Nota"), "detail": ("Detail", "Detalle"),
    "open": ("open", "abierta"), "full": ("full count", "conteo total"),
}


def write_audit_workbook(report: dict, out: str | Path, *, lang: str = "es", tz: str = "America/Lima",
                         force: bool = False, database=None) -> WrittenWorkbook:
    """An audit (`ledger.operations.audits.show_audit`, as a dict) as a workbook: the audit and
    its findings on one sheet, every item drawn or found with its check on another."""
    from ledger.outputs import staged_file
    from ledger.validate import local_iso

    path = check_output_path(str(out), force=force, database=database)
    i = LANGS.index(lang)

    def t(key: str) -> str:
        return AUDIT_TEXT[key][i].format(tz=tz)

    a = report["audit"]
    method = (f"n = {a['requested']}" if a["requested"] is not None else
              f"{a['confidence']} % / {a['tolerance']} % (hypergeometric)" if a["confidence"] is not None
              else t("full"))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t("audit"))
    cells = _Cells(ws, lang)
    for key, value in (("audit", a["id"]), ("location", a["location"]), ("started", local_iso(a["started_at"], tz)),
                       ("started_by", a["started_by"]),
                       ("closed", local_iso(a["closed_at"], tz) if a["closed_at"] else t("open")),
                       ("method", method), ("population", str(a["population"])),
                       ("sample_size", str(a["sample_size"])), ("seed", a["seed"])):
        ws.append([cells.text(t(key), bold=True), cells.text(value)])
    ws.append([])
    ws.append([cells.text(t(k), bold=True) for k in ("findings", "item", "detail")])
    for f in report["findings"]:
        ws.append([cells.text(f["kind"]), cells.text(f["item"]), cells.text(f["detail"])])
    items = wb.create_sheet(t("items"))
    cells = _Cells(items, lang)
    keys = ("item", "kind", "result", "seal", "record_seal", "location", "record_location", "checked_by", "note")
    items.append([cells.text(t("found_at" if k == "location" else k), bold=True) for k in keys])
    for line in report["lines"]:
        items.append([cells.text(_word(line[k], lang) if k == "kind" and line[k] else line[k]) for k in keys])
    with staged_file(path, out=out, force=force) as tmp:
        wb.save(tmp)
        digest, size = _sha256(tmp)
    return WrittenWorkbook(path=str(path), sha256=digest, bytes=size,
                           rows={"items": len(report["lines"]), "findings": len(report["findings"])},
                           sheets={"audit": t("audit"), "items": t("items")})
