"""The prosecutor's case workbook: a `CaseInventory` written as an .xlsx court exhibit.

The only module that writes workbooks. It streams through XlsxWriter's public API in
`constant_memory` mode (each row goes to disk when the next begins, so a case of any size is
written in flat memory), stores every text as a string cell (never a formula, whatever it starts
with), keeps the Summary's totals as formulas next to the ledger's own figures, and writes to a
temporary file renamed into place, so a refusal or a crash never leaves a partial workbook behind.

Each sheet has its own function (`_write_summary`, `_write_table_sheet`); cell formats come from
one `_Formats` per workbook. XlsxWriter's `constant_memory` mode cannot write Excel table objects,
so each item and custody sheet has an autofilter over its rows (filter and sort buttons on the
header), which the sheet's protection leaves usable.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from ledger.errors import InputError, LedgerError
from ledger.i18n import _
from ledger.reports import ITEM_KINDS, SHEET_COLUMNS, CaseInventory
from ledger.rules.custody import ASSIGNED, DEPOSITED, DISPOSED, RESEALED, RETURNED, TRANSFERRED
from ledger.rules.items import REGISTERED, REVIEW_SET
from ledger.rules.operations import AUDIT_CHECKED

LANGS = ("en", "es")
EXCEL_CELL_MAX = 32_767
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.0000######"
# Texts a spreadsheet would read as the start of a formula (or DDE) if typed into a cell.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
SYMBOLS = {"PEN": "S/", "USD": "US$"}
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
    REGISTERED: ("registered", "registro"), TRANSFERRED: ("transfer", "transferencia"),
    RESEALED: ("reseal", "reprecintado"), DISPOSED: ("disposal", "disposición"),
    "returned": ("returned", "devuelto"), "destroyed": ("destroyed", "destruido"),
    "forfeited": ("forfeited", "decomisado"), "auctioned": ("auctioned", "subastado"),
    "transferred-to-agency": ("transferred to agency", "transferido a otra entidad"),
    "to-pronabi": ("handed to PRONABI", "entregado al PRONABI"), "deposited": ("deposited", "depositado"),
    "assigned": ("assigned", "asignado en uso temporal"), DEPOSITED: ("deposit", "depósito"),
    ASSIGNED: ("temporary use", "uso temporal"), RETURNED: ("return from use", "devolución"),
    AUDIT_CHECKED: ("audit check", "verificación de auditoría"),
    REVIEW_SET: ("review date", "fecha de revisión"),
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


def xlsx_escape(text: str) -> str:
    """How a text is stored in an OOXML string (XlsxWriter stores every string cell so): a
    literal `_x0041_` would otherwise be shown as "A" by Excel, a bare CR would be read back as
    LF by any XML parser, and control characters XML cannot hold at all are written as their
    `_xHHHH_` code (what Excel itself does)."""
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
class _Formats:
    """The workbook's cell formats, each made once: a format is bold or not, wrapped (at the
    top) or only top-aligned or neither, with a number format or none, and with the quote
    prefix that keeps a text starting like a formula a text when someone edits the cell."""

    def __init__(self, wb):
        self.wb = wb
        self._made: dict[tuple, object] = {}

    def get(self, *, num: str | None = None, bold: bool = False, wrap: bool = False, top: bool = False,
            quote: bool = False):
        key = (num, bold, wrap, top, quote)
        fmt = self._made.get(key)
        if fmt is None and key not in self._made:
            props = {}
            if num:
                props["num_format"] = num
            if bold:
                props["bold"] = True
            if wrap:
                props["text_wrap"] = True
            if wrap or top:
                props["valign"] = "top"
            if quote:
                props["quote_prefix"] = True
            fmt = self._made[key] = self.wb.add_format(props) if props else None
        return fmt


def _check_text(value: str) -> str:
    if len(value) > EXCEL_CELL_MAX:
        raise _too_long(value)
    return value


class _Cells:
    """Writes the cells of one sheet, each typed explicitly (a text is never read as a number,
    a formula or a link): texts, numbers and date-times with their formats, and formulas."""

    def __init__(self, ws, formats: _Formats):
        self.ws = ws
        self.formats = formats

    def text(self, r: int, c: int, value, *, bold: bool = False, wrap: bool = False) -> None:
        if value is None:
            return
        value = _check_text(str(value))
        quote = value.startswith(FORMULA_LEADS)  # and stays text if someone edits the cell
        self.ws.write_string(r, c, value, self.formats.get(bold=bold, wrap=wrap, quote=quote))

    def number(self, r: int, c: int, value, fmt: str | None = None, *, bold: bool = False) -> None:
        if value is None:
            return
        f = self.formats.get(num=fmt, bold=bold)
        if isinstance(value, datetime | date):
            self.ws.write_datetime(r, c, value, f)
        else:
            self.ws.write_number(r, c, value, f)

    def formula(self, r: int, c: int, expr: str, fmt: str | None = None) -> None:
        # No cached result (an empty one, not XlsxWriter's default 0): LibreOffice, which keeps an
        # xlsx file's cached results unless told otherwise, must compute the formula itself.
        self.ws.write_formula(r, c, expr, self.formats.get(num=fmt), "")


# -- sheets ------------------------------------------------------------------------------------
# Page margins in inches, as the workbook has always printed them (PAGE_WIDTH counts on them).
MARGINS = {"left": 0.75, "right": 0.75, "top": 1.0, "bottom": 1.0}
HEADER_MARGIN = 0.5
CHAR_PX = 7  # a column width of N characters ("0" of the default font) is 7 * N pixels


def _setup_sheet(ws, widths: Iterable[int], footer: str, *, header_rows: int | None = 1, stamp: str | None = None,
                 title_columns: int | None = None, breaks: Iterable[int] = ()) -> None:
    """Screen and print layout. A table sheet prints at 90 %, its columns running on to
    following pages (a new page at each column in `breaks`, counted from 0) with the first
    `title_columns` (the item's number) repeated on each, because fitting two dozen columns to
    one A4 width makes the text too small to read; the summary fits one page width. Every
    page's footer names the case, the sheet and page N of M."""
    header = {"margin": HEADER_MARGIN}
    if stamp:  # printed at the top of every page, and a red tab on screen
        ws.set_header("&C&KC00000" + stamp, header)
        ws.set_tab_color("#C00000")
    else:
        ws.set_header("", header)
    for idx, width in enumerate(widths):
        ws.set_column_pixels(idx, idx, width * CHAR_PX)  # stored as exactly `width` characters
    if header_rows:
        ws.freeze_panes(header_rows, 0)
        ws.repeat_rows(0, header_rows - 1)
    if title_columns:
        ws.repeat_columns(0, title_columns - 1)
    if breaks:
        ws.set_v_pagebreaks(list(breaks))
    ws.set_landscape()
    ws.set_paper(9)  # A4
    # A fixed scale, never "fit to width": 11 pt text printed at no less than 8.8 pt.
    ws.set_print_scale(TABLE_SCALE if title_columns else SUMMARY_SCALE)
    ws.print_across()  # a row's pages follow each other
    ws.set_margins(**MARGINS)
    ws.hide_gridlines(0)  # gridlines on screen and on paper
    ws.set_footer("&C" + footer, header)
    # Protected against accidental edits, without a password; filtering and sorting stay allowed.
    ws.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True,
                    "objects": True, "scenarios": True})



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
# The printable width of A4 landscape (297 mm less the 0.75" side MARGINS, 734 pt)
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


