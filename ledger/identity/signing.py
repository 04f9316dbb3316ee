"""Who acted: every event from the ledger's first signed seq carries Ed25519 signatures over its
leaf commitment and, from the seq the log fixes, the ledger's origin (ledger.log.signatures), by
its actor and by the receiver or witness its body names.

The private keys stay in their owners' files (`Keyring` finds and opens them for one command);
the ledger holds only public keys, enrolled and revoked by an admin's events. The same
`signature_problems` check serves the writer (before anything is written) and `verify`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ledger.errors import InputError, RuleError
from ledger.i18n import _
from ledger.log.checkpoints import ledger_origin, origin_from_leaf
from ledger.log.signatures import event_message, names_origin
from ledger.models import Setting
from ledger.rules.custody import required_signers
from ledger.rules.identity import (
    ENROLS_KEY,
    INITIALIZED,
    KEY_REVOKED,
    NAMES_ORIGIN,
    NEVER_SIGNED,
    SIGNATURES_NAME_ORIGIN,
    SIGNATURES_REQUIRED,
)
from ledger.rules.state import SIGNATURE_TABLE, SIGNATURES_NAME_ORIGIN_FROM, setting_row

KEY_ID_BYTES = 8
DEMO_KEYS_DIR = "evidence-demo-keys"
KEY_ENV = "EVIDENCE_KEY"
PASSPHRASE_ENV = "EVIDENCE_KEY_PASSPHRASE"


def key_id(public_key: bytes) -> str:
    """The short name of a public key in the ledger: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_BYTES].hex()


# -- which message the writer signs --------------------------------------------------------
def origin_bound_from(session) -> int | None:
    """The first seq whose signatures name the ledger's origin (None: none do yet), once per
    transaction (on PostgreSQL read with the chain head: ledger.roundtrips)."""
    if "origin_from" not in session.info:
        row = session.get(Setting, SIGNATURES_NAME_ORIGIN_FROM)
        session.info["origin_from"] = int(row.value) if row is not None else None
    return session.info["origin_from"]


def origin_to_sign(session, seq: int, leaf: bytes, type_: str, data: dict) -> str | None:
    """The ledger's origin when the signatures of event `seq` (leaf `leaf`, being appended) name
    it, else None: from the seq the log fixes, or from this event when it is the
    `identity.initialized` that says so; the origin is the first event's leaf, this one's at
    seq 1."""
    bound = origin_bound_from(session)
    if bound is None and type_ == INITIALIZED and data.get(NAMES_ORIGIN) is True:
        bound = session.info["origin_from"] = seq
    if not names_origin(seq, bound):
        return None
    origin = session.info.get("origin")
    if origin is None:
        origin = origin_from_leaf(leaf) if seq == 1 else ledger_origin(session)
        session.info["origin"] = origin
    return origin


def message_to_sign(session, seq: int, leaf: bytes, type_: str, data: dict) -> bytes:
    """The message the signers of event `seq` sign when it is an act of its own."""
    return event_message(leaf, origin_to_sign(session, seq, leaf, type_, data))


