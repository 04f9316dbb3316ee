"""Officers, their keys and logins, where signing starts and from where signatures name the
ledger: the ledger's admin events.

The ledger is started once, by its first admin (`identity.initialized`); after that only an
admin registers officers, changes roles, enrols and revokes keys and maps database logins.
One key answers for one officer, and a revoked key stays revoked. A signature names the
ledger's origin from the seq the log fixes once: a new ledger's `identity.initialized` says so
(`signatures_name_origin`), a ledger signed before that gets `identity.signatures_name_origin`.
"""

from __future__ import annotations

from ledger.rules import data
from ledger.rules.book import ROLES, Event, Rule, define, officer, problem, signed
from ledger.rules.disclosure import CASE_INDEX
from ledger.rules.state import (
    SIGNATURES_FROM,
    SIGNATURES_NAME_ORIGIN_FROM,
    State,
    key_row,
    login_row,
    officer_row,
    setting_row,
)
from ledger.rules.text import _

INITIALIZED = "identity.initialized"
SIGNATURES_REQUIRED = "identity.signatures_required"
OFFICER_ADDED = "officer.added"
OFFICER_UPDATED = "officer.updated"
KEY_ADDED = "officer.key_added"
KEY_REVOKED = "officer.key_revoked"
LOGIN_MAPPED = "officer.login_mapped"
LOG_UPGRADED = "log.upgraded"
SIGNATURES_NAME_ORIGIN = "identity.signatures_name_origin"
# Events the program itself records, with no officer acting (before signatures are required).
UNSIGNED_TYPES = frozenset({LOG_UPGRADED, SIGNATURES_REQUIRED, SIGNATURES_NAME_ORIGIN, CASE_INDEX})
# Of those, the ones it records in the signed part of the log too, unsigned: they can only make
# the checks of the events after them stricter (the case index is checked against the log itself).
NEVER_SIGNED = frozenset({SIGNATURES_NAME_ORIGIN, CASE_INDEX})
# The data key of `identity.initialized` that makes its own signature and every later one name
# the ledger's origin.
NAMES_ORIGIN = "signatures_name_origin"
# Events that enrol a key, and where in their data it is.
ENROLS_KEY = (INITIALIZED, OFFICER_ADDED, KEY_ADDED)


def _start_fixed(state: State, ev: Event, out: list, said) -> None:
    # Where signing starts is fixed by the event itself: its own seq for a new ledger, the
    # next one for an upgraded log; a rewritten value would exempt later events.
    start = state.signatures_from()
    expected = start if start is not None else (ev.seq if ev.type == INITIALIZED else ev.seq + 1)
    if said != expected or (ev.type == SIGNATURES_REQUIRED and start is not None):
        problem(out, "signing-start", ev, _("{type} says events are signed from seq {said}, but the log fixes seq "
                                            "{expected} (signing can start once, and never later).").format(
            type=ev.type, said=repr(said), expected=expected))


def _new_officer(state: State, ev: Event, out: list) -> None:
    data = ev.data
    if state.has("officers", data["badge"]):
        problem(out, "new-officer", ev, _("officer {badge} is added a second time.").format(badge=data["badge"]),
                check="reference")
    if data["role"] not in ROLES:
        problem(out, "known-role", ev, _("officer {badge} is given role {role}, which this ledger does not "
                                         "have.").format(badge=data["badge"], role=data["role"]))
    _new_key(state, ev, out, data.get("key"))


def _new_key(state: State, ev: Event, out: list, key) -> None:
    if not key:
        return
    known = state.get("officer_keys", key["key_id"])
    if known is not None:
        problem(out, "one-key-one-officer", ev, _("key {key} is enrolled a second time (it is {badge}'s since seq "
                                                  "{seq}): one key answers for one officer.").format(
            key=key["key_id"], badge=known["badge"], seq=known["added_seq"]), check="reference")


def check_initialized(state: State, ev: Event, out: list, _states) -> None:
    _start_fixed(state, ev, out, ev.data["signatures_from"])
    if NAMES_ORIGIN in ev.data and ev.data[NAMES_ORIGIN] is not True:
        problem(out, "origin-binding", ev, _("{type} says {key} is {said}; it is true or absent.").format(
            type=ev.type, key=NAMES_ORIGIN, said=repr(ev.data[NAMES_ORIGIN])))
    _new_officer(state, ev, out)
    if ev.data["role"] != "admin":
        problem(out, "admin-bootstrap", ev, _("starts the ledger with {badge} as {role}, not as its admin.").format(
            badge=ev.data["badge"], role=ev.data["role"]))
    if signed(state, ev) or state.signatures_from() is None:
        admins = state.admins()
        if admins:
            problem(out, "admin-bootstrap", ev, _("starts the ledger with an admin, but it already had one."))
        elif ev.actor != ev.data["badge"]:
            problem(out, "admin-bootstrap", ev, _("starts the ledger with an admin, but its actor {actor} is not that "
                                                  "admin.").format(actor=ev.actor))


def apply_initialized(state: State, ev: Event) -> None:
    state.put("officers", officer_row(ev.seq, ev.data))
    state.put("officer_keys", key_row(ev.seq, ev.data["badge"], ev.data["key"]))
    if state.setting(SIGNATURES_FROM) is None:  # an upgraded log fixed it before
        state.put("settings", setting_row(ev.seq, SIGNATURES_FROM, str(ev.data["signatures_from"])))
    if ev.data.get(NAMES_ORIGIN) is True and state.setting(SIGNATURES_NAME_ORIGIN_FROM) is None:
        state.put("settings", setting_row(ev.seq, SIGNATURES_NAME_ORIGIN_FROM, str(ev.seq)))


