"""Reading exchange-rate files that officers save: plain CSV, and the BCRP series in JSON or CSV.

Pure parsing, no database: it turns bytes into checked RateRow values, and reports every bad
line at once so a file is fixed in one pass. Recording the rates as events is someone else's job.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from ledger.errors import InputError
from ledger.i18n import _, ngettext
from ledger.money import check_currency, parse_rate, rate_str

MAX_LISTED = 50
SIDES = ("buy", "sell", "mid")
CSV_HEADER = ["date", "base", "quote", "rate"]
# The form of a BCRP series in JSON, as a refusal shows it.
_BCRP_JSON_SHAPE = ('{"config": {"series": [{"name": ...}]}, "periods": [{"name": "06.Oct.20", "values": ["3.5870"]}, '
                    '...]}')


def _forms() -> str:
    return _("Save it as UTF-8 CSV with the header date,base,quote,rate[,side], or as a BCRP series in JSON or CSV.")


def _line(line: int) -> str:
    return _("line {line}").format(line=line)

# BCRP abbreviations are Spanish ("Set" for September, sometimes "Sep"); the English
# export uses English ones. Both sets are accepted, they do not collide.
_MONTHS = {
    "ene": 1, "jan": 1, "feb": 2, "mar": 3, "abr": 4, "apr": 4, "may": 5, "jun": 6, "jul": 7,
    "ago": 8, "aug": 8, "set": 9, "sep": 9, "oct": 10, "nov": 11, "dic": 12, "dec": 12,
}  # fmt: skip
_BCRP_DATE_RE = re.compile(r"([0-9]{2})\.([A-Za-z]{3})\.([0-9]{2})", re.ASCII)
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_NO_DATA = {"n.d.", "n.d", "nd"}


@dataclass(frozen=True)
class RateRow:
    """One rate: 1 `base` = `rate` `quote` on `date`. `line` is the file line (JSON: period index)."""

    line: int
    date: datetime.date
    base: str
    quote: str
    rate: Decimal
    side: str | None


class _Problems:
    """Collects "line N: ..." messages so the whole file is reported at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def raise_if_any(self, filename: str, noun: str) -> None:
        """`noun`: "line" (a CSV file) or "period" (a BCRP series in JSON)."""
        if not self.items:
            return
        count = len(self.items)
        details = self.items[:MAX_LISTED]
        if count > MAX_LISTED:
            details.append(_("... and {n} more").format(n=count - MAX_LISTED))
        if noun == "period":
            message = ngettext("rate file {file!r} has {n} bad period; nothing was read.",
                               "rate file {file!r} has {n} bad periods; nothing was read.", count)
        else:
            message = ngettext("rate file {file!r} has {n} bad line; nothing was read.",
                               "rate file {file!r} has {n} bad lines; nothing was read.", count)
        raise InputError(
            message.format(file=filename, n=count),
            hint=_("Correct the listed lines and import the file again."),
            details=details,
        )


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_rate_file(data: bytes, filename: str) -> tuple[str, list[RateRow]]:
    """Detect the format and parse the whole file: ("csv" | "bcrp-json" | "bcrp-csv", rows).

    Raises one InputError for an empty, binary or unrecognised file, or one listing every bad line.
    """
    if not data.strip():
        raise InputError(_("rate file {file!r} is empty.").format(file=filename) + " " + _forms())
    try:
        if b"\x00" in data:
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(_("rate file {file!r} is not a UTF-8 text file.").format(file=filename) + " " + _forms()) \
            from None

    if text.lstrip().startswith("{"):
        return "bcrp-json", _parse_bcrp_json(text, filename)
    # The BCRP web API serves its CSV with <br> between rows; a file saved from the browser keeps them.
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    rows = list(_csv_rows(text))
    header = [cell.strip().lower() for cell in rows[0][1]] if rows else []
    if header in (CSV_HEADER, [*CSV_HEADER, "side"]):
        return "csv", _parse_plain_csv(rows, filename)
    if len(header) == 2 and header[0] in ("fecha", "date"):
        return "bcrp-csv", _parse_bcrp_csv(rows, filename)
    first = ",".join(rows[0][1]) if rows else ""
    message = _("rate file {file!r} is not a known rate format: its first line is {first!r}.").format(
        file=filename, first=first[:80])
    raise InputError(f"{message} {_forms()}")


