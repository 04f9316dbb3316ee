"""Ed25519: making and checking the signatures of the log's notes, of the events and of the acts.

The one home of the signature primitives, below the log (whose checkpoints carry signatures) and
below the identities that hold keys (ledger/identity): every signature in the program is made and
checked here, by `cryptography` (OpenSSL) and PyNaCl (libsodium).
"""

from __future__ import annotations

import os
import unicodedata

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.i18n import _

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_NAME_MAX = 128


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


# --------------------------------------------------------------------------- verification
# Two Ed25519 verifiers give the same verdict on every signature (tests/unit/test_ed25519_backends.py):
# libsodium's (PyNaCl), the faster here by about 1.7x (BENCHMARKS.md, "Ed25519 back-ends"), which
# every verification of the program uses, and OpenSSL's (`cryptography`), kept as the reference
# and for a reader without PyNaCl. Both refuse a non-canonical S; libsodium also refuses a public
# key or an R of small order (with such a key anyone can forge a signature that OpenSSL accepts)
# and a public key not canonically encoded, so the OpenSSL one refuses those too before it asks.
_P = 2 ** 255 - 19
# The encodings of the eight points of small order (sign bit cleared), as libsodium lists them.
_SMALL_ORDER = frozenset(bytes.fromhex(h) for h in (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"))


def _small_order(point: bytes) -> bool:
    return point[:31] + bytes((point[31] & 0x7F,)) in _SMALL_ORDER


def _verify_libsodium(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        _crypto_sign_open(signature + message, public_key)
    except _BadSignature:
        return False
    return True


_openssl_keys: dict[bytes, Ed25519PublicKey | None] = {}


def _verify_openssl(public_key: bytes, message: bytes, signature: bytes) -> bool:
    key = _openssl_keys.get(public_key, False)
    if key is False:
        key = None
        if not _small_order(public_key) and int.from_bytes(public_key, "little") & ((1 << 255) - 1) < _P:
            try:
                key = Ed25519PublicKey.from_public_bytes(public_key)
            except ValueError:
                key = None
        if len(_openssl_keys) < 4096:  # the officers' keys: a handful, each checked many times
            _openssl_keys[public_key] = key
    if key is None or _small_order(signature[:32]):
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


ED25519_VERIFIERS = {"libsodium": _verify_libsodium, "openssl": _verify_openssl}


def _verifier():
    """libsodium's verifier; OpenSSL's where EVIDENCE_ED25519_BACKEND=openssl asks for it (to
    measure one against the other: BENCHMARKS.md) or PyNaCl cannot be imported."""
    global _crypto_sign_open, _BadSignature
    if os.environ.get("EVIDENCE_ED25519_BACKEND") == "openssl":
        return _verify_openssl
    try:
        from nacl.bindings import crypto_sign_open
        from nacl.exceptions import BadSignatureError
    except ImportError:  # pragma: no cover - PyNaCl is a dependency; a broken install still verifies
        del ED25519_VERIFIERS["libsodium"]
        return _verify_openssl
    _crypto_sign_open, _BadSignature = crypto_sign_open, BadSignatureError
    return _verify_libsodium


_VERIFY = _verifier()


def uses(backend: str) -> bool:
    """Whether the program verifies with `backend` (a name of ED25519_VERIFIERS)."""
    return ED25519_VERIFIERS.get(backend) is _VERIFY


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the Ed25519 signature of `message` by `public_key` (libsodium's
    verdict; see ED25519_VERIFIERS)."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    return _VERIFY(public_key, message, signature)