def origin_bound_from(state: State) -> int | None:
    """The first seq whose signatures name the ledger's origin (None: none do yet)."""
    value = state.setting(SIGNATURES_NAME_ORIGIN_FROM)
    return int(value) if value is not None else None


def check_names_origin(state: State, ev: Event, out: list, _states) -> None:
    # Fixed once, by the program (no officer acts), for the events after it: it can only make
    # later checks stricter, and a second one or another seq would say something else.
    bound = origin_bound_from(state)
    if bound is not None:
        problem(out, "origin-binding", ev, _("{type} comes after signatures already name the ledger's origin (from "
                                             "seq {bound}); that is fixed once.").format(type=ev.type, bound=bound))
    elif ev.data["from"] != ev.seq + 1 or type(ev.data["from"]) is not int:
        problem(out, "origin-binding", ev, _("{type} says signatures name the ledger's origin from seq {said}, but "
                                             "the log fixes seq {expected} (the event after it).").format(
            type=ev.type, said=repr(ev.data["from"]), expected=ev.seq + 1))
    if ev.actor is not None or ev.case is not None or ev.items:
        problem(out, "origin-binding", ev, _("{type} names an actor, a case or items, but the program records it "
                                             "alone, with no officer acting.").format(type=ev.type))


def apply_names_origin(state: State, ev: Event) -> None:
    if state.setting(SIGNATURES_NAME_ORIGIN_FROM) is None:
        state.put("settings", setting_row(ev.seq, SIGNATURES_NAME_ORIGIN_FROM, str(ev.data["from"])))


def check_signatures_required(state: State, ev: Event, out: list, _states) -> None:
    _start_fixed(state, ev, out, ev.data["from"])


def apply_signatures_required(state: State, ev: Event) -> None:
    state.put("settings", setting_row(ev.seq, SIGNATURES_FROM, str(ev.data["from"])))


def check_added(state: State, ev: Event, out: list, _states) -> None:
    _new_officer(state, ev, out)


def apply_added(state: State, ev: Event) -> None:
    state.put("officers", officer_row(ev.seq, ev.data))
    if ev.data.get("key"):
        state.put("officer_keys", key_row(ev.seq, ev.data["badge"], ev.data["key"]))


def check_updated(state: State, ev: Event, out: list, _states) -> None:
    officer(state, out, ev, ev.data["badge"], "officer")
    if "role" in ev.data and ev.data["role"] not in ROLES:
        problem(out, "known-role", ev, _("officer {badge} is given role {role}, which this ledger does not "
                                         "have.").format(badge=ev.data["badge"], role=ev.data["role"]))


def apply_updated(state: State, ev: Event) -> None:
    state.change("officers", (ev.data["badge"],), **{k: ev.data[k] for k in ("name", "unit", "role") if k in ev.data})


def check_key_added(state: State, ev: Event, out: list, _states) -> None:
    officer(state, out, ev, ev.data["badge"], "officer")
    _new_key(state, ev, out, ev.data["key"])


def apply_key_added(state: State, ev: Event) -> None:
    if not state.has("officer_keys", ev.data["key"]["key_id"]):
        state.put("officer_keys", key_row(ev.seq, ev.data["badge"], ev.data["key"]))


def check_key_revoked(state: State, ev: Event, out: list, _states) -> None:
    officer(state, out, ev, ev.data["badge"], "officer")
    key = state.get("officer_keys", ev.data["key_id"])
    if key is None:
        problem(out, "known-key", ev, _("revokes key {key}, never enrolled.").format(key=ev.data["key_id"]),
                check="reference")
    elif key["badge"] != ev.data["badge"]:
        problem(out, "known-key", ev, _("revokes key {key} as {badge}'s, but it is {owner}'s.").format(
            key=ev.data["key_id"], badge=ev.data["badge"], owner=key["badge"]))
    elif key["revoked_seq"] is not None:
        problem(out, "known-key", ev, _("revokes key {key}, already revoked at seq {seq}.").format(
            key=ev.data["key_id"], seq=key["revoked_seq"]))


def apply_key_revoked(state: State, ev: Event) -> None:
    key = state.get("officer_keys", ev.data["key_id"])
    if key is not None and key["revoked_seq"] is None:
        state.change("officer_keys", (ev.data["key_id"],), revoked_seq=ev.seq, revoked_reason=ev.data["reason"])


def check_login(state: State, ev: Event, out: list, _states) -> None:
    officer(state, out, ev, ev.data["badge"], "officer")


def apply_login(state: State, ev: Event) -> None:
    state.put("officer_logins", login_row(ev.seq, ev.data))


def _nothing(*_args) -> None:
    return None


define(
    Rule(INITIALIZED, None, check_initialized, apply_initialized, data=data.Initialized),
    Rule(SIGNATURES_REQUIRED, None, check_signatures_required, apply_signatures_required, data=data.SignaturesRequired),
    Rule(OFFICER_ADDED, "officer.manage", check_added, apply_added, data=data.OfficerAdded),
    Rule(OFFICER_UPDATED, "officer.manage", check_updated, apply_updated, data=data.OfficerUpdated),
    Rule(KEY_ADDED, "officer.manage", check_key_added, apply_key_added, data=data.KeyAdded),
    Rule(KEY_REVOKED, "officer.manage", check_key_revoked, apply_key_revoked, data=data.KeyRevoked),
    Rule(LOGIN_MAPPED, "officer.manage", check_login, apply_login, data=data.LoginMapped),
    Rule(LOG_UPGRADED, None, _nothing, _nothing, data=data.LogUpgraded),
    Rule(SIGNATURES_NAME_ORIGIN, None, check_names_origin, apply_names_origin, data=data.NamesOrigin),
)
