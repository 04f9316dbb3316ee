"""What every PDF of the ledger shares: its fonts, its languages (whose words come from the
catalogue, `ledger.i18n.translator`), and the one way a finished PDF reaches its --out path
(checked by ledger.outputs, written beside it, moved in).

The fonts are the Bitstream Vera faces that ship inside reportlab, embedded in each PDF, so
Spanish accents print the same on every machine, whatever fonts it has installed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import InputError
from ledger.i18n import _

FONT = "EvidenceSans"
FONT_BOLD = "EvidenceSans-Bold"
LANGS = ("es", "en")


@dataclass(frozen=True)
class WrittenPdf:
    path: str
    sha256: str
    bytes: int
    pages: int


def register_fonts() -> None:
    """Register the embedded fonts once per process."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(rl_config.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(_("--lang {lang} is not a language of the documents.").format(lang=repr(lang)),
                         hint=_("Use es or en."))
    return lang


def check_pdf_path(out: str, *, force: bool, database) -> Path:
    from ledger.outputs import check_file

    return check_file(out, force=force, suffix=".pdf", example="EV-000042.pdf", database=database)


def write_pdf(out: str, draw: Callable[[str], int], *, force: bool, database) -> WrittenPdf:
    """Check `out`, let `draw(tmp_path)` make the PDF (returning its page count) in a hidden file
    beside it, then move it into place: a refused or failed command leaves no file behind."""
    from ledger.outputs import staged_file

    path = check_pdf_path(out, force=force, database=database)
    with staged_file(path, out=out, force=force) as tmp:
        pages = draw(str(tmp))
        data = tmp.read_bytes()
    return WrittenPdf(path=str(path), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), pages=pages)


def numbered_canvas(footer: Callable[[int, int, object], str], font_size: float = 8):
    """A reportlab canvas class that writes `footer(page, pages, mark)` at the foot of every page,
    once the number of pages is known (page N of M needs the whole document first); `mark` is
    what the page's content last set as `canvas.evidence_mark` (which item it shows), or None."""
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = FONT  # else every page names Helvetica, not embedded
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, font_size)
                width = self._pagesize[0]
                self.drawCentredString(width / 2, 20, footer(number, total, state.get("evidence_mark")))
                super().showPage()
            super().save()

    return NumberedCanvas