# -- acts: the writer signs each act once (FORMAT.md 1.6.1) ----------------------------------
class ActSigner:
    """Collects the events of one act as they are appended (opening each signer's key and
    checking that it is enrolled and valid at the event's seq, so a refusal comes before
    anything is written) and signs the act once at its end: the signature rows, on its last
    event. An act of one event is signed over its leaf (v1 or v2, as before); an act of several,
    in the part of the log whose signatures name the origin, over the act's commitment (v3);
    before that part, each event over its own leaf."""

    def __init__(self, session):
        self.session = session
        self.keyring = session.info.get("keyring") or Keyring()
        self.records: dict[str, KeyRecord] = {}
        self.keys: dict[str, object] = {}  # badge -> opened key
        self.events: list[tuple[int, bytes, list[str], str | None]] = []  # (seq, leaf, signers, origin)

    def add(self, seq: int, leaf: bytes, type_: str, actor: str | None, data: dict) -> None:
        signers = required_signers(actor, data)
        if not signers:
            raise RuleError(_("A {type} event names no officer to sign it, and every event of this ledger is signed "
                              "by the officer who acted.").format(type=type_), hint=_("Run it with --by BADGE."))
        origin = origin_to_sign(self.session, seq, leaf, type_, data)
        for badge in signers:
            key = self.keyring.key_for(badge, acting=badge == actor)
            kid = key_id(key.public_key)
            enrolling = type_ == INITIALIZED and data.get("key", {}).get("key_id") == kid
            if not enrolling:
                record = self.records.get(kid)
                if record is None or not key_valid_at(record, seq):
                    record = enrolled_key(self.session, badge, kid, seq)
                    self.records[kid] = record
            self.keys[badge] = key
        self.events.append((seq, leaf, signers, origin))

    def rows(self) -> list[dict]:
        """The act's signature rows (none when it has no event), and forget it."""
        from ledger.rules.acts import act_message, act_root

        events, self.events = self.events, []
        if not events:
            return []
        first, last = events[0][0], events[-1][0]
        origin = events[0][3]
        if len(events) == 1 or origin is None:  # each event an act of its own
            return [{"seq": seq, "signer": badge, "key_id": key_id(self.keys[badge].public_key),
                     "signature": self.keys[badge].private_key.sign(event_message(leaf, named)).hex()}
                    for seq, leaf, signers, named in events for badge in signers]
        message = act_message(origin, first, last, act_root([leaf for _seq, leaf, _s, _o in events]))
        out = []
        for badge in dict.fromkeys(b for _seq, _leaf, signers, _o in events for b in signers):
            key = self.keys[badge]
            kid = key_id(key.public_key)
            record = self.records.get(kid)
            if record is not None and not act_key_valid(record, first, last):
                raise RuleError(
                    _("Key {kid} of {badge} is not valid for every event of this act (seq {first} to {last}), so it "
                      "cannot sign it.").format(kid=kid, badge=badge, first=first, last=last),
                    hint=_("Make a new key with 'evidence key generate --badge {badge}' and have an admin enrol "
                           "it.").format(badge=badge))
            out.append({"seq": last, "signer": badge, "key_id": kid, "signature": key.private_key.sign(message).hex()})
        return out


def act_key_valid(key: KeyRecord, first: int, last: int) -> bool:
    from ledger.rules.acts import key_valid_for_act

    return key_valid_for_act(key.added_seq, key.revoked_seq, first, last)


@contextmanager
def one_act(session):
    """Every event appended inside the block is one act, signed once when the block ends (an
    import's chunks, written by several appends in one transaction). Nested blocks are part of
    the outer act; on an exception nothing is signed (the transaction is rolled back)."""
    from ledger.models import EventSignature, insert_rows

    if session.info.get("act") is not None:
        yield
        return
    signer = session.info["act"] = ActSigner(session)
    try:
        yield
        rows = signer.rows()
    finally:
        session.info["act"] = None
    if rows:
        insert_rows(session.connection(), EventSignature.__table__, rows)


def bind_new_ledger(session, data: dict) -> None:
    """The data of the `identity.initialized` about to start signing: when no seq is fixed yet
    from which signatures name the ledger's origin, they do from this event on."""
    if origin_bound_from(session) is None:
        data[NAMES_ORIGIN] = True


def binding_setting(seq: int, data: dict) -> dict | None:
    """The settings row `identity.initialized` at `seq` with `data` fixes (the rulebook's
    effect), or None."""
    if data.get(NAMES_ORIGIN) is not True:
        return None
    return setting_row(seq, SIGNATURES_NAME_ORIGIN_FROM, str(seq))


