"""The chain-of-custody form (Peru's formato de cadena de custodia) as a PDF, one or more pages
per item: who the item is and the case it belongs to, then one row per act of custody from the
log (an offered handover and its acceptance together), each with the digital signatures the
ledger holds for it, checked before they are printed; then blank rows with room for the wet
signatures of the next handovers, which courts still ask for.

Every word comes from the catalogue in the document's language (`ledger.i18n.translator`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.documents.facts import ItemFacts, item_facts, officer_rank, select_items, term
from ledger.documents.pdf import FONT, FONT_BOLD, WrittenPdf, check_lang, numbered_canvas, write_pdf
from ledger.documents.signatures import EventSignatures, checked_signatures
from ledger.i18n import translator
from ledger.rules.custody import (
    ACCEPTED,
    ASSIGNED,
    DECLINED,
    DEPOSITED,
    DISPOSED,
    OFFERED,
    RESEALED,
    RETURNED,
    TRANSFERRED,
)
from ledger.rules.items import REGISTERED, REVIEW_SET
from ledger.rules.operations import AUDIT_CHECKED

BLANK_ROWS = 5  # room for the handovers still to come, written by hand
BLANK = "______________"  # a line to fill by hand where the ledger holds no value


@dataclass
class Party:
    """Who hands over or receives: an officer (name, grado and cargo where recorded, CIP), or
    a bank, an entity or a person outside the ledger (`name` only, no badge)."""

    name: str
    badge: str | None = None
    rank: str | None = None


@dataclass
class Signature:
    name: str
    badge: str
    key_id: str


@dataclass
class CustodyRow:
    """One act of custody as the form prints it: texts already in the document's language."""

    seqs: tuple[int, ...]
    act: str
    at: str  # local time of the act (of the acceptance, for an offered handover)
    from_: Party | None
    to: Party | None
    place: str | None
    seal: list[str]  # lines: the seal number, then its state as checked
    observations: list[str]
    signatures: list[Signature] = field(default_factory=list)
    signed: bool = True  # False: recorded before the ledger required signatures


@dataclass
class CustodyForm:
    item: ItemFacts
    seals: list[str]
    events: list[CustodyRow] = field(default_factory=list)


def custody_forms(session: Session, refs: Sequence[str], *, lang: str = "es", tz: str = "America/Lima"
                  ) -> tuple[list[CustodyForm], int]:
    """The forms of the items `refs` names, and the ledger head they were read at. The items'
    case rows are checked against the log, and the signatures of every act shown are checked
    over its event, before anything is returned."""
    from ledger.events import head_of
    from ledger.models import Event, EventItem, Location, Officer

    lang = check_lang(lang)
    items = select_items(session, refs)
    facts = item_facts(session, items, lang, tz)
    officers = {o.badge: o for o in session.scalars(select(Officer))}
    places = dict(session.execute(select(Location.code, Location.name)).all())
    histories = {}
    for item in items:
        histories[item.id] = session.execute(
            select(Event.seq, Event.type, Event.occurred_at, Event.actor, Event.body)
            .join(EventItem, EventItem.seq == Event.seq).where(EventItem.item_no == item.no)
            .order_by(Event.seq)).all()
    signatures = checked_signatures(session, [r.seq for rows in histories.values() for r in rows])
    reader = _Reader(translator(lang), tz, officers, places, signatures)
    forms = [reader.form(fact, histories[fact.id]) for fact in facts]
    return forms, head_of(session)[0]


