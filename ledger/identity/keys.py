"""Ed25519 keys for officers, auditors and offices, and the files that hold them.

A private key never enters the ledger: it lives in its owner's file, encrypted with a
passphrase only they know, readable by them alone. This module is the one home of the
`cryptography` package, so every signature in the program is made and checked here.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import InputError
from ledger.i18n import _
from ledger.validate import check_badge, show_value

KEY_HEADER = "# evidence key: "
PEM_BEGIN = "-----BEGIN ENCRYPTED PRIVATE KEY-----"
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
# A key file is a header line and one PEM block; anything much larger is something else.
_MAX_KEY_FILE = 16 * 1024
_NAME_MAX = 128


def _passphrase_how() -> str:
    return _("type it at the prompt, or set EVIDENCE_KEY_PASSPHRASE for scripts")


@dataclass(frozen=True)
class KeyFile:
    """A private key opened from its file, with the name it signs under."""

    path: Path
    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)


# --------------------------------------------------------------------------- names and paths

def key_name_problem(name: object) -> str | None:
    """Why `name` cannot name a key in a signed note, or None when it can.

    Signature lines are split on spaces and verifier keys on '+', so a name holding either
    would be read back as something else."""
    if not isinstance(name, str) or not name:
        return _("is empty")
    if len(name) > _NAME_MAX:
        return _("is longer than {most} characters").format(most=_NAME_MAX)
    for ch in name:
        category = unicodedata.category(ch)
        if ch.isspace() or category == "Zs":
            return _("contains a space")
        if ch == "+":
            return _("contains '+'")
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return _("contains the invisible or control character U+{code:04X}").format(code=ord(ch))
    return None


def check_key_name(name: str | None, field: str = "--name") -> str:
    problem = key_name_problem(name)
    if problem:
        raise InputError(_("{field} {value} {problem}, so it cannot name a key. Use letters, digits and punctuation "
                           "other than '+', without spaces, e.g. auditoria.example/arequipa.").format(
            field=field, value=show_value(name), problem=problem))
    return name


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def default_key_path(badge: str) -> Path:
    """Where an officer's key file lives unless they say otherwise."""
    badge = check_badge(badge, "--badge")
    if "/" in badge:
        # A slash would place the file outside the keys folder, or in one that does not exist.
        raise InputError(_("--badge {value} contains '/', which cannot be part of a key file name. Give the file "
                           "with --out.").format(value=show_value(badge)))
    return config_home() / "evidence" / "keys" / f"{badge}.key"


# --------------------------------------------------------------------------- key pairs

def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The key pair of a 32-byte RFC 8032 seed (how other implementations store a key)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    return private_key.sign(message)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the Ed25519 signature of `message` by `public_key`."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- key files

def _passphrase_bytes(passphrase: str | None) -> bytes:
    if not passphrase:
        raise InputError(_("The key passphrase is empty, and a key file is never left unprotected. Choose a "
                           "passphrase: {how}.").format(how=_passphrase_how()))
    # The same words typed on two keyboards may arrive composed or decomposed.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_key_path(path: str | os.PathLike, *, make_parents: bool = False) -> Path:
    """Refuse a key file path that cannot be written, before anyone is asked for a passphrase."""
    if "\x00" in str(path):
        raise InputError(_("--out {value} contains a NUL character, which no file name can hold. Choose another "
                           "--out.").format(value=show_value(str(path))))
    path = Path(path)
    if os.path.lexists(path):
        raise _exists(path)
    if not make_parents and not path.parent.is_dir():
        raise InputError(_("Folder {folder} for the key file does not exist. Create it, or choose another "
                           "--out.").format(folder=path.parent))
    return path


def generate_key_file(path: str | os.PathLike, name: str, passphrase: str, *, make_parents: bool = False) -> KeyFile:
    """A new key pair, written to a new file under `name`."""
    private_key = generate_private_key()
    path = write_key_file(path, private_key, name, passphrase, make_parents=make_parents)
    return KeyFile(path=path, name=name, private_key=private_key)


