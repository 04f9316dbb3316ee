"""Evidence labels (rotulado) with a QR code, as a PDF to print on label sheets or a label roll.

Each label shows the evidence number in large type, the case, the offence and the prosecutor's
file (a line to fill by hand where the ledger lacks them), a short description, the seal, who
packed and sealed the item and when, with a line for their signature, the seizure's date and
place where room is left, and a QR code. Nothing is printed within 5 mm of the sheet's edge,
where office printers clip. The QR code holds the text of
`ledger.items.label_payload`, EV-000042/CASE/HASH12 (HASH12: the first 12 hex digits of the
item's registration event hash), which `evidence item show` accepts as typed by a barcode
scanner, and which it refuses when the case or the hash is not this ledger's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.documents.facts import ItemFacts, item_facts, select_items
from ledger.documents.pdf import FONT, FONT_BOLD, WrittenPdf, check_lang, write_pdf
from ledger.errors import InputError
from ledger.i18n import translator

MM = 72 / 25.4  # PDF points per millimetre
EDGE = 5.0  # mm: nothing is printed nearer the sheet's edge than this (printers clip)
PAD = 2.0  # mm: between a label's text and its die-cut edge inside the sheet
BLANK = "__________"  # a line to fill by hand
SIZE = 8  # points: the smallest text on a label, read at arm's length without a magnifier
LEAD = 9.0  # points from baseline to baseline: Vera's ascent and descent at 8 pt, less 0.3 (accents only touch)
NUMBER = 13  # points: the evidence number, bold


@dataclass(frozen=True)
class Layout:
    """A page of `columns` x `rows` labels of `width` x `height` mm, from `left`/`top` mm."""

    name: str
    page: tuple[float, float]  # mm
    columns: int
    rows: int
    width: float
    height: float
    left: float = 0.0
    top: float = 0.0
    qr_share: float = 0.42  # of the label's width, at most


LAYOUTS = {
    # 24 labels of 70 x 37 mm on an A4 sheet (the common 3 x 8 label sheets).
    "a4-3x8": Layout("a4-3x8", (210, 297), 3, 8, 70, 37.125, qr_share=0.33),
    # One label per page on a 62 mm continuous roll (label printers' common width), 80 mm long:
    # room for the packing fields and a signature within the 5 mm the printer leaves blank.
    "roll-62mm": Layout("roll-62mm", (62, 80), 1, 1, 62, 80, qr_share=0.31),
}


def check_layout(name: str) -> Layout:
    layout = LAYOUTS.get(name)
    if layout is None:
        from ledger.i18n import _

        raise InputError(_("--layout {name} is not a label layout; nothing was written.").format(name=repr(name)),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(LAYOUTS)))
    return layout


def evidence_labels(session: Session, refs: Sequence[str] = (), *, case_no: str | None = None,
                    seizure: str | None = None, lang: str = "es", tz: str = "America/Lima") -> list[ItemFacts]:
    """What the labels of the named items (or of a case's or a seizure's items) say."""
    lang = check_lang(lang)
    return item_facts(session, select_items(session, refs, case_no=case_no, seizure=seizure), lang, tz)


def write_labels(labels: list[ItemFacts], out: str, *, layout: str = "a4-3x8", lang: str = "es",
                 force: bool = False, database=None) -> WrittenPdf:
    chosen = check_layout(layout)
    return write_pdf(out, lambda tmp: _draw(labels, chosen, tmp, lang), force=force, database=database)


def _draw(labels: list[ItemFacts], layout: Layout, path: str, lang: str) -> int:
    from reportlab.pdfgen import canvas

    from ledger.documents.pdf import register_fonts

    register_fonts()
    c = canvas.Canvas(path, pagesize=(layout.page[0] * MM, layout.page[1] * MM), initialFontName=FONT)
    c.setTitle(translator(lang)("Evidence labels"))
    c.setAuthor("evidence")
    per_page = layout.columns * layout.rows
    pages = 0
    for start in range(0, len(labels), per_page):
        for i, label in enumerate(labels[start:start + per_page]):
            col, row = i % layout.columns, i // layout.columns
            x = (layout.left + col * layout.width) * MM
            y = (layout.page[1] - layout.top - (row + 1) * layout.height) * MM
            pads = (_pad(col == 0), _pad(col == layout.columns - 1), _pad(row == 0), _pad(row == layout.rows - 1))
            _label(c, label, x, y, layout.width * MM, layout.height * MM, layout.qr_share, pads, lang)
        c.showPage()
        pages += 1
    c.save()
    return pages


def _pad(at_edge: bool) -> float:
    """Points between a label's edge and its text: 5 mm at the sheet's edge, 2 mm elsewhere."""
    return (EDGE if at_edge else PAD) * MM


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis so that it fits `width` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _qr(c, payload: str, right: float, top: float, width: float) -> tuple[float, float]:
    """The QR code of `payload` as vector squares, about `width` points wide with its quiet zone
    of 4 modules, its dark modules ending at `right` and starting at `top`; returns the left and
    bottom edges of the dark modules."""
    import segno

    qr = segno.make(payload, error="m", micro=False)
    matrix = [list(r) for r in qr.matrix_iter(border=4)]
    module = width / len(matrix)
    x = right - (len(matrix) - 4) * module
    top = top + 4 * module
    # One path for all dark modules: filled as one shape, neighbouring squares leave no hairline
    # seams when a printer driver or a viewer smooths the edges, which would confuse a scanner.
    path = c.beginPath()
    for r, bits in enumerate(matrix):
        col = 0
        while col < len(bits):
            if bits[col]:
                run = col
                while run < len(bits) and bits[run]:
                    run += 1
                path.rect(x + col * module, top - (r + 1) * module, (run - col) * module, module)
                col = run
            else:
                col += 1
    c.setFillColorRGB(0, 0, 0)
    c.drawPath(path, stroke=0, fill=1, fillMode=1)  # non-zero winding: overlaps stay dark
    return x + 4 * module, top - (len(matrix) - 4) * module


def label_paragraphs(f: ItemFacts, _) -> list[tuple[str, str, int, int]]:
    """What one label says, top to bottom, as (font, text, most lines, fewest lines): the fields
    of the formato first, then the seizure's date and place, which give way when room runs out."""
    bold = FONT_BOLD
    out = []
    if f.status == "disposed":
        out.append((bold, _("DISPOSED") + (f" ({f.disposition})" if f.disposition else ""), 2, 1))
    name, badge, when = (f.packed_by_name or f.packed_by, f.packed_by, f.packed_at.replace(" ", "\u00a0")) if f.packed_by \
        else (BLANK,) * 3
    out += [
        (FONT, _("Case {case}").format(case=f.case_no), 2, 1),
        (FONT, _("Offence: {offence}").format(offence=f.offence or BLANK), 2, 1),
        (FONT, _("Prosecutor's file: {file}").format(file=f.fiscal_file or BLANK), 2, 1),
        (bold, f"{f.kind_word}: {f.short}", 4, 0),
        (FONT, _("Seal {seal}").format(seal=f.seal) if f.seal else _("no seal"), 2, 1),
        (FONT, _("Packed and sealed by {name}, badge {badge}, on {when}, signature {line}").format(
            name=name, badge=badge, when=when, line=BLANK), 5, 5),
        (FONT, _("Seized {when}").format(when=f.seizure_at[:16].replace(" ", "\u00a0")), 2, 0),
        (FONT, f.seizure_place, 3, 0),
    ]
    return out