def _csv_rows(text: str):
    """(line number, cells) for every non-blank row."""
    reader = csv.reader(io.StringIO(text))
    line = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield line, cells
        line = reader.line_num + 1


def _check_duplicates(rows: list[RateRow], problems: _Problems, where) -> list[RateRow]:
    """Drop exact repeats; report the same day and pair with two different rates."""
    first: dict[tuple, RateRow] = {}
    kept: list[RateRow] = []
    for row in rows:
        key = (row.date, row.base, row.quote, row.side)
        earlier = first.get(key)
        if earlier is None:
            first[key] = row
            kept.append(row)
        elif earlier.rate != row.rate:
            problems.add(
                where(row),
                _("{date} {base}/{quote} is {rate} here but {earlier} in {where}; keep one of them").format(
                    date=row.date.isoformat(), base=row.base, quote=row.quote, rate=rate_str(row.rate),
                    earlier=rate_str(earlier.rate), where=where(earlier)),
            )
    return kept


# --- plain CSV -------------------------------------------------------------------------------


def _parse_plain_csv(rows: list[tuple[int, list[str]]], filename: str) -> list[RateRow]:
    problems = _Problems()
    has_side = len(rows[0][1]) == 5
    parsed: list[RateRow] = []
    for line, raw in rows[1:]:
        cells = [cell.strip() for cell in raw]
        if len(cells) == 4 and has_side:
            cells.append("")
        if len(cells) != (5 if has_side else 4):
            problems.add(_line(line), _("has {n} fields, not {expected} as the header").format(
                n=len(cells), expected=5 if has_side else 4))
            continue
        wrong: list[str] = []
        date = base = quote = rate = None
        if _ISO_DATE_RE.fullmatch(cells[0]):
            try:
                date = datetime.date.fromisoformat(cells[0])
            except ValueError:
                wrong.append(_("date {value!r} is not a day of the calendar").format(value=cells[0]))
        else:
            wrong.append(_("date {value!r} is not in the form YYYY-MM-DD").format(value=cells[0][:40]))
        for name, value in (("base", cells[1]), ("quote", cells[2])):
            try:
                code = check_currency(value, field=name)
            except InputError as exc:
                wrong.append(exc.message)
                continue
            if name == "base":
                base = code
            else:
                quote = code
        if base and quote and base == quote:
            wrong.append(_("base and quote are both {code}").format(code=base))
        try:
            rate = parse_rate(cells[3])
        except InputError as exc:
            wrong.append(exc.message)
        side = cells[4].lower() if has_side else ""
        if side and side not in SIDES:
            wrong.append(_("side {value!r} is not one of buy, sell, mid (or empty)").format(value=cells[4][:40]))
        if wrong:
            problems.add(_line(line), "; ".join(wrong))
            continue
        parsed.append(RateRow(line, date, base, quote, rate, side or None))
    kept = _check_duplicates(parsed, problems, lambda row: _line(row.line))
    problems.raise_if_any(filename, "line")
    if not kept:
        raise InputError(_("rate file {file!r} has a header but no rates. Add one line per rate under it.").format(
            file=filename))
    return kept


# --- BCRP ------------------------------------------------------------------------------------


def _bcrp_side(title: str) -> str | None:
    words = set(re.findall(r"[a-záéíóú]+", title.lower()))
    buy = bool(words & {"compra", "buy", "bid"})
    sell = bool(words & {"venta", "sell", "ask"})
    if buy != sell:
        return "buy" if buy else "sell"
    return None


def _check_bcrp_title(title: str, filename: str) -> None:
    """The values are read as soles per US dollar, so a series about another currency is refused."""
    lowered = title.lower()
    if title and not any(mark in lowered for mark in ("us$", "usd", "dólar", "dolar", "dollar")):
        raise InputError(
            _("rate file {file!r} holds the BCRP series {title!r}, which is not soles per US dollar. Only the USD/PEN "
              "exchange-rate series (S/ por US$) can be imported from BCRP files.").format(
                file=filename, title=title[:120])
        )


def _bcrp_date(text: str) -> datetime.date:
    match = _BCRP_DATE_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(_("date {value!r} is not in the BCRP form DD.Mmm.YY such as 06.Oct.20").format(
            value=text[:40]))
    day, month_name, year = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ValueError(
            _("date {value!r} has an unknown month {month!r}; use Ene, Feb, Mar, Abr, May, Jun, Jul, Ago, Set, Oct, "
              "Nov, Dic").format(value=text, month=month_name)
        )
    # Two-digit years: BCRP daily series start in the 1990s.
    full_year = int(year) + (2000 if int(year) < 70 else 1900)
    try:
        return datetime.date(full_year, month, int(day))
    except ValueError:
        raise ValueError(_("date {value!r} is not a day of the calendar").format(value=text)) from None


