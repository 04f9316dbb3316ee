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

from ledger.documents.pdf import word

WORDS: dict[str, tuple[str, str]] = {
    "cash": ("Cash", "Efectivo"), "vehicle": ("Vehicle", "Vehículo"), "phone": ("Phone", "Teléfono"),
    "document": ("Document", "Documento"),
    "in-custody": ("in custody", "en custodia"), "disposed": ("disposed", "dispuesto"),
    "item.registered": ("registration", "registro"), "custody.transferred": ("handover", "entrega"),
    "custody.resealed": ("reseal", "reprecintado"), "custody.disposed": ("disposal", "disposición"),
    "returned": ("returned", "devuelto"), "destroyed": ("destroyed", "destruido"),
    "forfeited": ("forfeited", "decomisado"), "auctioned": ("auctioned", "subastado"),
    "transferred-to-agency": ("transferred to agency", "transferido a otra entidad"),
    "to-pronabi": ("handed to PRONABI", "entregado al PRONABI"), "deposited": ("deposited", "depositado"),
    "assigned": ("assigned", "asignado en uso temporal"), "custody.deposited": ("deposit", "depósito"),
    "custody.assigned": ("temporary use", "uso temporal"), "custody.returned": ("return from use", "devolución"),
    "audit.checked": ("audit check", "verificación de auditoría"),
    "review.set": ("review date", "fecha de revisión"),
    "pe": ("Peruvian", "peruana"), "foreign": ("foreign", "extranjera"),
    # field names
    "amount": ("Amount", "Importe"), "denominations": ("Notes and coins", "Billetes y monedas"),
    "counted_by": ("Counted by", "Contado por"), "verified_by": ("Verified by", "Verificado por"),
    "make_model": ("Make and model", "Marca y modelo"), "plate": ("Plate", "Placa"), "vin": ("VIN", "VIN"),
    "year": ("Year", "Año"), "color": ("Colour", "Color"), "value": ("Declared value", "Valor declarado"),
    "imei": ("IMEI", "IMEI"), "imei2": ("Second IMEI", "Segundo IMEI"), "number": ("Phone number", "Número"),
    "title": ("Title", "Título"), "pages": ("Pages", "Páginas"), "file": ("Scanned copy", "Copia escaneada"),
    "registered": ("registered", "registro"),
}


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


def _person(badge: str | None, names: dict[str, str]) -> str | None:
    if not badge:
        return None
    name = names.get(badge)
    return f"{badge} ({name})" if name else badge


def _description(item, lang: str, names: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    from ledger.money import format_money

    w = lambda key: word(WORDS, key, lang)  # noqa: E731
    details: list[tuple[str, str]] = []
    if item.kind == "cash":
        amount = format_money(item.amount_minor, item.currency, lang)
        details = [(w("amount"), amount if item.currency in amount else f"{amount} ({item.currency})")]
        if item.denominations:
            details.append((w("denominations"), item.denominations.replace(",", ", ")))
        details += [(w("counted_by"), _person(item.counted_by, names) or ""),
                    (w("verified_by"), _person(item.verified_by, names) or "")]
        return amount, details
    if item.kind == "vehicle":
        make_model = f"{item.make} {item.model}"
        details = [(w("make_model"), make_model)]
        if item.plate:
            details.append((w("plate"), f"{item.plate} ({w(item.plate_kind)})" if item.plate_kind else item.plate))
        for key in ("vin", "year", "color"):
            if getattr(item, key):
                details.append((w(key), str(getattr(item, key))))
        if item.value_minor is not None:
            details.append((w("value"), format_money(item.value_minor, item.value_currency, lang)))
        short = make_model + (f", {w('plate').lower()} {item.plate}" if item.plate else "")
        return short, details
    if item.kind == "phone":
        details = [(w("make_model"), f"{item.make} {item.model}"), (w("imei"), item.imei)]
        if item.imei2:
            details.append((w("imei2"), item.imei2))
        if item.number:
            details.append((w("number"), item.number))
        return f"{item.make} {item.model}, IMEI {item.imei}", details
    details = [(w("title"), item.title)]
    if item.pages:
        details.append((w("pages"), str(item.pages)))
    if item.file_sha256:
        details.append((w("file"), f"{item.file_name or ''} SHA-256 {item.file_sha256}".strip()))
    return item.title, details


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
    names = dict(session.execute(select(Officer.badge, Officer.name)).all())
    out = []
    for item in items:
        seizure = session.get(Seizure, item.seizure_no)
        case = session.get(Case, item.case_no)
        registration = session.get(Event, item.registered_seq)
        short, details = _description(item, lang, names)
        out.append(ItemFacts(
            id=item.id, kind=item.kind, kind_word=word(WORDS, item.kind, lang), case_no=item.case_no,
            case_title=case.title, seizure=seizure.id, acta=seizure.acta,
            seizure_at=local_iso(seizure.occurred_at, tz), seizure_place=seizure.place, status=item.status,
            status_word=word(WORDS, item.status, lang), holder=item.holder, holder_name=names.get(item.holder),
            location=item.location, seal=item.seal, short=short, details=details,
            registered_seq=item.registered_seq, registration_hash=registration.hash,
            payload=label_payload(item.id, item.case_no, registration.hash),
            disposition=word(WORDS, item.disposition, lang) if item.disposition else None,
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