def _custody_words(row: dict, lang: str) -> dict:
    action = _word(row["action"], lang)
    if row.get("disposition"):
        action = f"{action}: {_word(row['disposition'], lang)}"
    out = {**row, "action": action}
    if row.get("seizure") and not row.get("reason"):
        out["reason"] = _label(TEXT, "registered_from", lang, seizure=row["seizure"])
    return out



def _write_table_sheet(
    wb, formats: _Formats, inv: CaseInventory, sheet: str, lang: str, progress: Callable[[int], None] | None,
) -> int:
    """One item sheet (or the custody sheet): a bold header row, then a row per item (event),
    each cell typed by its column, rows as tall as their longest wrapped text."""
    columns = SHEET_COLUMNS[sheet]
    ws = wb.add_worksheet(_label(SHEET_NAMES, sheet, lang))
    headers = headers_for(sheet, lang, inv.tz, inv.totals.in_currency)
    # Wide enough for the header and its filter button; the widths are set before any row.
    # A printed date and time ("2020-10-06 10:00:00") needs 20, or it runs into the next cell.
    widths = [max(c.width, len(h) + 4, 20 if c.type == "datetime" else 0) for c, h in zip(columns, headers, strict=True)]
    repeated = 3 if sheet == "custody" else 1
    breaks = _page_breaks([c.key for c in columns], widths, PAGE_GROUPS[sheet], repeated)
    _setup_sheet(ws, widths, _footer(inv, lang), stamp=_stamp(inv, lang), title_columns=repeated, breaks=breaks)
    bold = formats.get(bold=True)
    for c, h in enumerate(headers):
        ws.write_string(0, c, _check_text(h), bold)
    rows = _RowWriter(ws, formats, columns, widths, lang)
    custody = sheet == "custody"
    n = 0
    for row in inv.rows(sheet):
        if custody:
            row = _custody_words(row, lang)
        n += 1
        rows.write(n, row)
        if progress and n % 100 == 0:
            progress(100)
    if progress and n % 100:
        progress(n % 100)
    # The header and every row (an empty one when there are no items), filtered and sorted as one.
    ws.autofilter(0, 0, max(n, 1), len(columns) - 1)
    return n


