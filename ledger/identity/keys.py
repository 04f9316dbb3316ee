"""The files that hold the Ed25519 keys of officers, auditors, offices and the log.

A private key never enters the ledger: it lives in its owner's file, encrypted with a
passphrase only they know, readable by them alone. The signatures themselves are made and checked
in ledger/ed25519.py, below the log; its names are reachable from here too.
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.ed25519 import (  # noqa: F401 - the key's primitives, for the modules that hold keys
    ED25519_VERIFIERS,
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    generate_private_key,
    key_name_problem,
    private_key_from_seed,
    public_key_bytes,
    sign,
    uses,
    verify_signature,
)
from ledger.errors import InputError
from ledger.i18n import _
from ledger.validate import check_badge, show_value

KEY_HEADER = "# evidence key: "
PEM_BEGIN = "-----BEGIN ENCRYPTED PRIVATE KEY-----"  # key files before scrypt: PKCS#8, PBKDF2 (still opened)
SEALED_BEGIN = "-----BEGIN EVIDENCE ED25519 KEY-----"
SEALED_END = "-----END EVIDENCE ED25519 KEY-----"
SEALED_CIPHER = "chacha20-poly1305"
# scrypt with N = 2^17, r = 8, p = 1: 128 MiB of memory and about half a second of one core per
# guess on the machines the ledger runs on (docs/THREATS.md has the measured figure).
SCRYPT_LOG2_N = 17
SCRYPT_R = 8
SCRYPT_P = 1
# Only the test suite lowers the cost, so that its hundreds of keys are made quickly; every file
# records its own parameters, so a key made cheaply still opens (and says how cheap it is).
TEST_KDF_ENV = "EVIDENCE_TEST_KDF_LOG2N"
# What a key file may ask of the reader: a hostile file must not make it allocate gigabytes.
_MAX_LOG2_N, _MAX_R, _MAX_P = 20, 32, 4
_MAX_SCRYPT_BYTES = 1 << 30
MIN_PASSPHRASE = 12
# For keys whose passphrase is published (the demo's people, passphrase "demo"): a costly KDF
# would protect nothing and only make the demo slow.
THROWAWAY_LOG2_N = 10
# A key file is a header line and one PEM block; anything much larger is something else.
_MAX_KEY_FILE = 16 * 1024


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


# --------------------------------------------------------------------------- key files

def _passphrase_bytes(passphrase: str | None) -> bytes:
    if not passphrase:
        raise InputError(_("The key passphrase is empty, and a key file is never left unprotected. Choose a "
                           "passphrase: {how}.").format(how=_passphrase_how()))
    # The same words typed on two keyboards may arrive composed or decomposed.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


@dataclass(frozen=True)
class KdfParams:
    """scrypt's cost parameters as a key file records them."""

    log2_n: int
    r: int
    p: int

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * (1 << self.log2_n) * self.p


def current_kdf() -> KdfParams:
    """The cost new key files are encrypted with: SCRYPT_LOG2_N, unless the test suite lowered it."""
    raw = os.environ.get(TEST_KDF_ENV)
    if raw:
        try:
            log2_n = int(raw)
        except ValueError:
            log2_n = -1
        if not 1 <= log2_n <= SCRYPT_LOG2_N:
            raise InputError(_("{env}={raw!r} is not a number from 1 to {most}; it only lowers the cost of new key "
                               "files for tests.").format(env=TEST_KDF_ENV, raw=raw, most=SCRYPT_LOG2_N),
                             hint=_("Unset {env}.").format(env=TEST_KDF_ENV))
        return KdfParams(log2_n, SCRYPT_R, SCRYPT_P)
    return KdfParams(SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)


def _derive(password: bytes, salt: bytes, params: KdfParams) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=1 << params.log2_n, r=params.r, p=params.p)
    return kdf.derive(password)