def parse_public_key(text: str, field: str = "PUBKEY") -> bytes:
    """A public key as `key generate` prints it (base64), or as 64 hex digits."""
    import base64
    import binascii

    from ledger.identity.keys import PUBLIC_KEY_SIZE
    from ledger.validate import show_value

    value = (text or "").strip()
    raw: bytes | None = None
    if value.endswith(".pub") and os.path.isfile(value):  # the file 'key generate' wrote beside the key
        try:
            with open(value, encoding="ascii") as handle:
                value = handle.read(200).strip()
        except (OSError, UnicodeDecodeError):
            raise InputError(_("{field} {value} cannot be read as a public key file.").format(
                field=field, value=show_value(text)),
                hint=_("Give the .pub file 'evidence key generate' wrote, or the key itself.")) from None
    if len(value) == 2 * PUBLIC_KEY_SIZE:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != PUBLIC_KEY_SIZE:
        raise InputError(_("{field} {value} is not an Ed25519 public key.").format(field=field, value=show_value(value)),
                         hint=_("Give the public key 'evidence key generate --badge BADGE' printed (44 characters of "
                                "base64, or its 64 hex digits), or the KEYFILE.pub file it wrote."))
    return raw


# -- keys on this machine ----------------------------------------------------------------
@dataclass
class Keyring:
    """Where one command finds the private keys of the officers it signs for.

    `acting_file` is `--key` / EVIDENCE_KEY (the acting officer's); `files` maps a badge to a
    file named for a co-signer (`--receiver-key`, `--witness-key`). Otherwise a badge's key is
    looked for in the officer's own keys folder, then among the demo's keys beside the ledger.
    `passphrase(badge, path)` answers for a file; without it, EVIDENCE_KEY_PASSPHRASE.
    `opener(badge, path)`, when given, opens the file itself (the command line asks again after
    a wrong passphrase); `agent(badge)` is a key an agent holds for the badge, or None."""

    acting_file: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    demo_dir: Path | None = None
    passphrase: Callable[[str, Path], str] | None = None
    opener: Callable[[str, Path], object] | None = None
    agent: Callable[[str], object | None] | None = None
    _open: dict[str, object] = field(default_factory=dict)

    def candidates(self, badge: str) -> list[Path]:
        from ledger.identity.keys import config_home

        out = [config_home() / "evidence" / "keys" / f"{badge}.key"]
        if self.demo_dir is not None:
            out.append(self.demo_dir / f"{badge}.key")
        return out

    def key_for(self, badge: str, *, acting: bool):
        """The opened key file of `badge` (a `keys.KeyFile`), asking for its passphrase once."""
        from ledger.identity import keys

        if badge in self._open:
            return self._open[badge]
        path = self.files.get(badge)
        if path is None and acting and self.acting_file is not None:
            path = self.acting_file
        if path is None and self.agent is not None:
            held = self.agent(badge)
            if held is not None:
                self._open[badge] = held
                return held
        if path is None:
            path = next((p for p in self.candidates(badge) if p.exists()), None)
        if path is None:
            looked = ", ".join(str(p) for p in self.candidates(badge))
            if acting:
                hint = _("Give the key file with --key FILE or EVIDENCE_KEY; an officer without a key makes one with "
                         "'evidence key generate --badge {badge}' and has an admin enrol it.")
            else:
                hint = _("Give that officer's key file with the option that names it (--receiver-key, --witness-key); "
                         "an officer without a key makes one with 'evidence key generate --badge {badge}' and has an "
                         "admin enrol it.")
            raise InputError(
                _("Acting as {badge} needs {badge}'s own key, and none was found (looked for {looked}).").format(
                    badge=badge, looked=looked),
                hint=hint.format(badge=badge))
        name = keys.read_key_name(path)
        if name != badge:
            raise InputError(_("Key file {path} holds the key of {name}, not of {badge}; nobody signs with another "
                               "officer's key.").format(path=path, name=name, badge=badge),
                             hint=_("Give {badge}'s own key file, or act as {name} with --by {name}.").format(
                                 badge=badge, name=name))
        if self.opener is not None:
            return self.opened(badge, self.opener(badge, path))
        secret = self.passphrase(badge, path) if self.passphrase else os.environ.get(PASSPHRASE_ENV)
        if secret is None:
            raise InputError(_("The key of {badge} ({path}) needs its passphrase.").format(badge=badge, path=path),
                             hint=_("Type it at the prompt, or set {env} for scripts.").format(env=PASSPHRASE_ENV))
        return self.opened(badge, keys.load_key_file(path, secret))

    def opened(self, badge: str, key):
        """Keep `key`, already open, as the one `badge` signs with for the rest of the command."""
        self._open[badge] = key
        return key