def write_key_file(path: str | os.PathLike, private_key: Ed25519PrivateKey, name: str, passphrase: str,
                   *, make_parents: bool = False) -> Path:
    """Write the key encrypted with `passphrase` to a new file only its owner can read.

    The file is created with mode 0600 in the same call that creates it, so it is never
    readable by others even for an instant, and an existing file is never replaced."""
    check_key_name(name)
    password = _passphrase_bytes(passphrase)
    path = check_new_key_path(path, make_parents=make_parents)
    if make_parents:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(_("Cannot create folder {folder} for the key file: {reason}. Choose another "
                               "--out.").format(folder=path.parent, reason=exc.strerror)) from None
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(password))
    data = (KEY_HEADER + name + "\n").encode("utf-8") + pem
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise InputError(_("Cannot create key file {path}: {reason}. Choose another --out.").format(
            path=path, reason=exc.strerror)) from None
    try:
        os.fchmod(fd, 0o600)  # the umask may only take bits away; this makes the mode exact
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def write_public_key_file(key: KeyFile) -> Path:
    """`KEYFILE.pub` beside a new key: its public key in base64, the file an officer hands to the
    admin who enrols it (`officer add --public-key FILE`). Public, so readable by all."""
    import base64

    path = key.path.with_name(key.path.name + ".pub")
    path.write_text(base64.b64encode(key.public_key).decode("ascii") + "\n", encoding="ascii")
    return path


def _exists(path: Path) -> InputError:
    return InputError(_("Key file {path} already exists, and a key file is never overwritten. Choose another --out, "
                        "or move the old file away first if you mean to replace it.").format(path=path))


def read_key_name(path: str | os.PathLike) -> str:
    """The name a key file signs under, read without its passphrase."""
    return _read_key_file(Path(path))[0]


def load_key_file(path: str | os.PathLike, passphrase: str) -> KeyFile:
    """Open a key file written by `write_key_file`."""
    path = Path(path)
    name, pem = _read_key_file(path)
    password = _passphrase_bytes(passphrase)
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except ValueError as exc:
        # cryptography tells a failed decryption from damaged data only in its message.
        if "password" not in str(exc).lower():
            raise _not_a_key(path, _("its key block is damaged or not of the form evidence writes")) from None
        raise InputError(_("The passphrase does not open key file {path}. Give the passphrase chosen when the key was "
                           "made: {how}.").format(path=path, how=_passphrase_how())) from None
    except (TypeError, UnsupportedAlgorithm):
        raise _not_a_key(path, _("it does not hold a passphrase-encrypted Ed25519 key")) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _not_a_key(path, _("it holds a key of another kind than Ed25519"))
    return KeyFile(path=path, name=name, private_key=key)


def _not_a_key(path: Path, why: str) -> InputError:
    return InputError(_("{path} is not an evidence key file: {why}. Give the file that 'evidence key generate' "
                        "wrote.").format(path=path, why=why))


def _check_private(path: Path) -> None:
    """A private key file others can read is refused, as ssh refuses one: its passphrase is then
    the only thing between a colleague and the officer's signature."""
    import shlex
    import stat

    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if mode & 0o077:
        raise InputError(_("Key file {path} can be read or written by others (mode {mode:04o}); a private key must be "
                           "its owner's alone.").format(path=path, mode=mode),
                         hint=_("Run: chmod 600 {path}").format(path=shlex.quote(str(path))))


def _read_key_file(path: Path) -> tuple[str, bytes]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise InputError(_("Key file {path} does not exist. Give the file that 'evidence key generate' wrote, or make "
                           "one with 'evidence key generate'.").format(path=path)) from None
    except IsADirectoryError:
        raise _not_a_key(path, _("it is a folder")) from None
    except ValueError:  # a NUL in the path
        raise InputError(_("Key file {path} is not a usable file name. Give the key file's path.").format(
            path=show_value(str(path)))) from None
    except OSError as exc:
        raise InputError(_("Cannot read key file {path}: {reason}. Check the path and its permissions.").format(
            path=path, reason=exc.strerror)) from None
    if len(data) > _MAX_KEY_FILE:
        raise _not_a_key(path, _("it is far larger than a key file"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_a_key(path, _("it is not text")) from None
    header, _newline, rest = text.partition("\n")
    if not header.startswith(KEY_HEADER):
        raise _not_a_key(path, _("its first line is not '{header}NAME'").format(header=KEY_HEADER))
    name = header[len(KEY_HEADER):]
    if key_name_problem(name):
        raise _not_a_key(path, _("the name on its first line {problem}").format(problem=key_name_problem(name)))
    if not rest.startswith(PEM_BEGIN) or not rest.isascii():
        raise _not_a_key(path, _("no encrypted private key follows its first line"))
    _check_private(path)
    return name, rest.encode("ascii")