def _common_passphrases() -> frozenset[str]:
    from importlib import resources

    text = resources.files("ledger.identity").joinpath("common_passphrases.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def new_passphrase_problem(passphrase: str | None) -> str | None:
    """Why `passphrase` may not protect a new key file (a sentence), or None when it may."""
    if not passphrase:
        return None  # refused with its own sentence when the key is written
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_PASSPHRASE:
        return _("The passphrase has {count} characters, fewer than the {least} a key file needs.").format(
            count=len(text), least=MIN_PASSPHRASE)
    folded = text.casefold()
    if folded in _common_passphrases() or len(set(folded)) < 5:
        return _("The passphrase is one of the common ones that are guessed first.")
    return None


def check_new_passphrase(passphrase: str | None) -> str:
    """Refuse a passphrase that is too short or too common to protect a new key file."""
    problem = new_passphrase_problem(passphrase)
    if problem:
        raise InputError(problem + " " + _("Choose four or more unrelated words, e.g. 'llama ventana azul "
                                           "trece', that nobody could link to you."))
    return passphrase


def check_new_key_path(path: str | os.PathLike, *, make_parents: bool = False) -> Path:
    """Refuse a key file path that cannot be written, before anyone is asked for a passphrase."""
    if "\x00" in str(path):
        raise InputError(_("--out {value} contains a NUL character, which no file name can hold. Choose another "
                           "--out.").format(value=show_value(str(path))))
    path = Path(path)
    if os.path.lexists(path):
        raise _exists(path)
    if os.path.lexists(public_key_path(path)):
        raise _exists(public_key_path(path))
    if not make_parents and not path.parent.is_dir():
        raise InputError(_("Folder {folder} for the key file does not exist. Create it, or choose another "
                           "--out.").format(folder=path.parent))
    return path


def generate_key_file(path: str | os.PathLike, name: str, passphrase: str, *, make_parents: bool = False,
                      kdf: KdfParams | None = None) -> KeyFile:
    """A new key pair, written to a new file under `name` (scrypt at `kdf`, default the current cost)."""
    private_key = generate_private_key()
    path = write_key_file(path, private_key, name, passphrase, make_parents=make_parents, kdf=kdf)
    return KeyFile(path=path, name=name, private_key=private_key)


def write_key_file(path: str | os.PathLike, private_key: Ed25519PrivateKey, name: str, passphrase: str,
                   *, make_parents: bool = False, kdf: KdfParams | None = None) -> Path:
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
    data = seal_private_key(private_key, name, password, kdf)
    _create_exclusive(path, data, 0o600)
    return path


def seal_private_key(private_key: Ed25519PrivateKey, name: str, password: bytes,
                     params: KdfParams | None = None) -> bytes:
    """The text of a key file: the name line, scrypt's parameters and salt, and the 32-byte seed
    sealed with ChaCha20-Poly1305 under the derived key. The name and parameters are the
    associated data, so changing either (a cheaper N, another officer's name) breaks the seal."""
    params = params or current_kdf()
    salt = os.urandom(16)
    nonce = os.urandom(12)
    seed = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
    lines = [f"kdf: scrypt log2n={params.log2_n} r={params.r} p={params.p}",
             "salt: " + base64.b64encode(salt).decode("ascii"),
             "cipher: " + SEALED_CIPHER,
             "nonce: " + base64.b64encode(nonce).decode("ascii")]
    sealed = ChaCha20Poly1305(_derive(password, salt, params)).encrypt(nonce, seed, _sealed_aad(name, lines))
    body = [SEALED_BEGIN, *lines, "sealed: " + base64.b64encode(sealed).decode("ascii"), SEALED_END]
    return (KEY_HEADER + name + "\n" + "\n".join(body) + "\n").encode("utf-8")


def _sealed_aad(name: str, lines: list[str]) -> bytes:
    return (KEY_HEADER + name + "\n" + "\n".join(lines) + "\n").encode("utf-8")


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to a new file at `path` with exactly `mode`: never through a symlink, never
    over an existing file, never readable by others even for an instant."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise InputError(_("Cannot create key file {path}: {reason}. Choose another --out.").format(
            path=path, reason=exc.strerror)) from None
    try:
        os.fchmod(fd, mode)  # the umask may only take bits away; this makes the mode exact
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def public_key_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".pub")


def write_public_key_file(key: KeyFile) -> Path:
    """`KEYFILE.pub` beside a new key: its public key in base64, the file an officer hands to the
    admin who enrols it (`officer add --public-key FILE`). Public, so readable by all."""
    path = public_key_path(key.path)
    _create_exclusive(path, (base64.b64encode(key.public_key).decode("ascii") + "\n").encode("ascii"), 0o644)
    return path


def change_passphrase(path: str | os.PathLike, old: KeyFile | str, new: str) -> KeyFile:
    """Re-encrypt key file `path` under passphrase `new` with the current KDF. The new file is
    written beside it and renamed over it, so a crash leaves the old file or the new, never half."""
    path = Path(path)
    if path.is_symlink():
        raise InputError(_("Key file {path} is a symbolic link; re-encrypt the file it points to, {target}, "
                           "instead.").format(path=path, target=os.path.realpath(path)))
    key = old if isinstance(old, KeyFile) else load_key_file(path, old)
    check_new_passphrase(new)
    data = seal_private_key(key.private_key, key.name, _passphrase_bytes(new))
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    _create_exclusive(fresh, data, 0o600)
    try:
        os.replace(fresh, path)
    except OSError as exc:
        fresh.unlink(missing_ok=True)
        raise InputError(_("Cannot replace key file {path}: {reason}. Check the folder's permissions.").format(
            path=path, reason=exc.strerror)) from None
    try:
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        pass
    return KeyFile(path=path, name=key.name, private_key=key.private_key)


