"""Checkpoints and signed notes in their C2SP forms, so that any tool of the transparency-log
world (Go's sumdb/note, Trillian, Tessera, witnesses) can read, check and cosign them.

https://c2sp.org/tlog-checkpoint gives the text of a checkpoint: origin, tree size, root hash.
https://c2sp.org/signed-note gives the signatures under it: Ed25519 (type 0x01) for the log and
its auditors, and https://c2sp.org/tlog-cosignature (type 0x04, timestamped) for witnesses.
Parsing is strict: one text per checkpoint, and anything unexpected is refused, not repaired;
a signature line of a key nobody trusts is parsed for form only and then ignored, of any type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger import ed25519
from ledger.errors import InputError
from ledger.i18n import N_, _

ED25519 = 0x01
COSIGNATURE_V1 = 0x04  # c2sp.org/tlog-cosignature: timestamped Ed25519, signed by witnesses
COSIGNATURE_HEADER = "cosignature/v1\n"
TIMESTAMP_SIZE = 8
_MAX_TIMESTAMP = 2**63 - 1
SIGNATURE_PREFIX = "\u2014 "  # em dash and space open every signature line
ROOT_SIZE = 32
# The spec asks verifiers to accept at least 16; more than this is not a checkpoint but a flood.
MAX_SIGNATURES = 100
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = 2**64 - 1


class NoteError(InputError):
    """A checkpoint, a signed note or a verifier key that cannot be used."""


class MalformedCheckpoint(NoteError):
    """The text is not a tlog-checkpoint."""


class MalformedNote(NoteError):
    """The text is not a signed note, or a name or text cannot go into one."""


class MalformedVerifierKey(NoteError):
    """A verifier key is not of the form name+keyid+base64(0x01||public key)."""


class BadSignature(NoteError):
    """A signature by a known key does not verify: the note was altered or the key is not theirs."""


class UnverifiedNote(NoteError):
    """No signature by a known key is on the note."""


# --------------------------------------------------------------------------- checkpoints

@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.origin, str) or not self.origin or _bad_line(self.origin):
            raise MalformedCheckpoint(_("Checkpoint origin {origin} is empty or not one line of text. Give the "
                                        "log's name, e.g. evidence.example/arequipa.").format(origin=repr(self.origin)))
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= _MAX_SIZE:
            raise MalformedCheckpoint(_("Checkpoint size {size} is not a count of leaves. Give a whole number from "
                                        "0 up.").format(size=repr(self.size)))
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_SIZE:
            raise MalformedCheckpoint(_("Checkpoint root hash is not {n} bytes. Give the SHA-256 root of the log's "
                                        "Merkle tree.").format(n=ROOT_SIZE))
        for line in self.extensions:
            if not isinstance(line, str) or not line or _bad_line(line):
                raise MalformedCheckpoint(_("Checkpoint extension line {line} is empty or not one line of text. "
                                            "Leave it out or give it as one non-empty line.").format(line=repr(line)))

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in the text of a note (the signatures already split off)."""
    _check_text(text, N_("Checkpoint"), MalformedCheckpoint)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint(_("Checkpoint has {n} line(s), not the 3 it needs (origin, tree size, root "
                                    "hash). Give the whole checkpoint file.").format(n=len(lines)))
    origin, size, root, *extensions = lines
    if not origin:
        raise MalformedCheckpoint(_("Checkpoint origin (line 1) is empty. Give the checkpoint as the log wrote "
                                    "it."))
    if not _SIZE_RE.fullmatch(size) or int(size) > _MAX_SIZE:
        raise MalformedCheckpoint(_("Checkpoint tree size (line 2) {size} is not a decimal number without leading "
                                    "zeros. Give the checkpoint as the log wrote it.").format(size=repr(size)))
    digest = _b64decode(root)
    if digest is None or len(digest) != ROOT_SIZE or base64.b64encode(digest).decode("ascii") != root:
        raise MalformedCheckpoint(_("Checkpoint root hash (line 3) {root} is not the base64 of a {n}-byte hash. "
                                    "Give the checkpoint as the log wrote it.").format(root=repr(root), n=ROOT_SIZE))
    for number, line in enumerate(extensions, start=4):
        if not line:
            raise MalformedCheckpoint(_("Checkpoint line {number} is empty; extension lines may not be. Give the "
                                        "checkpoint text without its signatures.").format(number=number))
    return Checkpoint(origin, int(size), digest, tuple(extensions))


