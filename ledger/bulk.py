"""Bulk registration of items from the spreadsheets officers already keep (.csv or .xlsx).

Every row passes through `ledger.items.prepare_item`, the validator the single-item commands
use, so a value refused on the command line is refused in a file with the same sentence. The
file is read and its table checked before anything is opened for writing; the rows are then
validated in chunks by a second process (validation is pure, and a machine has two cores)
while this one registers the chunks already validated, all in one transaction. Any bad row
stops the writing; the rest are still validated so that every error of every row is listed,
and the transaction is rolled back: all rows or none.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import hashlib
import io
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ledger.errors import InputError, LedgerError
from ledger.i18n import _, ngettext, number
from ledger.items import (
    KIND_FIELDS,
    KINDS,
    ItemSpec,
    check_references,
    duplicate_warnings,
    prepare_item,
    register_items,
)
from ledger.rules.items import REGISTERED
from ledger.validate import show_value
from ledger.xlsx.reader import Formula

MAX_ROWS = 1_000_000
MAX_LISTED = 100
MAX_WARNINGS = 20
SUFFIXES = (".csv", ".xlsx")
CHUNK_ROWS = 5000  # rows validated, then registered, at a time
PARALLEL_MIN_ROWS = 2 * CHUNK_ROWS  # below this, starting a second process costs more than it saves
COLUMNS: tuple[str, ...] = ("kind", *dict.fromkeys(f for fields in KIND_FIELDS.values() for f in fields))
COMMAND = "item.import"

Progress = Callable[[int], None]


@dataclass
class Checked:
    """Rows validated: one spec per good row (with its sheet row number), sentences for the rest
    (each with the number of its row, which orders them)."""

    specs: list[ItemSpec] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __reduce__(self):
        # Sent back by the validating process: specs as plain tuples unpickle several times
        # faster than dataclass instances, and unpickling is this process's share of the work.
        specs = [(s.kind, s.columns, s.fields, s.officers, s.location, s.warnings, s.notes) for s in self.specs]
        return _checked, (specs, self.rows, self.errors, self.warnings)


def _checked(specs: list[tuple], rows: list[int], errors: list[tuple[int, str]], warnings: list[str]) -> Checked:
    new = ItemSpec.__new__
    out = []
    for kind, columns, fields, officers, location, warned, notes in specs:
        spec = new(ItemSpec)
        spec.__dict__.update(kind=kind, columns=columns, fields=fields, officers=officers, location=location,
                             warnings=warned, notes=notes)
        out.append(spec)
    return Checked(out, rows, errors, warnings)


def check_rows(names: list[str | None], rows: list[tuple[int, list]], base_dir: Path) -> Checked:
    """Validate rows of a file whose header gave `names`; pure, so it may run in another process."""
    out = Checked()
    with collector_paused():
        for number, cells in rows:
            _validate_row(out, number, names, cells, base_dir)
    return out


@contextlib.contextmanager
def collector_paused():
    """An import holds a row, a spec and an event per item (100,000s of small dicts and lists,
    none of them cyclic): the cyclic garbage collector would rescan that growing heap again and
    again for nothing (a third of the import's time, measured), so it is paused (and restored)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class Plan:
    """A file read and its table checked, its rows on their way through validation. Use it as a
    context manager: entering hands the rows to the validating process, leaving stops it. The
    validated chunks are kept, so a write that is retried (a PostgreSQL serialization failure)
    sees them again."""

    def __init__(self, path: Path, sha256: str, names: list[str | None], rows: list[tuple[int, list]],
                 parallel: bool | None = None):
        self.path = path
        self.sha256 = sha256
        self.names = names
        self.rows = rows
        self.base_dir = path.resolve().parent
        self.parallel = len(rows) >= PARALLEL_MIN_ROWS if parallel is None else parallel
        self._done: list[Checked] = []
        self._pool = None
        self._futures: list | None = None
        self._source = self._validate()

    @property
    def count(self) -> int:
        return len(self.rows)

    def _chunks(self) -> list[list[tuple[int, list]]]:
        return [self.rows[i:i + CHUNK_ROWS] for i in range(0, len(self.rows), CHUNK_ROWS)]

    def start(self) -> None:
        """Queue every chunk for the second process, which works through them while this one
        writes the chunks already returned."""
        if self.parallel and self._pool is None and self._futures is None:
            self._pool = _process_pool()
            if self._pool is not None:
                self._futures = [self._pool.submit(check_rows, self.names, chunk, self.base_dir)
                                 for chunk in self._chunks()]

    def _validate(self) -> Iterator[Checked]:
        self.start()
        if self._futures is None:
            for chunk in self._chunks():
                yield check_rows(self.names, chunk, self.base_dir)
            return
        for future in self._futures:
            yield future.result()

    def checked(self) -> Iterator[Checked]:
        """The validated chunks in file order."""
        yield from list(self._done)
        for chunk in self._source:
            self._done.append(chunk)
            yield chunk

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Plan:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _process_pool():
    """One worker process, forked so it starts at once with the ledger already imported; None
    where fork is not available or no core is spare (validation then runs in line)."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods() or not spare_core():
        return None
    # Ctrl-C is the command's to answer (cli/interrupts.py); the helper only stops with it.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                               initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))


def spare_core() -> bool:
    """True when a second core is idle on average over the last minute. Handing the rows to a
    second process costs about a fifth more work in all (sending the validated rows back, and
    the copy-on-write of the forked memory), which only pays when that process gets a core of
    its own; on a machine already busier than its cores, the work in line finishes sooner."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this system: assume the cores are free
        load = 0.0
    return cores >= 2 and load <= cores - 1


@dataclass(frozen=True)
class Imported:
    seizure: str
    count: int
    counts: dict[str, int]
    first: str | None
    last: str | None
    first_seq: int | None
    last_seq: int | None
    warnings: tuple[str, ...] = ()
    replayed: bool = False

    def as_dict(self) -> dict:
        return {
            "seizure": self.seizure, "count": self.count, "counts": self.counts, "first": self.first,
            "last": self.last, "first_seq": self.first_seq, "last_seq": self.last_seq,
            "warnings": list(self.warnings), "replayed": self.replayed,
        }


# -- reading ---------------------------------------------------------------------------
# Column names as officers write them in Spanish, accents optional: the file of an acta is
# often typed in Spanish. Each names exactly one English column.
SPANISH_COLUMNS: dict[str, str] = {
    "tipo": "kind", "clase": "kind",
    "monto": "amount", "importe": "amount",
    "moneda": "currency", "divisa": "currency",
    "denominaciones": "denominations", "billetes": "denominations",
    "contado-por": "counted-by", "verificado-por": "verified-by",
    "precinto": "seal", "lacrado": "seal", "sello": "seal",
    "ubicacion": "location",
    "marca": "make", "modelo": "model", "placa": "plate", "tipo-placa": "plate-kind", "tipo-de-placa": "plate-kind",
    "serie": "vin", "ano": "year", "anio": "year", "valor": "value",
    "imei1": "imei", "numero": "number", "telefono": "number", "celular": "number",
    "titulo": "title", "paginas": "pages", "folios": "pages", "archivo": "file",
    "motivo-sin-imei": "no-imei-reason",
}
# Kinds of item in Spanish.
SPANISH_KINDS: dict[str, str] = {
    "efectivo": "cash", "dinero": "cash", "vehiculo": "vehicle", "telefono": "phone", "celular": "phone",
    "documento": "document",
}


def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def column_name(header: str) -> str:
    """'Counted_By', 'counted by' and 'counted-by' all name the counted-by column, and so do
    'Contado por' and 'contado_por' (SPANISH_COLUMNS; 'Año' and 'ano' alike)."""
    name = re.sub(r"[\s_]+", "-", header.strip().lower())
    return SPANISH_COLUMNS.get(_unaccented(name).replace("ñ", "n"), name)


def kind_name(value: str) -> str:
    """The kind a cell names: cash, vehicle, phone, document, or their Spanish names."""
    kind = value.strip().lower()
    return SPANISH_KINDS.get(_unaccented(kind), kind)


def _decode_csv(path: Path, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            _("{file} is a zip archive (an .xlsx workbook?), not CSV text.").format(file=path.name),
            hint=_("Give a workbook a name ending in .xlsx, or save the sheet as CSV UTF-8."),
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            _("{file} is UTF-16 text; evidence reads CSV in UTF-8.").format(file=path.name),
            hint=_("Save the sheet as 'CSV UTF-8 (comma delimited)'."),
        )
    if b"\x00" in data[:65536] or b"\x00" in data:
        raise InputError(
            _("{file} is a binary file, not CSV text.").format(file=path.name),
            hint=_("Give a .csv saved as CSV UTF-8, or an .xlsx workbook."),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            _("{file} is not UTF-8 text: byte 0x{byte:02X} on line {line} cannot be read.").format(
                file=path.name, byte=data[exc.start], line=line),
            hint=_("Save the sheet as 'CSV UTF-8 (comma delimited)' (Latin-1 / Windows-1252 files are refused "
                   "so that no name is silently garbled)."),
        ) from exc


def _csv_rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str | None]]]:
    text = _decode_csv(path, data)
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to Spanish or French save CSV with semicolons.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # strict: a file cut off inside a quoted cell is refused, not read as one long last cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell if cell.strip() else None for cell in row]
    except csv.Error as exc:
        raise InputError(
            _("{file} row {row}: the CSV cannot be parsed ({problem}).").format(
                file=path.name, row=reader.line_num, problem=exc),
            hint=_("Check for an unclosed quote in that row."),
        ) from exc


