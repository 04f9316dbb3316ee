"""How an item is named and shown: evidence numbers, label payloads, and an item's fields as
`item show` prints them.

Kept free of SQLAlchemy on purpose: the SQLAlchemy reader (`ledger.items`) and the standard
library's read-only path for SQLite (`ledger.quickread`) share these functions, so the two
can only give the same answer and the same refusal.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

from ledger.errors import InputError, NotFound, VerificationFailed
from ledger.i18n import N_, _


def item_label(no: int) -> str:
    return f"EV-{no:06d}"


# A label's QR payload, EV-000042/CASE/HASH12: the evidence number, the case number with any
# space, "#" or "%" percent-encoded (so a scanner typing it into a shell gives one word), and
# the first 12 hex digits of the item's registration event hash, in capitals so the QR code can
# use its compact alphanumeric mode. The case may hold "/", so it is what lies between the
# first and the last "/".
LABEL_HASH_LEN = 12
_LABEL_RE = re.compile(rf"(EV-[0-9]{{1,9}})/(.+)/([0-9A-F]{{{LABEL_HASH_LEN}}})")


def label_payload(item_id: str, case_no: str, registration_hash: str) -> str:
    """The text a label's QR code holds for an item (see _LABEL_RE)."""
    case = urllib.parse.quote(case_no, safe="-_./:")
    return f"{item_id}/{case}/{registration_hash[:LABEL_HASH_LEN].upper()}"


def _refuse_control(ref: str, field: str) -> None:
    """A scanned payload with a control character (raw, or percent-encoded as %1B) is no label
    this program printed, and echoed to a terminal it could retitle the window or move the
    cursor: refused with the character named, never shown."""
    for text_ in (ref, urllib.parse.unquote(ref)):
        for ch in text_:
            if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\r\t":
                raise InputError(
                    _("{field} holds the control character U+{code:04X}, which no label's payload or evidence "
                      "number contains; it was not shown.").format(field=field, code=ord(ch)),
                    hint=_("Scan the label again, or type the evidence number (EV-000042)."))


def parse_label_payload(ref: str, field: str = "ITEM") -> tuple[int, str, str] | None:
    """(item number, case number, hash prefix) of a scanned label's payload, else None."""
    _refuse_control(ref or "", field)
    match = _LABEL_RE.fullmatch((ref or "").strip().upper())
    if match is None:
        return None
    return int(match[1][3:]), urllib.parse.unquote(match[2]), match[3].lower()


def parse_item_ref(ref: str) -> int | None:
    text_ = (ref or "").strip().upper()
    if text_.startswith("EV-"):
        text_ = text_[3:]
    if text_.isascii() and text_.isdigit() and len(text_) <= 9:
        return int(text_)
    return None


def unknown_item(ref: str, field: str = "ITEM") -> NotFound:
    return NotFound(
        _("{field}: no item {ref!r} is registered.").format(field=field, ref=ref),
        hint=_("Evidence numbers look like EV-000042; 'evidence item list' shows them."),
    )


def check_label(item_id: str, item_case_no: str, registration_hash: str | None, shown: str, case_no: str,
                short_hash: str, field: str = "ITEM") -> None:
    """A label printed from another ledger (or a copied number on a forged one) names a case or
    a registration that this ledger's item does not have."""
    if case_no == item_case_no and registration_hash is not None and registration_hash.startswith(short_hash):
        return
    if case_no != item_case_no:
        message = _("{field}: the label {shown} names case {case_no}, but {item_id} belongs to case "
                    "{item_case_no}; the label was not printed from this ledger.")
    elif registration_hash:
        message = _("{field}: the label {shown} carries the hash {short_hash}, but {item_id} was registered "
                    "with {registered}; the label was not printed from this ledger.")
    else:
        message = _("{field}: the label {shown} carries the hash {short_hash}, but {item_id} was registered "
                    "with no event; the label was not printed from this ledger.")
    raise VerificationFailed(
        message.format(field=field, shown=shown, case_no=case_no, item_id=item_id, item_case_no=item_case_no,
                       short_hash=short_hash.upper(),
                       registered=(registration_hash or "")[:LABEL_HASH_LEN].upper()),
        hint=_("Check the item by hand ('evidence item show {item_id}') and print a new label with "
               "'evidence label {item_id} --out FILE.pdf'.").format(item_id=item_id))


