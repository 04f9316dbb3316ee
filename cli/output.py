"""Rendering results: one JSON document with --json, plain text otherwise."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import click

from ledger.i18n import _

# Whether this command already wrote its JSON document: a refusal after it (verify's findings,
# then exit 3) must not add a second one.
_json_written = False


def json_written(reset: bool = False) -> bool:
    global _json_written
    if reset:
        _json_written = False
    return _json_written


def emit_json(data) -> None:
    global _json_written
    _json_written = True
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_json_array(rows) -> None:
    """One JSON array written as the rows arrive, so a long listing never sits in memory.
    The first row is read before anything is printed: a refusal leaves stdout empty."""
    global _json_written
    rows = iter(rows)
    row = next(rows, None)
    _json_written = True
    if row is None:
        click.echo("[]")
        return
    click.echo("[\n  " + json.dumps(row, ensure_ascii=False, default=str), nl=False)
    for row in rows:
        click.echo(",\n  " + json.dumps(row, ensure_ascii=False, default=str), nl=False)
    click.echo("\n]")


def printable(text: str, keep: str = "\n\t") -> str:
    """`text` with every control or invisible format character (an escape sequence that would
    retitle the terminal or move its cursor, a bidi override that reverses what is shown) made
    visible as an escape such as \\x1b. The ledger refuses them on input; this is for text that
    reached the database another way."""
    if text.isprintable():
        return text
    return "".join(ch if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
                   else ascii(ch)[1:-1] for ch in text)


def emit(state, data, plain: str | Iterable[str] | None = None) -> None:
    """`data` for --json; `plain` (a string or lines) for people. Without `plain`, the
    identifier in data['id'] is printed, as every creating command promises."""
    if state.json:
        emit_json(data)
        return
    if plain is None:
        plain = str(data["id"])
    if isinstance(plain, str):
        click.echo(printable(plain))
    else:
        for line in plain:
            click.echo(printable(str(line)))


# Tables fit a 100-column terminal (and most 80-column ones, wrapped at worst once); --wide
# shows every column in full.
TABLE_WIDTH = 100
_GAP = 2
FLEX = 16  # the usual least width of a free-text column


@dataclass(frozen=True)
class Col:
    """A table column. `drop`: dropped to fit the width, lowest first (0: always shown).
    `flex`: free text, cut with '…' to fit but kept at least this wide (0: never cut).
    `cap`: the width it is cut to (set by fitting)."""

    key: str
    header: str
    drop: int = 0
    flex: int = 0
    cap: int | None = None


def _col(c) -> Col:
    return c if isinstance(c, Col) else Col(*c)


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    return "" if value is None else printable(str(value), keep="")


def fit_columns(rows: Sequence[dict], columns: Sequence, *, wide: bool = False, width: int = TABLE_WIDTH) -> list[Col]:
    """The columns to show so that a table of `rows` fits `width`: optional columns dropped
    (lowest `drop` first) until the rest fits with room for the free-text column, which is then
    cut to the width left. With `wide`, every column in full."""
    cols = [_col(c) for c in columns]
    if wide or not rows:
        return cols
    natural = {c.key: max(len(c.header), *(len(_cell(r, c.key)) for r in rows)) for c in cols}

    def need(shown: list[Col]) -> int:
        fixed = sum(natural[c.key] if not c.flex else min(natural[c.key], c.flex) for c in shown)
        return fixed + _GAP * (len(shown) - 1)

    shown = list(cols)
    # An optional column empty in every row goes before any that says something.
    empty = {c.key for c in cols if not any(_cell(r, c.key) for r in rows)}
    for victim in sorted((c for c in cols if c.drop), key=lambda c: (c.key not in empty, c.drop)):
        if need(shown) <= width:
            break
        shown.remove(victim)
    total = sum(natural[c.key] for c in shown) + _GAP * (len(shown) - 1)
    caps = {c.key: natural[c.key] for c in shown if c.flex}
    # Free text is cut from the right: each column to its least width, then, if that is not
    # enough, down to its header.
    for floor in (lambda c: max(c.flex, len(c.header)), lambda c: len(c.header)):
        for c in reversed([c for c in shown if c.flex]):
            over = total - width
            if over <= 0:
                break
            cut = max(0, min(over, caps[c.key] - floor(c)))
            caps[c.key] -= cut
            total -= cut
    shown = [Col(c.key, c.header, c.drop, c.flex, caps[c.key]) if c.flex and caps[c.key] < natural[c.key] else c
             for c in shown]
    return shown


def _clip(text: str, cap: int | None) -> str:
    if cap is None or len(text) <= cap:
        return text
    return text[:cap - 1] + "…"


def table(rows: Sequence[dict], columns: Sequence, *, wide: bool = False, width: int = TABLE_WIDTH) -> list[str]:
    """Lines of a table with a header; widths fit the content. Columns are (key, header)
    pairs or Col; unless `wide`, the table is fitted to `width` (see fit_columns)."""
    if not rows:
        return [_("(none)")]
    cols = fit_columns(rows, columns, wide=wide, width=width)
    cells = [[_clip(_cell(r, c.key), c.cap) for c in cols] for r in rows]
    widths = [max(len(c.header), *(len(cell[i]) for cell in cells)) for i, c in enumerate(cols)]
    gap = " " * _GAP
    lines = [gap.join(c.header.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += [gap.join(v.ljust(w) for v, w in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    return lines


def labelled(pairs: Iterable[tuple[str, object]], gap: int = 2) -> list[str]:
    """'label:  value' lines, the values lined up `gap` spaces after the longest label. The
    labels come translated (`_("case:")`); a value None is shown as '-'."""
    pairs = [(label, "-" if value is None else value) for label, value in pairs]
    width = max((len(label) for label, _value in pairs), default=0) + gap
    return [f"{label.ljust(width)}{value}" for label, value in pairs]


def warn(message: str) -> None:
    click.echo(_("warning: {message}").format(message=message), err=True)


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False


@contextmanager
def progress(label: str, length: int | Callable[[], int] | None = None, *,
             show: bool = True) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when stderr is a terminal, else nothing (yields None).
    Without a `length` (a file read row by row) the count so far is shown instead of a bar;
    a callable `length` is asked only when a bar is drawn."""
    if not show or not _is_terminal(sys.stderr):
        yield None
        return
    if callable(length):
        length = length()
    if length is None:
        # click draws a bar for a known length and a count for an iterable of unknown length;
        # it accepts no bar with neither.
        bar = click.progressbar((_ for _ in ()), label=label, file=sys.stderr, show_pos=True)
    else:
        bar = click.progressbar(length=length, label=label, file=sys.stderr)
    with bar:
        yield bar.update


def silence_stdout() -> None:
    """After the reader of stdout went away (`evidence item list | head -1`): send what is
    still buffered to /dev/null, so neither a later write nor Python's flush at exit fails."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