class _Reader:
    """Turns one item's events into the form's rows, in one language."""

    def __init__(self, _, tz: str, officers: dict, places: dict[str, str], signatures: dict[int, EventSignatures]):
        self._ = _
        self.tz = tz
        self.officers = officers
        self.places = places
        self.signatures = signatures

    def when(self, iso: str) -> str:
        from ledger.validate import local_iso

        return local_iso(iso, self.tz)

    def party(self, badge: str | None) -> Party | None:
        if not badge:
            return None
        officer = self.officers.get(badge)
        if officer is None:
            return Party(badge)
        return Party(officer.name, badge, officer_rank(officer))

    def place(self, code: str | None) -> str | None:
        return self.places.get(code, code) if code else None

    def signed(self, seqs: Sequence[int]) -> tuple[list[Signature], bool]:
        out: list[Signature] = []
        required = True
        for seq in seqs:
            found = self.signatures.get(seq)
            if found is None:
                continue
            required = required and found.required
            for s in found.signers:
                officer = self.officers.get(s.badge)
                out.append(Signature(officer.name if officer else s.badge, s.badge, s.key_id))
        return out, required

    def seal_state(self, seal: str | None, check: str | None, packaging: str | None, handover: bool) -> list[str]:
        """The seal as it stood at the act: its number, then what the receiver found (intact,
        or broken and how), then the packaging; blanks to fill where a handover recorded none."""
        _ = self._
        lines = [seal or _("no seal")]
        if check == "ok":
            lines.append(_("seal intact"))
        elif check:
            lines.append(_("seal broken: {what}").format(what=check.removeprefix("broken: ")))
        elif handover:
            lines.append(_("state of the seal:") + " " + BLANK)
        if packaging:
            lines.append(_("packaging: {state}").format(state=packaging))
        elif handover:
            lines.append(_("packaging:") + " " + BLANK)
        return lines

    def form(self, fact: ItemFacts, events: list) -> CustodyForm:
        _ = self._
        rows: list[CustodyRow] = []
        seals: list[str] = []
        offers: dict[int, tuple] = {}  # offer seq -> (row index, occurred, data)
        seal: str | None = None
        for seq, typ, occurred, actor, body in events:
            data = json.loads(body).get("data") or {}
            notes = [n for n in (data.get("note"),) if n]
            if data.get("order"):
                notes.append(_("order: {order}").format(order=data["order"]))
            handover, check = False, None
            if typ == REGISTERED:
                seal = data.get("seal")
                if seal:
                    seals.append(f"{seal} ({self.when(occurred)})")
                row = CustodyRow((seq,), _("Registration"), self.when(occurred), None, self.party(data.get("holder")),
                                 self.place(data.get("location")), [], [_("registered from seizure {seizure}").format(
                                     seizure=fact.seizure)] + notes)
                row.seal = [seal or _("no seal")] + ([_("seal put on")] if seal else [])
                rows.append(row)
                continue
            if typ == RESEALED:
                old, seal = data.get("old_seal"), data.get("new_seal")
                seals.append(f"{seal} ({self.when(occurred)}: {data.get('reason')})")
                rows.append(CustodyRow((seq,), _("Reseal"), self.when(occurred), None, None, None,
                                       [_("{old} replaced by {new}").format(old=old or _("no seal"), new=seal)],
                                       [data.get("reason") or ""] + notes))
                continue
            if typ in (ACCEPTED, DECLINED) and data.get("offer") in offers:
                index, offered_at, offer = offers.pop(data["offer"])
                row = rows[index]
                row.seqs = row.seqs + (seq,)
                row.at = self.when(occurred)
                if typ == ACCEPTED:
                    row.act = _("Handover")
                    if data.get("seal"):
                        seal = data["seal"]
                    row.seal = self.seal_state(seal, data.get("seal_check"), data.get("packaging"), True)
                    if offered_at != occurred:
                        row.observations.append(_("offered {at}").format(at=self.when(offered_at)))
                else:
                    row.act = _("Handover refused")
                    row.observations.append(_("refused by the receiver: {reason}").format(reason=data.get("reason")))
                row.observations += notes
                continue
            frm = to = place = None
            observations = list(notes)
            if typ == TRANSFERRED:
                act, handover = _("Handover"), True
                frm, to, place = self.party(data.get("from")), self.party(data.get("to")), data.get("location")
                seal = data.get("seal") or seal
                check = data.get("seal_check")
                observations.insert(0, data.get("reason") or "")
            elif typ == OFFERED:
                act, handover = _("Handover offered, awaiting acceptance"), True
                frm, to, place = self.party(data.get("from")), self.party(data.get("to")), data.get("location")
                seal = data.get("seal") or seal
                observations.insert(0, data.get("reason") or "")
                offers[seq] = (len(rows), occurred, data)
            elif typ == DISPOSED:
                act = _("Disposal")
                frm = self.party(data.get("holder"))
                to = Party(data["to"]) if data.get("to") else None
                observations.insert(0, term(data.get("action"), _) + (f" ({data['authority']})"
                                                                      if data.get("authority") else ""))
                if data.get("act"):
                    observations.append(_("record {act}").format(act=data["act"]))
                if data.get("witness"):
                    observations.append(_("witness: {person}").format(person=self._name(data["witness"])))
            elif typ == DEPOSITED:
                act = _("Bank deposit")
                frm, to = self.party(data.get("from")), Party(f"{data.get('bank')} {data.get('account')}")
                observations.insert(0, _("voucher {voucher}").format(voucher=data.get("voucher")))
            elif typ == ASSIGNED:
                act = _("Temporary use")
                frm, to = self.party(data.get("holder")), Party(data.get("entity") or "")
                observations.insert(0, _("until {date}").format(date=data.get("until")))
            elif typ == RETURNED:
                act = _("Return from temporary use")
                frm, to = Party(data.get("entity") or ""), self.party(data.get("holder"))
            elif typ == AUDIT_CHECKED:
                act = _("Audit check")
                place = data.get("location")
                found = {"found": _("found"), "missing": _("missing")}.get(data.get("result"), data.get("result"))
                observations.insert(0, _("audit {audit}: {result}, checked by {person}").format(
                    audit=data.get("audit"), result=found, person=self._name(actor)))
                if data.get("seal") and data.get("seal") != seal:
                    observations.append(_("seal seen: {seal}").format(seal=data["seal"]))
            elif typ == REVIEW_SET:
                act = _("Review date")
                observations.insert(0, _("review on {date}").format(date=data["review_on"]) if data.get("review_on")
                                    else _("review date cleared"))
                if data.get("reason"):
                    observations.append(data["reason"])
            else:
                act = _("Other act")
                if data.get("reason"):
                    observations.insert(0, data["reason"])
            seal_lines = self.seal_state(seal, check, data.get("packaging"), handover) if handover or typ in (
                DISPOSED, DEPOSITED, ASSIGNED, RETURNED) else []
            rows.append(CustodyRow((seq,), act, self.when(occurred), frm, to, self.place(place), seal_lines,
                                   [o for o in observations if o]))
        for row in rows:
            row.signatures, row.signed = self.signed(row.seqs)
        return CustodyForm(item=fact, seals=seals, events=rows)

    def _name(self, badge: str | None) -> str:
        officer = self.officers.get(badge)
        return f"{officer.name} ({self._('badge {badge}').format(badge=badge)})" if officer else (badge or "")