# -- the check, for writers and for verify -------------------------------------------------
@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    badge: str
    public_key: bytes
    added_seq: int
    revoked_seq: int | None


def key_valid_at(key: KeyRecord, seq: int) -> bool:
    """A key signs the events from the one that enrolled it up to the one that revoked it (a
    self-revocation is signed by the key it revokes); events before a revocation stay valid."""
    return key.added_seq <= seq and (key.revoked_seq is None or seq <= key.revoked_seq)


def verify_event_signature(public_key: bytes, leaf: bytes, signature: bytes, origin: str | None = None) -> bool:
    """Whether `signature` by `public_key` verifies over the event's message: naming `origin`
    when given (the event is in the part of the log whose signatures name it)."""
    from ledger.identity.keys import verify_signature

    return verify_signature(public_key, event_message(leaf, origin), signature)


def signature_problems(seq: int, leaf: bytes, signers: list[str], stored: dict[str, tuple[str, str]],
                       keys: Callable[[str], KeyRecord | None], origin: str | None = None) -> list[tuple[str | None, str]]:
    """What is wrong with the signatures of event `seq` (empty when nothing is), as (the
    event_signatures column at fault, or None for a missing row; the sentence): every required
    signer has one made by a key of theirs valid at that seq, over this leaf (and `origin`, when
    the event's signatures name the ledger's origin), and no one else signed. `stored` maps
    signer -> (key id, signature hex)."""
    out: list[tuple[str | None, str]] = []
    for badge in signers:
        got = stored.get(badge)
        if got is None:
            if badge == signers[0]:
                text = _("has no signature by {badge}, who acted: the event was written without that officer's key, "
                         "or the signature was removed.")
            else:
                text = _("has no signature by {badge}, who had to co-sign: the event was written without that "
                         "officer's key, or the signature was removed.")
            out.append((None, text.format(badge=badge)))
            continue
        kid, sig_hex = got
        key = keys(kid) if isinstance(kid, str) else None
        if key is None or key.badge != badge:
            if key is not None:
                text = _("is signed for {badge} with key {kid}, a key of {owner}: mis-attributed.")
            else:
                text = _("is signed for {badge} with key {kid}, a key no officer has enrolled: mis-attributed.")
            out.append(("key_id", text.format(badge=badge, kid=str(kid)[:16], owner=key.badge if key else None)))
            continue
        if not key_valid_at(key, seq):
            if seq < key.added_seq:
                text = _("is signed by {badge} with key {kid}, enrolled only at seq {seq}.").format(
                    badge=badge, kid=kid, seq=key.added_seq)
            else:
                text = _("is signed by {badge} with key {kid}, revoked at seq {seq}.").format(
                    badge=badge, kid=kid, seq=key.revoked_seq)
            out.append(("key_id", text))
            continue
        try:
            sig = bytes.fromhex(sig_hex)
        except (TypeError, ValueError):
            sig = b""
        if len(sig) != 64 or not verify_event_signature(key.public_key, leaf, sig, origin):
            out.append(("signature", _("signature of {badge} (key {kid}) does not verify over this event in this "
                                       "ledger: forged, made in another ledger, copied from another event, or the "
                                       "event was changed after it was signed.").format(badge=badge, kid=kid)))
    for badge in sorted(set(stored) - set(signers)):
        out.append((None, _("carries a signature by {badge}, who is neither its actor nor a co-signer its body "
                            "names.").format(badge=badge)))
    return out


