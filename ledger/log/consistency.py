"""Consistency proof files: what a court or a witness needs to check that the log only grew,
without any event of the log.

The file is the body of a C2SP tlog-witness `add-checkpoint` request: a line `old SIZE`, the
RFC 6962 consistency proof hashes in base64, one a line (RFC 9162 2.1.4 order), a blank line,
and the new checkpoint it leads to (https://c2sp.org/tlog-witness). Pure text and hashing.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import InputError, VerificationFailed
from ledger.i18n import _
from ledger.log import merkle
from ledger.log.note import Checkpoint, NoteError, parse_checkpoint, split_note

MAX_PROOF_LINES = 63  # tlog-witness: no client sends more
_MAX_FILE = 64 * 1024
_OLD_RE = re.compile(r"old (0|[1-9][0-9]{0,19})")


class MalformedProof(InputError):
    """The text is not a consistency proof file."""


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    hashes: tuple[bytes, ...]
    checkpoint: Checkpoint  # the newer tree the proof leads to

    def to_text(self) -> str:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode("ascii") for h in self.hashes)]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint.to_text()


def parse_proof(text: str, where: str = "") -> ConsistencyProof:
    """A consistency proof file's text; signatures on its checkpoint are ignored here (the
    checkpoint it leads to is compared with one the reader trusts)."""
    label = where or _("The consistency proof")
    how = _("Give the file 'evidence checkpoint prove' wrote.")
    if not isinstance(text, str) or not text.endswith("\n") or "\n\n" not in text:
        raise MalformedProof(_("{what} is not an 'old SIZE' line, the proof's hashes and, after a blank line, a "
                               "checkpoint. {how}").format(what=label, how=how))
    head, rest = text.split("\n\n", 1)
    lines = head.split("\n")
    match = _OLD_RE.fullmatch(lines[0])
    if not match:
        raise MalformedProof(_("{what}: line 1 {line} is not 'old SIZE'. {how}").format(
            what=label, line=repr(lines[0][:40]), how=how))
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedProof(_("{what} has {n} hash lines, more than the {most} a proof can need. {how}").format(
            what=label, n=len(lines) - 1, most=MAX_PROOF_LINES, how=how))
    hashes = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            raw = base64.b64decode(line.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != merkle.HASH_SIZE or base64.b64encode(raw).decode("ascii") != line:
            raise MalformedProof(_("{what}: line {number} is not the base64 of a {n}-byte hash. {how}").format(
                what=label, number=number, n=merkle.HASH_SIZE, how=how))
        hashes.append(raw)
    try:
        body = split_note(rest)[0] if "\n\n" in rest else rest
        checkpoint = parse_checkpoint(body)
    except NoteError as exc:
        raise MalformedProof(f"{label}: {exc.message}", hint=exc.hint) from None
    return ConsistencyProof(int(match.group(1)), tuple(hashes), checkpoint)


def read_proof_file(path, option: str = "--proof") -> ConsistencyProof:
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_FILE + 1)
    except FileNotFoundError:
        raise InputError(_("{option} {path} does not exist. Give the file 'evidence checkpoint prove' wrote.").format(
            option=option, path=path)) from None
    except (OSError, ValueError) as exc:
        raise InputError(_("Cannot read {option} {path}: {reason}. Check the path and its permissions.").format(
            option=option, path=path, reason=getattr(exc, "strerror", None) or exc)) from None
    if len(data) > _MAX_FILE:
        raise MalformedProof(_("{option} {path} is far larger than a consistency proof. Give the file 'evidence "
                               "checkpoint prove' wrote.").format(option=option, path=path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedProof(_("{option} {path} is not UTF-8 text, so it is not a consistency proof.").format(
            option=option, path=path)) from None
    return parse_proof(text, f"{option} {path}")


def check_extends(old: Checkpoint, new: Checkpoint, proof: ConsistencyProof) -> None:
    """That `new` extends `old` by `proof`: the same log, and the proof leads from old's root to
    new's. Raises VerificationFailed (exit 3) naming both roots when it does not."""
    if old.origin != new.origin:
        raise VerificationFailed(_("The old checkpoint is of log {old}, the new one of log {new}: no proof links two "
                                   "logs.").format(old=old.origin, new=new.origin),
                                 hint=_("Give two checkpoints of the same log."))
    if (proof.checkpoint.origin, proof.checkpoint.size, proof.checkpoint.root) != (new.origin, new.size, new.root):
        raise VerificationFailed(
            _("The consistency proof leads to size {size} root {root}, not to the checkpoint of size {want} root "
              "{want_root}.").format(size=proof.checkpoint.size, root=proof.checkpoint.root.hex(), want=new.size,
                                     want_root=new.root.hex()),
            hint=_("Ask the log for a proof to this checkpoint: evidence checkpoint prove --from OLD."))
    if proof.old_size != old.size:
        raise VerificationFailed(
            _("The consistency proof starts at size {size}, but the old checkpoint has size {old}.").format(
                size=proof.old_size, old=old.size),
            hint=_("Ask the log for a proof from this checkpoint: evidence checkpoint prove --from OLD."))
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, list(proof.hashes))
    except merkle.ProofError as exc:
        raise VerificationFailed(
            _("The checkpoint of size {new} root {new_root} does not extend the one of size {old} root {old_root}: "
              "{reason}.").format(new=new.size, new_root=new.root.hex(), old=old.size, old_root=old.root.hex(),
                                  reason=str(exc)),
            hint=_("The log was rewritten or forked, or the proof is not the one the log made. Keep both checkpoints: "
                   "together they are the evidence.")) from None
