"""The ledger's current state as the rulebook keeps it: the rows of every current-state table,
built by applying events in log order, and what the rules consult (who holds an item, its
open offer, the keys enrolled). Standard library only: the checker shipped in every bundle
folds the same state. `ledger.models` declares the same tables; a test holds the two equal.
"""

from __future__ import annotations

import hashlib
import json

from ledger.rules.sampling import draw_sample, sample_size
from ledger.rules.text import N_

# Every current-state table: its columns in order, and its primary key. The log itself
# (`events`) and the signatures over its leaves (`event_signatures`) are the record, not state.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "officers": (("badge", "name", "role", "unit", "added_seq"), ("badge",)),
    "locations": (("code", "name", "kind", "added_seq"), ("code",)),
    "cases": (("case_no", "title", "prosecutor", "court", "opened_by", "opened_at", "opened_seq"), ("case_no",)),
    "seizures": (("no", "id", "case_no", "acta", "occurred_at", "place", "officer", "from_persons", "witnesses",
                  "recorded_seq"), ("no",)),
    "items": (("no", "id", "case_no", "seizure_no", "kind", "status", "holder", "location", "seal", "registered_seq",
               "last_seq", "last_at", "currency", "amount_minor", "denominations", "counted_by", "verified_by", "make",
               "model", "plate", "plate_kind", "vin", "year", "color", "value_currency", "value_minor", "imei", "imei2",
               "number", "title", "pages", "file_name", "file_sha256", "file_size", "disposition", "authority",
               "disposed_to"), ("no",)),
    "rates": (("seq", "date", "base", "quote", "side", "source", "rate", "reason", "file_sha256", "superseded_seq"),
              ("seq", "date", "base", "quote", "side")),
    "requests": (("request_id", "command", "fingerprint", "seq"), ("request_id",)),
    "chain_head": (("id", "seq", "hash", "root", "edge"), ("id",)),
    "event_items": (("seq", "item_no"), ("seq", "item_no")),
    "deposits": (("item_no", "case_no", "seq", "deposited_at", "deposited_by", "bank", "account", "voucher",
                  "court_order"), ("item_no",)),
    "assignments": (("seq", "item_no", "case_no", "assigned_at", "entity", "court_order", "until", "returned_seq",
                     "returned_at"), ("seq",)),
    "audits": (("no", "id", "location", "started_seq", "started_at", "started_by", "requested", "confidence",
                "tolerance", "population", "seed", "sample", "closed_seq", "closed_at", "closed_by"), ("no",)),
    "audit_checks": (("audit_no", "item_no", "seq", "checked_at", "checked_by", "result", "in_scope", "seal",
                      "location", "note", "record_seal", "record_location"), ("audit_no", "item_no")),
    "audit_findings": (("audit_no", "item_no", "kind", "detail"), ("audit_no", "item_no", "kind")),
    "item_reviews": (("item_no", "case_no", "review_on", "reason", "seq", "set_at", "set_by"), ("item_no",)),
    "case_orders": (("seq", "case_no", "court_order", "is_final", "ordered_at", "recorded_by", "note"), ("seq",)),
    "officer_keys": (("key_id", "badge", "public_key", "added_seq", "revoked_seq", "revoked_reason"), ("key_id",)),
    "officer_logins": (("role_name", "badge", "seq"), ("role_name",)),
    "settings": (("name", "value", "seq"), ("name",)),
    "offers": (("seq", "item_no", "case_no", "from_badge", "to_badge", "closed_seq", "outcome", "seal_check"),
               ("seq", "item_no")),
}
DERIVED = tuple(TABLES)
LOG_TABLE = "events"
SIGNATURE_TABLE = "event_signatures"
SIGNATURES_FROM = "signatures_from"  # settings row: the first seq every event must be signed from
# settings row: the first seq whose signatures name the ledger's origin (docs/FORMAT.md 1.6)
SIGNATURES_NAME_ORIGIN_FROM = "signatures_name_origin_from"
IN_TRANSIT = "in-transit"
# Items an audit expects at its location: those the log puts there and in the room's custody
# (not deposited, not lent in temporary use, not disposed of).
AUDITED_STATUS = "in-custody"
# Item columns that the custody events change, or that place the item; every other column of
# `items` describes the item as registered and is kept by the state only as a digest (a
# million items must fit in memory), which a mismatch expands again from the registration.
ITEM_STATE = ("no", "id", "case_no", "seizure_no", "kind", "status", "holder", "location", "seal",
              "registered_seq", "last_seq", "last_at", "disposition", "authority", "disposed_to")
