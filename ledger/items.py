"""Seized items of the four kinds: validation, registration and reading them back.

`prepare_item` is the one validator for an item's fields, used by the single-item
commands and by bulk import alike; it reports every bad field at once. `register_items`
allocates evidence numbers and writes one registration event per item.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.errors import InputError, LedgerError, NotFound, RuleError
from ledger.events import NewEvent, append_events, now_utc
from ledger.i18n import N_, _, ngettext

# The naming and showing of items lives in itemview (no SQLAlchemy), shared with quickread;
# its names are re-exported here for the modules that have always imported them from items.
from ledger.itemview import (  # noqa: F401
    LABEL_HASH_LEN,
    check_label,
    item_dict,
    item_label,
    label_payload,
    parse_item_ref,
    parse_label_payload,
    shown_item,
    unknown_item,
)
from ledger.models import Event, EventItem, Item, Location, Officer, Seizure
from ledger.registry import get_seizure, require_actor
from ledger.rules.items import REGISTERED
from ledger.validate import (
    check_code,
    check_imei,
    check_plate,
    check_positive_int,
    check_vin,
    check_year,
    clean_text,
    from_utc_iso,
    local_iso,
    parse_time,
    utc_iso,
)

KINDS = ("cash", "vehicle", "phone", "document")
STATUSES = ("in-custody", "disposed")

# The fields of each kind, named as the command-line options (and the import columns).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "cash": ("amount", "currency", "denominations", "counted-by", "verified-by", "seal", "location"),
    "vehicle": ("make", "model", "plate", "plate-kind", "vin", "year", "color", "value", "location"),
    "phone": ("imei", "imei2", "make", "model", "number", "seal", "location", "no-imei-reason"),
    "document": ("title", "pages", "file", "seal", "location"),
}
# A phone needs --imei, or --no-imei with the reason it cannot be read (checked in prepare_item).
REQUIRED: dict[str, tuple[str, ...]] = {
    "cash": ("amount", "currency", "counted-by", "verified-by"),
    "vehicle": ("make", "model"),
    "phone": ("make", "model"),
    "document": ("title",),
}
MAX_PAGES = 100_000


@dataclass
class ItemSpec:
    """A validated item, ready to be written: projection columns and event fields."""

    kind: str
    columns: dict
    fields: dict  # what the registration event records, all strings or integers
    officers: dict[str, str] = field(default_factory=dict)  # option -> badge that must exist
    location: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how a forgiving reading read a value (S/ 4.000,00)


def _check_phone_number(value: str) -> str:
    v = value.strip()
    digits = v.replace(" ", "").replace("-", "")
    body = digits[1:] if digits.startswith("+") else digits
    if not (body.isascii() and body.isdigit() and 6 <= len(body) <= 15):
        raise InputError(
            _("--number {value!r} is not a telephone number.").format(value=value),
            hint=_("Give 6 to 15 digits, optionally with a leading + and spaces or dashes, e.g. +51 959 123 456."),
        )
    return v


def prepare_item(kind: str, raw: dict[str, str | None], *, base_dir: Path | None = None) -> ItemSpec:
    """Validate the raw strings of one item. Raises InputError listing every bad field;
    the message of each detail names the option (`--imei`)."""
    from ledger import money

    if kind not in KINDS:
        raise InputError(_("kind {kind!r} is not a kind of item.").format(kind=kind),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(KINDS)))
    known = set(KIND_FIELDS[kind])
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if v not in (None, "")}
    errors: list[str] = []
    unknown = sorted(set(values) - known)
    for name in unknown:
        errors.append(_("--{name} does not apply to a {kind} item (its fields: {fields}).").format(
            name=name, kind=kind, fields=", ".join(KIND_FIELDS[kind])))
    for name in REQUIRED[kind]:
        if name not in values:
            errors.append(_("--{name} is required for a {kind} item.").format(name=name, kind=kind))

    cols: dict = {"kind": kind}
    spec = ItemSpec(kind=kind, columns=cols, fields={})

    def attempt(name: str, fn):
        if name not in values:
            return None
        try:
            return fn(values[name])
        except LedgerError as exc:
            errors.append(exc.render().replace("\n", " "))
            return None

    spec.location = attempt("location", lambda v: check_code(v, "--location"))
    cols["seal"] = attempt("seal", lambda v: check_code(v, "--seal"))

    if kind == "cash":
        currency = attempt("currency", lambda v: money.check_currency(v, "--currency"))
        if currency:
            reading = attempt("amount", lambda v: money.read_amount(v, currency, "--amount"))
            amount = reading.amount if reading else None
            if reading and reading.note:
                spec.notes.append(reading.note)
            if amount is not None:
                cols["currency"], cols["amount_minor"] = currency, money.to_minor(amount, currency)
                denoms = attempt("denominations", lambda v: money.parse_denominations(v, currency, "--denominations"))
                if denoms:
                    attempt("denominations", lambda _v: money.check_denominations(denoms, amount, currency, "--denominations"))
                    cols["denominations"] = money.denominations_str(denoms)
        for opt, col in (("counted-by", "counted_by"), ("verified-by", "verified_by")):
            badge = attempt(opt, lambda v, opt=opt: check_code(v, f"--{opt}"))
            if badge:
                cols[col] = badge
                spec.officers[f"--{opt}"] = badge
        if cols.get("counted_by") and cols.get("counted_by") == cols.get("verified_by"):
            errors.append(
                _("--counted-by and --verified-by are both {badge}: cash is counted by one officer "
                  "and verified by another. Name a second officer with --verified-by.").format(badge=cols["counted_by"])
            )
    else:
        cols["make"] = attempt("make", lambda v: clean_text(v, "--make", max_len=100))
        cols["model"] = attempt("model", lambda v: clean_text(v, "--model", max_len=100))

    if kind == "vehicle":
        plate_kind = values.get("plate-kind", "pe")
        cols["plate"] = attempt("plate", lambda v: check_plate(v, plate_kind, "--plate"))
        if cols["plate"]:
            cols["plate_kind"] = plate_kind
        vin = attempt("vin", lambda v: check_vin(v, "--vin"))
        if vin:
            cols["vin"], warnings = vin
            spec.warnings.extend(warnings)
        cols["year"] = attempt("year", lambda v: check_year(v, "--year"))
        cols["color"] = attempt("color", lambda v: clean_text(v, "--color", max_len=50))
        value = attempt("value", lambda v: money.read_money_value(v, "--value"))
        if value:
            cols["value_currency"], cols["value_minor"] = value.currency, money.to_minor(value.amount, value.currency)
            if value.note:
                spec.notes.append(value.note)
    elif kind == "phone":
        no_imei = attempt("no-imei-reason", lambda v: clean_text(v, "--reason", max_len=500))
        if "imei" in values and "no-imei-reason" in values:
            errors.append(_("--imei {imei} and --no-imei are both given; give the IMEI if it can be "
                            "read, or --no-imei --reason TEXT if it cannot.").format(imei=values["imei"]))
        elif "imei" not in values and "no-imei-reason" not in values:
            errors.append(_("--imei is required for a phone item. If the IMEI cannot be read (a broken or locked "
                            "phone, no box), register it with --no-imei --reason TEXT."))
        cols["imei"] = attempt("imei", lambda v: check_imei(v, "--imei"))
        cols["imei2"] = attempt("imei2", lambda v: check_imei(v, "--imei2"))
        if cols["imei"] and cols["imei"] == cols["imei2"]:
            errors.append(_("--imei2 repeats --imei {imei}; a dual-SIM phone has two different IMEIs.").format(
                imei=cols["imei"]))
        cols["number"] = attempt("number", _check_phone_number)
    elif kind == "document":
        cols["title"] = attempt("title", lambda v: clean_text(v, "--title", max_len=500))
        cols["pages"] = attempt("pages", lambda v: check_positive_int(v, "--pages", maximum=MAX_PAGES))
        digest = attempt("file", lambda v: _hash_file(v, base_dir))
        if digest:
            cols["file_name"], cols["file_sha256"], cols["file_size"] = digest

    if errors:
        if len(errors) == 1:
            raise InputError(errors[0])
        raise InputError(_("The {kind} item has {n} problems:").format(kind=kind, n=len(errors)), details=errors)

    cols = {k: v for k, v in cols.items() if v is not None}
    spec.columns = cols
    spec.fields = _event_fields(cols, spec.location)
    if kind == "phone" and no_imei:
        # Kept in the registration event (the log), not in the items table: it describes why a
        # field is empty, and `item show` reads it back from there.
        spec.fields["imei_unreadable"] = no_imei
    return spec


def _hash_file(path_text: str, base_dir: Path | None) -> tuple[str, str, int]:
    path = Path(path_text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        raise InputError(_("--file {path!r} is not a readable file.").format(path=path_text),
                         hint=_("Give the path of the scanned document."))
    h = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InputError(_("--file {path!r} cannot be read: {problem}.").format(path=path_text, problem=exc.strerror),
                         hint=_("Check the path and its permissions.")) from exc
    name = clean_text(path.name, "--file", max_len=255)
    return name, h.hexdigest(), size


def _event_fields(cols: dict, location: str | None) -> dict:
    """The registration event's view of the columns: amounts as strings, no floats."""
    from ledger import money

    out: dict = {}
    for key, value in cols.items():
        if key == "amount_minor":
            out["amount"] = money.amount_str(value, cols["currency"])
        elif key == "value_minor":
            out["value"] = money.amount_str(value, cols["value_currency"])
        elif key != "kind":
            out[key] = value
    if location:
        out["location"] = location
    return out


