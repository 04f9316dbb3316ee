"""Bulk registration of items from the spreadsheets officers already keep (.csv or .xlsx).

Every row passes through `ledger.items.prepare_item`, the validator the single-item commands
use, so a value refused on the command line is refused in a file with the same sentence. All
errors of all rows are gathered before anything is written; then every item is registered in
one transaction through the batch path of `register_items`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ledger.errors import InputError, LedgerError
from ledger.items import (
    KIND_FIELDS,
    KINDS,
    ItemSpec,
    check_references,
    duplicate_warnings,
    prepare_item,
    register_items,
)
from ledger.validate import show_value
from ledger.xlsx.reader import Formula

MAX_ROWS = 1_000_000
MAX_LISTED = 100
MAX_WARNINGS = 20
SUFFIXES = (".csv", ".xlsx")
COLUMNS: tuple[str, ...] = ("kind", *dict.fromkeys(f for fields in KIND_FIELDS.values() for f in fields))
COMMAND = "item.import"

Progress = Callable[[int], None]


@dataclass
class Batch:
    """A file read and validated: one spec per data row, or the errors that refuse it."""

    path: Path
    sha256: str
    specs: list[ItemSpec] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # sheet row number of each spec
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
            f"{path.name} is a zip archive (an .xlsx workbook?), not CSV text.",
            hint="Give a workbook a name ending in .xlsx, or save the sheet as CSV UTF-8.",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            f"{path.name} is UTF-16 text; evidence reads CSV in UTF-8.",
            hint="Save the sheet as 'CSV UTF-8 (comma delimited)'.",
        )
    if b"\x00" in data[:65536] or b"\x00" in data:
        raise InputError(
            f"{path.name} is a binary file, not CSV text.",
            hint="Give a .csv saved as CSV UTF-8, or an .xlsx workbook.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path.name} is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} cannot be read.",
            hint="Save the sheet as 'CSV UTF-8 (comma delimited)' (Latin-1 / Windows-1252 files are refused "
                 "so that no name is silently garbled).",
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
            f"{path.name} row {reader.line_num}: the CSV cannot be parsed ({exc}).",
            hint="Check for an unclosed quote in that row.",
        ) from exc


def _rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str | None]]]:
    if path.suffix.lower() == ".xlsx":
        from ledger.xlsx.reader import iter_rows

        return iter_rows(path)
    return _csv_rows(path, data)


def _read_file(path: Path) -> bytes:
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{path.name}: evidence imports .csv and .xlsx files, not {path.suffix or 'files without a suffix'}.",
            hint="Save the sheet as CSV UTF-8 or as an .xlsx workbook.",
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist.", hint="Check the path of the file to import.") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}.", hint="Check the path and its permissions.") from exc
    if not data.strip():
        raise InputError(f"{path.name} is empty.", hint="The first row names the columns (kind, ...); one item per row after it.")
    return data


_FORMULA_FIX = ("evidence imports typed values only, because the result saved with a formula need not be what a "
                "spreadsheet program shows. Copy the sheet and paste values only (Paste Special > Values), then "
                "import the file again.")


def _formula_error(row: int, column: str | None, formula: Formula) -> str:
    where = f"row {row}, column {column}" if column else f"row {row}"
    return f"{where} (cell {formula.cell}) holds a formula ({show_value(formula.text)}); {_FORMULA_FIX}"


def _listed(values: Sequence[str], limit: int = MAX_LISTED) -> str:
    """At most `limit` of `values`, then how many more were left out."""
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit:,} more" if len(values) > limit else "")


def _header(path: Path, cells: list) -> list[str | None]:
    formulas = [c for c in cells if isinstance(c, Formula)]
    if formulas:
        raise InputError(
            f"{path.name}: the header row holds formulas, in cell{'s' if len(formulas) > 1 else ''} "
            f"{_listed([f.cell for f in formulas])}.",
            hint="The first row names the columns as typed text. Copy the sheet and paste values only "
                 "(Paste Special > Values), then import the file again.",
        )
    names: list[str | None] = [column_name(c) if c else None for c in cells]
    problems = []
    unknown = list(dict.fromkeys(c for c, n in zip(cells, names, strict=True) if n and n not in COLUMNS))
    if unknown:
        problems.append(f"row 1: unknown column{'s' if len(unknown) > 1 else ''} "
                        f"{_listed([show_value(u) for u in unknown])}.")
    for name, n in Counter(n for n in names if n in COLUMNS).items():
        if n > 1:  # at most one line per known column
            problems.append(f"row 1: column {name} appears {n} times.")
    if "kind" not in names:
        problems.append("row 1: there is no kind column.")
    if problems:
        raise InputError(
            f"{path.name}: the header row is not usable:", details=problems,
            hint=f"The first row names the columns: kind, then any of {', '.join(COLUMNS[1:])} "
                 "('_' may stand for '-', case does not matter), or their Spanish names (tipo, monto, moneda, "
                 "placa...; see docs/import.md).",
        )
    return names


def _row_error(row: int, message: str) -> str:
    """'row 7, column imei: imei '123' has 3 digits...' from a validator's sentence about --imei."""
    match = re.match(r"--([a-z0-9-]+)", message)
    column = match.group(1) if match and match.group(1) in COLUMNS else None
    text = re.sub(r"--([a-z0-9-]+)", lambda m: m.group(1) if m.group(1) in COLUMNS else m.group(0), message)
    return f"row {row}, column {column}: {text}" if column else f"row {row}: {text}"