# --------------------------------------------------------------------------- keys

@dataclass(frozen=True)
class Verifier:
    """A trusted public key as a signed note names it: an Ed25519 signer (type 0x01) or a
    witness's timestamped cosigner key (type 0x04)."""

    name: str
    key_id: int
    public_key: bytes
    kind: int = ED25519

    def verifies(self, message: bytes, signature: bytes) -> bool:
        return ed25519.verify_signature(self.public_key, message, signature)

    def verifies_note(self, text: str, signature: bytes) -> tuple[bool, int | None]:
        """Whether `signature` (without its key id) signs the note text, and for a witness's
        cosignature the POSIX time it states."""
        if self.kind != COSIGNATURE_V1:
            return self.verifies(text.encode("utf-8"), signature), None
        if len(signature) != TIMESTAMP_SIZE + ed25519.SIGNATURE_SIZE:
            return False, None
        timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False, None
        return self.verifies(cosignature_message(text, timestamp), signature[TIMESTAMP_SIZE:]), timestamp


def key_id(name: str, public_key: bytes, kind: int = ED25519) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian number (type 0x01 for
    Ed25519 signatures, 0x04 for a witness's cosignatures with the same key)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def verifier_key(name: str, public_key: bytes, kind: int = ED25519) -> str:
    """The verifier key line auditors exchange: name+keyid+base64(type||public key)."""
    _check_name(name)
    if len(public_key) != ed25519.PUBLIC_KEY_SIZE:
        raise MalformedVerifierKey(_("An Ed25519 public key has {n} bytes, not {got}. Give the key that 'evidence "
                                     "key generate' printed.").format(n=ed25519.PUBLIC_KEY_SIZE, got=len(public_key)))
    encoded = base64.b64encode(bytes([kind]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, public_key, kind):08x}+{encoded}"


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a tlog-cosignature/v1 signs: its header, the time line and the checkpoint text."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def parse_verifier_key(text: str) -> Verifier:
    shown = _show(text)
    how = _("Give the verifier key as 'evidence key generate' printed it: NAME+KEYID+KEY.")
    parts = text.split("+") if isinstance(text, str) else []
    # base64 may itself hold '+', so the name and key id are the first two fields only.
    if len(parts) < 3:
        raise MalformedVerifierKey(_("Verifier key {key} does not have the form NAME+KEYID+KEY. {how}").format(
            key=shown, how=how))
    name, hex_id, encoded = parts[0], parts[1], "+".join(parts[2:])
    if key_name_problem := ed25519.key_name_problem(name):
        raise MalformedVerifierKey(_("Verifier key {key}: its name {problem}. {how}").format(
            key=shown, problem=key_name_problem, how=how))
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise MalformedVerifierKey(_("Verifier key {key}: its key id {id} is not 8 lower-case hex digits. "
                                     "{how}").format(key=shown, id=repr(hex_id), how=how))
    raw = _b64decode(encoded)
    if raw is None or len(raw) != 1 + ed25519.PUBLIC_KEY_SIZE:
        raise MalformedVerifierKey(_("Verifier key {key}: its key is not the base64 of a type byte and a {n}-byte "
                                     "public key. {how}").format(key=shown, n=ed25519.PUBLIC_KEY_SIZE, how=how))
    if raw[0] not in (ED25519, COSIGNATURE_V1):
        raise MalformedVerifierKey(_("Verifier key {key}: signature type 0x{type:02x} is neither Ed25519 (0x01) nor "
                                     "a witness's cosignature (0x04), the types evidence checks. {how}").format(
            key=shown, type=raw[0], how=how))
    public_key = raw[1:]
    if key_id(name, public_key, raw[0]) != int(hex_id, 16):
        raise MalformedVerifierKey(_("Verifier key {key}: its key id does not match its name and key, so it was "
                                     "altered or mistyped. {how}").format(key=shown, how=how))
    return Verifier(name, int(hex_id, 16), public_key, raw[0])


# --------------------------------------------------------------------------- signed notes

@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes  # without the key id

    @property
    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass
class OpenedNote:
    text: str
    verified: list[str] = field(default_factory=list)
    unknown: list[tuple[str, int]] = field(default_factory=list)
    # Witnesses' cosignatures that verified: (name, POSIX time they were made).
    cosigned: list[tuple[str, int]] = field(default_factory=list)


def sign_note(text: str, name: str, private_key) -> str:
    """A signed note: the text, a blank line and `name`'s signature line."""
    _check_text(text, N_("Note text"), MalformedNote)
    return text + "\n" + _signature(text, name, private_key).line


def add_signature(signed_note: str, name: str, private_key) -> str:
    """The note with `name`'s signature added after those already on it (a cosignature).

    A note this key already signed comes back unchanged: Ed25519 signatures are
    deterministic, so a second line would only repeat the first."""
    text, signatures = split_note(signed_note)
    mine = _signature(text, name, private_key)
    for existing in signatures:
        if (existing.name, existing.key_id) == (mine.name, mine.key_id):
            if existing.signature != mine.signature and not ed25519.verify_signature(
                    ed25519.public_key_bytes(private_key), text.encode("utf-8"), existing.signature):
                raise BadSignature(_("The note carries a signature by {name} ({id:08x}) that does not verify with "
                                     "this very key: the note was altered after it was signed. Do not cosign it; get "
                                     "the checkpoint again from its source.").format(name=name, id=mine.key_id))
            return signed_note
    if len(signatures) >= MAX_SIGNATURES:
        raise MalformedNote(_("The note already has {n} signatures, the most a note may carry. Cosign a copy that "
                              "holds only the signatures you need.").format(n=len(signatures)))
    return signed_note + mine.line


def add_cosignature(signed_note: str, name: str, private_key, timestamp: int) -> str:
    """The note with a witness's tlog-cosignature/v1 line (key type 0x04) for `timestamp`
    added; an earlier cosignature of this key on it is replaced by the new one."""
    text, signatures = split_note(signed_note)
    _check_name(name)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise MalformedNote(_("A cosignature's time {time} is not a POSIX time from 0 to 2^63-1. Check the "
                              "machine's clock.").format(time=_show(timestamp)))
    public_key = ed25519.public_key_bytes(private_key)
    mine = Signature(name, key_id(name, public_key, COSIGNATURE_V1),
                     timestamp.to_bytes(TIMESTAMP_SIZE, "big") + ed25519.sign(private_key,
                                                                          cosignature_message(text, timestamp)))
    kept = [s for s in signatures if (s.name, s.key_id) != (mine.name, mine.key_id)]
    if len(kept) >= MAX_SIGNATURES:
        raise MalformedNote(_("The note already has {n} signatures, the most a note may carry. Cosign a copy that "
                              "holds only the signatures you need.").format(n=len(kept)))
    return text + "\n" + "".join(s.line for s in kept) + mine.line


def split_note(signed_note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of a signed note, parsed but not verified."""
    if isinstance(signed_note, bytes):
        try:
            signed_note = signed_note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote(_("The signed note is not valid UTF-8. Give the note as it was written.")) from None
    _check_text(signed_note, N_("Signed note"), MalformedNote)
    cut = signed_note.rfind("\n\n")
    if cut < 0:
        raise MalformedNote(_("The note has no blank line followed by signature lines, so it is not signed. Give "
                              "the signed note, not its bare text."))
    text, block = signed_note[:cut + 1], signed_note[cut + 2:]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise MalformedNote(_("The note ends with a blank line but no signature lines after it. Give the signed "
                              "note as it was written."))
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(_("The note has {n} signature lines, more than the {most} a note may carry. Give a "
                              "copy with only the signatures you need.").format(n=len(lines), most=MAX_SIGNATURES))
    seen: dict[str, int] = {}
    signatures = []
    for number, line in enumerate(lines, start=1):
        if line in seen:
            raise MalformedNote(_("Signature line {number} repeats line {first}; a note lists each signature once. "
                                  "Remove the repeated line.").format(number=number, first=seen[line]))
        seen[line] = number
        signatures.append(_parse_signature_line(line, number))
    return text, signatures


def open_note(signed_note: str, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Check a signed note against the trusted keys and return its text.

    Signatures by keys not in `verifiers` are listed, not trusted. A signature by a trusted
    key that fails to verify rejects the whole note, and so does a note no trusted key signed."""
    by_id: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        known = by_id.setdefault((verifier.name, verifier.key_id), verifier)
        if known.public_key != verifier.public_key:
            raise NoteError(_("Two trusted keys share the name {name} and key id {id:08x}, so a signature cannot "
                              "tell them apart. Trust only one of them.").format(name=verifier.name,
                                                                                  id=verifier.key_id))
    text, signatures = split_note(signed_note)
    opened = OpenedNote(text)
    for sig in signatures:
        verifier = by_id.get((sig.name, sig.key_id))
        good, timestamp = verifier.verifies_note(text, sig.signature) if verifier is not None else (False, None)
        if verifier is None:
            opened.unknown.append((sig.name, sig.key_id))
        elif not good:
            raise BadSignature(_("The signature by {name} ({id:08x}) does not verify: the note was altered after "
                                 "it was signed, or was signed by another key of that name. Do not trust it; get the "
                                 "checkpoint again from its source.").format(name=sig.name, id=sig.key_id))
        else:
            if sig.name not in opened.verified:
                opened.verified.append(sig.name)
            if verifier.kind == COSIGNATURE_V1:
                opened.cosigned.append((sig.name, timestamp))
    if not opened.verified:
        signers = ", ".join(f"{n}+{k:08x}" for n, k in opened.unknown)
        raise UnverifiedNote(_("No trusted key signed this note (it is signed by {signers}). Add the signer's "
                               "verifier key with --trust if you trust it, or get a note your keys signed.").format(
            signers=signers))
    return opened


# --------------------------------------------------------------------------- helpers

def _signature(text: str, name: str, private_key) -> Signature:
    _check_text(text, N_("Note text"), MalformedNote)
    _check_name(name)
    public_key = ed25519.public_key_bytes(private_key)
    return Signature(name, key_id(name, public_key), ed25519.sign(private_key, text.encode("utf-8")))


def _parse_signature_line(line: str, number: int) -> Signature:
    how = _("Give the signed note as it was written.")
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(_("Signature line {number} does not start with an em dash and a space. {how}").format(
            number=number, how=how))
    fields = line[len(SIGNATURE_PREFIX):].split(" ")
    if len(fields) != 2:
        raise MalformedNote(_("Signature line {number} is not '\u2014 NAME SIGNATURE' with single spaces. "
                              "{how}").format(number=number, how=how))
    name, encoded = fields
    if problem := ed25519.key_name_problem(name):
        raise MalformedNote(_("Signature line {number}: the key name {problem}. {how}").format(
            number=number, problem=problem, how=how))
    blob = _b64decode(encoded)
    if blob is None or len(blob) < 5:
        raise MalformedNote(_("Signature line {number}: the signature is not base64 of a key id and a signature. "
                              "{how}").format(number=number, how=how))
    return Signature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def _check_name(name: str) -> None:
    if problem := ed25519.key_name_problem(name):
        raise MalformedNote(_("Key name {name} {problem}, so it cannot sign a note. Use a name without spaces or "
                              "'+', e.g. auditoria.example/arequipa.").format(name=_show(name), problem=problem))


def _check_text(text: str, what: str, error: type[NoteError]) -> None:
    if not isinstance(text, str) or not text:
        raise error(_("{what} is empty. Give the text as it was written.").format(what=_(what)))
    if not text.endswith("\n"):
        raise error(_("{what} does not end with a newline, so it was cut short. Give the whole text.").format(
            what=_(what)))
    for position, ch in enumerate(text, start=1):
        if ch != "\n" and (ch < " " or unicodedata.category(ch) == "Cs"):
            raise error(_("{what} contains the control character U+{code:04X} at position {position}; only "
                          "printable text and newlines may be signed. Give the text as it was written.").format(
                what=_(what), code=ord(ch), position=position))


def _bad_line(value: str) -> bool:
    return any(ch < " " or unicodedata.category(ch) == "Cs" for ch in value)


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- files

_MAX_NOTE_FILE = 1024 * 1024


def read_signed_checkpoint(path) -> tuple[str, Checkpoint]:
    """A signed checkpoint file: its whole text and the checkpoint it signs, checked for form."""
    from pathlib import Path

    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_NOTE_FILE + 1)
    except FileNotFoundError:
        raise InputError(_("Checkpoint file {path} does not exist. Give the file 'evidence checkpoint' "
                           "wrote.").format(path=path)) from None
    except IsADirectoryError:
        raise InputError(_("Checkpoint file {path} is a folder. Give the signed checkpoint file in it.").format(
            path=path)) from None
    except ValueError:  # a NUL in the path
        raise InputError(_("Checkpoint file {path} is not a usable file name. Give the file's path.").format(
            path=_show(str(path)))) from None
    except OSError as exc:
        raise InputError(_("Cannot read checkpoint file {path}: {reason}. Check the path and its "
                           "permissions.").format(path=path, reason=exc.strerror)) from None
    if len(data) > _MAX_NOTE_FILE:
        raise MalformedNote(_("{path} is far larger than a signed checkpoint. Give the file 'evidence checkpoint' "
                              "wrote.").format(path=path))
    try:
        text, _signatures = split_note(data)
        checkpoint = parse_checkpoint(text)
    except NoteError as exc:
        raise type(exc)(f"{path}: {exc.message}", hint=exc.hint) from None
    return data.decode("utf-8"), checkpoint


def read_checkpoint_file(path) -> tuple[str, Checkpoint]:
    """A checkpoint file, signed (a signed note) or bare (the checkpoint text alone)."""
    from pathlib import Path

    try:
        with open(Path(path), "rb") as handle:
            head = handle.read(_MAX_NOTE_FILE + 1)
    except (OSError, ValueError):
        return read_signed_checkpoint(path)  # its refusals say what is wrong with the path
    if b"\n\n" in head:
        return read_signed_checkpoint(path)
    try:
        text = head.decode("utf-8")
        return text, parse_checkpoint(text)
    except UnicodeDecodeError:
        raise MalformedCheckpoint(_("{path} is not UTF-8 text, so it is not a checkpoint. Give the file "
                                    "'evidence checkpoint' wrote.").format(path=path)) from None
    except NoteError as exc:
        raise type(exc)(f"{path}: {exc.message}", hint=exc.hint) from None


def write_note_file(path, text: str, *, may_replace=None) -> None:
    """Write a note to a new file, or over `may_replace` (the note it was made from), in one
    step, so that a reader never sees half a note and no other file is ever overwritten."""
    import os
    from pathlib import Path

    if "\x00" in str(path):
        raise InputError(_("--out {path} contains a NUL character, which no file name can hold. Choose another "
                           "--out.").format(path=_show(str(path))))
    from ledger.outputs import refuse_link

    path = refuse_link(Path(path), str(path))
    exists = os.path.lexists(path)
    same = exists and may_replace is not None and Path(may_replace).resolve() == path.resolve()
    if exists and not same:
        raise InputError(_("--out {path} already exists. Choose a new file name, or give the checkpoint file "
                           "itself to add the signature in place.").format(path=path))
    if not path.parent.is_dir():
        raise InputError(_("--out {path}: folder {folder} does not exist. Create it, or choose another "
                           "--out.").format(path=path, folder=path.parent))
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "x", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise InputError(_("Cannot write --out {path}: {reason}. Choose another --out.").format(
            path=path, reason=exc.strerror)) from None
