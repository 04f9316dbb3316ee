"""Both Ed25519 verifiers (ledger.ed25519.ED25519_VERIFIERS: libsodium, which the program
uses, and OpenSSL through `cryptography`) give the same verdict on the same signatures: an
auditor's machine may have either, and a signature must not verify on one and fail on the other."""

from __future__ import annotations

import hashlib

import pytest

from ledger import ed25519 as keys
from ledger.identity.signing import verify_event_signature
from ledger.log.signatures import event_message

L = 2 ** 252 + 27742317777372353535851937790883648493  # the order of the base point


def _key(n: int):
    private = keys.private_key_from_seed(hashlib.sha256(b"backend test %d" % n).digest())
    return private, keys.public_key_bytes(private)


def _cases():
    """(what, public key, message, signature, verdict)."""
    private, public = _key(1)
    _other, other = _key(2)
    message = event_message(hashlib.sha256(b"leaf").digest(), "evidence.example/ledger-1")
    good = keys.sign(private, message)
    out = [("valid", public, message, good, True)]
    for bit in (0, 7, 255, 256, 511):  # in R, in S
        sig = bytearray(good)
        sig[bit // 8] ^= 1 << (bit % 8)
        out.append((f"signature bit {bit} flipped", public, message, bytes(sig), False))
    changed = bytearray(message)
    changed[-1] ^= 1
    out.append(("message bit flipped", public, message[:-1] + bytes(changed[-1:]), good, False))
    out.append(("wrong key", other, message, good, False))
    s = int.from_bytes(good[32:], "little")
    out.append(("non-canonical S (S + L)", public, message, good[:32] + (s + L).to_bytes(32, "little"), False))
    # A key of small order (the neutral point): with it, R = S*B "signs" any message under a
    # cofactorless check, and OpenSSL alone would accept it.
    one = (1).to_bytes(32, "little")
    base = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")  # B
    out.append(("small-order public key", bytes.fromhex("01" + "00" * 31), b"anything", base + one, False))
    out.append(("small-order public key, sign bit set", bytes.fromhex("01" + "00" * 30 + "80"), b"anything",
                base + one, False))
    # A small-order R with a real key.
    out.append(("small-order R", public, message, bytes(32) + good[32:], False))
    # A public key encoded with y >= p (not canonical).
    out.append(("non-canonical public key", bytes.fromhex("ee" + "ff" * 30 + "7f"), message, good, False))
    for n in range(3, 23):  # more valid ones, and each with another's key
        priv, pub = _key(n)
        msg = b"message %d" % n
        sig = keys.sign(priv, msg)
        out.append((f"valid {n}", pub, msg, sig, True))
        out.append((f"valid {n}, checked with key 1", public, msg, sig, False))
    return out


CASES = _cases()


@pytest.mark.parametrize("what,public,message,signature,verdict", CASES, ids=[c[0] for c in CASES])
def test_both_backends_give_the_same_verdict(what, public, message, signature, verdict):
    verdicts = {name: check(public, message, signature) for name, check in keys.ED25519_VERIFIERS.items()}
    assert set(verdicts) == {"libsodium", "openssl"}
    assert verdicts == {"libsodium": verdict, "openssl": verdict}
    assert keys.verify_signature(public, message, signature) is verdict


def test_the_program_verifies_with_libsodium():
    assert keys.uses("libsodium")


def test_event_signatures_verify_through_the_one_verifier():
    private, public = _key(1)
    leaf = hashlib.sha256(b"leaf").digest()
    sig = keys.sign(private, event_message(leaf, "origin"))
    assert verify_event_signature(public, leaf, sig, "origin")
    assert not verify_event_signature(public, leaf, sig, "another origin")
    assert not verify_event_signature(public, leaf, sig)


def test_the_small_order_list_is_libsodiums():
    from nacl.bindings import crypto_core_ed25519_is_valid_point

    for point in keys._SMALL_ORDER:
        assert not crypto_core_ed25519_is_valid_point(point)
    _private, public = _key(1)
    assert crypto_core_ed25519_is_valid_point(public) and not keys._small_order(public)


def test_the_bundles_verify_py_gives_the_same_verdicts_with_either_package(monkeypatch):
    """The bundle's verify.py checks with PyNaCl where the auditor has it, else with
    `cryptography`: same verdicts either way."""
    import sys

    from ledger import bundle_verify

    with_nacl = bundle_verify.ed25519_checker()
    monkeypatch.setitem(sys.modules, "nacl.bindings", None)  # as on a machine without PyNaCl
    without = bundle_verify.ed25519_checker()
    assert with_nacl is not None and without is not None
    for what, public, message, signature, verdict in CASES:
        assert (with_nacl(public, message, signature), without(public, message, signature)) == (verdict, verdict), what
