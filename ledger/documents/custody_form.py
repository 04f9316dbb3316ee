"""The chain-of-custody form (Peru's formato de cadena de custodia) as a PDF, one or more pages
per item: who the item is, then every custody event from the log, then blank rows with room
for the wet signatures of the next handovers, which courts still ask for.

Events are not signed in the ledger yet, so the digital-signature column says so on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.documents.facts import WORDS, ItemFacts, item_facts, select_items
from ledger.documents.pdf import FONT, FONT_BOLD, WrittenPdf, check_lang, numbered_canvas, word, write_pdf

BLANK_ROWS = 5  # room for the handovers still to come, written by hand

TEXT: dict[str, tuple[str, str]] = {
    "heading": ("Chain of custody form", "Formato de cadena de custodia"),
    "ident": ("Identification of the item", "Identificación del bien"),
    "item": ("Evidence number", "Número de evidencia"), "kind": ("Kind", "Tipo"), "case": ("Case", "Caso"),
    "seizure": ("Seizure", "Incautación"), "acta": ("Record (acta)", "Acta"),
    "collected": ("Collected (date, time)", "Recojo (fecha, hora)"), "place": ("Place", "Lugar"),
    "status": ("Status", "Estado"), "holder": ("Held by", "En poder de"), "location": ("Location", "Ubicación"),
    "seals": ("Seal history", "Historial de precintos"), "no_seal": ("not sealed", "sin precinto"),
    "registration": ("Registered in the ledger", "Registro en el libro"),
    "events": ("Custody events", "Eventos de custodia"),
    "at": ("Date and time", "Fecha y hora"), "event": ("Event", "Evento"), "from": ("From", "Entrega"),
    "to": ("To", "Recibe"), "where": ("Place", "Lugar"), "reason": ("Reason", "Motivo"), "seal": ("Seal", "Precinto"),
    "digital": ("Digital signature (key, fingerprint)", "Firma digital (clave, huella)"),
    "sign_from": ("Signature (hands over)", "Firma (entrega)"), "sign_to": ("Signature (receives)", "Firma (recibe)"),
    "unsigned": ("not signed", "sin firma"),
    "unsigned_note": ("The ledger does not sign events yet: the digital-signature column stays empty and the "
                      "handwritten signatures are the ones that count.",
                      "El libro aún no firma los eventos: la columna de firma digital queda vacía y valen las "
                      "firmas manuscritas."),
    "next": ("Next handovers (to be filled in by hand)", "Próximas entregas (a llenar a mano)"),
    "event_no": ("event", "evento"), "hash": ("hash", "hash"),
    "footer": ("Chain of custody — case {case} — {item} — page {page} of {pages}",
               "Cadena de custodia — caso {case} — {item} — página {page} de {pages}"),
    "made": ("Made from the ledger at event {seq}", "Generado del libro en el evento {seq}"),
}


@dataclass
class CustodyRow:
    """One custody event as the form prints it (times local, people as badge and name)."""

    seq: int
    at: str
    event: str
    by: str | None
    from_: str | None
    to: str | None
    location: str | None
    reason: str | None
    seal: str | None
    hash: str
    signer_key: str | None = None  # events are not signed yet
    signature: str | None = None


@dataclass
class CustodyForm:
    item: ItemFacts
    seals: list[str]
    events: list[CustodyRow] = field(default_factory=list)


def custody_forms(session: Session, refs: Sequence[str], *, lang: str = "es", tz: str = "America/Lima"
                  ) -> tuple[list[CustodyForm], int]:
    """The forms of the items `refs` names, and the ledger head they were read at."""
    from ledger.custody import item_history
    from ledger.events import head_of
    from ledger.models import Officer
    from ledger.validate import local_iso

    lang = check_lang(lang)
    items = select_items(session, refs)
    facts = item_facts(session, items, lang, tz)
    names = dict(session.execute(select(Officer.badge, Officer.name)).all())
    person = lambda b: f"{b} ({names[b]})" if b in names else b  # noqa: E731
    forms = []
    for fact in facts:
        history = item_history(session, fact.id)
        rows, seals = [], []
        for e in history["events"]:
            reason = e["reason"]
            if e["type"] == "item.registered":
                reason = f"{word(WORDS, 'registered', lang)} ({fact.seizure})"
                if e["seal"]:
                    seals.append(f"{e['seal']} ({local_iso(e['occurred_at'], tz)})")
            elif e["type"] == "custody.resealed":
                seals.append(f"{e['seal'].split(' -> ')[-1]} ({local_iso(e['occurred_at'], tz)}: {e['reason']})")
            elif e["type"] == "custody.disposed":
                action, _, rest = (reason or "").partition(" (")
                reason = f"{word(WORDS, action, lang)} ({rest}" if rest else word(WORDS, action, lang)
            rows.append(CustodyRow(
                seq=e["seq"], at=local_iso(e["occurred_at"], tz), event=word(WORDS, e["type"], lang),
                by=person(e["actor"]) if e["actor"] else None, from_=person(e["from"]) if e["from"] else None,
                to=person(e["to"]) if e["to"] else None, location=e["location"], reason=reason,
                seal=(e["seal"] or "").replace(" -> ", " / ") or None, hash=e["hash"]))
        forms.append(CustodyForm(item=fact, seals=seals, events=rows))
    return forms, head_of(session)[0]


def write_custody_forms(forms: list[CustodyForm], head_seq: int, out: str, *, lang: str = "es",
                        force: bool = False, database=None) -> WrittenPdf:
    """Draw the forms on A4 landscape pages, one item after another, into `out`."""
    return write_pdf(out, lambda tmp: _draw(forms, head_seq, tmp, lang), force=force, database=database)


def _draw(forms: list[CustodyForm], head_seq: int, path: str, lang: str) -> int:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ledger.documents.pdf import register_fonts

    register_fonts()
    t = lambda key: word(TEXT, key, lang)  # noqa: E731
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
    bold = ParagraphStyle("bold", parent=body, fontName=FONT_BOLD)
    head = ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=14, leading=18)
    sub = ParagraphStyle("sub", parent=body, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=6,
                         spaceAfter=3)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    p = lambda text, style=body: Paragraph(escape(text or "").replace("\n", "<br/>"), style)  # noqa: E731
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ])
    story: list = []
    for n, form in enumerate(forms):
        f = form.item
        if n:
            story.append(PageBreak())
        story.append(_mark(f.case_no, f.id))
        story.append(p(f"{t('heading')} — {f.id}", head))
        story.append(p(t("made").format(seq=head_seq), small))
        story.append(p(t("ident"), sub))
        ident = [
            (t("item"), f"{f.id} ({f.kind_word})"), (t("case"), f"{f.case_no} — {f.case_title}"),
            (t("seizure"), f.seizure + (f" — {t('acta')} {f.acta}" if f.acta else "")),
            (t("collected"), f.seizure_at), (t("place"), f.seizure_place),
            *f.details,
            (t("status"), f.status_word + (f" ({f.disposition})" if f.disposition else "")),
            (t("holder"), f"{f.holder} ({f.holder_name})" if f.holder_name else (f.holder or "—")),
            (t("location"), f.location or "—"),
            (t("seals"), "; ".join(form.seals) or t("no_seal")),
            (t("registration"), f"{t('event_no')} {f.registered_seq}, {t('hash')} {f.registration_hash}"),
        ]
        table = Table([[p(k, bold), p(v)] for k, v in ident], colWidths=[55 * mm, 222 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), FONT),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        story.append(p(t("events"), sub))
        widths = [26, 26, 30, 30, 25, 42, 24, 22, 26, 26]
        header = [p(t(k), bold) for k in ("at", "event", "from", "to", "where", "reason", "seal", "digital",
                                           "sign_from", "sign_to")]
        rows = [header]
        for e in form.events:
            rows.append([p(e.at), p(f"{e.event}\n({t('event_no')} {e.seq})"), p(e.from_ or "—"), p(e.to or "—"),
                         p(e.location or "—"), p(e.reason or "—"), p(e.seal or "—"),
                         p(f"{e.signer_key} {e.signature}" if e.signer_key else t("unsigned")), "", ""])
        events = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1,
                       rowHeights=[None] + [None] * len(form.events))
        events.setStyle(grid)
        story.append(events)
        story.append(p(t("unsigned_note"), small))
        blank = Table([header] + [[""] * len(widths) for _ in range(BLANK_ROWS)], colWidths=[w * mm for w in widths],
                      rowHeights=[None] + [14 * mm] * BLANK_ROWS, repeatRows=1)
        blank.setStyle(grid)
        story.append(KeepTogether([p(t("next"), sub), blank]))
        story.append(Spacer(1, 4 * mm))

    footer = TEXT["footer"][0 if lang == "en" else 1]

    def footer_text(page: int, pages: int, mark: tuple[str, str] | None) -> str:
        case, item = mark or ("", "")
        return footer.format(case=case, item=item, page=page, pages=pages)

    doc = SimpleDocTemplate(path, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=14 * mm, title=t("heading"),
                            author="evidence", subject=", ".join(f.item.id for f in forms))
    doc.build(story, canvasmaker=numbered_canvas(footer_text))
    return doc.page


def _mark(case: str, item: str):
    """A flowable of no size that tells the canvas which item the page shows, for its footer."""
    from reportlab.platypus import Flowable

    class Mark(Flowable):
        def wrap(self, *args):
            return 0, 0

        def draw(self):
            self.canv.evidence_mark = (case, item)

    return Mark()
