"""The current state as a pure function of the log: the rows of every table but `events`.

Writers build the rows they insert with these functions, and `verify` (or a reader that
checks one case before making a court document) feeds the events' bodies through `Replay`
and compares what it builds with the stored tables, row for row and column for column. A
table the replay does not produce cannot be checked, so `DERIVED` must name every table.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from ledger.errors import LedgerError
from ledger.i18n import N_
from ledger.log.merkle import RightEdge
from ledger.models import Base

LOG_TABLE = "events"
# Event type -> the command name a request id was recorded under (ledger.requests).
REQUEST_COMMANDS = {
    "custody.transferred": "custody.transfer",
    "custody.offered": "custody.transfer",
    "custody.resealed": "custody.reseal",
    "custody.disposed": "custody.dispose",
    "custody.deposited": "custody.deposit",
    "custody.assigned": "custody.assign",
    "custody.returned": "custody.return",
    "item.registered": "item.import",
}
# Item columns that the custody events change, or that place the item; every other column of
# `items` describes the item as registered and is kept by the replay only as a digest (a
# million items must fit in memory), which a mismatch expands again from the registration.
ITEM_STATE = ("no", "id", "case_no", "seizure_no", "kind", "status", "holder", "location", "seal",
              "registered_seq", "last_seq", "last_at", "disposition", "authority", "disposed_to")


def table_columns(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in Base.metadata.tables[name].columns)


def primary_key(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in Base.metadata.tables[name].primary_key.columns)


(I_NO, I_ID, I_CASE, I_SEIZURE, I_KIND, I_STATUS, I_HOLDER, I_LOCATION, I_SEAL, I_REG_SEQ, I_LAST_SEQ, I_LAST_AT,
 I_DISPOSITION, I_AUTHORITY, I_DISPOSED_TO, I_DIGEST) = range(len(ITEM_STATE) + 1)
ITEM_COLUMNS = table_columns("items")
ITEM_DESCRIPTIVE = tuple(c for c in ITEM_COLUMNS if c not in ITEM_STATE)
# Tables compared whole, as {primary key: row}; event_items is checked against each body's
# item list as the log streams past (it is as long as the log).
DERIVED = ("officers", "locations", "cases", "seizures", "items", "rates", "requests", "chain_head", "event_items",
           "deposits", "assignments", "audits", "audit_checks", "audit_findings", "item_reviews", "case_orders",
           "officer_keys", "officer_logins", "settings", "offers")
# The record itself, beside the events: the signatures over their leaves (checked, not replayed).
SIGNATURE_TABLE = "event_signatures"
IN_TRANSIT = "in-transit"
# Items an audit expects at its location: those the log puts there and in the room's custody
# (not deposited, not lent in temporary use, not disposed of).
AUDITED_STATUS = "in-custody"


def _number(label: str) -> int:
    """SZ-000001 / EV-000001 -> 1."""
    return int(label.partition("-")[2])


# -- rows, as the writers insert them ------------------------------------------------------
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
    return {"seq": seq, "item_no": _number(item), "case_no": case_no, "from_badge": data["from"],
            "to_badge": data["to"], "closed_seq": None, "outcome": None, "seal_check": None}


def location_row(seq: int, data: dict) -> dict:
    return {"code": data["code"], "name": data["name"], "kind": data["kind"], "added_seq": seq}


def case_row(seq: int, occurred_at: str, actor: str | None, data: dict) -> dict:
    return {"case_no": data["case_no"], "title": data["title"], "prosecutor": data.get("prosecutor"),
            "court": data.get("court"), "opened_by": actor, "opened_at": occurred_at, "opened_seq": seq}


def seizure_row(seq: int, occurred_at: str, data: dict) -> dict:
    return {"no": _number(data["seizure"]), "id": data["seizure"], "case_no": data["case_no"],
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


def request_row(seq: int, type_: str, data: dict) -> dict | None:
    if data.get("request_id") is None:
        return None
    return {"request_id": data["request_id"], "command": REQUEST_COMMANDS[type_],
            "fingerprint": data["request_fingerprint"], "seq": seq}


def deposit_row(seq: int, occurred_at: str, case_no: str, item: str, data: dict) -> dict:
    """The deposits row of one cash item a `custody.deposited` event paid into the bank."""
    return {"item_no": _number(item), "case_no": case_no, "seq": seq, "deposited_at": occurred_at,
            "deposited_by": data["from"], "bank": data["bank"], "account": data["account"],
            "voucher": data["voucher"], "court_order": data.get("order")}


def assignment_row(seq: int, occurred_at: str, case_no: str, data: dict) -> dict:
    """The assignments row a `custody.assigned` event opens (a return fills returned_*)."""
    return {"seq": seq, "item_no": _number(data["item"]), "case_no": case_no, "assigned_at": occurred_at,
            "entity": data["entity"], "court_order": data["order"], "until": data["until"],
            "returned_seq": None, "returned_at": None}


def review_row(seq: int, occurred_at: str, actor: str, case_no: str, item: str, data: dict) -> dict:
    """The item_reviews row a `review.set` event leaves for one of its items (`review_on` null
    when the event clears the review)."""
    return {"item_no": _number(item), "case_no": case_no, "review_on": data["review_on"],
            "reason": data.get("reason"), "seq": seq, "set_at": occurred_at, "set_by": actor}


def case_order_row(seq: int, occurred_at: str, actor: str, data: dict) -> dict:
    """The case_orders row of a `case.ordered` event."""
    return {"seq": seq, "case_no": data["case_no"], "court_order": data["order"], "is_final": 1 if data["final"] else 0,
            "ordered_at": occurred_at, "recorded_by": actor, "note": data.get("note")}


def audit_row(seq: int, occurred_at: str, actor: str, data: dict, population: list[str], seed: str) -> dict:
    """The audits row an `audit.started` event opens: the sample drawn from `population` (the
    evidence ids the log put at the location then) with `seed` (the root after the event)."""
    from ledger.operations.sampling import draw_sample, sample_size

    if data.get("sample") is not None:
        n = min(data["sample"], len(population))
    elif data.get("confidence") is not None:
        n = sample_size(len(population), data["confidence"], data["tolerance"])
    else:
        n = len(population)
    return {"no": _number(data["audit"]), "id": data["audit"], "location": data["location"], "started_seq": seq,
            "started_at": occurred_at, "started_by": actor, "requested": data.get("sample"),
            "confidence": data.get("confidence"), "tolerance": data.get("tolerance"), "population": len(population),
            "seed": seed, "sample": json.dumps(draw_sample(seed, population, n)), "closed_seq": None,
            "closed_at": None, "closed_by": None}


def audit_check_row(seq: int, occurred_at: str, actor: str, data: dict, record_seal: str | None,
                    record_location: str | None) -> dict:
    """The audit_checks row of an `audit.checked` event, with the seal and location the record
    gave the item at that moment."""
    return {"audit_no": _number(data["audit"]), "item_no": _number(data["item"]), "seq": seq,
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
        if _number(item) not in checked:
            finding(_number(item), "not-checked", say(N_("drawn for the audit but not checked before it closed")))
    return out


def item_state(seq: int, occurred_at: str, case_no: str, data: dict) -> list:
    """The ITEM_STATE columns of the items row a registration event creates."""
    return [_number(data["item"]), data["item"], case_no, _number(data["seizure"]), data["kind"], "in-custody",
            data["holder"], data.get("location"), data.get("seal"), seq, seq, occurred_at, None, None, None]


_DESCRIBED_AT = {c: i for i, c in enumerate(ITEM_DESCRIPTIVE)}
_MINOR_UNITS = {"amount": ("amount_minor", "currency"), "value": ("value_minor", "value_currency")}


def item_description(data: dict) -> tuple:
    """The ITEM_DESCRIPTIVE columns of the items row a registration event creates: its data
    under the columns' names, amounts ("4000.00") as integer minor units."""
    from ledger.money import to_minor

    values = [None] * len(ITEM_DESCRIPTIVE)
    for key, value in data.items():
        at = _DESCRIBED_AT.get(key)
        if at is not None:
            values[at] = value
        elif key in _MINOR_UNITS:
            column, currency = _MINOR_UNITS[key]
            values[_DESCRIBED_AT[column]] = to_minor(Decimal(value), data[currency])
    return tuple(values)