# -- writing -------------------------------------------------------------------------
def check_references(session: Session, specs: Sequence[ItemSpec], label=None) -> list[str]:
    """Every officer and location an item names must exist. Returns sentences, with
    `label(i)` (e.g. 'row 7') in front when given, and the closest registered names."""
    from ledger.suggest import closest, did_you_mean

    badges = {b for s in specs for b in s.officers.values()}
    codes = {s.location for s in specs if s.location}
    known_badges = set(session.scalars(select(Officer.badge).where(Officer.badge.in_(badges)))) if badges else set()
    known_codes = set(session.scalars(select(Location.code).where(Location.code.in_(codes)))) if codes else set()
    errors = []
    all_badges: list[str] | None = None
    all_codes: list[str] | None = None
    for i, spec in enumerate(specs):
        where = f"{label(i)}: " if label else ""
        for opt, badge in spec.officers.items():
            if badge not in known_badges:
                if all_badges is None:
                    all_badges = list(session.scalars(select(Officer.badge)))
                errors.append(f"{where}{opt}: " + _("no officer with badge {badge} is registered.").format(badge=badge)
                              + " " + did_you_mean(closest(badge, all_badges)) + _("See 'evidence officer list'."))
        if spec.location and spec.location not in known_codes:
            if all_codes is None:
                all_codes = list(session.scalars(select(Location.code)))
            errors.append(f"{where}--location: " + _("no location {code} is registered.").format(code=spec.location)
                          + " " + did_you_mean(closest(spec.location, all_codes)) + _("See 'evidence location list'."))
    return errors