def _bcrp_row(where: str, index: int, date_text: object, value: object, side: str | None, problems: _Problems):
    """A RateRow, or None for a day without data (n.d.) or a bad entry (then reported)."""
    if not isinstance(date_text, str):
        problems.add(where, _("date {value!r} is not text").format(value=date_text))
        return None
    wrong: list[str] = []
    date = None
    try:
        date = _bcrp_date(date_text)
    except ValueError as exc:
        wrong.append(str(exc))
    rate = None
    if isinstance(value, str) and value.strip().lower() in _NO_DATA:
        if not wrong:
            return None
    elif isinstance(value, str):
        try:
            rate = parse_rate(value.strip())
        except InputError as exc:
            wrong.append(exc.message)
    else:
        wrong.append(_('value {value!r} is not a rate written as text such as "3.5870"').format(value=value))
    if wrong:
        problems.add(where, "; ".join(wrong))
        return None
    return RateRow(index, date, "USD", "PEN", rate, side)


def _parse_bcrp_json(text: str, filename: str) -> list[RateRow]:
    shape = _("Expected {shape}.").format(shape=_BCRP_JSON_SHAPE)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        message = _("rate file {file!r} is not valid JSON (line {line}, column {column}: {problem}).").format(
            file=filename, line=exc.lineno, column=exc.colno, problem=exc.msg)
        raise InputError(f"{message} {shape}") from None
    periods = document.get("periods") if isinstance(document, dict) else None
    config = document.get("config") if isinstance(document, dict) else None
    series = config.get("series") if isinstance(config, dict) else None
    if not isinstance(periods, list) or not isinstance(series, list) or not series:
        raise InputError(_("rate file {file!r} is JSON but not a BCRP series.").format(file=filename) + " " + shape)
    if len(series) != 1:
        raise InputError(
            _("rate file {file!r} holds {n} BCRP series. Export one series (buy or sell) per file.").format(
                file=filename, n=len(series))
        )
    title = series[0].get("name", "") if isinstance(series[0], dict) else ""
    title = title if isinstance(title, str) else ""
    _check_bcrp_title(title, filename)
    side = _bcrp_side(title)

    problems = _Problems()
    parsed: list[RateRow] = []
    for index, period in enumerate(periods, start=1):
        name = period.get("name") if isinstance(period, dict) else None
        where = (_("period {index} ({name})").format(index=index, name=name) if isinstance(name, str)
                 else _("period {index}").format(index=index))
        values = period.get("values") if isinstance(period, dict) else None
        if not isinstance(values, list) or len(values) != 1:
            problems.add(where, _('needs "name" and "values" with exactly one value'))
            continue
        row = _bcrp_row(where, index, name, values[0], side, problems)
        if row is not None:
            parsed.append(row)
    labels = {row.line: _("period {index} ({name})").format(index=row.line, name=periods[row.line - 1]["name"])
              for row in parsed}
    kept = _check_duplicates(parsed, problems, lambda row: labels[row.line])
    problems.raise_if_any(filename, "period")
    if not kept:
        raise InputError(
            _("rate file {file!r} has no day with a rate (every period is n.d.). Export a range with rates.").format(
                file=filename)
        )
    return kept


def _parse_bcrp_csv(rows: list[tuple[int, list[str]]], filename: str) -> list[RateRow]:
    title = rows[0][1][1].strip()
    _check_bcrp_title(title, filename)
    side = _bcrp_side(title)
    problems = _Problems()
    parsed: list[RateRow] = []
    for line, cells in rows[1:]:
        if len(cells) != 2:
            problems.add(_line(line), _("has {n} fields, not 2 (date and value)").format(n=len(cells)))
            continue
        row = _bcrp_row(_line(line), line, cells[0], cells[1], side, problems)
        if row is not None:
            parsed.append(row)
    kept = _check_duplicates(parsed, problems, lambda row: _line(row.line))
    problems.raise_if_any(filename, "line")
    if not kept:
        raise InputError(
            _("rate file {file!r} has no day with a rate (every row is n.d.). Export a range with rates.").format(
                file=filename)
        )
    return kept