def enrolled_key(session, badge: str, kid: str, seq: int) -> KeyRecord:
    """The enrolled key `kid` of `badge`, valid at `seq`; refused with what to do otherwise."""
    from ledger.models import OfficerKey

    row = session.get(OfficerKey, kid)
    if row is None or row.badge != badge:
        raise RuleError(
            _("The key in {badge}'s key file (key id {kid}) is not enrolled for {badge} in this ledger, so it cannot "
              "sign for them.").format(badge=badge, kid=kid),
            hint=_("Ask an admin to enrol it: evidence officer key add {badge} PUBKEY --by ADMIN (PUBKEY as "
                   "'evidence key generate' printed it).").format(badge=badge))
    record = KeyRecord(row.key_id, row.badge, bytes.fromhex(row.public_key), row.added_seq, row.revoked_seq)
    if not key_valid_at(record, seq):
        raise RuleError(
            _("Key {kid} of {badge} was revoked at seq {seq} ({reason}); it signs nothing after that.").format(
                kid=kid, badge=badge, seq=row.revoked_seq, reason=row.revoked_reason),
            hint=_("Make a new key with 'evidence key generate --badge {badge}' and have an admin enrol it.").format(
                badge=badge))
    return record


def signature_rows(seq: int, leaf: bytes, signers: Iterable[str], signed: dict[str, tuple[str, bytes]]) -> list[dict]:
    return [{"seq": seq, "signer": badge, "key_id": signed[badge][0], "signature": signed[badge][1].hex()}
            for badge in signers]


# -- verify's check of every event (ledger.log.leaves.EventCheck) ------------------------------
def new_signing_state() -> dict:
    """What the check learns from the log as it streams: the keys enrolled so far, the seq
    signing starts from and the seq from which signatures name the ledger's origin (all from
    the log itself, never from the tables)."""
    return {"keys": {}, "start": None, "origin_from": None, "pending": []}


def _learn(signing: dict, seq: int, doc: dict) -> None:
    typ, data = doc.get("type"), doc.get("data")
    if type(data) is not dict:
        return
    key = data.get("key") if typ in ENROLS_KEY else None
    if type(key) is dict and type(key.get("key_id")) is str and type(key.get("public_key")) is str:
        try:
            public = bytes.fromhex(key["public_key"])
        except ValueError:
            public = b""
        signing["keys"].setdefault(key["key_id"], KeyRecord(key["key_id"], data.get("badge"), public, seq, None))
    elif typ == KEY_REVOKED and data.get("key_id") in signing["keys"]:
        old = signing["keys"][data["key_id"]]
        if old.revoked_seq is None:
            signing["keys"][data["key_id"]] = KeyRecord(old.key_id, old.badge, old.public_key, old.added_seq, seq)
    if signing.get("origin_from") is None:
        # From the event the log fixes; a `from` other than the next seq is the rulebook's finding.
        if typ == INITIALIZED and data.get(NAMES_ORIGIN) is True:
            signing["origin_from"] = seq
        elif typ == SIGNATURES_NAME_ORIGIN:
            signing["origin_from"] = seq + 1
    if signing["start"] is None:
        if typ == INITIALIZED and type(data.get("signatures_from")) is int:
            signing["start"] = data["signatures_from"]
        elif typ == SIGNATURES_REQUIRED and type(data.get("from")) is int:
            signing["start"] = data["from"]


