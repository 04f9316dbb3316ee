"""The `export` group: files for the court (xlsx) and for offline audit (log bundle)."""

from __future__ import annotations

import click


@click.group("export")
def export_group():
    """Export a case workbook for prosecutors or a log bundle for auditors."""
