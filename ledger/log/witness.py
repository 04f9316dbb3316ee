"""A witness: someone outside the evidence room who cosigns the log's checkpoints only when
they extend the last one it cosigned, so that a rewritten or forked log never gets a second
cosignature at a size already witnessed (https://c2sp.org/tlog-witness, tlog-cosignature/v1).

No ledger database is needed: the witness keeps, in a folder of its own, per log origin the
last checkpoint it cosigned and the log keys it trusts; every update is atomic and locked.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ledger.errors import InputError, VerificationFailed
from ledger.i18n import _
from ledger.log import merkle, note
from ledger.log.consistency import ConsistencyProof, check_extends
from ledger.log.note import Checkpoint

STATE_FORMAT = 1
_MAX_STATE_FILE = 1024 * 1024


@dataclass(frozen=True)
class LastCosigned:
    """What the witness keeps for one log: the last size and root it cosigned, when, the log
    keys it trusts for that origin, and the cosigned checkpoint itself."""

    origin: str
    size: int
    root: bytes
    time: int
    log_keys: tuple[str, ...]
    note: str

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.origin, self.size, self.root)


@dataclass(frozen=True)
class Cosigned:
    note: str  # the checkpoint with the witness's cosignature line added
    checkpoint: Checkpoint
    previous: LastCosigned | None
    time: int
    witness_key: str  # the witness's verifier key (type 0x04)
    state_file: Path


def state_file(folder: Path, origin: str) -> Path:
    """The file of one origin: the origin itself, %-escaped, or its SHA-256 when too long."""
    name = quote(origin, safe="")
    if len(name) > 200:
        name = "sha256-" + hashlib.sha256(origin.encode("utf-8")).hexdigest()
    return folder / f"{name}.json"


def _open_folder(folder) -> Path:
    folder = Path(folder)
    if not folder.exists():
        try:
            folder.mkdir(mode=0o700, parents=False)
        except OSError as exc:
            raise InputError(_("Cannot create the witness state folder {path}: {reason}. Create its parent folder, or "
                               "choose another --state.").format(path=folder, reason=exc.strerror)) from None
    if not folder.is_dir():
        raise InputError(_("--state {path} is not a folder. Give the witness's state folder (it is created when "
                           "missing).").format(path=folder))
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        raise InputError(_("The witness state folder {path} can be read or written by others (mode {mode:04o}); "
                           "what it keeps decides what the witness signs.").format(path=folder, mode=mode),
                         hint=_("Run: chmod 700 {path}").format(path=folder))
    return folder


@contextmanager
def _locked(folder: Path):
    """One cosigning at a time per state folder: the check of the last size and the write of
    the new one must not interleave with another's (tlog-witness's rollback race)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one witness process at a time is the operator's care
        yield
        return
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_last(folder: Path, origin: str) -> LastCosigned | None:
    path = state_file(folder, origin)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_STATE_FILE + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(_("Cannot read the witness state file {path}: {reason}.").format(
            path=path, reason=exc.strerror)) from None
    try:
        doc = json.loads(data.decode("utf-8"))
        if doc.get("format") != STATE_FORMAT or doc.get("origin") != origin:
            raise ValueError("format or origin")
        root = bytes.fromhex(doc["root"])
        last = LastCosigned(origin, int(doc["size"]), root, int(doc["time"]), tuple(doc["log_keys"]), doc["note"])
        _checked = last.checkpoint  # a Checkpoint refuses a size or root out of form
    except (ValueError, KeyError, TypeError, AttributeError, note.NoteError):
        raise InputError(_("The witness state file {path} is damaged: it is not what 'evidence witness cosign' "
                           "writes. Restore it from your backup; never cosign without it.").format(path=path)) from None
    return last


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` in one step (a 0600 temporary file, fsync'd, renamed over it)."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise InputError(_("Cannot write the witness state file {path}: {reason}. Nothing was cosigned.").format(
            path=path, reason=exc.strerror)) from None


def _write_last(folder: Path, last: LastCosigned) -> Path:
    path = state_file(folder, last.origin)
    doc = {"format": STATE_FORMAT, "origin": last.origin, "size": last.size, "root": last.root.hex(),
           "time": last.time, "log_keys": list(last.log_keys), "note": last.note}
    _write_private(path, (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def _keep_refused(folder: Path, checkpoint: Checkpoint, signed: str) -> Path:
    """A checkpoint the log signed but the witness refused is kept beside the state: with the
    last cosigned one, it is the proof of the fork."""
    path = folder / f"refused-{state_file(folder, checkpoint.origin).stem}-{checkpoint.size}-" \
                    f"{checkpoint.root.hex()[:16]}.txt"
    if not path.exists():
        _write_private(path, signed.encode("utf-8"))
    return path


def _log_verifiers(origin: str, kept: tuple[str, ...], given: list[str]) -> tuple[str, ...]:
    keys = list(kept)
    for text in given:
        verifier = note.parse_verifier_key(text)
        if verifier.name != origin:
            raise InputError(_("--log-key {key} is named {name}, but a log's key is named by its origin, here "
                               "{origin}.").format(key=text[:60], name=verifier.name, origin=origin),
                             hint=_("Give the verifier key that 'evidence key generate --log' printed for this "
                                    "ledger."))
        if verifier.kind != note.ED25519:
            raise InputError(_("--log-key {key} is a witness's cosigner key, not a log's signing key.").format(
                key=text[:60]), hint=_("Give the verifier key that 'evidence key generate --log' printed."))
        if text not in keys:
            keys.append(text)
    if not keys:
        raise InputError(_("This witness has never cosigned a checkpoint of {origin} and knows no key of that "
                           "log.").format(origin=origin),
                         hint=_("Give the log's verifier key with --log-key (from 'evidence key generate --log'), "
                                "obtained from the log's operator in person."))
    return tuple(keys)


def cosign(signed: str, key, folder, *, log_keys: list[str], proof: ConsistencyProof | None,
           now: int | None = None) -> Cosigned:
    """Cosign the log-signed checkpoint `signed` with the witness's `key` (a KeyFile) if it
    extends the last checkpoint this witness cosigned for its origin (by `proof`), and keep it
    as the new last one. Refuses (VerificationFailed, exit 3) a second root at a size already
    cosigned and a checkpoint that does not extend the last; writes nothing then."""
    text, _signatures = note.split_note(signed)
    checkpoint = note.parse_checkpoint(text)
    folder = _open_folder(folder)
    now = int(time.time()) if now is None else now
    with _locked(folder):
        last = read_last(folder, checkpoint.origin)
        trusted = _log_verifiers(checkpoint.origin, last.log_keys if last else (), log_keys)
        note.open_note(signed, [note.parse_verifier_key(k) for k in trusted])  # the log's signature
        if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
            raise VerificationFailed(_("The checkpoint has size 0 but root {root}, not the empty tree's {empty}.").format(
                root=checkpoint.root.hex(), empty=merkle.EMPTY_ROOT.hex()))
        if last is not None:
            _check_extends_last(folder, last, checkpoint, signed, proof)
        cosigned = note.add_cosignature(signed, key.name, key.private_key, now)
        path = _write_last(folder, LastCosigned(checkpoint.origin, checkpoint.size, checkpoint.root, now, trusted,
                                                cosigned))
    return Cosigned(cosigned, checkpoint, last, now,
                    note.verifier_key(key.name, key.public_key, note.COSIGNATURE_V1), path)


def _check_extends_last(folder: Path, last: LastCosigned, checkpoint: Checkpoint, signed: str,
                        proof: ConsistencyProof | None) -> None:
    if checkpoint.size == last.size:
        if checkpoint.root != last.root:
            kept = _keep_refused(folder, checkpoint, signed)
            raise VerificationFailed(
                _("A second root at size {size}: this witness cosigned root {ours} for {origin} at that size, and "
                  "this checkpoint has root {theirs}. The log is forked or was rewritten; nothing was "
                  "cosigned.").format(size=checkpoint.size, ours=last.root.hex(), origin=checkpoint.origin,
                                      theirs=checkpoint.root.hex()),
                hint=_("Both checkpoints are signed by the log: keep {kept} and the state file as evidence, and tell "
                       "the auditors.").format(kept=kept))
        return
    if checkpoint.size < last.size:
        raise VerificationFailed(
            _("The checkpoint of size {size} root {theirs} does not extend the last one this witness cosigned for "
              "{origin}, of size {last} root {ours}: a witness never goes back.").format(
                size=checkpoint.size, theirs=checkpoint.root.hex(), origin=checkpoint.origin, last=last.size,
                ours=last.root.hex()),
            hint=_("Give a checkpoint of at least size {last}, with a consistency proof from it.").format(
                last=last.size))
    if proof is None:
        raise InputError(
            _("This witness last cosigned {origin} at size {last} root {root}; a checkpoint of size {size} needs a "
              "consistency proof from it.").format(origin=checkpoint.origin, last=last.size, root=last.root.hex(),
                                                   size=checkpoint.size),
            hint=_("On the ledger: evidence checkpoint prove --from LAST --out proof.txt, where LAST is this "
                   "witness's last cosigned checkpoint; then give --proof proof.txt."))
    if proof.old_size != last.size:
        raise InputError(
            _("The consistency proof starts at size {size}, but this witness last cosigned {origin} at size "
              "{last}.").format(size=proof.old_size, origin=checkpoint.origin, last=last.size),
            hint=_("Ask for a proof from the witness's last cosigned checkpoint: evidence checkpoint prove --from "
                   "LAST."))
    given = proof.checkpoint
    if (given.origin, given.size, given.root) != (checkpoint.origin, checkpoint.size, checkpoint.root):
        raise InputError(
            _("The consistency proof leads to size {size} root {root}, not to this checkpoint (size {want}).").format(
                size=given.size, root=given.root.hex(), want=checkpoint.size),
            hint=_("Give the proof made for this checkpoint: evidence checkpoint prove --from LAST."))
    try:
        check_extends(last.checkpoint, checkpoint, proof)
    except VerificationFailed as exc:
        kept = _keep_refused(folder, checkpoint, signed)
        raise VerificationFailed(exc.message + " " + _("Nothing was cosigned."),
                                 hint=_("Keep {kept} and the state file as evidence, and tell the auditors.").format(
                                     kept=kept)) from None