def write_custody_forms(forms: list[CustodyForm], head_seq: int, out: str, *, lang: str = "es",
                        force: bool = False, database=None) -> WrittenPdf:
    """Draw the forms on A4 landscape pages, one item after another, into `out`."""
    return write_pdf(out, lambda tmp: _draw(forms, head_seq, tmp, lang), force=force, database=database)


# The columns of the custody table, in millimetres (277 fill an A4 landscape page within its margins).
WIDTHS = (31, 36, 36, 28, 30, 38, 38, 20, 20)


def header(_) -> list[str]:
    return [_("Act, date and time"), _("Hands over (name, badge)"), _("Receives (name, badge)"), _("Place"),
            _("Seal and packaging"), _("Observations"), _("Digital signature (signer, key id)"),
            _("Signature (hands over)"), _("Signature (receives)")]


def _party(p: Party | None, _) -> str:
    if p is None:
        return "—"
    if p.badge is None:
        return p.name
    return "\n".join([p.name, _("Rank and position:") + " " + (p.rank or BLANK), _("badge {badge}").format(badge=p.badge)])


def _signatures(row: CustodyRow, _) -> str:
    if not row.signed:
        return _("recorded before the ledger signed its events: no digital signature")
    lines = []
    for s in row.signatures:
        lines += [f"{s.name} ({_('badge {badge}').format(badge=s.badge)})", _("key id {kid}").format(kid=s.key_id)]
    lines.append(_("verified against the log"))
    return "\n".join(lines)


def row_texts(row: CustodyRow, _) -> list[str]:
    """The cells of one row of the custody table, as printed (the two signature boxes empty)."""
    seqs = ", ".join(str(s) for s in row.seqs)
    event = _("event {seq}").format(seq=seqs) if len(row.seqs) == 1 else _("events {seqs}").format(seqs=seqs)
    return [f"{row.act}\n{row.at}\n({event})", _party(row.from_, _), _party(row.to, _), row.place or "—",
            "\n".join(row.seal) or "—", "\n".join(row.observations) or "—", _signatures(row, _), "", ""]