def _rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str | None]]]:
    if path.suffix.lower() == ".xlsx":
        from ledger.xlsx.reader import iter_rows

        return iter_rows(path)
    return _csv_rows(path, data)


def _read_file(path: Path) -> bytes:
    if path.suffix.lower() not in SUFFIXES:
        message = (_("{file}: evidence imports .csv and .xlsx files, not {suffix}.") if path.suffix else
                   _("{file}: evidence imports .csv and .xlsx files, not files without a suffix."))
        raise InputError(message.format(file=path.name, suffix=path.suffix),
                         hint=_("Save the sheet as CSV UTF-8 or as an .xlsx workbook."))
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(_("{path} does not exist.").format(path=path),
                         hint=_("Check the path of the file to import.")) from exc
    except OSError as exc:
        raise InputError(_("{path} cannot be read: {reason}.").format(path=path, reason=exc.strerror),
                         hint=_("Check the path and its permissions.")) from exc
    if not data.strip():
        raise InputError(_("{file} is empty.").format(file=path.name),
                         hint=_("The first row names the columns (kind, ...); one item per row after it."))
    return data


def _formula_error(row: int, column: str | None, formula: Formula) -> tuple[int, str]:
    names = {"row": row, "column": column, "cell": formula.cell, "formula": show_value(formula.text)}
    if column:
        text = _("row {row}, column {column} (cell {cell}) holds a formula ({formula}); evidence imports typed values "
                 "only, because the result saved with a formula need not be what a spreadsheet program shows. Copy "
                 "the sheet and paste values only (Paste Special > Values), then import the file again.")
    else:
        text = _("row {row} (cell {cell}) holds a formula ({formula}); evidence imports typed values only, because "
                 "the result saved with a formula need not be what a spreadsheet program shows. Copy the sheet and "
                 "paste values only (Paste Special > Values), then import the file again.")
    return row, text.format(**names)


