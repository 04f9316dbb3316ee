"""Rendering results: one JSON document with --json, plain text otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

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