def item_row(seq: int, occurred_at: str, case_no: str, data: dict) -> dict:
    """The whole items row a registration event creates."""
    return {**dict(zip(ITEM_STATE, item_state(seq, occurred_at, case_no, data), strict=True)),
            **dict(zip(ITEM_DESCRIPTIVE, item_description(data), strict=True))}


# The registration event carries an item's description under the items columns' names, but
# amounts as text ("4000.00" under `amount`) where the table holds minor units. The replay
# keeps 32 bytes per item (a million items must fit in memory): the digest of that description
# as the event carries it; a stored row is put in the same form to be compared.
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
_AMOUNT_KEY = {column: (key, currency) for key, (column, currency) in _MINOR_UNITS.items()}
_DESCRIBING_KEYS = frozenset((set(ITEM_DESCRIPTIVE) - set(_AMOUNT_KEY)) | set(_MINOR_UNITS))
_CURRENCY_AT = {column: ITEM_DESCRIPTIVE.index(currency) for column, (_, currency) in _AMOUNT_KEY.items()}


def description_digest(data: dict) -> bytes:
    """Digest of the description a registration event's data gives (absent = null)."""
    fields = {k: v for k, v in data.items() if k in _DESCRIBING_KEYS and v is not None}
    return hashlib.sha256(_encode_fields(fields)).digest()


