"""Officers, locations, cases and seizures: the people and places evidence moves between.

Each registration is an event in the log; the tables here are its projections. Roles
decide who may do what, checked before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.errors import InputError, NotFound, RuleError
from ledger.events import append_event
from ledger.i18n import N_, _
from ledger.models import Case, CaseOrder, Item, Location, Officer, OfficerKey, Seizure, Setting
from ledger.rules import ACT_WORDS, PERMISSIONS, ROLES
from ledger.rules import state as replay
from ledger.rules.cases import CASE_OPENED, LOCATION_ADDED, SEIZURE_RECORDED
from ledger.rules.identity import INITIALIZED, KEY_ADDED, KEY_REVOKED, LOGIN_MAPPED, OFFICER_ADDED, OFFICER_UPDATED
from ledger.suggest import closest, did_you_mean, near_numbers
from ledger.validate import (
    ID_SEPARATORS,
    check_badge,
    check_code,
    clean_text,
    identifier_key,
    or_list,
    parse_time,
    refuse_look_alike,
    utc_iso,
)

LOCATION_KINDS = ("evidence-room", "vault", "vehicle-lot", "lab", "court", "other")
# A role named with its article, for "Run it with --by the badge of an admin or a custodian."
ROLE_WORDS = {
    "officer": N_("an officer"),
    "custodian": N_("a custodian"),
    "auditor": N_("an auditor"),
    "prosecutor": N_("a prosecutor"),
    "admin": N_("an admin"),
}


def seizure_label(no: int) -> str:
    return f"SZ-{no:06d}"


# -- identifiers ---------------------------------------------------------------------
def _key_sql(column):
    """`identifier_key` of a column, computed by the database (SQLite and PostgreSQL alike)."""
    expr = func.upper(column)
    for sep in ID_SEPARATORS:
        expr = func.replace(expr, sep, "")
    return expr


def _find(session: Session, model, column, value: str):
    """The row whose identifier is `value` (in capitals). Identifiers recorded before they were
    kept in capitals are found whatever their case."""
    row = session.get(model, value)
    if row is None:
        row = session.scalars(select(model).where(func.upper(column) == value).limit(1)).first()
    return row


def _look_alike(session: Session, column, value: str) -> str | None:
    """An identifier already registered that reads as `value`: same letters and digits,
    perhaps in another case or with other separators (B1001 and B-1001)."""
    if session.get(column.class_, value) is not None:
        return value
    return session.scalars(select(column).where(_key_sql(column) == identifier_key(value)).limit(1)).first()


def _did_you_mean(session: Session, column, value: str) -> str:
    """'Did you mean ...? ': the look-alike if there is one, else the closest registered names."""
    near = _look_alike(session, column, value)
    if near:
        return did_you_mean([near])
    return did_you_mean(closest(value, session.scalars(select(column))))


def seizure_numbers_near(session: Session, ref: str) -> list[str]:
    """Registered seizure ids one keystroke from the number in `ref` (SZ-000021 for SZ-000012)."""
    digits = "".join(ch for ch in str(ref or "") if ch.isascii() and ch.isdigit()).lstrip("0")
    if not digits or len(digits) > 9:
        return []
    no = int(digits)
    candidates = [no, *near_numbers(no)]
    found = set(session.scalars(select(Seizure.no).where(Seizure.no.in_(candidates))))
    return [seizure_label(n) for n in sorted(found, key=lambda n: (abs(n - no), n))[:3]]


# -- officers ------------------------------------------------------------------------
def get_officer(session: Session, badge: str, field: str = "--by") -> Officer:
    badge = check_badge(badge, field)
    officer = _find(session, Officer, Officer.badge, badge)
    if officer is None and session.scalars(select(Officer.badge).limit(1)).first() is None:
        raise NotFound(_("{field}: no officer with badge {badge} is registered: this ledger has no officers yet.")
                       .format(field=field, badge=badge),
                       hint=_("Start it with 'evidence init --admin BADGE --name NAME'; the admin then registers "
                              "the officers."))
    if officer is None:
        raise NotFound(
            _("{field}: no officer with badge {badge} is registered.").format(field=field, badge=badge),
            hint=_did_you_mean(session, Officer.badge, badge)
            + _("Check the badge with 'evidence officer list', or register it with 'evidence officer add'."),
        )
    return officer


def require_actor(session: Session, badge: str | None, act: str) -> Officer:
    """The acting officer (`--by`), who must exist and whose role must permit `act`."""
    if not badge:
        raise InputError(
            _("--by is required: every change records the officer who made it."),
            hint=_("Pass --by BADGE or set EVIDENCE_OFFICER."),
        )
    officer = get_officer(session, badge, "--by")
    allowed = PERMISSIONS[act]
    if officer.role not in allowed:
        raise RuleError(
            _("Officer {badge} is registered as {role} and may not {act}.").format(
                badge=officer.badge, role=officer.role, act=_(ACT_WORDS[act])),
            hint=_("Run it with --by the badge of {roles}.").format(
                roles=or_list([_(ROLE_WORDS[r]) for r in sorted(allowed)])),
        )
    return officer


def _new_badge(session: Session, badge: str) -> None:
    existing = _look_alike(session, Officer.badge, badge)
    if existing == badge:
        raise RuleError(_("Officer {badge} is already registered.").format(badge=badge),
                        hint=_("See 'evidence officer list'."))
    if existing is not None:
        raise RuleError(
            _("BADGE {badge} reads the same as officer {existing}, already registered: badges that differ "
              "only in letter case or in separators (- _ . / space) are taken as one badge.").format(
                badge=badge, existing=existing),
            hint=_("If it is the same officer, use {existing}; otherwise choose a badge that differs in a letter "
                   "or digit. See 'evidence officer list'.").format(existing=existing),
        )
    refuse_look_alike(badge, session.scalars(select(Officer.badge)), "officer")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(_("--role {role!r} is not a role of the ledger.").format(role=role),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(ROLES)))
    return role


def _new_key(session: Session, badge: str, public_key: str) -> dict:
    """A public key to enrol for `badge`, as the event carries it; refused if any officer
    already has it (one key answers for one officer)."""
    from ledger.identity.signing import key_id, parse_public_key
    from ledger.models import OfficerKey

    raw = parse_public_key(public_key)
    kid = key_id(raw)
    known = session.get(OfficerKey, kid)
    if known is not None:
        raise RuleError(_("That public key (key id {kid}) is already enrolled for {owner}; one key answers for "
                          "one officer.").format(kid=kid, owner=known.badge),
                        hint=_("{badge} makes a key of their own with 'evidence key generate --badge "
                               "{badge}'.").format(badge=badge))
    return {"key_id": kid, "public_key": raw.hex()}


def check_can_init(session: Session) -> None:
    """Refuse `init` on a ledger that already has an admin, before a key is made for nothing."""
    admin = session.scalars(select(Officer).where(Officer.role == "admin").limit(1)).first()
    if admin is not None:
        raise RuleError(_("This ledger already has an admin ({badge}); it is started once.").format(badge=admin.badge),
                        hint=_("Ask an admin to register officers: evidence officer add BADGE ... --by {badge}.").format(
                            badge=admin.badge))


def init_ledger(session: Session, badge: str, *, name: str, unit: str | None, public_key: bytes) -> dict:
    """Start a ledger with its first admin, whose key (made beside this call) signs this first
    event. A ledger that already has an admin is refused: admins add officers from then on."""
    from ledger.events import signatures_from
    from ledger.identity.signing import bind_new_ledger, binding_setting, key_id

    badge = check_badge(badge, "--admin")
    name = clean_text(name, "--name")
    unit = clean_text(unit, "--unit", required=False)
    check_can_init(session)
    _new_badge(session, badge)
    kid = key_id(public_key)
    data = {"badge": badge, "name": name, "role": "admin", "unit": unit,
            "key": {"key_id": kid, "public_key": public_key.hex()}}
    from_seq = signatures_from(session)
    head = session.info["chain_head"]["seq"]
    data["signatures_from"] = from_seq if from_seq is not None else head + 1
    bind_new_ledger(session, data)
    ev = append_event(session, INITIALIZED, data, actor=badge)
    session.add(Officer(**replay.officer_row(ev.seq, data)))
    session.flush()
    session.add(OfficerKey(**replay.key_row(ev.seq, badge, data["key"])))
    if from_seq is None:
        session.add(Setting(**replay.setting_row(ev.seq, "signatures_from", str(data["signatures_from"]))))
    if (bound := binding_setting(ev.seq, data)) is not None:
        session.add(Setting(**bound))
    session.flush()
    return {"id": badge, "badge": badge, "name": name, "role": "admin", "unit": unit, "key_id": kid, "seq": ev.seq,
            "signatures_from": data["signatures_from"]}


def add_officer(session: Session, badge: str, *, name: str, role: str, unit: str | None = None,
                by: str | None = None, public_key: str | None = None) -> dict:
    """Register an officer, on an admin's authority; with `public_key`, their key is enrolled
    in the same event."""
    badge = check_badge(badge, "BADGE")
    name = clean_text(name, "--name")
    unit = clean_text(unit, "--unit", required=False)
    _check_role(role)
    actor = require_actor(session, by, "officer.manage")
    _new_badge(session, badge)
    data = {"badge": badge, "name": name, "role": role, "unit": unit}
    if public_key is not None:
        data["key"] = _new_key(session, badge, public_key)
    ev = append_event(session, OFFICER_ADDED, data, actor=actor.badge)
    session.add(Officer(**replay.officer_row(ev.seq, data)))
    session.flush()
    if public_key is not None:
        session.add(OfficerKey(**replay.key_row(ev.seq, badge, data["key"])))
        session.flush()
    return {"id": badge, "badge": badge, "name": name, "role": role, "unit": unit, "seq": ev.seq,
            "key_id": data["key"]["key_id"] if public_key is not None else None}


def update_officer(session: Session, badge: str, *, by: str | None, name: str | None = None,
                   unit: str | None = None, role: str | None = None) -> dict:
    """Correct an officer's name or unit, or change their role: an admin's event, so the
    earlier form stays in the log."""
    actor = require_actor(session, by, "officer.manage")
    officer = get_officer(session, badge, "BADGE")
    changes: dict = {}
    if name is not None:
        changes["name"] = clean_text(name, "--name")
    if unit is not None:
        changes["unit"] = clean_text(unit, "--unit", required=False)
    if role is not None:
        changes["role"] = _check_role(role)
    changes = {k: v for k, v in changes.items() if getattr(officer, k) != v}
    if not changes:
        raise InputError(_("Officer {badge} already has what was given; nothing to change.").format(badge=officer.badge),
                         hint=_("Give --name, --unit or a role that differs from 'evidence officer list'."))
    if changes.get("role") not in (None, "admin") and officer.role == "admin":
        admins = session.scalars(select(Officer.badge).where(Officer.role == "admin")).all()
        if len(admins) == 1:
            raise RuleError(_("Officer {badge} is the ledger's only admin; without an admin nobody could "
                              "register officers or enrol keys.").format(badge=officer.badge),
                            hint=_("Make another officer an admin first."))
    data = {"badge": officer.badge, **changes}
    ev = append_event(session, OFFICER_UPDATED, data, actor=actor.badge)
    for key, value in changes.items():
        setattr(officer, key, value)
    session.flush()
    return {"id": officer.badge, **officer_dict(officer), "changed": sorted(changes), "seq": ev.seq}


def add_officer_key(session: Session, badge: str, public_key: str, *, by: str | None) -> dict:
    """Enrol a public key for an officer (a new officer's, or a rotation: the old key stays
    valid until it is revoked)."""
    actor = require_actor(session, by, "officer.manage")
    officer = get_officer(session, badge, "BADGE")
    key = _new_key(session, officer.badge, public_key)
    data = {"badge": officer.badge, "key": key}
    ev = append_event(session, KEY_ADDED, data, actor=actor.badge)
    session.add(OfficerKey(**replay.key_row(ev.seq, officer.badge, key)))
    session.flush()
    return {"id": key["key_id"], "badge": officer.badge, "key_id": key["key_id"], "seq": ev.seq}


def revoke_officer_key(session: Session, badge: str, kid: str, *, reason: str, by: str | None) -> dict:
    """Revoke a key from this event on (a lost laptop, a passphrase told to someone): the
    events it signed before stay valid."""
    from ledger.models import OfficerKey

    actor = require_actor(session, by, "officer.manage")
    officer = get_officer(session, badge, "BADGE")
    reason = clean_text(reason, "--reason", max_len=500)
    kid = (kid or "").strip().lower()
    key = session.get(OfficerKey, kid)
    if key is None or key.badge != officer.badge:
        known = session.scalars(select(OfficerKey.key_id).where(OfficerKey.badge == officer.badge)).all()
        raise NotFound(_("KEYID {kid} is not a key of {badge}.").format(kid=kid, badge=officer.badge),
                       hint=_("{badge}'s keys: {keys}; 'evidence officer list --keys' "
                              "shows them.").format(badge=officer.badge, keys=", ".join(known) or _("none")))
    if key.revoked_seq is not None:
        raise RuleError(_("Key {kid} of {badge} was already revoked at seq {seq}.").format(
            kid=kid, badge=officer.badge, seq=key.revoked_seq))
    data = {"badge": officer.badge, "key_id": kid, "reason": reason}
    ev = append_event(session, KEY_REVOKED, data, actor=actor.badge)
    key.revoked_seq, key.revoked_reason = ev.seq, reason
    session.flush()
    return {"id": kid, "badge": officer.badge, "key_id": kid, "revoked_seq": ev.seq, "reason": reason}


def map_login(session: Session, badge: str, role_name: str, *, by: str | None) -> dict:
    """PostgreSQL: the database login role `role_name` writes as `badge` (the server checks
    the login's password or certificate; a trigger checks every event's actor against this)."""
    from ledger.models import OfficerLogin

    actor = require_actor(session, by, "officer.manage")
    officer = get_officer(session, badge, "BADGE")
    role_name = (role_name or "").strip()
    if not role_name or len(role_name) > 63 or not all(c.isalnum() or c in "_$" for c in role_name):
        raise InputError(_("ROLE {role!r} is not a PostgreSQL login role name.").format(role=role_name),
                         hint=_("Give the role as created with CREATE ROLE, e.g. evidence_b1001."))
    known = session.get(OfficerLogin, role_name)
    if known is not None:
        raise RuleError(_("Login role {role} is already mapped to {badge}.").format(role=role_name, badge=known.badge),
                        hint=_("Create a login role of its own for each officer."))
    data = {"badge": officer.badge, "role_name": role_name}
    ev = append_event(session, LOGIN_MAPPED, data, actor=actor.badge)
    session.add(OfficerLogin(**replay.login_row(ev.seq, data)))
    session.flush()
    return {"id": role_name, "badge": officer.badge, "role_name": role_name, "seq": ev.seq}


def list_keys(session: Session) -> list[dict]:
    from ledger.models import OfficerKey

    return [{"badge": k.badge, "key_id": k.key_id, "added_seq": k.added_seq, "revoked_seq": k.revoked_seq,
             "revoked_reason": k.revoked_reason}
            for k in session.scalars(select(OfficerKey).order_by(OfficerKey.badge, OfficerKey.added_seq))]


def officer_dict(o: Officer) -> dict:
    return {"badge": o.badge, "name": o.name, "role": o.role, "unit": o.unit}


def list_officers(session: Session) -> list[dict]:
    return [officer_dict(o) for o in session.scalars(select(Officer).order_by(Officer.badge))]


# -- locations -----------------------------------------------------------------------
def get_location(session: Session, code: str, field: str = "--location") -> Location:
    code = check_code(code, field)
    location = _find(session, Location, Location.code, code)
    if location is None:
        raise NotFound(
            _("{field}: no location with code {code} is registered.").format(field=field, code=code),
            hint=_did_you_mean(session, Location.code, code)
            + _("Check the code with 'evidence location list', or add it with 'evidence location add'."),
        )
    return location


def add_location(session: Session, code: str, *, name: str, kind: str = "other", by: str | None = None) -> dict:
    code = check_code(code, "CODE")
    name = clean_text(name, "--name")
    if kind not in LOCATION_KINDS:
        raise InputError(_("--kind {kind!r} is not a kind of location.").format(kind=kind),
                         hint=_("Use one of: {choices}.").format(choices=", ".join(LOCATION_KINDS)))
    existing = _look_alike(session, Location.code, code)
    if existing == code:
        raise RuleError(_("Location {code} is already registered.").format(code=code),
                        hint=_("See 'evidence location list'."))
    if existing is not None:
        raise RuleError(
            _("CODE {code} reads the same as location {existing}, already registered: codes that differ "
              "only in letter case or in separators (- _ . / # : space) are taken as one code.").format(
                code=code, existing=existing),
            hint=_("If it is the same place, use {existing}; otherwise choose a code that differs in a letter "
                   "or digit. See 'evidence location list'.").format(existing=existing),
        )
    refuse_look_alike(code, session.scalars(select(Location.code)), "location")
    actor = require_actor(session, by, "location.manage")
    data = {"code": code, "name": name, "kind": kind}
    ev = append_event(session, LOCATION_ADDED, data, actor=actor.badge)
    session.add(Location(**replay.location_row(ev.seq, data)))
    session.flush()
    return {"id": code, "code": code, "name": name, "kind": kind, "seq": ev.seq}


def list_locations(session: Session) -> list[dict]:
    return [
        {"code": loc.code, "name": loc.name, "kind": loc.kind}
        for loc in session.scalars(select(Location).order_by(Location.code))
    ]


# -- cases ---------------------------------------------------------------------------
def get_case(session: Session, case_no: str, field: str = "CASE_NO") -> Case:
    case_no = check_code(case_no, field)
    case = _find(session, Case, Case.case_no, case_no)
    if case is None:
        raise NotFound(
            _("{field}: no case {case_no} is registered.").format(field=field, case_no=case_no),
            hint=_did_you_mean(session, Case.case_no, case_no)
            + _("Check the number with 'evidence case list', or open it with 'evidence case open'."),
        )
    return case


def open_case(
    session: Session, case_no: str, *, title: str, by: str | None, prosecutor: str | None = None,
    court: str | None = None, at: str | None = None, tz: str = "America/Lima",
) -> dict:
    case_no = check_code(case_no, "CASE_NO")
    title = clean_text(title, "--title", max_len=500)
    court = clean_text(court, "--court", required=False)
    occurred = utc_iso(parse_time(at, tz, "--at")) if at else None
    actor = require_actor(session, by, "case.open")
    if prosecutor:
        p = get_officer(session, prosecutor, "--prosecutor")
        if p.role != "prosecutor":
            raise RuleError(
                _("--prosecutor {badge} is registered as {role}, not as a prosecutor.").format(
                    badge=p.badge, role=p.role),
                hint=_("Name an officer registered with --role prosecutor."),
            )
        prosecutor = p.badge
    existing = _look_alike(session, Case.case_no, case_no)
    if existing == case_no:
        raise RuleError(_("Case {case_no} is already open.").format(case_no=case_no),
                        hint=_("See 'evidence case show {case_no}'.").format(case_no=case_no))
    if existing is not None:
        raise RuleError(
            _("CASE_NO {case_no} reads the same as case {existing}, already open: case numbers that differ "
              "only in letter case or in separators (- _ . / # : space) are taken as one case.").format(
                case_no=case_no, existing=existing),
            hint=_("If it is the same case, use {existing} (see 'evidence case show {existing}'); otherwise "
                   "check the number.").format(existing=existing),
        )
    data = {"case_no": case_no, "title": title, "prosecutor": prosecutor, "court": court}
    ev = append_event(session, CASE_OPENED, data, actor=actor.badge, occurred_at=occurred, case_no=case_no)
    session.add(Case(**replay.case_row(ev.seq, ev.occurred_at, actor.badge, data)))
    session.flush()
    return {"id": case_no, "case_no": case_no, "title": title, "prosecutor": prosecutor, "court": court, "seq": ev.seq}


def list_cases(session: Session) -> list[dict]:
    counts = dict(session.execute(select(Item.case_no, func.count()).group_by(Item.case_no)).all())
    return [
        {"case_no": c.case_no, "title": c.title, "prosecutor": c.prosecutor, "court": c.court,
         "opened_at": c.opened_at, "items": counts.get(c.case_no, 0)}
        for c in session.scalars(select(Case).order_by(Case.case_no))
    ]


# -- seizures ------------------------------------------------------------------------
def get_seizure(session: Session, ref: str, field: str = "SEIZURE") -> Seizure:
    text_ = (ref or "").strip().upper()
    no = None
    if text_.startswith("SZ-") and text_[3:].isascii() and text_[3:].isdigit():
        no = int(text_[3:])
    elif text_.isascii() and text_.isdigit():
        no = int(text_)
    seizure = session.get(Seizure, no) if no is not None and no < 2**31 else None
    if seizure is None:
        raise NotFound(
            _("{field}: no seizure {ref!r} is registered.").format(field=field, ref=ref),
            hint=did_you_mean(seizure_numbers_near(session, ref))
            + _("Seizure ids look like SZ-000001; 'evidence seizure list' lists them."),
        )
    return seizure


def _names(values, field: str) -> list[str]:
    return [clean_text(v, field) for v in values or () if v is not None and v.strip()]


def record_seizure(
    session: Session, case_no: str, *, at: str, place: str, by: str | None, acta: str | None = None,
    from_persons=(), witnesses=(), tz: str = "America/Lima",
) -> dict:
    when = utc_iso(parse_time(at, tz, "--at"))
    place = clean_text(place, "--place", max_len=500)
    acta = check_code(acta, "--acta") if acta else None
    persons = _names(from_persons, "--from-person")
    witness_names = _names(witnesses, "--witness")
    actor = require_actor(session, by, "seizure.record")
    case = get_case(session, case_no)
    warnings = []
    if acta:
        # The same acta twice is usually a retyped form; it is recorded, and said.
        twice = session.scalars(select(Seizure).where(_key_sql(Seizure.acta) == identifier_key(acta))
                                .order_by(Seizure.no)).all()
        if twice:
            where = ", ".join(_("{seizure} (case {case_no})").format(seizure=t.id, case_no=t.case_no) for t in twice)
            warnings.append(_("acta {acta} is already the acta of {where}. If this is the same seizure typed again, "
                              "register its items under {first}; otherwise check the acta number.").format(
                acta=acta, where=where, first=twice[0].id))
    no = (session.scalar(select(func.max(Seizure.no))) or 0) + 1
    sid = seizure_label(no)
    data = {"seizure": sid, "case_no": case.case_no, "acta": acta, "place": place, "officer": actor.badge,
            "from_persons": persons, "witnesses": witness_names}
    ev = append_event(session, SEIZURE_RECORDED, data, actor=actor.badge, occurred_at=when, case_no=case.case_no)
    session.add(Seizure(**replay.seizure_row(ev.seq, ev.occurred_at, data)))
    session.flush()
    return {"id": sid, "case_no": case.case_no, "acta": acta, "at": when, "place": place, "officer": actor.badge,
            "from_persons": persons, "witnesses": witness_names, "seq": ev.seq, "warnings": warnings}


def list_seizures(session: Session, case_no: str | None = None) -> list[dict]:
    """Seizures, oldest first, each with its number of items; of one case with `case_no`."""
    query = select(Seizure).order_by(Seizure.no)
    if case_no is not None:
        query = query.where(Seizure.case_no == get_case(session, case_no, "--case").case_no)
    counts = dict(session.execute(select(Item.seizure_no, func.count()).group_by(Item.seizure_no)).all())
    return [{**seizure_dict(s), "items": counts.get(s.no, 0)} for s in session.scalars(query)]


def show_seizure(session: Session, ref: str) -> dict:
    """One seizure with the evidence numbers of its items."""
    seizure = get_seizure(session, ref)
    items = session.execute(select(Item.id, Item.kind, Item.status).where(Item.seizure_no == seizure.no)
                            .order_by(Item.no)).all()
    return {**seizure_dict(seizure), "seq": seizure.recorded_seq,
            "items": [{"id": i.id, "kind": i.kind, "status": i.status} for i in items]}


def seizure_dict(s: Seizure) -> dict:
    return {"id": s.id, "case_no": s.case_no, "acta": s.acta, "at": s.occurred_at, "place": s.place,
            "officer": s.officer, "from_persons": json.loads(s.from_persons), "witnesses": json.loads(s.witnesses)}


@dataclass
class CaseReport:
    case_no: str
    title: str
    prosecutor: str | None
    court: str | None
    opened_at: str
    seizures: list[dict] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> n
    cash: list[dict] = field(default_factory=list)  # per currency: currency, amount, minor, items
    orders: list[dict] = field(default_factory=list)  # court orders recorded on the case, oldest first

    def as_dict(self) -> dict:
        return asdict(self)


def show_case(session: Session, case_no: str) -> CaseReport:
    from ledger.money import amount_str

    case = get_case(session, case_no)
    report = CaseReport(case.case_no, case.title, case.prosecutor, case.court, case.opened_at)
    report.seizures = [seizure_dict(s) for s in session.scalars(
        select(Seizure).where(Seizure.case_no == case.case_no).order_by(Seizure.no))]
    for kind, status, n in session.execute(
        select(Item.kind, Item.status, func.count()).where(Item.case_no == case.case_no).group_by(Item.kind, Item.status)
    ):
        report.counts.setdefault(kind, {})[status] = n
    for currency, total, n in session.execute(
        select(Item.currency, func.sum(Item.amount_minor), func.count())
        .where(Item.case_no == case.case_no, Item.kind == "cash")
        .group_by(Item.currency).order_by(Item.currency)
    ):
        report.cash.append({"currency": currency, "amount": amount_str(int(total), currency),
                            "minor": int(total), "items": n})
    report.orders = [{"seq": o.seq, "order": o.court_order, "final": bool(o.is_final), "ordered_at": o.ordered_at,
                      "recorded_by": o.recorded_by, "note": o.note}
                     for o in session.scalars(select(CaseOrder).where(CaseOrder.case_no == case.case_no)
                                              .order_by(CaseOrder.seq))]
    return report