def _listed(values: Sequence[str], limit: int = MAX_LISTED) -> str:
    """At most `limit` of `values`, then how many more were left out."""
    shown = ", ".join(values[:limit])
    if len(values) <= limit:
        return shown
    left = len(values) - limit
    return ngettext("{values} and {n} more", "{values} and {n} more", left).format(values=shown, n=number(left))


def _header(path: Path, cells: list) -> list[str | None]:
    formulas = [c for c in cells if isinstance(c, Formula)]
    if formulas:
        raise InputError(
            ngettext("{file}: the header row holds formulas, in cell {cells}.",
                     "{file}: the header row holds formulas, in cells {cells}.", len(formulas)).format(
                file=path.name, cells=_listed([f.cell for f in formulas])),
            hint=_("The first row names the columns as typed text. Copy the sheet and paste values only "
                   "(Paste Special > Values), then import the file again."),
        )
    names: list[str | None] = [column_name(c) if c else None for c in cells]
    problems = []
    unknown = list(dict.fromkeys(c for c, n in zip(cells, names, strict=True) if n and n not in COLUMNS))
    if unknown:
        problems.append(ngettext("row 1: unknown column {columns}.", "row 1: unknown columns {columns}.",
                                 len(unknown)).format(columns=_listed([show_value(u) for u in unknown])))
    for name, n in Counter(n for n in names if n in COLUMNS).items():
        if n > 1:  # at most one line per known column
            problems.append(_("row 1: column {column} appears {n} times.").format(column=name, n=n))
    if "kind" not in names:
        problems.append(_("row 1: there is no kind column."))
    if problems:
        raise InputError(
            _("{file}: the header row is not usable:").format(file=path.name), details=problems,
            hint=_("The first row names the columns: kind, then any of {columns} ('_' may stand for '-', case does "
                   "not matter), or their Spanish names (tipo, monto, moneda, placa...; see docs/import.md).").format(
                columns=", ".join(COLUMNS[1:])),
        )
    return names