# An item is normally taken in within hours of its raid; later than this draws a warning,
# because custody before the registration time can then never be recorded.
LATE_REGISTRATION = datetime.timedelta(days=1)


def _span(delta: datetime.timedelta) -> str:
    days = delta.days
    if days >= 2:
        return ngettext("{n} day", "{n} days", days).format(n=days)
    hours = int(delta.total_seconds() // 3600)
    return ngettext("{n} hour", "{n} hours", hours).format(n=hours)


def late_registration_warning(seizure: Seizure, when: str, given: bool, tz: str) -> str | None:
    """A warning when an item is registered more than a day after its seizure took place,
    saying whether the time was typed (--at) or is the default (now)."""
    delta = from_utc_iso(when) - from_utc_iso(seizure.occurred_at)
    if delta <= LATE_REGISTRATION:
        return None
    if given:
        return _("--at {at} is {span} after seizure {seizure} took place ({seized_at}); no custody before then can "
                 "be recorded for the item. Check the time if it was taken in earlier.").format(
            at=local_iso(when, tz), span=_span(delta), seizure=seizure.id, seized_at=local_iso(seizure.occurred_at, tz))
    return _("no --at was given, so the item is registered now ({at}), {span} after "
             "seizure {seizure} took place ({seized_at}); no custody before now can be recorded for it. Give --at "
             "with the time it was taken in when registering items after the day of the seizure.").format(
        at=local_iso(when, tz), span=_span(delta), seizure=seizure.id, seized_at=local_iso(seizure.occurred_at, tz))


@dataclass(frozen=True)
class Registered:
    id: str
    kind: str
    seq: int
    warnings: tuple[str, ...] = ()


def registration_time(seizure: Seizure, at: str | None, tz: str) -> str:
    """When items of `seizure` registered `at` (default now) are registered, as stored (UTC);
    refused when it is before the seizure took place."""
    when = utc_iso(parse_time(at, tz, "--at")) if at else utc_iso(now_utc())
    if when < seizure.occurred_at:
        raise RuleError(
            _("--at {at} is before seizure {seizure} took place ({seized_at}).").format(
                at=local_iso(when, tz), seizure=seizure.id, seized_at=local_iso(seizure.occurred_at, tz)),
            hint=_("Items are registered at or after their seizure; check the time."),
        )
    return when


def register_items(
    session: Session, seizure_ref: str, specs: Sequence[ItemSpec], *, by: str | None,
    at: str | None = None, tz: str = "America/Lima", label=None, progress=None, check_duplicates: bool = True,
    last_data: dict | None = None, when: str | None = None,
) -> list[Registered]:
    """Register validated items of one seizure; the acting officer holds them first.
    `last_data` is added to the last registration's data (an import's request id); `when`
    (from `registration_time`) stands for `at` when a registration is split over several calls."""
    actor = require_actor(session, by, "item.register")
    seizure = get_seizure(session, seizure_ref)
    given_when = when
    if when is None:
        when = registration_time(seizure, at, tz)
    # Said for a registration timed here; an import split over several calls says it once itself.
    late = late_registration_warning(seizure, when, at is not None, tz) if given_when is None else None
    errors = check_references(session, specs, label)
    if errors:
        if len(errors) == 1:
            raise NotFound(errors[0])
        raise NotFound(_("{n} references do not exist:").format(n=len(errors)), details=errors)

    dupes = duplicate_warnings(session, specs) if check_duplicates else [[] for _ in specs]
    first = (session.scalar(select(func.max(Item.no))) or 0) + 1
    events: list[NewEvent] = []
    for offset, spec in enumerate(specs):
        no = first + offset
        item_id = item_label(no)
        data = {"item": item_id, "kind": spec.kind, "seizure": seizure.id, "holder": actor.badge, **spec.fields}
        if last_data and offset == len(specs) - 1:
            data.update(last_data)
        events.append(NewEvent(REGISTERED, data, actor.badge, when, seizure.case_no, [(no, item_id)]))
    out: list[Registered] = []
    holder, case_no, seizure_no = actor.badge, seizure.case_no, seizure.no
    # In chunks, so a progress bar moves and memory stays flat; still one transaction.
    for start in range(0, len(specs), _CHUNK):
        chunk = specs[start:start + _CHUNK]
        appended = append_events(session, events[start:start + _CHUNK], link_items=False)
        # Rows are built as tuples, the item's own columns then the ones every item has; rows
        # naming the same columns share one statement (a cash row has no VIN column).
        groups: dict[tuple, list[tuple]] = {}
        links: list[tuple] = []
        for offset, (spec, ev) in enumerate(zip(chunk, appended, strict=True)):
            no = first + start + offset
            item_id = item_label(no)
            columns = spec.columns
            group = groups.get(tuple(columns))
            if group is None:
                group = groups[tuple(columns)] = []
            group.append((*columns.values(), no, item_id, case_no, seizure_no, "in-custody", holder, spec.location,
                          ev.seq, ev.seq, when))
            links.append((ev.seq, no))
            out.append(Registered(item_id, spec.kind, ev.seq, (*spec.warnings, *dupes[start + offset],
                                                                *([late] if late else []))))
        conn = session.connection()
        for names, rows in groups.items():
            bulk_insert(conn, Item.__table__, (*names, *_ITEM_COMMON), rows)
        bulk_insert(conn, EventItem.__table__, ("seq", "item_no"), links)
        if progress:
            progress(len(chunk))
    return out


_ITEM_COMMON = ("no", "id", "case_no", "seizure_no", "status", "holder", "location", "registered_seq", "last_seq",
                "last_at")


def bulk_insert(conn, table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Rows given as tuples in the order of `columns`, into `table`, in the caller's transaction:
    PostgreSQL's COPY (one stream instead of a statement per row), SQLite's executemany."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[name].name) for name in columns)  # KeyError for a column the table lacks
    if conn.dialect.name == "postgresql":
        from ledger.roundtrips import send_queued_on

        send_queued_on(conn)  # the rows this COPY refers to may still be queued
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608 - names from the Table


_CHUNK = 5000

# Identifiers that name one physical object: seeing one twice is worth a warning (a phone
# registered twice, or a typo), not a refusal (two raids can seize the same car over time).
_UNIQUE_MARKS = (("imei", "IMEI"), ("imei2", "IMEI"), ("vin", "VIN"), ("plate", "plate"))
# What is said of each: already registered as another item; twice in the same registration.
_MARK_NOTES = {
    "IMEI": (N_("IMEI {value} is already registered as {item}; check that this is "
                "not the same phone registered twice."),
             N_("IMEI {value} appears more than once in this registration.")),
    "VIN": (N_("VIN {value} is already registered as {item}; check that this is "
               "not the same vehicle registered twice."),
            N_("VIN {value} appears more than once in this registration.")),
    "plate": (N_("plate {value} is already registered as {item}; check that this is "
                 "not the same vehicle registered twice."),
              N_("plate {value} appears more than once in this registration.")),
}


def duplicate_warnings(session: Session, specs: Sequence[ItemSpec], *, before_no: int | None = None) -> list[list[str]]:
    """For each spec, sentences about IMEIs, VINs and plates already registered or repeated
    within the same batch. `before_no`: only items numbered below it count as registered
    before (an import that has already written part of its own batch)."""
    wanted: dict[str, set[str]] = {"imei": set(), "vin": set(), "plate": set()}
    for spec in specs:
        for col, _word in _UNIQUE_MARKS:
            if spec.columns.get(col):
                wanted["imei" if col == "imei2" else col].add(spec.columns[col])
    known: dict[tuple[str, str], str] = {}
    for kind_col, values in wanted.items():
        cols = (Item.imei, Item.imei2) if kind_col == "imei" else (getattr(Item, kind_col),)
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            for col in cols:
                query = select(Item.id, col).where(col.in_(chunk))
                if before_no is not None:
                    query = query.where(Item.no < before_no)
                for item_id, value in session.execute(query):
                    known.setdefault((kind_col, value), item_id)
    out: list[list[str]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(specs):
        notes = []
        for col, word in _UNIQUE_MARKS:
            value = spec.columns.get(col)
            if not value:
                continue
            key = ("imei" if col == "imei2" else col, value)
            if key in known:
                notes.append(_(_MARK_NOTES[word][0]).format(value=value, item=known[key]))
            elif key in seen:
                notes.append(_(_MARK_NOTES[word][1]).format(value=value))
            seen.setdefault(key, i)
        out.append(notes)
    return out


# -- reading -------------------------------------------------------------------------
def missing_item_hint(session: Session, refs: Sequence[str]) -> str:
    """How to find the items meant: registered evidence numbers one keystroke from the first
    missing one (EV-000024 for EV-000042), then where the numbers are listed."""
    from ledger.suggest import did_you_mean, near_numbers

    near: list[str] = []
    digits = "".join(ch for ch in str(refs[0] if refs else "") if ch.isascii() and ch.isdigit()).lstrip("0")
    if digits and len(digits) <= 9:
        no = int(digits)
        candidates = [no, *near_numbers(no)]
        found = set(session.scalars(select(Item.no).where(Item.no.in_(candidates))))
        near = [item_label(n) for n in sorted(found, key=lambda n: (abs(n - no), n))[:3]]
    return did_you_mean(near) + _("Evidence numbers look like EV-000042; 'evidence item list' shows them.")


def get_item(session: Session, ref: str, field: str = "ITEM") -> Item:
    """The item an evidence number (EV-000042, or 42) or a scanned label's payload names;
    a label is checked against the item's case and registration before it is believed."""
    label = parse_label_payload(ref)
    no = label[0] if label is not None else parse_item_ref(ref)
    item = session.get(Item, no) if no is not None else None
    if item is None:
        raise NotFound(_("{field}: no item {ref!r} is registered.").format(field=field, ref=ref),
                       hint=missing_item_hint(session, [ref]))
    if label is not None:
        registration = session.get(Event, item.registered_seq)
        check_label(item.id, item.case_no, registration.hash if registration is not None else None,
                    ref.strip(), label[1], label[2], field)
    return item


def show_item(session: Session, ref: str) -> dict:
    from ledger.models import ItemReview

    item = get_item(session, ref)
    seizure = session.get(Seizure, item.seizure_no)
    review = session.get(ItemReview, item.no)
    body = (session.scalar(select(Event.body).where(Event.seq == item.registered_seq))
            if item.kind == "phone" and item.imei is None else None)
    return shown_item(item, seizure.id, review.review_on if review is not None else None, body)


def iter_items(
    session: Session, *, case_no: str | None = None, kind: str | None = None, holder: str | None = None,
    status: str | None = None, batch: int = 1000,
) -> Iterator[dict]:
    """Items matching the filters, oldest first, read in batches so a large ledger streams."""
    if kind is not None and kind not in KINDS:
        raise InputError(_("--kind {kind!r} is not a kind of item.").format(kind=kind),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(KINDS)))
    if status is not None and status not in STATUSES:
        raise InputError(_("--status {status!r} is not an item status.").format(status=status),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(STATUSES)))
    conditions = []
    if case_no is not None:
        from ledger.registry import get_case

        conditions.append(Item.case_no == get_case(session, case_no, "--case").case_no)
    if kind:
        conditions.append(Item.kind == kind)
    if holder:
        from ledger.registry import get_officer

        conditions.append(Item.holder == get_officer(session, holder, "--holder").badge)
    if status:
        conditions.append(Item.status == status)
    seizure_ids = dict(session.execute(select(Seizure.no, Seizure.id)).all())
    last = 0
    while True:
        rows = session.scalars(
            select(Item).where(Item.no > last, *conditions).order_by(Item.no).limit(batch)
        ).all()
        if not rows:
            return
        for item in rows:
            yield item_dict(item, seizure_ids.get(item.seizure_no))
        last = rows[-1].no
        session.expunge_all()