class _RowWriter:
    """Writes the data rows of one item or custody sheet: per column, how its value is typed
    and formatted is decided once, here; a row is as tall as its longest wrapped text."""

    TEXT, WORD, MONEY, NUMBER, INT, TIME = range(6)

    def __init__(self, ws, formats: _Formats, columns, widths: list[int], lang: str):
        self.ws = ws
        self.formats = formats
        self.lang = LANGS.index(lang)
        self.wrap = formats.get(wrap=True)
        self.quote = formats.get(wrap=True, quote=True)
        self.cols = []
        for i, (c, width) in enumerate(zip(columns, widths, strict=True)):
            if c.type == "money":
                self.cols.append((c.key, i, self.MONEY, c.currency_key))
            elif c.type == "rate":
                self.cols.append((c.key, i, self.NUMBER, formats.get(num=RATE_FORMAT, top=True)))
            elif c.type == "int":
                self.cols.append((c.key, i, self.INT, formats.get(num="#,##0" if c.key == "file_size" else "0",
                                                                   top=True)))
            elif c.type in ("datetime", "date"):
                fmt = DATETIME_FORMAT if c.type == "datetime" else DATE_FORMAT
                self.cols.append((c.key, i, self.TIME, formats.get(num=fmt, top=True)))
            else:  # text wraps within its column; `extra` is the width the row height is measured by
                self.cols.append((c.key, i, self.WORD if c.key in WORD_COLUMNS else self.TEXT, width))
        self._money: dict[str, object] = {}

    def write(self, r: int, row: dict) -> None:
        get = row.get
        ws = self.ws
        lines = 1
        texts = []
        for key, col, kind, extra in self.cols:
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
                    lines = max(lines, _wrapped_lines(_check_text(v), extra))
                texts.append((col, v))
            elif kind == self.TIME:
                texts.append((col, (v, extra)))
            elif kind == self.INT:
                texts.append((col, (int(v), extra)))
            else:
                if kind == self.MONEY:
                    code = row[extra]
                    extra = self._money.get(code)
                    if extra is None:
                        extra = self._money[code] = self.formats.get(num=money_format(code), top=True)
                texts.append((col, (float(v), extra)))
        # In constant_memory mode a row's height is set before its first cell.
        if lines > 1:
            ws.set_row(r, _row_height(lines))
        for col, v in texts:
            if type(v) is str:
                ws.write_string(r, col, v, self.quote if v.startswith(FORMULA_LEADS) else self.wrap)
            elif isinstance(v[0], datetime | date):
                ws.write_datetime(r, col, v[0], v[1])
            else:
                ws.write_number(r, col, v[0], v[1])