def _at_row(row: int, column: str | None, message: str) -> str:
    """'row 7, column imei: ...' or 'row 7: ...', in the current language."""
    if column:
        return _("row {row}, column {column}: {message}").format(row=row, column=column, message=message)
    return _("row {row}: {message}").format(row=row, message=message)


def _row_error(row: int, message: str) -> tuple[int, str]:
    """'row 7, column imei: imei '123' has 3 digits...' from a validator's sentence about --imei."""
    match = re.match(r"--([a-z0-9-]+)", message)
    column = match.group(1) if match and match.group(1) in COLUMNS else None
    text = re.sub(r"--([a-z0-9-]+)", lambda m: m.group(1) if m.group(1) in COLUMNS else m.group(0), message)
    return row, _at_row(row, column, text)


def open_file(path: Path | str, *, parallel: bool | None = None) -> Plan:
    """Read the file and check it is a table of rows under a usable header; refuses (raises)
    a file that is not, before anything is written. Row-level problems are found by
    validating the plan's rows (`Plan.checked`), reported all together by `import_file`."""
    path = Path(path)
    data = _read_file(path)
    sha256 = hashlib.sha256(data).hexdigest()
    names: list[str | None] | None = None
    rows: list[tuple[int, list]] = []
    with collector_paused():
        names, rows, header_row = _table(path, data)
    if names is None:
        raise InputError(_("{file} is empty.").format(file=path.name),
                         hint=_("The first row names the columns; one item per row after it."))
    if not rows:
        raise InputError(
            _("{file} has a header (row {row}) but no rows of items.").format(file=path.name, row=header_row),
            hint=_("Add one item per row below the header."),
        )
    return Plan(path, sha256, names, rows, parallel)


def _table(path: Path, data: bytes) -> tuple[list[str | None] | None, list[tuple[int, list]], int]:
    """The header's column names, the non-blank rows under it, and the header's row number."""
    names: list[str | None] | None = None
    rows: list[tuple[int, list]] = []
    header_row = 0
    for row_no, cells in _rows(path, data):
        if names is None:
            if not any(cells):
                continue  # blank lines above the header
            names = _header(path, cells)
            header_row = row_no
            continue
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(
                _("{file} has more than {most} rows.").format(file=path.name, most=number(MAX_ROWS)),
                hint=_("Split it into several files of at most that many rows and import each."),
            )
        rows.append((row_no, cells))
    return names, rows, header_row