(I_NO, I_ID, I_CASE, I_SEIZURE, I_KIND, I_STATUS, I_HOLDER, I_LOCATION, I_SEAL, I_REG_SEQ, I_LAST_SEQ, I_LAST_AT,
 I_DISPOSITION, I_AUTHORITY, I_DISPOSED_TO, I_DIGEST) = range(len(ITEM_STATE) + 1)
ITEM_COLUMNS = TABLES["items"][0]
ITEM_DESCRIPTIVE = tuple(c for c in ITEM_COLUMNS if c not in ITEM_STATE)
# Amounts travel in a registration's data as text under these keys; the table holds minor units.
MINOR_UNITS = {"amount": ("amount_minor", "currency"), "value": ("value_minor", "value_currency")}


def columns(table: str) -> tuple[str, ...]:
    return TABLES[table][0]


def primary_key(table: str) -> tuple[str, ...]:
    return TABLES[table][1]


def number(label: str) -> int:
    """SZ-000001 / EV-000001 -> 1."""
    return int(label.partition("-")[2])


# -- rows, as the events make them ----------------------------------------------------------
def officer_row(seq: int, data: dict) -> dict:
    return {"badge": data["badge"], "name": data["name"], "role": data["role"], "unit": data.get("unit"),
            "added_seq": seq}


def key_row(seq: int, badge: str, key: dict) -> dict:
    """The officer_keys row an enrolment creates (`key` as the event carries it)."""
    return {"key_id": key["key_id"], "badge": badge, "public_key": key["public_key"], "added_seq": seq,
            "revoked_seq": None, "revoked_reason": None}


def setting_row(seq: int, name: str, value: str) -> dict:
    return {"name": name, "value": value, "seq": seq}


def login_row(seq: int, data: dict) -> dict:
    return {"role_name": data["role_name"], "badge": data["badge"], "seq": seq}


def offer_row(seq: int, case_no: str, item: str, data: dict) -> dict:
    """The offers row of one item a `custody.offered` event put in transit."""
    return {"seq": seq, "item_no": number(item), "case_no": case_no, "from_badge": data["from"],
            "to_badge": data["to"], "closed_seq": None, "outcome": None, "seal_check": None}


def location_row(seq: int, data: dict) -> dict:
    return {"code": data["code"], "name": data["name"], "kind": data["kind"], "added_seq": seq}


def case_row(seq: int, occurred_at: str, actor: str | None, data: dict) -> dict:
    return {"case_no": data["case_no"], "title": data["title"], "prosecutor": data.get("prosecutor"),
            "court": data.get("court"), "opened_by": actor, "opened_at": occurred_at, "opened_seq": seq}


def seizure_row(seq: int, occurred_at: str, data: dict) -> dict:
    return {"no": number(data["seizure"]), "id": data["seizure"], "case_no": data["case_no"],
            "acta": data.get("acta"), "occurred_at": occurred_at, "place": data["place"], "officer": data["officer"],
            "from_persons": json.dumps(data["from_persons"], ensure_ascii=False),
            "witnesses": json.dumps(data["witnesses"], ensure_ascii=False), "recorded_seq": seq}


def rate_row(seq: int, data: dict, entry: dict) -> dict:
    return {"seq": seq, "date": entry["date"], "base": entry["base"], "quote": entry["quote"], "side": entry["side"],
            "source": data["source"], "rate": entry["rate"], "reason": data.get("reason"),
            "file_sha256": data.get("file_sha256"), "superseded_seq": None}


def rate_entries(type_: str, data: dict) -> list[dict]:
    """The rates one rate event records: `rate.set` one, `rate.imported` its file's list."""
    return data["rates"] if type_ == "rate.imported" else [data]


def deposit_row(seq: int, occurred_at: str, case_no: str, item: str, data: dict) -> dict:
    """The deposits row of one cash item a `custody.deposited` event paid into the bank."""
    return {"item_no": number(item), "case_no": case_no, "seq": seq, "deposited_at": occurred_at,
            "deposited_by": data["from"], "bank": data["bank"], "account": data["account"],
            "voucher": data["voucher"], "court_order": data.get("order")}