@dataclass(frozen=True)
class _Cell:
    """A cell of the summary before it is written: its row is measured (wrapped texts) first."""

    kind: str  # text, number or formula
    value: object
    fmt: str | None = None
    bold: bool = False
    wrap: bool = False

    def write(self, cells: _Cells, r: int, c: int) -> None:
        if self.kind == "text":
            cells.text(r, c, self.value, bold=self.bold, wrap=self.wrap)
        elif self.kind == "number":
            cells.number(r, c, self.value, self.fmt, bold=self.bold)
        else:
            cells.formula(r, c, self.value, self.fmt)


def _write_summary(wb, formats: _Formats, inv: CaseInventory, lang: str) -> None:
    """The first sheet: the case, its seizures, items per kind and status, cash per currency
    with the ledger's figures beside formulas over the item sheets, the valuation, the rates
    used, and the ledger's head, the check against the log and who exported it."""
    from ledger.money import from_minor, minor_exponent

    t = inv.totals
    cur = t.in_currency
    ws = wb.add_worksheet(_label(SHEET_NAMES, "summary", lang))
    widths = [28, 20, 20, 22, 20, 24, 24, 20]  # one A4 landscape width at SUMMARY_SCALE
    _setup_sheet(ws, widths, _footer(inv, lang), header_rows=None, stamp=_stamp(inv, lang))
    cells = _Cells(ws, formats)

    def text(value, *, bold: bool = False, wrap: bool = False) -> _Cell | None:
        return None if value is None else _Cell("text", value, bold=bold, wrap=wrap)

    def lab(key: str) -> _Cell:
        return text(_label(TEXT, key, lang, tz=inv.tz, cur=cur, case=inv.case_no), bold=True, wrap=True)

    def number(value, fmt: str | None = None, *, bold: bool = False) -> _Cell | None:
        return None if value is None else _Cell("number", value, fmt, bold=bold)

    def formula(expr: str, fmt: str | None = None) -> _Cell:
        return _Cell("formula", expr, fmt)

    row_no = 0

    def put(row: list) -> int:
        """Write `row` as the next row (1-based numbers, as the formulas name them)."""
        nonlocal row_no
        lines = max((_wrapped_lines(xlsx_escape(str(cell.value)), widths[i]) for i, cell in enumerate(row)
                     if cell is not None and cell.wrap), default=1)
        if lines > 1:
            ws.set_row(row_no, _row_height(lines))
        for i, cell in enumerate(row):
            if cell is not None:
                cell.write(cells, row_no, i)
        row_no += 1
        return row_no

    put([text(f"{_label(TEXT, 'heading', lang)} — {inv.case_no}", bold=True)])
    if not inv.verified:
        put([text(_label(TEXT, "not_verified_long", lang), bold=True)])
    put([])
    put([lab("case_no"), text(inv.case_no)])
    put([lab("title"), text(inv.title, wrap=True)])
    prosecutor = " ".join(x for x in (inv.prosecutor, inv.prosecutor_name) if x) or None
    put([lab("prosecutor"), text(prosecutor)])
    put([lab("court"), text(inv.court)])
    put([lab("opened_at"), number(inv.opened_at, DATETIME_FORMAT)])
    put([])

    put([lab("seizures")])
    put([lab(k) for k in ("sz_id", "acta", "sz_at", "place", "officer", "officer_name", "from_persons", "witnesses")])
    for s in inv.seizures:
        put([text(s["id"]), text(s["acta"]), number(s["at"], DATETIME_FORMAT), text(s["place"], wrap=True),
             text(s["officer"]), text(s["officer_name"]),
             text("; ".join(s["from_persons"]) or None, wrap=True), text("; ".join(s["witnesses"]) or None, wrap=True)])
    if not inv.seizures:
        put([text(_label(TEXT, "none", lang))])
    put([])

    put([lab("counts")])
    put([lab("kind"), text(_word("in-custody", lang), bold=True), text(_word("disposed", lang), bold=True),
         lab("total"), lab("total_sheet"), lab("difference")])
    for kind in ITEM_KINDS:
        by = inv.counts.get(kind, {})
        sheet = _quote_sheet(_label(SHEET_NAMES, kind, lang))
        r = row_no + 1
        put([text(_word(kind, lang)), number(by.get("in-custody", 0)), number(by.get("disposed", 0)),
             number(inv.item_count(kind)), formula(f"=COUNTA({sheet}!$A:$A)-1"), formula(f"=E{r}-D{r}")])
    put([])

    cash = _quote_sheet(_label(SHEET_NAMES, "cash", lang))
    letters = {col.key: _column_letter(i) for i, col in enumerate(SHEET_COLUMNS["cash"])}
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
            text(code), number(p["items"]), number(float(from_minor(p["minor"], code)), fmt),
            formula(f"=ROUND(SUMIFS({amount_col},{cur_col},$A{r}),{minor_exponent(code)})", fmt),
            formula(f"=D{r}-C{r}", fmt),
            number(float(from_minor(p["converted_minor"], cur)), fmt_in),
            formula(f"=ROUND(SUMIFS({conv_col},{cur_col},$A{r}),{digits})", fmt_in),
            formula(f"=G{r}-F{r}", fmt_in),
        ])
    r = row_no + 1
    put([lab("grand_total"), number(sum(p["items"] for p in t.per_currency)), None, None, None,
         number(float(from_minor(t.total_minor, cur)), fmt_in, bold=True),
         formula(f"=ROUND(SUM({conv_col}),{digits})", fmt_in), formula(f"=G{r}-F{r}", fmt_in)])
    put([])

    put([lab("report")])
    put([lab("in_currency"), text(cur)])
    put([lab("side"), text(_word(t.side, lang))])
    put([lab("source"), text(t.source or _label(TEXT, "any_source", lang))])
    put([lab("rounding"), text(_label(TEXT, "rounding_text", lang), wrap=True)])
    put([])
    put([lab("rates")])
    put([lab(k) for k in ("rate_seq", "rate_date", "base", "quote", "rate", "side", "source")])
    for rate in t.rates:
        put([number(rate.seq, "0"), number(date.fromisoformat(rate.date), DATE_FORMAT), text(rate.base),
             text(rate.quote), number(float(Decimal(rate.rate)), RATE_FORMAT), text(_word(rate.side, lang)),
             text(rate.source)])
    if not t.rates:
        put([text(_label(TEXT, "no_rates", lang))])
    put([])

    put([lab("ledger")])
    put([lab("head_seq"), number(inv.head_seq, "0")])
    put([lab("head_hash"), text(inv.head_hash)])
    put([lab("verified"), text(_label(TEXT, "verified_yes", lang, seq=inv.head_seq) if inv.verified
                               else _label(TEXT, "not_verified_long", lang))])
    exporter = " ".join(x for x in (inv.exported_by, inv.exported_by_name) if x) or _label(TEXT, "nobody", lang)
    put([lab("exported_by"), text(exporter)])
    put([lab("exported_at"), number(inv.exported_at, DATETIME_FORMAT)])
    put([lab("tz"), text(inv.tz)])