def _validate_row(out: Checked, row: int, names: list[str | None], cells: list, base_dir: Path) -> None:
    formulas = [(i, c) for i, c in enumerate(cells) if isinstance(c, Formula)]
    if formulas:
        out.errors.extend(_formula_error(row, names[i] if i < len(names) else None, f) for i, f in formulas)
        return
    raw: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        name = names[i] if i < len(names) else None
        if name is None:
            out.errors.append((row, _(
                "row {row}: the value {value} in column {index} has no column name in the header.").format(
                row=row, value=show_value(cell), index=i + 1)))
            return
        raw[name] = cell
    kind = kind_name(raw.pop("kind", None) or "")
    if not kind:
        out.errors.append((row, _("row {row}, column kind: the kind is empty; give one of {kinds}.").format(
            row=row, kinds=", ".join(KINDS))))
        return
    try:
        spec = prepare_item(kind, raw, base_dir=base_dir)
    except LedgerError as exc:
        if kind not in KINDS:
            out.errors.append((row, _("row {row}, column kind: {kind!r} is not a kind of item; use one of "
                                      "{kinds}.").format(row=row, kind=kind[:40], kinds=", ".join(KINDS))))
        else:
            for message in exc.details or [exc.render().replace("\n", " ")]:
                out.errors.append(_row_error(row, message))
        return
    out.specs.append(spec)
    out.rows.append(row)
    out.warnings.extend(_at_row(row, None, w) for w in spec.warnings)


# -- writing ---------------------------------------------------------------------------
def _refuse(path: Path, errors: Sequence[str]) -> InputError:
    listed = list(errors[:MAX_LISTED])
    if len(errors) > MAX_LISTED:
        left = len(errors) - MAX_LISTED
        listed.append(ngettext("... and {n} more error not listed.", "... and {n} more errors not listed.",
                               left).format(n=left))
    return InputError(
        ngettext("{file} has {n} error; nothing was imported:", "{file} has {n} errors; nothing was imported:",
                 len(errors)).format(file=path.name, n=len(errors)),
        details=listed, hint=_("Correct these rows and import the whole file again."),
    )


def _row_label(row: int) -> str:
    """What `check_references` puts in front of a row's sentence, for `_reference_error` to read
    back and show in the officer's language."""
    return f"row {row}"


def _reference_error(message: str) -> tuple[int, str]:
    """'row 7: --counted-by: no officer ...' -> 'row 7, column counted-by: no officer ...'."""
    match = re.match(r"row (\d+): --([a-z0-9-]+): (.*)", message, re.DOTALL)
    if match:
        return int(match.group(1)), _at_row(int(match.group(1)), match.group(2), match.group(3))
    match = re.match(r"row (\d+): (.*)", message, re.DOTALL)
    if match:
        return int(match.group(1)), _at_row(int(match.group(1)), None, match.group(2))
    match = re.search(r"row (\d+)", message)  # a sentence that moved the row's label: shown as it is
    return (int(match.group(1)) if match else 0), message


def import_file(
    session, seizure: str, plan: Plan, *, by: str | None, at: str | None = None, tz: str = "America/Lima",
    request_id: str | None = None, progress: Progress | None = None,
) -> Imported:
    """Register every item of the file in the caller's transaction, chunk by chunk as the rows
    are validated, or refuse the whole file listing every row error and every unknown officer
    or location (the caller rolls back what was written)."""

    from ledger.identity.signing import one_act

    # The whole import is one act, signed once by its officer (FORMAT.md 1.6.1).
    with collector_paused(), one_act(session):
        return _import(session, seizure, plan, by=by, at=at, tz=tz, request_id=request_id, progress=progress)


