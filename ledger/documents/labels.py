"""Evidence labels (rotulado) with a QR code, as a PDF to print on label sheets or a label roll.

Each label shows the evidence number in large type, the case, the seizure's date and place, a
short description, the seal and a QR code. The QR code holds the text of
`ledger.items.label_payload`, EV-000042/CASE/HASH12 (HASH12: the first 12 hex digits of the
item's registration event hash), which `evidence item show` accepts as typed by a barcode
scanner, and which it refuses when the case or the hash is not this ledger's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.documents.facts import ItemFacts, item_facts, select_items
from ledger.documents.pdf import FONT, FONT_BOLD, WrittenPdf, check_lang, word, write_pdf
from ledger.errors import InputError

MM = 72 / 25.4  # PDF points per millimetre
SIZE = 8  # points: the smallest text on a label, read at arm's length without a magnifier
LEAD = 9.3  # points from baseline to baseline: Vera's ascent and descent at 8 pt


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
    # One label per page on a 62 mm continuous roll (label printers' common width).
    "roll-62mm": Layout("roll-62mm", (62, 42), 1, 1, 62, 42, qr_share=0.36),
}

TEXT: dict[str, tuple[str, str]] = {
    "case": ("Case", "Caso"), "seized": ("Seized", "Incautado"), "seal": ("Seal", "Precinto"),
    "no_seal": ("no seal", "sin precinto"), "disposed": ("DISPOSED", "DISPUESTO"),
    "title": ("Evidence labels", "Rótulos de evidencia"),
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
    c.setTitle(word(TEXT, "title", lang))
    c.setAuthor("evidence")
    per_page = layout.columns * layout.rows
    pages = 0
    for start in range(0, len(labels), per_page):
        for i, label in enumerate(labels[start:start + per_page]):
            col, row = i % layout.columns, i // layout.columns
            x = (layout.left + col * layout.width) * MM
            y = (layout.page[1] - layout.top - (row + 1) * layout.height) * MM
            _label(c, label, x, y, layout.width * MM, layout.height * MM, layout.qr_share, lang)
        c.showPage()
        pages += 1
    c.save()
    return pages


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis so that it fits `width` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _qr(c, payload: str, x: float, y: float, size: float) -> None:
    """The QR code of `payload` as vector squares in a `size`-point square at (x, y), with
    the standard quiet zone of 4 modules inside it."""
    import segno

    qr = segno.make(payload, error="m", micro=False)
    matrix = [list(r) for r in qr.matrix_iter(border=4)]
    module = size / len(matrix)
    top = y + size
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


def _label(c, f: ItemFacts, x: float, y: float, w: float, h: float, qr_share: float, lang: str) -> None:
    """One label: the number in large type, then the case, the seizure's date and place, the
    description and the seal beside the QR code (and under it, once below the code and its hash),
    and the short hash under the code. Everything is 8 pt or larger; when the texts need more
    lines than the label has, the place and then the description give up their last lines first
    (cut with an ellipsis)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    t = lambda key: word(TEXT, key, lang)  # noqa: E731
    pad = 2 * MM
    qr_size = min(h - pad, w * qr_share)  # the code's quiet zone may reach into the padding
    qr_x, qr_y = x + w - qr_size - pad / 2, y + h - qr_size - pad / 2
    _qr(c, f.payload, qr_x, qr_y, qr_size)
    # The hash in the QR code, readable under it, so a label can be checked by eye against 'item show'.
    short_hash = f"#{f.payload.rsplit('/', 1)[-1]}"
    hash_y = qr_y - SIZE
    hash_x = x + w - pad / 2 - stringWidth(short_hash, FONT, SIZE)
    c.setFont(FONT, SIZE)
    c.drawString(hash_x, hash_y, short_hash)
    left = x + pad

    def width_at(line_y: float) -> float:
        if line_y - 2 > hash_y + SIZE:  # beside the code
            return qr_x - left - 2
        if line_y + SIZE > hash_y - 2:  # beside the hash
            return min(qr_x, hash_x) - left - 3
        return x + w - pad - left  # below both: the whole width

    top = y + h - pad - 11.5
    c.setFont(FONT_BOLD, 15)
    c.drawString(left, top, _fit(f.id, FONT_BOLD, 15, width_at(top)))
    top -= 11
    bottom = y + pad + 2
    paragraphs = []  # (font, text, most lines)
    if f.status == "disposed":
        paragraphs.append((FONT_BOLD, t("disposed") + (f" ({f.disposition})" if f.disposition else ""), 2))
    paragraphs += [(FONT, f"{t('case')} {f.case_no}", 2), (FONT, f"{t('seized')} {f.seizure_at[:16]}", 2),
                   (FONT, f.seizure_place, 3), (FONT_BOLD, f"{f.kind_word}: {f.short}", 4),
                   (FONT, f"{t('seal')} {f.seal}" if f.seal else t("no_seal"), 2)]
    most = [p[2] for p in paragraphs]
    n = len(paragraphs)
    while True:
        lines, used = _flow(paragraphs, most, top, width_at)
        if lines[-1][2] >= bottom:
            break
        # The place gives way first, then the description, the case, the date, the seal, the disposal.
        shorter = next((i for i in (n - 3, n - 2, n - 5, n - 4, n - 1, 0) if used[i] > 1), None)
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
    for (font, text, _), cap in zip(paragraphs, most, strict=True):
        words, taken = text.split(), 0
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
