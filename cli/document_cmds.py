"""Paper for courts and evidence rooms: `export custody-form` and `label`, drawn by ledger.documents."""

from __future__ import annotations

import click

from ledger.i18n import _, current, ngettext, number

from .app import pass_state
from .case_cmds import items_count
from .output import emit


def _written(state, done, said: str, items: list[str], extra: dict) -> None:
    """`said`: the first line, translated, naming {path}, {items} and {pages}."""
    data = {"id": done.path, "path": done.path, "sha256": done.sha256, "bytes": done.bytes, "pages": done.pages,
            "items": items, **extra}
    pages = ngettext("{n} page", "{n} pages", done.pages).format(n=number(done.pages))
    emit(state, data, [said.format(path=done.path, items=items_count(len(items)), pages=pages),
                       f"sha256 {done.sha256}"])


@click.command("custody-form")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--out", required=True, metavar="FILE.pdf", help="PDF to write (its folder must exist).")
@click.option("--lang", type=click.Choice(["es", "en"]), default=None,
              help="Language of the form (default: the interface's, from --lang, EVIDENCE_LANG or LANG).")
@click.option("--force", is_flag=True, help="Replace FILE.pdf if it exists.")
@pass_state
def export_custody_form(state, items, out, lang, force):
    """Write the chain-of-custody form of each item: who it is and its case, one row per act of
    custody with who handed over and who received, the seal as checked and the digital signatures
    (checked), and blank rows with signature boxes for the next handovers.

    ITEM is an evidence number or a scanned label. The items' rows are first checked against
    the log; if they differ, nothing is written (exit 3).

    Example:

    \b
        evidence export custody-form EV-000001 EV-000002 --out custodia.pdf --lang es
    """
    from ledger.documents.custody_form import custody_forms, write_custody_forms
    from ledger.documents.pdf import check_pdf_path

    lang = lang or current()
    check_pdf_path(out, force=force, database=state.url)
    with state.ledger().read() as session:
        forms, head_seq = custody_forms(session, items, lang=lang, tz=state.tz)
    done = write_custody_forms(forms, head_seq, out, lang=lang, force=force, database=state.url)
    _written(state, done, _("wrote {path} (custody form: {items}, {pages})"), [f.item.id for f in forms],
             {"lang": lang, "events": sum(len(f.events) for f in forms)})


@click.command("label")
@click.argument("items", nargs=-1, metavar="[ITEM...]")
@click.option("--case", "case_no", metavar="CASE_NO", help="Label every item of this case.")
@click.option("--seizure", metavar="ID", help="Label every item of this seizure.")
@click.option("--out", required=True, metavar="FILE.pdf", help="PDF to write (its folder must exist).")
@click.option("--layout", default="a4-3x8", show_default=True, metavar="a4-3x8|roll-62mm",
              help="A4 sheet of 3 x 8 labels (70 x 37 mm), or one label per page on a 62 mm roll.")
@click.option("--lang", type=click.Choice(["es", "en"]), default=None,
              help="Language of the labels (default: the interface's, from --lang, EVIDENCE_LANG or LANG).")
@click.option("--force", is_flag=True, help="Replace FILE.pdf if it exists.")
@pass_state
def label_command(state, items, case_no, seizure, out, layout, lang, force):
    """Print evidence labels: the evidence number in large type, case, offence and prosecutor's
    file, seizure date and place, a short description, the seal, who packed and sealed it and
    when (with a line for their signature) and a QR code; a disposed item's label says so.

    The QR code holds EV-NUMBER/CASE/HASH (HASH: the first 12 hex digits of the hash of the
    item's registration event); 'evidence item show' takes that text as a scanner types it.

    Example:

    \b
        evidence label EV-000001 EV-000002 --out rotulos.pdf --layout a4-3x8
    """
    from ledger.documents.labels import check_layout, evidence_labels, write_labels
    from ledger.documents.pdf import check_pdf_path

    check_layout(layout)
    lang = lang or current()
    check_pdf_path(out, force=force, database=state.url)
    with state.ledger().read() as session:
        labels = evidence_labels(session, items, case_no=case_no, seizure=seizure, lang=lang, tz=state.tz)
    done = write_labels(labels, out, layout=layout, lang=lang, force=force, database=state.url)
    _written(state, done, _("wrote {path} (labels: {items}, {pages})"), [f.id for f in labels],
             {"layout": layout, "lang": lang, "payloads": {f.id: f.payload for f in labels}})