def assignment_row(seq: int, occurred_at: str, case_no: str, data: dict) -> dict:
    """The assignments row a `custody.assigned` event opens (a return fills returned_*)."""
    return {"seq": seq, "item_no": number(data["item"]), "case_no": case_no, "assigned_at": occurred_at,
            "entity": data["entity"], "court_order": data["order"], "until": data["until"],
            "returned_seq": None, "returned_at": None}


def review_row(seq: int, occurred_at: str, actor: str, case_no: str, item: str, data: dict) -> dict:
    """The item_reviews row a `review.set` event leaves for one of its items (`review_on` null
    when the event clears the review)."""
    return {"item_no": number(item), "case_no": case_no, "review_on": data["review_on"],
            "reason": data.get("reason"), "seq": seq, "set_at": occurred_at, "set_by": actor}


def case_order_row(seq: int, occurred_at: str, actor: str, data: dict) -> dict:
    """The case_orders row of a `case.ordered` event."""
    return {"seq": seq, "case_no": data["case_no"], "court_order": data["order"], "is_final": 1 if data["final"] else 0,
            "ordered_at": occurred_at, "recorded_by": actor, "note": data.get("note")}


def audit_row(seq: int, occurred_at: str, actor: str, data: dict, population: list[str], seed: str) -> dict:
    """The audits row an `audit.started` event opens: the sample drawn from `population` (the
    evidence ids the log put at the location then) with `seed` (the root after the event)."""
    if data.get("sample") is not None:
        n = min(data["sample"], len(population))
    elif data.get("confidence") is not None:
        n = sample_size(len(population), data["confidence"], data["tolerance"])
    else:
        n = len(population)
    return {"no": number(data["audit"]), "id": data["audit"], "location": data["location"], "started_seq": seq,
            "started_at": occurred_at, "started_by": actor, "requested": data.get("sample"),
            "confidence": data.get("confidence"), "tolerance": data.get("tolerance"), "population": len(population),
            "seed": seed, "sample": json.dumps(draw_sample(seed, population, n)), "closed_seq": None,
            "closed_at": None, "closed_by": None}


def audit_check_row(seq: int, occurred_at: str, actor: str, data: dict, record_seal: str | None,
                    record_location: str | None) -> dict:
    """The audit_checks row of an `audit.checked` event, with the seal and location the record
    gave the item at that moment."""
    return {"audit_no": number(data["audit"]), "item_no": number(data["item"]), "seq": seq,
            "checked_at": occurred_at, "checked_by": actor, "result": data["result"],
            "in_scope": 0 if data.get("unexpected") else 1, "seal": data.get("seal"),
            "location": data.get("location"), "note": data.get("note"), "record_seal": record_seal,
            "record_location": record_location}


def _as_recorded(text: str) -> str:
    return text


def audit_finding_rows(audit: dict, checks: list[dict], say=_as_recorded) -> list[dict]:
    """What an audit's close records: each checked item that differs from the record, and each
    item of the sample nobody checked. `audit` and `checks` are rows as the functions above
    build them. The details are recorded in English; `say` (e.g. ledger.i18n._) words them for
    a reader instead."""
    out = []
    no, where = audit["no"], audit["location"]

    def finding(item_no: int, kind: str, detail: str) -> None:
        out.append({"audit_no": no, "item_no": item_no, "kind": kind, "detail": detail})

    checked = set()
    for c in sorted(checks, key=lambda c: c["item_no"]):
        checked.add(c["item_no"])
        if not c["in_scope"]:
            text = (N_("found at {at}, but the record puts it at {record}") if c["record_location"] else
                    N_("found at {at}, but the record puts it at no location"))
            finding(c["item_no"], "unexpected", say(text).format(at=c["location"] or where,
                                                                 record=c["record_location"]))
            continue
        if c["result"] == "missing":
            finding(c["item_no"], "missing", say(N_("not found at {where}")).format(where=where))
            continue
        if c["seal"] is not None and c["seal"] != c["record_seal"]:
            text = (N_("seal {seal} on the item, {record} on record") if c["record_seal"] else
                    N_("seal {seal} on the item, none on record"))
            finding(c["item_no"], "seal-mismatch", say(text).format(seal=c["seal"], record=c["record_seal"]))
        if c["location"] is not None and c["location"] != c["record_location"]:
            text = (N_("found at {at}, the record puts it at {record}") if c["record_location"] else
                    N_("found at {at}, the record puts it at no location"))
            finding(c["item_no"], "wrong-location", say(text).format(at=c["location"], record=c["record_location"]))
    for item in json.loads(audit["sample"]):
        if number(item) not in checked:
            finding(number(item), "not-checked", say(N_("drawn for the audit but not checked before it closed")))
    return out