# The labels `item show` prints before an item's fields (the fields' keys, which --json keeps).
FIELD_LABELS = {
    "id": N_("id:"), "kind": N_("kind:"), "case_no": N_("case_no:"), "seizure": N_("seizure:"),
    "status": N_("status:"), "holder": N_("holder:"), "location": N_("location:"), "seal": N_("seal:"),
    "registered_seq": N_("registered_seq:"), "last_seq": N_("last_seq:"), "last_at": N_("last_at:"),
    "currency": N_("currency:"), "amount": N_("amount:"), "denominations": N_("denominations:"),
    "counted_by": N_("counted_by:"), "verified_by": N_("verified_by:"), "make": N_("make:"), "model": N_("model:"),
    "plate": N_("plate:"), "plate_kind": N_("plate_kind:"), "vin": N_("vin:"), "year": N_("year:"),
    "color": N_("color:"), "value": N_("value:"), "imei": N_("imei:"), "imei2": N_("imei2:"), "number": N_("number:"),
    "title": N_("title:"), "pages": N_("pages:"), "file_name": N_("file_name:"), "file_sha256": N_("file_sha256:"),
    "file_size": N_("file_size:"), "disposition": N_("disposition:"), "authority": N_("authority:"),
    "disposed_to": N_("disposed_to:"), "review_on": N_("review_on:"), "imei_unreadable": N_("imei_unreadable:"),
}


def field_label(key: str) -> str:
    """The label of an item's field as `item show` prints it ('case_no:'), in the current language."""
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key + ":"


def shown_item(item, seizure_id: str, review_on: str | None, registration_body: str | None) -> dict:
    """What `item show` prints: the item's fields, its review date, and for a phone registered
    without an IMEI the reason its registration gave (read from that event's body)."""
    shown = {**item_dict(item, seizure_id), "review_on": review_on}
    if item.kind == "phone" and item.imei is None and registration_body:
        import json

        reason = json.loads(registration_body).get("data", {}).get("imei_unreadable")
        if reason:
            shown["imei_unreadable"] = reason
    return shown


def item_dict(item, seizure_id: str | None = None) -> dict:
    """An item's fields for `item show` and `item list`, from anything with the items table's
    columns as attributes (an ORM row, or a plain namespace of a stdlib row)."""
    d = {
        "id": item.id, "kind": item.kind, "case_no": item.case_no, "seizure": seizure_id,
        "status": item.status, "holder": item.holder, "location": item.location, "seal": item.seal,
        "registered_seq": item.registered_seq, "last_seq": item.last_seq, "last_at": item.last_at,
    }
    if item.kind in ("cash", "vehicle"):
        from ledger import money  # py-moneyed and Babel: only for the kinds with amounts
    if item.kind == "cash":
        d.update(currency=item.currency, amount=money.amount_str(item.amount_minor, item.currency),
                 denominations=item.denominations, counted_by=item.counted_by, verified_by=item.verified_by)
    elif item.kind == "vehicle":
        d.update(make=item.make, model=item.model, plate=item.plate, plate_kind=item.plate_kind, vin=item.vin,
                 year=item.year, color=item.color,
                 value=(f"{money.amount_str(item.value_minor, item.value_currency)} {item.value_currency}"
                        if item.value_minor is not None else None))
    elif item.kind == "phone":
        d.update(make=item.make, model=item.model, imei=item.imei, imei2=item.imei2, number=item.number)
    else:
        d.update(title=item.title, pages=item.pages, file_name=item.file_name, file_sha256=item.file_sha256,
                 file_size=item.file_size)
    if item.status == "disposed":
        d.update(disposition=item.disposition, authority=item.authority, disposed_to=item.disposed_to)
    return {k: v for k, v in d.items() if v is not None or k in ("holder", "location", "seal")}