def _exists(path: Path) -> InputError:
    return InputError(_("Key file {path} already exists, and a key file is never overwritten. Choose another --out, "
                        "or move the old file away first if you mean to replace it.").format(path=path))


def read_key_name(path: str | os.PathLike) -> str:
    """The name a key file signs under, read without its passphrase."""
    return _read_key_file(Path(path))[0]


class WrongPassphrase(InputError):
    """The passphrase does not open the key file (a terminal may ask again)."""


def key_file_kdf(path: str | os.PathLike) -> KdfParams | None:
    """The scrypt parameters a key file records, or None for an old PKCS#8 file."""
    _name, body = _read_key_file(Path(path))
    if body.startswith(PEM_BEGIN.encode("ascii")):
        return None
    return _parse_sealed(Path(path), body)[0]


def load_key_file(path: str | os.PathLike, passphrase: str) -> KeyFile:
    """Open a key file written by `write_key_file`, or an older PKCS#8 one."""
    path = Path(path)
    name, body = _read_key_file(path)
    password = _passphrase_bytes(passphrase)
    if not body.startswith(PEM_BEGIN.encode("ascii")):
        params, fields, lines = _parse_sealed(path, body)
        try:
            seed = ChaCha20Poly1305(_derive(password, fields["salt"], params)).decrypt(
                fields["nonce"], fields["sealed"], _sealed_aad(name, lines))
        except InvalidTag:
            raise _wrong_passphrase(path) from None
        if len(seed) != 32:
            raise _not_a_key(path, _("it does not hold a passphrase-encrypted Ed25519 key"))
        return KeyFile(path=path, name=name, private_key=private_key_from_seed(seed))
    return _load_pkcs8(path, name, body, password)


def _wrong_passphrase(path: Path) -> InputError:
    return WrongPassphrase(_("The passphrase does not open key file {path}. Give the passphrase chosen when the key "
                             "was made: {how}.").format(path=path, how=_passphrase_how()))


def _parse_sealed(path: Path, body: bytes) -> tuple[KdfParams, dict, list[str]]:
    """scrypt's parameters, the salt, nonce and sealed seed of a key file, each checked, and the
    parameter lines as written (the associated data of the seal)."""
    lines = body.decode("ascii").strip("\n").split("\n")
    damaged = _("its key block is damaged or not of the form evidence writes")
    if len(lines) != 7 or lines[0] != SEALED_BEGIN or lines[-1] != SEALED_END:
        raise _not_a_key(path, damaged)
    params_lines = lines[1:5]
    fields: dict = {}
    for line in lines[1:6]:
        key, sep, value = line.partition(": ")
        if not sep or key in fields:
            raise _not_a_key(path, damaged)
        fields[key] = value
    if set(fields) != {"kdf", "salt", "cipher", "nonce", "sealed"} or fields["cipher"] != SEALED_CIPHER:
        raise _not_a_key(path, damaged)
    try:
        kind, *costs = fields["kdf"].split(" ")
        numbers = dict(item.split("=", 1) for item in costs)
        params = KdfParams(int(numbers.pop("log2n")), int(numbers.pop("r")), int(numbers.pop("p")))
        for name in ("salt", "nonce", "sealed"):
            fields[name] = base64.b64decode(fields[name], validate=True)
    except (ValueError, KeyError, binascii.Error):
        raise _not_a_key(path, damaged) from None
    if kind != "scrypt" or numbers or len(fields["nonce"]) != 12 or len(fields["salt"]) < 16:
        raise _not_a_key(path, damaged)
    if not (1 <= params.log2_n <= _MAX_LOG2_N and 1 <= params.r <= _MAX_R and 1 <= params.p <= _MAX_P
            and params.memory_bytes <= _MAX_SCRYPT_BYTES):
        raise _not_a_key(path, _("it asks for scrypt costs beyond any evidence writes"))
    return params, fields, params_lines


def _load_pkcs8(path: Path, name: str, pem: bytes, password: bytes) -> KeyFile:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except ValueError as exc:
        # cryptography tells a failed decryption from damaged data only in its message.
        if "password" not in str(exc).lower():
            raise _not_a_key(path, _("its key block is damaged or not of the form evidence writes")) from None
        raise _wrong_passphrase(path) from None
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
    if not (rest.startswith(PEM_BEGIN) or rest.startswith(SEALED_BEGIN)) or not rest.isascii():
        raise _not_a_key(path, _("no encrypted private key follows its first line"))
    _check_private(path)
    return name, rest.encode("ascii")