def item_state(seq: int, occurred_at: str, case_no: str, data: dict) -> list:
    """The ITEM_STATE columns of the items row a registration event creates."""
    return [number(data["item"]), data["item"], case_no, number(data["seizure"]), data["kind"], "in-custody",
            data["holder"], data.get("location"), data.get("seal"), seq, seq, occurred_at, None, None, None]


# The registration event carries an item's description under the items columns' names, but
# amounts as text ("4000.00" under `amount`) where the table holds minor units. The state
# keeps 32 bytes per item: the digest of that description as the event carries it; a stored
# row is put in the same form to be compared (ledger.replay).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                            check_circular=False)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _iterencode = _c_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False,
                             False)

    def canonical_text(doc: object) -> str:
        """Canonical JSON (events.canonical_json's form) of a parsed body, by the C encoder
        alone: verify writes every body back with it to check that the body is canonical."""
        return "".join(_iterencode(doc, 0))
else:  # pragma: no cover - CPython always has the C encoder
    canonical_text = _ENCODER.encode
AMOUNT_KEY = {column: (key, currency) for key, (column, currency) in MINOR_UNITS.items()}
_DESCRIBING_KEYS = frozenset((set(ITEM_DESCRIPTIVE) - set(AMOUNT_KEY)) | set(MINOR_UNITS))


def description_digest(data: dict) -> bytes:
    """Digest of the description a registration event's data gives (absent = null)."""
    fields = {k: v for k, v in data.items() if k in _DESCRIBING_KEYS and v is not None}
    return hashlib.sha256(encode_fields(fields)).digest()


def encode_fields(fields: dict) -> bytes:
    try:
        return canonical_text(fields).encode("utf-8", "surrogatepass")
    except ValueError:  # a float NaN or infinity in a tampered row: repr tells it apart
        return repr(sorted(fields.items())).encode("utf-8", "surrogatepass")