def check_event_signatures(state, seq: int, leaf: bytes, doc: dict | None, extras: dict) -> list:
    """From the seq the log says events are signed from: the event carries a valid signature by
    its actor and by every co-signer its body names, made with a key enrolled for that officer
    and valid at that seq, over this leaf; and no other signature (FORMAT.md 1.6)."""
    from ledger.findings import Finding, Later

    if doc is None:
        return []
    signing = state.tables["signing"]
    _learn(signing, seq, doc)
    if seq <= getattr(state, "light_until", 0):  # proved by a checkpoint: only learnt from
        return []
    stored = extras.get("signatures") or {}
    start = signing["start"]
    case = doc.get("case")
    if doc.get("type") in NEVER_SIGNED and start is not None and seq >= start:
        # No act spans a program event: the events before it that no signature followed are unsigned.
        unsigned, signing["pending"] = unsigned_findings(signing["pending"]), []
        return unsigned + [Finding("signature", seq, None, _("carries a signature by {signer}, but {type} is recorded by the "
                                                  "program, unsigned.").format(signer=signer, type=doc.get("type")),
                        case=case, table=SIGNATURE_TABLE, key=f"{seq}, {signer}") for signer in sorted(stored)]
    if start is None or seq < start:
        if start:
            text = _("carries a signature by {signer}, but events before seq {start} are not signed.")
        else:
            text = _("carries a signature by {signer}, but events before seq (none yet) are not signed.")
        return [Finding("signature", seq, None, text.format(signer=signer, start=start), case=case,
                        table=SIGNATURE_TABLE, key=f"{seq}, {signer}") for signer in sorted(stored)]
    data = doc.get("data") if type(doc.get("data")) is dict else {}
    try:
        signers = required_signers(doc.get("actor"), data)
    except TypeError:
        signers = []
    pending = signing["pending"]
    if not signers:
        unsigned, signing["pending"] = unsigned_findings(pending), []
        return unsigned + [Finding("signature", seq, None, _("{type} names no officer who signed it, but every event from seq "
                                                  "{start} is signed.").format(type=doc.get("type"), start=start),
                        case=case)]
    origin = None
    if names_origin(seq, signing.get("origin_from")):
        first = getattr(state, "first_leaf", None)
        origin = origin_from_leaf(first) if first is not None else ""  # no event 1: nothing can verify
    if not stored:  # part of the act the next event with signatures ends (FORMAT.md 1.6.1)
        pending.append((seq, leaf, signers, case, origin))
        return []
    # The Ed25519 checks are the costly part: handed on as work either process may do, with
    # the keys as the log has them at this seq.
    keys = {kid: signing["keys"].get(kid) for kid, _sig in stored.values() if isinstance(kid, str)}
    if not pending:
        return [Later(signature_findings, (seq, leaf, signers, stored, keys, case, origin))]
    act = [*pending, (seq, leaf, signers, case, origin)]
    pending.clear()
    return [Later(act_findings, (act, stored, keys))]


def unsigned_findings(events: list) -> list:
    """The findings for events of the signed part that no act signature follows (the log ends
    after them, or a program event cut in): each lacks the signatures of its signers."""
    from ledger.findings import Finding

    out = []
    for seq, _leaf, signers, case, _origin in events:
        for badge in signers:
            out.append(Finding("signature", seq, None, _("has no signature by {badge}, who acted: the event was written "
                                                         "without that officer's key, or the signature was "
                                                         "removed.").format(badge=badge) if badge == signers[0] else
                               _("has no signature by {badge}, who had to co-sign: the event was written without "
                                 "that officer's key, or the signature was removed.").format(badge=badge),
                               case=case, table=SIGNATURE_TABLE, key=str(seq)))
    return out