def read_batch(path: Path | str, *, progress: Progress | None = None) -> Batch:
    """Read and validate every row of the file. Refuses (raises) a file that cannot be read
    as a table; row-level problems are collected in `errors` for `import_batch` to report."""
    path = Path(path)
    data = _read_file(path)
    batch = Batch(path=path, sha256=hashlib.sha256(data).hexdigest())
    rows = _rows(path, data)
    names: list[str | None] | None = None
    base_dir = path.resolve().parent
    for number, cells in rows:
        if names is None:
            if not any(cells):
                continue  # blank lines above the header
            names = _header(path, cells)
            header_row = number
            continue
        if not any(cells):
            continue
        if len(batch.specs) + len(batch.errors) >= MAX_ROWS:
            raise InputError(
                f"{path.name} has more than {MAX_ROWS:,} rows.",
                hint="Split it into several files of at most that many rows and import each.",
            )
        _validate_row(batch, number, names, cells, base_dir)
        if progress:
            progress(1)
    if names is None:
        raise InputError(f"{path.name} is empty.", hint="The first row names the columns; one item per row after it.")
    if not batch.specs and not batch.errors:
        raise InputError(
            f"{path.name} has a header (row {header_row}) but no rows of items.",
            hint="Add one item per row below the header.",
        )
    return batch


def _validate_row(batch: Batch, number: int, names: list[str | None], cells: list, base_dir: Path) -> None:
    formulas = [(i, c) for i, c in enumerate(cells) if isinstance(c, Formula)]
    if formulas:
        batch.errors.extend(_formula_error(number, names[i] if i < len(names) else None, f) for i, f in formulas)
        return
    raw: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        name = names[i] if i < len(names) else None
        if name is None:
            batch.errors.append(
                f"row {number}: the value {show_value(cell)} in column {i + 1} has no column name in the header.")
            return
        raw[name] = cell
    kind = kind_name(raw.pop("kind", None) or "")
    if not kind:
        batch.errors.append(f"row {number}, column kind: the kind is empty; give one of {', '.join(KINDS)}.")
        return
    try:
        spec = prepare_item(kind, raw, base_dir=base_dir)
    except LedgerError as exc:
        if kind not in KINDS:
            batch.errors.append(f"row {number}, column kind: {kind[:40]!r} is not a kind of item; "
                                f"use one of {', '.join(KINDS)}.")
        else:
            for message in exc.details or [exc.render().replace("\n", " ")]:
                batch.errors.append(_row_error(number, message))
        return
    batch.specs.append(spec)
    batch.rows.append(number)
    batch.warnings.extend(f"row {number}: {w}" for w in spec.warnings)


# -- writing ---------------------------------------------------------------------------
def _refuse(path: Path, errors: Sequence[str]) -> InputError:
    listed = list(errors[:MAX_LISTED])
    if len(errors) > MAX_LISTED:
        listed.append(f"... and {len(errors) - MAX_LISTED} more errors not listed.")
    return InputError(
        f"{path.name} has {len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was imported:",
        details=listed, hint="Correct these rows and import the whole file again.",
    )


def _reference_error(message: str) -> str:
    """'row 7: --counted-by: no officer ...' -> 'row 7, column counted-by: no officer ...'."""
    match = re.match(r"(row \d+): --([a-z0-9-]+): (.*)", message)
    return f"{match.group(1)}, column {match.group(2)}: {match.group(3)}" if match else message


def import_batch(
    session, seizure: str, batch: Batch, *, by: str | None, at: str | None = None, tz: str = "America/Lima",
    request_id: str | None = None, progress: Progress | None = None,
) -> Imported:
    """Register every item of a validated batch in the caller's transaction, or refuse the
    whole file listing every row error and every unknown officer or location."""
    from ledger.registry import get_seizure, require_actor
    from ledger.requests import record_request, request_fields, start_request

    request_id, fp, previous = start_request(
        session, request_id, COMMAND, {"seizure": seizure, "file_sha256": batch.sha256, "by": by, "at": at},
        _imported_result)
    if previous is not None:
        return Imported(**{k: previous[k] for k in Imported.__dataclass_fields__ if k in previous})
    require_actor(session, by, "item.register")
    seizure_id = get_seizure(session, seizure).id
    errors = list(batch.errors)
    errors += [_reference_error(e) for e in
               check_references(session, batch.specs, lambda i: f"row {batch.rows[i]}")]
    if errors:
        errors.sort(key=lambda e: int(re.match(r"row (\d+)", e).group(1)))
        raise _refuse(batch.path, errors)
    for i, notes in enumerate(duplicate_warnings(session, batch.specs)):
        batch.warnings.extend(f"row {batch.rows[i]}: {note}" for note in notes)
    # The last registration carries the request id and how many items the import registered.
    last_data = {**request_fields(request_id, fp), "request_items": len(batch.specs)} if request_id else None
    done = register_items(session, seizure, batch.specs, by=by, at=at, tz=tz, progress=progress,
                          label=lambda i: f"row {batch.rows[i]}", check_duplicates=False, last_data=last_data)
    counts = Counter(d.kind for d in done)
    # What register_items adds to every item beyond its own (duplicates are not checked there
    # for an import) is about the whole import, such as a registration long after the seizure:
    # said once, first.
    batch.warnings[:0] = [w for w in done[0].warnings if w not in batch.specs[0].warnings]
    warnings = batch.warnings[:MAX_WARNINGS]
    if len(batch.warnings) > MAX_WARNINGS:
        warnings.append(f"... and {len(batch.warnings) - MAX_WARNINGS} more warnings.")
    result = Imported(
        seizure=seizure_id, count=len(done), counts={k: counts[k] for k in KINDS if counts[k]},
        first=done[0].id, last=done[-1].id, first_seq=done[0].seq, last_seq=done[-1].seq,
        warnings=tuple(warnings),
    )
    if last_data is not None:
        record_request(session, done[-1].seq, "item.registered", last_data)
    return result


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