def _column_letter(index: int) -> str:
    """The letters of a column counted from 0: A, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _plain(text: str) -> str:
    """Document properties are bare XML: no _xHHHH_ codes there."""
    return _XML_UNSAFE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _set_properties(wb, inv: CaseInventory, lang: str) -> None:
    import ledger

    author = _plain(" ".join(x for x in (inv.exported_by, inv.exported_by_name) if x) or "evidence")
    wb.set_properties({
        "title": f"{_label(TEXT, 'heading', lang)} — {inv.case_no}",
        "subject": _plain(_label(TEXT, "subject", lang, case=inv.case_no) + f": {inv.title}"),
        "author": author,  # also the last to modify it
        "keywords": inv.case_no,
        "comments": f"ledger head event {inv.head_seq} {inv.head_hash}; time zone {inv.tz}",
        "created": datetime.now(UTC).replace(microsecond=0),
    })
    wb.set_custom_property("case_no", inv.case_no, "text")
    wb.set_custom_property("ledger_head_seq", inv.head_seq, "number_int")
    wb.set_custom_property("ledger_head_hash", inv.head_hash, "text")
    wb.set_custom_property("verified_against_log", bool(inv.verified), "bool")
    wb.set_custom_property("report_currency", inv.totals.in_currency, "text")
    if inv.exported_by:
        wb.set_custom_property("exported_by", _plain(inv.exported_by), "text")
    wb.set_custom_property("generator", f"evidence {getattr(ledger, '__version__', '')}".strip(), "text")
    wb.set_custom_property("language", {"en": "en", "es": "es-PE"}[lang], "text")


def _new_workbook(path: Path, tmpdir: str):
    """An XlsxWriter workbook streaming to `path`: rows go to files in `tmpdir` as they are
    written (constant_memory), and nothing typed is ever read as a number, formula or link."""
    import xlsxwriter

    return xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False, "use_zip64": True,
    })


def build_workbook(wb, inv: CaseInventory, lang: str, progress: Callable[[int], None] | None = None) -> dict:
    """Fill a new workbook, sheet by sheet; returns the data rows written per sheet."""
    if lang not in LANGS:
        raise InputError(_("--lang {lang!r} is not a language of the workbook.").format(lang=lang),
                         hint=_("Use en or es."))
    formats = _Formats(wb)
    _set_properties(wb, inv, lang)
    _write_summary(wb, formats, inv, lang)
    return {sheet: _write_table_sheet(wb, formats, inv, sheet, lang, progress) for sheet in (*ITEM_KINDS, "custody")}


def write_case_workbook(
    inv: CaseInventory, out: str | Path, *, lang: str = "es", force: bool = False,
    progress: Callable[[int], None] | None = None, database=None,
) -> WrittenWorkbook:
    """Write the workbook to a temporary file beside `out`, then move it into place.
    Without `force`, an `out` that appears meanwhile is not overwritten; `database` (the
    ledger's URL) is never overwritten."""
    from ledger.outputs import staged_file

    path = check_output_path(str(out), force=force, database=database)
    with staged_file(path, out=out, force=force) as tmp, tempfile.TemporaryDirectory(prefix="evidence-xlsx-") as rows:
        # The sheets' rows wait in `rows` until the workbook is saved; the folder goes either way.
        wb = _new_workbook(tmp, rows)
        counts = build_workbook(wb, inv, lang, progress)
        _save(wb, tmp)
        digest, size = _sha256(tmp)
    sheets = {k: _label(SHEET_NAMES, k, lang) for k in SHEETS}
    return WrittenWorkbook(path=str(path), sha256=digest, bytes=size, rows=counts, sheets=sheets)


def _save(wb, path: Path) -> None:
    """Write the package to `path`, where the workbook was opened (XlsxWriter's `close`)."""
    wb.close()



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
    with staged_file(path, out=out, force=force) as tmp, tempfile.TemporaryDirectory(prefix="evidence-xlsx-") as rows:
        wb = _new_workbook(tmp, rows)
        formats = _Formats(wb)
        cells = _Cells(wb.add_worksheet(t("audit")), formats)
        r = 0
        for key, value in (("audit", a["id"]), ("location", a["location"]), ("started", local_iso(a["started_at"], tz)),
                           ("started_by", a["started_by"]),
                           ("closed", local_iso(a["closed_at"], tz) if a["closed_at"] else t("open")),
                           ("method", method), ("population", str(a["population"])),
                           ("sample_size", str(a["sample_size"])), ("seed", a["seed"])):
            cells.text(r, 0, t(key), bold=True)
            cells.text(r, 1, value)
            r += 1
        r += 1
        for c, k in enumerate(("findings", "item", "detail")):
            cells.text(r, c, t(k), bold=True)
        for f in report["findings"]:
            r += 1
            for c, k in enumerate(("kind", "item", "detail")):
                cells.text(r, c, f[k])
        cells = _Cells(wb.add_worksheet(t("items")), formats)
        keys = ("item", "kind", "result", "seal", "record_seal", "location", "record_location", "checked_by", "note")
        for c, k in enumerate(keys):
            cells.text(0, c, t("found_at" if k == "location" else k), bold=True)
        for r, line in enumerate(report["lines"], start=1):
            for c, k in enumerate(keys):
                cells.text(r, c, _word(line[k], lang) if k == "kind" and line[k] else line[k])
        _save(wb, tmp)
        digest, size = _sha256(tmp)
    return WrittenWorkbook(path=str(path), sha256=digest, bytes=size,
                           rows={"items": len(report["lines"]), "findings": len(report["findings"])},
                           sheets={"audit": t("audit"), "items": t("items")})