def act_findings(act: list, stored: dict[str, tuple[str, str]], keys: dict[str, KeyRecord | None]) -> list:
    """The findings for an act of several events (seq, leaf, signers, case, origin), whose
    signatures `stored` are on its last: each of its events' signers signed the act's
    commitment (FORMAT.md 1.6.1) with a key valid for all of it, and nobody else signed. When
    they do not, but they verify as the signatures of the last event alone, the events before it
    are the ones without signatures (their own were removed, or an act was cut)."""
    from ledger.findings import Finding
    from ledger.rules.acts import act_message, act_root, act_signers

    first, last = act[0][0], act[-1][0]
    case = act[-1][3]
    origin = act[0][4]
    signers = act_signers([signers for _s, _l, signers, _c, _o in act])
    problems: list[tuple[str | None, str]] = []
    if origin is None:
        problems.append((None, _("ends an act of seq {first} to {last}, but only acts in the part of the log whose "
                                 "signatures name the ledger's origin may hold several events.").format(
            first=first, last=last)))
    else:
        message = act_message(origin, first, last, act_root([leaf for _s, leaf, _g, _c, _o in act]))
        problems = act_signature_problems(first, last, message, signers, stored, keys.get)
    if not problems:
        return []
    alone = signature_findings(last, act[-1][1], act[-1][2], stored, keys, case, act[-1][4])
    if not alone:  # the last event's own signatures: the events before it lost theirs
        return unsigned_findings(act[:-1])
    return [Finding("signature", last, None, problem, case=case, table=SIGNATURE_TABLE, key=str(last),
                    column=column) for column, problem in problems]


def act_signature_problems(first: int, last: int, message: bytes, signers: list[str],
                           stored: dict[str, tuple[str, str]], keys: Callable[[str], KeyRecord | None]
                           ) -> list[tuple[str | None, str]]:
    """What is wrong with the signatures of the act of seq `first` to `last` (its commitment
    `message`): as `signature_problems`, for the act."""
    from ledger.identity.keys import verify_signature

    out: list[tuple[str | None, str]] = []
    for badge in signers:
        got = stored.get(badge)
        if got is None:
            out.append((None, _("ends an act of seq {first} to {last} that has no signature by {badge}, whose "
                                "signature an event of it needs.").format(first=first, last=last, badge=badge)))
            continue
        kid, sig_hex = got
        key = keys(kid) if isinstance(kid, str) else None
        if key is None or key.badge != badge:
            out.append(("key_id", _("is signed for {badge} with key {kid}, a key no officer has enrolled: "
                                    "mis-attributed.").format(badge=badge, kid=str(kid)[:16]) if key is None else
                        _("is signed for {badge} with key {kid}, a key of {owner}: mis-attributed.").format(
                            badge=badge, kid=str(kid)[:16], owner=key.badge)))
            continue
        if not act_key_valid(key, first, last):
            out.append(("key_id", _("ends an act of seq {first} to {last} signed by {badge} with key {kid}, which is "
                                    "not valid for all of it (enrolled at seq {added}, revoked at {revoked}).").format(
                first=first, last=last, badge=badge, kid=kid, added=key.added_seq, revoked=key.revoked_seq)))
            continue
        try:
            sig = bytes.fromhex(sig_hex)
        except (TypeError, ValueError):
            sig = b""
        if not verify_signature(key.public_key, message, sig):
            out.append(("signature", _("signature of {badge} (key {kid}) does not verify over the act of seq {first} "
                                       "to {last} in this ledger: an event was moved into or out of the act, the act "
                                       "was cut short, the signature was moved from another act, or an event was "
                                       "changed after it was signed.").format(badge=badge, kid=kid, first=first,
                                                                              last=last)))
    for badge in sorted(set(stored) - set(signers)):
        out.append((None, _("carries a signature by {badge}, who is neither the actor nor a co-signer of any event of "
                            "the act it ends.").format(badge=badge)))
    return out


def signature_findings(seq: int, leaf: bytes, signers: list[str], stored: dict[str, tuple[str, str]],
                       keys: dict[str, KeyRecord | None], case: str | None, origin: str | None = None) -> list:
    """The findings of `signature_problems` for one event, given the keys its signatures name as
    the log had them at that seq, and the ledger's origin when its signatures name it."""
    from ledger.findings import Finding
    from ledger.rules.state import SIGNATURE_TABLE

    return [Finding("signature", seq, None, problem, case=case, table=SIGNATURE_TABLE, key=str(seq), column=column)
            for column, problem in signature_problems(seq, leaf, signers, stored, keys.get, origin)]