def _import(session, seizure: str, plan: Plan, *, by, at, tz, request_id, progress) -> Imported:
    from ledger.items import late_registration_warning, registration_time
    from ledger.registry import get_seizure, require_actor
    from ledger.requests import record_request, request_fields, start_request

    request_id, fp, previous = start_request(
        session, request_id, COMMAND, {"seizure": seizure, "file_sha256": plan.sha256, "by": by, "at": at},
        _imported_result)
    if previous is not None:
        return Imported(**{k: previous[k] for k in Imported.__dataclass_fields__ if k in previous})
    require_actor(session, by, "item.register")
    found = get_seizure(session, seizure)
    row_errors: list[tuple[int, str]] = []
    ref_errors: list[tuple[int, str]] = []
    warnings: list[str] = []
    specs: list[ItemSpec] = []
    rows: list[int] = []
    done: list = []
    held: tuple[list[ItemSpec], list[int]] | None = None  # the newest good chunk: the last one gets last_data
    state = {"when": None, "first_no": None, "refusal": None}

    def write(chunk_specs, chunk_rows, last_data=None):
        """Register one chunk; a refusal of the time (a bad --at) is kept for when the rows are all valid."""
        if state["refusal"] is not None:
            return
        if state["when"] is None:
            try:
                state["when"] = registration_time(found, at, tz)
            except LedgerError as exc:
                state["refusal"] = exc
                return
        registered = register_items(session, seizure, chunk_specs, by=by, when=state["when"], check_duplicates=False,
                                    label=lambda i: _("row {row}").format(row=chunk_rows[i]), last_data=last_data)
        done.extend(registered)
        if progress:
            progress(len(chunk_specs))

    for checked in plan.checked():
        row_errors += checked.errors
        warnings += checked.warnings
        ref_errors += [_reference_error(e) for e in
                       check_references(session, checked.specs, lambda i, c=checked: _row_label(c.rows[i]))]
        specs += checked.specs
        rows += checked.rows
        if row_errors or ref_errors:
            continue  # nothing more is written; the rest is still validated for the report
        if held is not None:
            if state["first_no"] is None:
                state["first_no"] = _next_item_no(session)
            write(*held)
        held = (checked.specs, checked.rows) if checked.specs else held
    errors = row_errors + ref_errors
    if errors:
        errors.sort(key=lambda e: e[0])
        raise _refuse(plan.path, [text for _row, text in errors])
    if state["refusal"] is not None:
        raise state["refusal"]
    first_no = state["first_no"] or _next_item_no(session)
    for i, notes in enumerate(duplicate_warnings(session, specs, before_no=first_no)):
        warnings.extend(_at_row(rows[i], None, note) for note in notes)
    # The last registration carries the request id and how many items the import registered.
    last_data = {**request_fields(request_id, fp), "request_items": len(specs)} if request_id else None
    write(*held, last_data=last_data)
    if state["refusal"] is not None:
        raise state["refusal"]
    counts = Counter(d.kind for d in done)
    # A registration long after the seizure is about the whole import: said once, first.
    late = late_registration_warning(found, state["when"], at is not None, tz) if state["when"] else None
    if late:
        warnings.insert(0, late)
    shown = warnings[:MAX_WARNINGS]
    if len(warnings) > MAX_WARNINGS:
        left = len(warnings) - MAX_WARNINGS
        shown.append(ngettext("... and {n} more warning.", "... and {n} more warnings.", left).format(n=left))
    result = Imported(
        seizure=found.id, count=len(done), counts={k: counts[k] for k in KINDS if counts[k]},
        first=done[0].id, last=done[-1].id, first_seq=done[0].seq, last_seq=done[-1].seq,
        warnings=tuple(shown),
    )
    if last_data is not None:
        record_request(session, done[-1].seq, REGISTERED, last_data)
    return result


def _next_item_no(session) -> int:
    from sqlalchemy import func, select

    from ledger.models import Item

    return (session.scalar(select(func.max(Item.no))) or 0) + 1


def _imported_result(session, ev) -> dict:
    """An import's result, rebuilt from its registration events (the last one carries the
    request id and the count; an import's events are consecutive)."""
    from sqlalchemy import select

    from ledger.models import Event

    count = ev.doc["data"]["request_items"]
    kinds: Counter = Counter()
    first = None
    for (body,) in session.execute(select(Event.body).where(Event.seq > ev.seq - count, Event.seq <= ev.seq)
                                   .order_by(Event.seq)):
        data = json.loads(body)["data"]
        first = first or data["item"]
        kinds[data["kind"]] += 1
    return {"seizure": ev.doc["data"]["seizure"], "count": count, "counts": {k: kinds[k] for k in KINDS if kinds[k]},
            "first": first, "last": ev.doc["data"]["item"], "first_seq": ev.seq - count + 1, "last_seq": ev.seq,
            "warnings": ()}