def ident_texts(form: CustodyForm, head_seq: int, _) -> list[tuple[str, str]]:
    """The item and its case, as (label, value) rows; a blank line where the ledger lacks a value."""
    f = form.item
    packer = "—"
    if f.packed_by:
        packer = ", ".join(p for p in (f.packed_by_name, f.packed_by_rank or None,
                                        _("badge {badge}").format(badge=f.packed_by), f.packed_at) if p)
    return [
        (_("Evidence number"), f"{f.id} ({f.kind_word})"), (_("Case"), f"{f.case_no} — {f.case_title}"),
        (_("Offence"), f.offence or BLANK), (_("Prosecutor's file"), f.fiscal_file or BLANK),
        (_("Prosecutor's office"), f.prosecutor_office or BLANK),
        (_("Seizure"), f.seizure + (" — " + _("record {acta}").format(acta=f.acta) if f.acta else "")),
        (_("Collected (date, time)"), f.seizure_at), (_("Place of seizure"), f.seizure_place),
        *f.details,
        (_("Status"), f.status_word + (f" ({f.disposition})" if f.disposition else "")),
        (_("Held by"), f"{f.holder_name} ({_('badge {badge}').format(badge=f.holder)})" if f.holder_name
         else (f.holder or "—")),
        (_("Seal history"), "; ".join(form.seals) or _("not sealed")),
        (_("Packed and sealed by"), packer),
        (_("Registered in the ledger"), _("event {seq}, hash {hash}").format(seq=f.registered_seq,
                                                                               hash=f.registration_hash)),
    ]


def footer_pattern(_) -> str:
    return _("Chain of custody — case {case} — {item} — page {page} of {pages}")


def titles(_) -> dict[str, str]:
    """The form's headings and notes, in the language of `_`."""
    return {
        "heading": _("Chain of custody form"), "ident": _("Identification of the item"),
        "custody": _("Custody of the item"), "next": _("Next handovers (to be filled in by hand)"),
        "checked": _("Each digital signature was checked against the officer's key as the log enrolled it, over the "
                     "event as the log holds it, before this form was made."),
        "made": _("Made from the ledger at event {seq}"),
    }


def _draw(forms: list[CustodyForm], head_seq: int, path: str, lang: str) -> int:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ledger.documents.pdf import register_fonts

    register_fonts()
    _ = translator(lang)
    body = ParagraphStyle("body", fontName=FONT, fontSize=7.5, leading=9.5)
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
    widths = [w * mm for w in WIDTHS]
    said = titles(_)
    story: list = []
    for n, form in enumerate(forms):
        f = form.item
        if n:
            story.append(PageBreak())
        story.append(_mark(f.case_no, f.id))
        story.append(p(f"{said['heading']} — {f.id}", head))
        story.append(p(said["made"].format(seq=head_seq), small))
        story.append(p(said["ident"], sub))
        table = Table([[p(k, bold), p(v)] for k, v in ident_texts(form, head_seq, _)], colWidths=[55 * mm, 222 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONTNAME", (0, 0), (-1, -1), FONT),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        story.append(p(said["custody"], sub))
        heading = [p(text, bold) for text in header(_)]
        rows = [heading] + [[p(text) if text else "" for text in row_texts(e, _)] for e in form.events]
        events = Table(rows, colWidths=widths, repeatRows=1)
        events.setStyle(grid)
        story.append(events)
        story.append(p(said["checked"], small))
        blank = Table([heading] + [[""] * len(widths) for _row in range(BLANK_ROWS)], colWidths=widths,
                      rowHeights=[None] + [14 * mm] * BLANK_ROWS, repeatRows=1)
        blank.setStyle(grid)
        story.append(KeepTogether([p(said["next"], sub), blank]))
        story.append(Spacer(1, 4 * mm))

    footer = footer_pattern(_)

    def footer_text(page: int, pages: int, mark: tuple[str, str] | None) -> str:
        case, item = mark or ("", "")
        return footer.format(case=case, item=item, page=page, pages=pages)

    doc = SimpleDocTemplate(path, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=10 * mm, bottomMargin=14 * mm, title=said["heading"],
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
