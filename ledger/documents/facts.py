"""What a paper document says about an item, gathered once for the custody form and the labels.

The rows come from the projections (checked against the log first with
`ledger.verify.require_verified`, as every document for a court is) and the custody events
from the log itself (`ledger.custody.item_history`). Words are chosen here, per language;
nothing here knows how a PDF is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.i18n import N_, translator
from ledger.rules.custody import ACCEPTED, OFFERED, RESEALED, TRANSFERRED
from ledger.rules.items import REGISTERED

# The words the documents print for the ledger's codes (kinds, statuses, dispositions, plate
# kinds), in English as the catalogue's keys; `term` gives them in a document's language.
WORDS: dict[str, str] = {
    "cash": N_("Cash"), "vehicle": N_("Vehicle"), "phone": N_("Phone"), "document": N_("Document"),
    "in-custody": N_("in custody"), "in-transit": N_("in transit"), "disposed": N_("disposed"),
    "deposited": N_("deposited"), "assigned": N_("in temporary use"),
    "returned": N_("returned"), "destroyed": N_("destroyed"), "forfeited": N_("forfeited"),
    "auctioned": N_("auctioned"), "transferred-to-agency": N_("transferred to another agency"),
    "to-pronabi": N_("handed to PRONABI"),
    "pe": N_("Peruvian"), "foreign": N_("foreign"),
}


def term(code: str | None, _) -> str:
    """The word for a ledger code (`cash`, `in-custody`, `returned`) through `_` (a document's
    `translator`); a code the table lacks as it is."""
    if code is None:
        return ""
    return _(WORDS[code]) if code in WORDS else code


@dataclass
class ItemFacts:
    """One item as a document shows it: identification, short description and seals."""

    id: str
    kind: str
    kind_word: str
    case_no: str
    case_title: str
    seizure: str
    acta: str | None
    seizure_at: str  # local, as `ledger.validate.local_iso` writes it
    seizure_place: str
    status: str
    status_word: str
    holder: str | None
    holder_name: str | None
    location: str | None
    seal: str | None
    short: str  # one line: "US$15,000.00", "Toyota Hilux, placa DEM-001"
    details: list[tuple[str, str]] = field(default_factory=list)  # (label, value), in the document's language
    registered_seq: int = 0
    registration_hash: str = ""
    payload: str = ""  # the label's QR text, see ledger.items.label_payload
    disposition: str | None = None
    # The case as the formato names it; None where the ledger does not record it (a blank to fill).
    offence: str | None = None
    fiscal_file: str | None = None
    prosecutor_office: str | None = None
    # Who packed and sealed the item (the last act that put its seal on), and when (local).
    packed_by: str | None = None
    packed_by_name: str | None = None
    packed_by_rank: str | None = None
    packed_at: str | None = None


def _person(badge: str | None, names: dict[str, str], _) -> str | None:
    """An officer as the documents name them: full name, then the badge (CIP in Spanish)."""
    if not badge:
        return None
    name = names.get(badge)
    return f"{name} ({_('badge {badge}').format(badge=badge)})" if name else badge


def _description(item, lang: str, names: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    from ledger.money import format_money

    _ = translator(lang)
    details: list[tuple[str, str]] = []
    if item.kind == "cash":
        amount = format_money(item.amount_minor, item.currency, lang)
        details = [(_("Amount"), amount if item.currency in amount else f"{amount} ({item.currency})")]
        if item.denominations:
            details.append((_("Notes and coins"), item.denominations.replace(",", ", ")))
        details += [(_("Counted by"), _person(item.counted_by, names, _) or ""),
                    (_("Verified by"), _person(item.verified_by, names, _) or "")]
        return amount, details
    if item.kind == "vehicle":
        make_model = f"{item.make} {item.model}"
        details = [(_("Make and model"), make_model)]
        if item.plate:
            details.append((_("Plate"), f"{item.plate} ({term(item.plate_kind, _)})" if item.plate_kind else item.plate))
        for label, value in (("VIN", item.vin), (_("Year"), item.year), (_("Colour"), item.color)):
            if value:
                details.append((label, str(value)))
        if item.value_minor is not None:
            details.append((_("Declared value"), format_money(item.value_minor, item.value_currency, lang)))
        short = make_model + (", " + _("plate {plate}").format(plate=item.plate) if item.plate else "")
        return short, details
    if item.kind == "phone":
        details = [(_("Make and model"), f"{item.make} {item.model}"), ("IMEI", item.imei)]
        if item.imei2:
            details.append((_("Second IMEI"), item.imei2))
        if item.number:
            details.append((_("Phone number"), item.number))
        return f"{item.make} {item.model}, IMEI {item.imei}", details
    details = [(_("Title"), item.title)]
    if item.pages:
        details.append((_("Pages"), str(item.pages)))
    if item.file_sha256:
        details.append((_("Scanned copy"), f"{item.file_name or ''} SHA-256 {item.file_sha256}".strip()))
    return item.title, details


def officer_rank(officer) -> str | None:
    """An officer's grado and cargo as one line, where the ledger records them (else None: the
    paper leaves a line to fill by hand)."""
    if officer is None:
        return None
    parts = [getattr(officer, "rank", None), getattr(officer, "position", None)]
    return ", ".join(p for p in parts if p) or None


# The acts that put a seal on an item (an audit's check only reads the seal it finds).
SEALING = (REGISTERED, RESEALED, TRANSFERRED, OFFERED, ACCEPTED)


def _sealing(session: Session, item_no: int) -> tuple[int, str | None, str] | None:
    """(seq, actor, when) of the last event that put a seal on the item: its registration with a
    seal, a reseal, or a handover that sealed it anew; None when it was never sealed."""
    import json

    from ledger.models import Event, EventItem

    rows = session.execute(select(Event.seq, Event.type, Event.actor, Event.occurred_at, Event.body)
                           .join(EventItem, EventItem.seq == Event.seq).where(EventItem.item_no == item_no)
                           .order_by(Event.seq.desc())).all()
    for seq, typ, actor, occurred, body in rows:
        data = json.loads(body).get("data") or {}
        if typ in SEALING and (data.get("seal") or data.get("new_seal")):
            return seq, actor, occurred
    return None


def item_facts(session: Session, items: Sequence, lang: str, tz: str) -> list[ItemFacts]:
    """`ItemFacts` of `items` (ledger.models.Item rows), after checking their cases' rows
    against the log."""
    from ledger.i18n import N_
    from ledger.items import label_payload
    from ledger.models import Case, Event, Officer, Seizure
    from ledger.validate import local_iso
    from ledger.verify import require_verified

    for case_no in dict.fromkeys(i.case_no for i in items):
        require_verified(session, case_no, N_("the document"))
    officers = {o.badge: o for o in session.scalars(select(Officer))}
    names = {badge: o.name for badge, o in officers.items()}
    _ = translator(lang)
    out = []
    for item in items:
        seizure = session.get(Seizure, item.seizure_no)
        case = session.get(Case, item.case_no)
        registration = session.get(Event, item.registered_seq)
        short, details = _description(item, lang, names)
        sealed = _sealing(session, item.no) if item.seal else None
        packer = sealed[1] if sealed else None
        out.append(ItemFacts(
            id=item.id, kind=item.kind, kind_word=term(item.kind, _), case_no=item.case_no,
            case_title=case.title, seizure=seizure.id, acta=seizure.acta,
            seizure_at=local_iso(seizure.occurred_at, tz), seizure_place=seizure.place, status=item.status,
            status_word=term(item.status, _), holder=item.holder, holder_name=names.get(item.holder),
            location=item.location, seal=item.seal, short=short, details=details,
            registered_seq=item.registered_seq, registration_hash=registration.hash,
            payload=label_payload(item.id, item.case_no, registration.hash),
            disposition=term(item.disposition, _) if item.disposition else None,
            offence=getattr(case, "offence", None), fiscal_file=getattr(case, "fiscal_file", None),
            prosecutor_office=getattr(case, "prosecutor_office", None),
            packed_by=packer, packed_by_name=names.get(packer), packed_by_rank=officer_rank(officers.get(packer)),
            packed_at=local_iso(sealed[2], tz)[:16] if sealed else None,
        ))
    return out


def select_items(session: Session, refs: Sequence[str] = (), *, case_no: str | None = None,
                 seizure: str | None = None) -> list:
    """The items named by evidence numbers (or scanned labels), or all of a case's or a
    seizure's items, in evidence-number order, each once."""
    from ledger.errors import InputError, NotFound
    from ledger.i18n import _
    from ledger.items import get_item
    from ledger.models import Item
    from ledger.registry import get_case, get_seizure

    chosen = [bool(refs), case_no is not None, seizure is not None]
    if sum(chosen) != 1:
        raise InputError(_("Name the items one way: evidence numbers, or --case CASE_NO, or --seizure ID."),
                         hint=_("For example: evidence label EV-000001 EV-000002 --out labels.pdf"))
    if refs:
        found = {}
        for ref in refs:
            item = get_item(session, ref)
            found.setdefault(item.no, item)
        return [found[no] for no in sorted(found)]
    if case_no is not None:
        case = get_case(session, case_no, "--case")
        rows = session.scalars(select(Item).where(Item.case_no == case.case_no).order_by(Item.no)).all()
        empty = _("case {case} has no items registered; nothing was written.").format(case=case.case_no)
    else:
        sz = get_seizure(session, seizure, "--seizure")
        rows = session.scalars(select(Item).where(Item.seizure_no == sz.no).order_by(Item.no)).all()
        empty = _("seizure {seizure} has no items registered; nothing was written.").format(seizure=sz.id)
    if not rows:
        raise NotFound(empty, hint=_("Register items first, or name other items."))
    return list(rows)