def _encode_fields(fields: dict) -> bytes:
    try:
        return canonical_text(fields).encode("utf-8", "surrogatepass")
    except ValueError:  # a float NaN or infinity in a tampered row: repr tells it apart
        return repr(sorted(fields.items())).encode("utf-8", "surrogatepass")


def row_description_digest(values: tuple) -> bytes | None:
    """The same digest from a stored row's ITEM_DESCRIPTIVE values; None when the row cannot be
    put in the event's form (an amount without a currency, say): it differs from the log."""
    from ledger.money import amount_str

    fields = {c: v for c, v in zip(ITEM_DESCRIPTIVE, values, strict=True) if v is not None}
    try:
        for column in _AMOUNT_KEY.keys() & fields.keys():
            fields[_AMOUNT_KEY[column][0]] = amount_str(fields.pop(column), values[_CURRENCY_AT[column]])
        return hashlib.sha256(_encode_fields(fields)).digest()
    except (LedgerError, ArithmeticError, LookupError, TypeError, ValueError):
        return None


# -- the replay ----------------------------------------------------------------------------
class Replay:
    """Rows of every derived table, built by applying events in log order.

    `rows[table]` maps a primary key tuple to the row's values in the table's column order;
    items are kept as `items[id] = [state columns..., descriptive digest]` and turned into
    full rows only when compared. `apply` trusts that the event is well formed: `verify`
    checks the rules and catches what an unreadable body raises.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple, tuple]] = {t: {} for t in DERIVED if t not in ("items", "event_items")}
        self.items: dict[str, list] = {}
        self.head: tuple[int, str] = (0, "0" * 64)
        self.edge = RightEdge()  # the caller appends every event's leaf, parsed or not
        self._cols = {t: table_columns(t) for t in self.rows}
        self._keys = {t: primary_key(t) for t in self.rows}
        self.open_assignments: dict[str, int] = {}  # item -> seq of its assignment not yet returned
        self.open_offers: dict[str, int] = {}  # item -> seq of the handover offer not yet answered
        self.offered_to: dict[str, str] = {}  # item -> the badge that open offer names
        # Roots of the tree just after each audit.started event, as the caller appended its leaf
        # (an audit's seed); and each audit's row and checks so far, by audit id.
        self.audit_roots: dict[int, bytes] = {}
        self.audits: dict[str, dict] = {}

    def put(self, table: str, row: dict) -> None:
        cols = self._cols[table]
        self.rows[table][tuple(row[c] for c in self._keys[table])] = tuple(row[c] for c in cols)

    def apply(self, seq: int, digest: str, type_: str, occurred_at: str, actor, case_no, items: list,
              data: dict, described: bytes | None = None) -> None:
        """`described`: the registration's description_digest, when the caller computed it
        already (verify's leaf checks do, in its second process)."""
        self.head = (seq, digest)
        if type_ == "item.registered":  # first: most of a large log
            state = item_state(seq, occurred_at, case_no, data)
            state.append(described if described is not None else description_digest(data))
            self.items[data["item"]] = state
        elif type_.startswith(("officer.", "identity.")):
            self._identity(seq, type_, data)
        elif type_ == "location.added":
            self.put("locations", location_row(seq, data))
        elif type_ == "case.opened":
            self.put("cases", case_row(seq, occurred_at, actor, data))
        elif type_ == "seizure.recorded":
            self.put("seizures", seizure_row(seq, occurred_at, data))
        elif type_ in ("rate.set", "rate.imported"):
            self._rates(seq, type_, data)
        elif type_.startswith("custody."):
            self._custody(seq, type_, occurred_at, items, data)
        elif type_.startswith("audit."):
            self._audit(seq, type_, occurred_at, actor, data)
        elif type_ == "review.set":
            for item in items:
                st = self.items.get(item)
                if st is not None:
                    self.put("item_reviews", review_row(seq, occurred_at, actor, st[I_CASE], item, data))
        elif type_ == "case.ordered":
            self.put("case_orders", case_order_row(seq, occurred_at, actor, data))
        if type_ in REQUEST_COMMANDS:
            req = request_row(seq, type_, data)
            if req is not None:
                self.put("requests", req)

    def finish(self, seq: int, digest: str) -> None:
        """The chain head's row, once every event has been applied: the last event's seq and
        hash (parsed or not), and the tree over every leaf."""
        self.put("chain_head", {"id": 1, "seq": seq, "hash": digest, "root": self.edge.root().hex(),
                                "edge": self.edge.to_text()})

    def _identity(self, seq: int, type_: str, data: dict) -> None:
        if type_ == "officer.added":
            self.put("officers", officer_row(seq, data))
            if data.get("key"):
                self.put("officer_keys", key_row(seq, data["badge"], data["key"]))
        elif type_ == "identity.initialized":
            self.put("officers", officer_row(seq, data))
            self.put("officer_keys", key_row(seq, data["badge"], data["key"]))
            if ("signatures_from",) not in self.rows["settings"]:  # an upgraded log fixed it before
                self.put("settings", setting_row(seq, "signatures_from", str(data["signatures_from"])))
        elif type_ == "identity.signatures_required":
            self.put("settings", setting_row(seq, "signatures_from", str(data["from"])))
        elif type_ == "officer.updated":
            cols = self._cols["officers"]
            row = dict(zip(cols, self.rows["officers"][(data["badge"],)], strict=True))
            row.update({k: data[k] for k in ("name", "unit", "role") if k in data})
            self.put("officers", row)
        elif type_ == "officer.key_added":
            self.put("officer_keys", key_row(seq, data["badge"], data["key"]))
        elif type_ == "officer.key_revoked":
            cols = self._cols["officer_keys"]
            row = dict(zip(cols, self.rows["officer_keys"][(data["key_id"],)], strict=True))
            self.put("officer_keys", {**row, "revoked_seq": seq, "revoked_reason": data["reason"]})
        elif type_ == "officer.login_mapped":
            self.put("officer_logins", login_row(seq, data))

    def _offers_close(self, seq: int, item: str, outcome: str, seal_check: str | None) -> None:
        offered = self.open_offers.pop(item, None)
        self.offered_to.pop(item, None)
        row = self.rows["offers"].get((offered, _number(item)))
        if row is not None:
            cols = self._cols["offers"]
            at = cols.index("closed_seq")
            self.rows["offers"][(offered, _number(item))] = row[:at] + (seq, outcome, seal_check) + row[at + 3:]

    def _rates(self, seq: int, type_: str, data: dict) -> None:
        rates = self.rows["rates"]
        source, superseded = self._cols["rates"].index("source"), self._cols["rates"].index("superseded_seq")
        for entry in rate_entries(type_, data):
            old = entry.get("supersedes")
            key = (old, entry["date"], entry["base"], entry["quote"], entry["side"])
            row = rates.get(key) if old is not None else None
            if row is not None and row[source] == data["source"]:
                rates[key] = row[:superseded] + (seq,) + row[superseded + 1:]
            self.put("rates", rate_row(seq, data, entry))

    def audited_population(self, location: str) -> list[str]:
        return sorted((i for i, st in self.items.items() if st[I_LOCATION] == location
                       and st[I_STATUS] == AUDITED_STATUS), key=_number)

    def _audit(self, seq: int, type_: str, occurred_at: str, actor, data: dict) -> None:
        if type_ == "audit.started":
            root = self.audit_roots.pop(seq, None)
            if root is None and self.edge.size == seq:
                root = self.edge.root()
            if root is None:  # a replay of one case's events has no tree to take the seed from
                self.audits[data["audit"]] = None
                return
            row = audit_row(seq, occurred_at, actor, data, self.audited_population(data["location"]), root.hex())
            self.put("audits", row)
            self.audits[data["audit"]] = {"row": row, "checks": {}}
            return
        audit = self.audits.get(data["audit"])
        if audit is None or audit["row"]["closed_seq"] is not None:
            return
        if type_ == "audit.checked":
            st = self.items.get(data["item"])
            if st is None or data["item"] in audit["checks"]:
                return
            row = audit_check_row(seq, occurred_at, actor, data, st[I_SEAL], st[I_LOCATION])
            audit["checks"][data["item"]] = row
            self.put("audit_checks", row)
        elif type_ == "audit.closed":
            audit["row"] = {**audit["row"], "closed_seq": seq, "closed_at": occurred_at, "closed_by": actor}
            self.put("audits", audit["row"])
            for row in audit_finding_rows(audit["row"], list(audit["checks"].values())):
                self.put("audit_findings", row)

    def _custody(self, seq: int, type_: str, occurred_at: str, items: list, data: dict) -> None:
        if type_ == "custody.assigned" and data["item"] in self.items:
            self.put("assignments", assignment_row(seq, occurred_at, self.items[data["item"]][I_CASE], data))
            self.open_assignments[data["item"]] = seq
        elif type_ == "custody.returned":
            opened = self.open_assignments.pop(data["item"], None)
            row = self.rows["assignments"].get((opened,))
            if row is not None:
                cols = self._cols["assignments"]
                at = cols.index("returned_seq")
                self.rows["assignments"][(opened,)] = row[:at] + (seq, occurred_at) + row[at + 2:]
        for item in items:
            st = self.items.get(item)
            if st is None:
                continue
            if type_ == "custody.transferred":
                st[I_HOLDER] = data["to"]
                st[I_LOCATION] = data.get("location") or st[I_LOCATION]
                st[I_SEAL] = data.get("seal") or st[I_SEAL]
            elif type_ == "custody.offered":
                st[I_STATUS] = IN_TRANSIT
                self.put("offers", offer_row(seq, st[I_CASE], item, data))
                self.open_offers[item] = seq
                self.offered_to[item] = data["to"]
            elif type_ == "custody.accepted":
                st[I_STATUS], st[I_HOLDER] = "in-custody", data["to"]
                st[I_LOCATION] = data.get("location") or st[I_LOCATION]
                st[I_SEAL] = data.get("seal") or st[I_SEAL]
                self._offers_close(seq, item, "accepted", data.get("seal_check"))
            elif type_ == "custody.declined":
                st[I_STATUS] = "in-custody"
                self._offers_close(seq, item, "declined", None)
            elif type_ == "custody.resealed":
                st[I_SEAL] = data["new_seal"]
            elif type_ == "custody.disposed":
                st[I_STATUS], st[I_HOLDER] = "disposed", None
                st[I_DISPOSITION], st[I_AUTHORITY], st[I_DISPOSED_TO] = (data["action"], data["authority"],
                                                                         data.get("to"))
            elif type_ == "custody.deposited":
                st[I_STATUS], st[I_HOLDER] = "deposited", None
                self.put("deposits", deposit_row(seq, occurred_at, st[I_CASE], item, data))
            elif type_ == "custody.assigned":
                st[I_STATUS] = "assigned"
            elif type_ == "custody.returned":
                st[I_STATUS] = "in-custody"
            st[I_LAST_SEQ], st[I_LAST_AT] = seq, max(st[I_LAST_AT], occurred_at)