class State:
    """Rows of every current-state table, as the events so far made them.

    `rows[table]` maps a primary key tuple to the row's values in the table's column order;
    items are kept as `items[id] = [state columns..., descriptive digest]` and turned into
    full rows only when compared. Beside the rows, what the rules consult that no single row
    says: each item's open offer and assignment, the audits in progress, the seizures' cases.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple, tuple]] = {t: {} for t in DERIVED if t not in ("items", "event_items")}
        self.items: dict[str, list] = {}
        self.head: tuple[int, str] = (0, "0" * 64)
        self._cols = {t: columns(t) for t in self.rows}
        self._keys = {t: primary_key(t) for t in self.rows}
        self.open_assignments: dict[str, int] = {}  # item -> seq of its assignment not yet returned
        # item -> (seq, from, to, location, seal) of the handover offer not yet answered
        self.open_offers: dict[str, tuple] = {}
        self.seizures: dict[str, str] = {}  # seizure id -> its case
        # Each audit's row and checks so far, by audit id ("unseeded": started where no tree gave
        # a seed, one case's events: only its place and whether it is open are known).
        self.audits: dict[str, dict] = {}
        # Roots of the tree just after each audit.started event (its seed), given by the caller
        # that holds the tree.
        self.audit_roots: dict[int, bytes] = {}
        self.edge = None  # the tree over the leaves so far, where the caller keeps one (its root seeds audits)
        # What the case index (ledger.rules.disclosure) commits: each case's count of events and
        # last seq, the key of its entry (from the salt of its case.opened), the ledger-wide
        # events' count and last seq; `every_case` False where the caller folds one case's events.
        self.case_tally: dict[str, list] = {}
        self.wide_tally: list = [0, 0]
        self.case_keys: dict[str, str] = {}
        self.every_case = True

    # -- reading -------------------------------------------------------------------------
    def get(self, table: str, *key) -> dict | None:
        row = self.rows[table].get(key)
        return None if row is None else dict(zip(self._cols[table], row, strict=True))

    def has(self, table: str, *key) -> bool:
        return key in self.rows[table]

    def officer(self, badge) -> dict | None:
        return self.get("officers", badge) if isinstance(badge, str) else None

    def role(self, badge) -> str | None:
        officer = self.officer(badge)
        return officer["role"] if officer else None

    def setting(self, name: str) -> str | None:
        row = self.rows["settings"].get((name,))
        return row[1] if row is not None else None

    def signatures_from(self) -> int | None:
        value = self.setting(SIGNATURES_FROM)
        return int(value) if value is not None else None

    def admins(self) -> list[str]:
        role = self._cols["officers"].index("role")
        return sorted(k[0] for k, row in self.rows["officers"].items() if row[role] == "admin")

    def open_audit_at(self, location: str) -> dict | None:
        """The audits row of the audit of `location` still open, if any."""
        for audit in self.audits.values():
            if audit["row"]["location"] == location and audit["row"]["closed_seq"] is None:
                return audit["row"]
        return None

    def audited_population(self, location: str) -> list[str]:
        return sorted((i for i, st in self.items.items() if st[I_LOCATION] == location
                       and st[I_STATUS] == AUDITED_STATUS), key=number)

    def index_view(self, before: int) -> tuple[dict, tuple[int, int], dict]:
        """(case -> (count, last seq), ledger-wide (count, last seq), case -> key) of the events
        before seq `before`: here, every event stepped so far."""
        return ({c: tuple(t) for c, t in self.case_tally.items()}, tuple(self.wide_tally),
                {c: bytes.fromhex(k) for c, k in self.case_keys.items()})

    # -- writing: only the rulebook's effects call these ---------------------------------------
    def tally(self, seq: int, case) -> None:
        """Count one event of the log for the case index (every event, whatever its type)."""
        if type(case) is not str:
            self.wide_tally[0] += 1
            self.wide_tally[1] = seq
            return
        counted = self.case_tally.get(case)
        if counted is None:
            self.case_tally[case] = [1, seq]
        else:
            counted[0] += 1
            counted[1] = seq

    def put(self, table: str, row: dict) -> None:
        cols = self._cols[table]
        self.rows[table][tuple(row[c] for c in self._keys[table])] = tuple(row[c] for c in cols)

    def change(self, table: str, key: tuple, **values) -> None:
        row = self.rows[table].get(key)
        if row is not None:
            self.put(table, {**dict(zip(self._cols[table], row, strict=True)), **values})

    def finish(self, seq: int, digest: str, root: bytes, edge_text: str) -> None:
        """The chain head's row, once every event has been applied: the last event's seq and
        hash (parsed or not), and the tree over every leaf."""
        self.put("chain_head", {"id": 1, "seq": seq, "hash": digest, "root": root.hex(), "edge": edge_text})

    # -- a saved state (`verify --save-state`, `verify --new-only --state`) ---------------------
    def to_doc(self) -> dict:
        """The state as plain JSON values (the tree is not part of it)."""
        return {
            "head": list(self.head),
            "rows": {t: [list(r) for r in rows.values()] for t, rows in self.rows.items()},
            "items": {i: [*st[:-1], st[-1].hex()] for i, st in self.items.items()},
            "open_assignments": self.open_assignments,
            "open_offers": {i: list(o) for i, o in self.open_offers.items()},
            "seizures": self.seizures,
            "audits": {a: v for a, v in self.audits.items()},
            "case_index": {"cases": self.case_tally, "wide": self.wide_tally, "keys": self.case_keys},
        }

    @classmethod
    def from_doc(cls, doc: dict) -> State:
        state = cls()
        state.head = (doc["head"][0], doc["head"][1])
        for table, rows in doc["rows"].items():
            cols, key = state._cols[table], state._keys[table]
            at = [cols.index(k) for k in key]
            state.rows[table] = {tuple(r[i] for i in at): tuple(r) for r in rows}
        state.items = {i: [*st[:-1], bytes.fromhex(st[-1])] for i, st in doc["items"].items()}
        state.open_assignments = dict(doc["open_assignments"])
        state.open_offers = {i: tuple(o) for i, o in doc["open_offers"].items()}
        state.seizures = dict(doc["seizures"])
        state.audits = dict(doc["audits"])
        index = doc.get("case_index")
        if index is None:  # saved before the case index: its counts are not known
            state.every_case = False
        else:
            state.case_tally = {c: list(t) for c, t in index["cases"].items()}
            state.wide_tally = list(index["wide"])
            state.case_keys = dict(index["keys"])
        return state
