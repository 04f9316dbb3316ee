"""Rendering results: one JSON document with --json, plain text otherwise."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import click


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_json_array(rows) -> None:
    """One JSON array written as the rows arrive, so a long listing never sits in memory.
    The first row is read before anything is printed: a refusal leaves stdout empty."""
    rows = iter(rows)
    row = next(rows, None)
    if row is None:
        click.echo("[]")
        return
    click.echo("[\n  " + json.dumps(row, ensure_ascii=False, default=str), nl=False)
    for row in rows:
        click.echo(",\n  " + json.dumps(row, ensure_ascii=False, default=str), nl=False)
    click.echo("\n]")


def emit(state, data, plain: str | Iterable[str] | None = None) -> None:
    """`data` for --json; `plain` (a string or lines) for people. Without `plain`, the
    identifier in data['id'] is printed, as every creating command promises."""
    if state.json:
        emit_json(data)
        return
    if plain is None:
        plain = str(data["id"])
    if isinstance(plain, str):
        click.echo(plain)
    else:
        for line in plain:
            click.echo(line)


def table(rows: Sequence[dict], columns: Sequence[tuple[str, str]]) -> list[str]:
    """Columns as (key, header); widths fit the content."""
    if not rows:
        return ["(none)"]
    cells = [[("" if r.get(k) is None else str(r.get(k))) for k, _ in columns] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h) in enumerate(columns)]
    lines = ["  ".join(h.ljust(w) for (_, h), w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)).rstrip() for cell in cells]
    return lines


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


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