def _label(c, f: ItemFacts, x: float, y: float, w: float, h: float, qr_share: float,
           pads: tuple[float, float, float, float], lang: str) -> None:
    """One label: the number in large type, then its paragraphs beside the QR code (and under it,
    once below the code and its hash), and the short hash under the code. Everything is 8 pt or
    larger, within `pads` (left, right, top, bottom) of the label's edges; when the texts need
    more lines than the label has, the place, then the seizure's date, then the description give
    up their last lines first (cut with an ellipsis)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _ = translator(lang)
    pl, pr, pt, pb = pads
    right, ceiling = x + w - pr, y + h - pt
    qr_x, qr_bottom = _qr(c, f.payload, right, ceiling, w * qr_share)
    # The hash in the QR code, readable under it, so a label can be checked by eye against 'item show'.
    short_hash = f"#{f.payload.rsplit('/', 1)[-1]}"
    hash_y = qr_bottom - 2 - 7.5  # the hash's cap height below the code, 2 points apart
    hash_x = right - stringWidth(short_hash, FONT, SIZE)
    c.setFont(FONT, SIZE)
    c.drawString(hash_x, hash_y, short_hash)
    left = x + pl

    def width_at(line_y: float) -> float:
        if line_y - 2 > hash_y + SIZE:  # beside the code
            return qr_x - left - 4
        if line_y + SIZE > hash_y - 2:  # beside the hash
            return min(qr_x, hash_x) - left - 4
        return right - left  # below both: the whole width

    top = ceiling - 10  # the number's cap height
    c.setFont(FONT_BOLD, NUMBER)
    c.drawString(left, top, _fit(f.id, FONT_BOLD, NUMBER, width_at(top)))
    top -= 10
    bottom = y + pb + 2  # Vera's descent at 8 pt stays above the padding
    paragraphs = label_paragraphs(f, _)
    most = [p[2] for p in paragraphs]
    n = len(paragraphs)
    # The place gives way first, then the date of the seizure, the description, the case.
    order = [n - 1, n - 2, n - 5, n - 8]
    while True:
        lines, used = _flow([(font, text, cap) for font, text, cap, _least in paragraphs], most, top, width_at)
        if not lines or lines[-1][2] >= bottom:
            break
        shorter = next((i for i in order if used[i] > paragraphs[i][3]), None)
        if shorter is None:
            break
        most[shorter] = used[shorter] - 1
    for font, text, line_y in lines:
        if line_y < bottom:
            break
        c.setFont(font, SIZE)
        c.drawString(left, line_y, text)


def _flow(paragraphs: list[tuple[str, str, int]], most: list[int], top: float, width_at) -> tuple[list, list[int]]:
    """The lines of `paragraphs` from baseline `top` down, each as wide as `width_at` its baseline
    allows, at most `most[i]` lines for paragraph i (its last line cut with an ellipsis); returns
    (font, text, baseline) per line and the lines each paragraph took."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, used, line_y = [], [], top
    for (font, text, _most), cap in zip(paragraphs, most, strict=True):
        words, taken = [w for w in text.split(" ") if w], 0  # a no-break space joins what it joins
        while words and taken < cap:
            width = width_at(line_y)
            if taken == cap - 1:
                line, words = _fit(" ".join(words), font, SIZE, width), []
            else:
                k = 1
                while k < len(words) and stringWidth(" ".join(words[:k + 1]), font, SIZE) <= width:
                    k += 1
                line, words = _fit(" ".join(words[:k]), font, SIZE, width), words[k:]
            lines.append((font, line, line_y))
            line_y -= LEAD
            taken += 1
        used.append(taken)
    return lines, used
