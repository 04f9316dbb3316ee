"""Checkpoints and signed notes against the published vectors of Go's golang.org/x/mod/sumdb/note,
so that a note evidence signs is one any C2SP tool verifies, and every refusal has its error."""

from __future__ import annotations

import base64

import pytest

from ledger.errors import InputError
from ledger.identity import keys
from ledger.log import note

# Test vectors copied from golang/mod, sumdb/note/note_test.go (TestSign, TestOpen, TestNewVerifier).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
             "ngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwn"
             "WLox33WWd1RvMc+QQ=\n")
SIGNED = TEXT + "\n" + PETER_SIG


def _go_signer_key(skey: str):
    """Go's private key text is PRIVATE+KEY+name+keyid+base64(0x01 || 32-byte seed)."""
    raw = base64.b64decode(skey.split("+", 4)[4])
    assert raw[0] == note.ED25519
    return keys.private_key_from_seed(raw[1:])


PETER = _go_signer_key(PETER_SKEY)
PETER_V = note.parse_verifier_key(PETER_VKEY)
ENOCH_V = note.parse_verifier_key(ENOCH_VKEY)


# --------------------------------------------------------------------------- the published vectors

def test_sign_reproduces_go_signature_exactly():
    assert note.sign_note(TEXT, "PeterNeumann", PETER) == SIGNED


def test_verifier_key_and_key_id_match_go():
    assert note.verifier_key("PeterNeumann", keys.public_key_bytes(PETER)) == PETER_VKEY
    assert PETER_V.name == "PeterNeumann" and PETER_V.key_id == 0xC74F20A3
    assert note.key_id("EnochRoot", ENOCH_V.public_key) == 0xAF0CFE78


def test_open_verifies_peter_and_lists_enoch_as_unknown():
    opened = note.open_note(SIGNED + ENOCH_SIG, [PETER_V])
    assert opened.text == TEXT
    assert opened.verified == ["PeterNeumann"]
    assert opened.unknown == [("EnochRoot", 0xAF0CFE78)]


def test_cosigned_note_verifies_with_both_keys():
    opened = note.open_note(SIGNED + ENOCH_SIG, [PETER_V, ENOCH_V])
    assert opened.verified == ["PeterNeumann", "EnochRoot"] and opened.unknown == []


def test_add_signature_keeps_existing_ones_and_verifies_with_both():
    other = keys.generate_private_key()
    other_v = note.parse_verifier_key(note.verifier_key("auditoria.example/aqp", keys.public_key_bytes(other)))
    cosigned = note.add_signature(SIGNED, "auditoria.example/aqp", other)
    assert cosigned.startswith(SIGNED)
    assert note.open_note(cosigned, [PETER_V, other_v]).verified == ["PeterNeumann", "auditoria.example/aqp"]
    assert note.open_note(cosigned, [other_v]).unknown == [("PeterNeumann", 0xC74F20A3)]
    # Signing again with a key already on the note adds nothing.
    assert note.add_signature(cosigned, "PeterNeumann", PETER) == cosigned


# --------------------------------------------------------------------------- refusals when opening

def test_tampered_text_is_a_bad_signature():
    with pytest.raises(note.BadSignature, match="PeterNeumann"):
        note.open_note(SIGNED.replace("answer", "Answer"), [PETER_V])


def test_wrong_key_with_the_same_name_and_id_is_a_bad_signature():
    impostor = note.Verifier("PeterNeumann", 0xC74F20A3, ENOCH_V.public_key)
    with pytest.raises(note.BadSignature):
        note.open_note(SIGNED, [impostor])


def test_signature_bytes_altered_is_a_bad_signature():
    # As Go's TestOpen: four base64 characters inserted inside the signature.
    with pytest.raises(note.BadSignature):
        note.open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [PETER_V])


def test_note_signed_only_by_unknown_keys_is_unverified():
    with pytest.raises(note.UnverifiedNote, match="EnochRoot"):
        note.open_note(TEXT + "\n" + ENOCH_SIG, [PETER_V])
    with pytest.raises(note.UnverifiedNote):
        note.open_note(SIGNED, [])


def test_same_name_other_key_id_is_unknown_not_trusted():
    # The spec: a signature sharing only the name of a known key is ignored, not verified.
    other_id = PETER_SIG.replace("x08g", "xxxx")
    with pytest.raises(note.UnverifiedNote):
        note.open_note(TEXT + "\n" + other_id, [PETER_V])


def test_duplicated_signature_line_is_malformed():
    with pytest.raises(note.MalformedNote, match="repeats line 1"):
        note.open_note(SIGNED + PETER_SIG, [PETER_V])


@pytest.mark.parametrize("signed", [
    TEXT,                                                     # no signatures
    TEXT + "\n",                                              # blank line, nothing after
    TEXT + "\n" + PETER_SIG[:-1],                             # last line cut short
    "\x01" + SIGNED,                                          # control character
    TEXT + "\n" + PETER_SIG.replace("x08go", "x08g*"),        # not base64
    TEXT + "\n" + PETER_SIG.replace("AM=\n", "AM\n"),         # base64 padding removed
    TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",               # shorter than a key id and a byte
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter Neumann"),
    TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
    TEXT + "\n" + PETER_SIG * (note.MAX_SIGNATURES + 1),
], ids=["unsigned", "blank-only", "cut", "control", "bad-base64", "no-padding", "short-sig", "space-name",
        "plus-name", "trailing-line", "hyphen", "too-many"])
def test_malformed_notes_are_refused(signed):
    with pytest.raises(note.MalformedNote):
        note.open_note(signed, [PETER_V])


def test_invalid_utf8_is_malformed():
    with pytest.raises(note.MalformedNote, match="UTF-8"):
        note.split_note(b"\xff" + SIGNED.encode())


def test_errors_are_input_errors_with_a_sentence():
    with pytest.raises(InputError) as caught:
        note.open_note(TEXT, [PETER_V])
    assert caught.value.exit_code == 1 and len(caught.value.render().split()) > 8


def test_two_trusted_keys_with_one_name_and_id_are_refused():
    impostor = note.Verifier("PeterNeumann", 0xC74F20A3, ENOCH_V.public_key)
    with pytest.raises(note.NoteError, match="share the name"):
        note.open_note(SIGNED, [PETER_V, impostor])


# --------------------------------------------------------------------------- signing refusals

@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "bell\x07\n"])
def test_sign_refuses_text_that_is_not_a_note(text):
    with pytest.raises(note.MalformedNote):
        note.sign_note(text, "PeterNeumann", PETER)


@pytest.mark.parametrize("name", ["", "Peter Neumann", "a+b", "tab\tname", "nbsp\u00a0name", "x" * 129])
def test_sign_refuses_names_a_note_cannot_hold(name):
    with pytest.raises(note.MalformedNote):
        note.sign_note(TEXT, name, PETER)


def test_add_signature_refuses_an_altered_signature_by_the_same_key():
    # The key's own earlier signature no longer matches: the text changed after signing.
    bad = SIGNED.replace("x08go/ZJkuBS9UG", "x08go/ZJkuBS9UH")
    with pytest.raises(note.BadSignature):
        note.add_signature(bad, "PeterNeumann", PETER)


# --------------------------------------------------------------------------- verifier keys

@pytest.mark.parametrize("vkey", [
    "",
    "PeterNeumann",
    "PeterNeumann+c74f20a3",
    "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",      # key id off by one
    "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",      # upper-case id
    "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",       # name changed
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",       # truncated key
    # From Go's TestNewVerifier: wrong key length and unknown algorithm, with adjusted key ids.
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
])
def test_malformed_verifier_keys_are_refused(vkey):
    with pytest.raises(note.MalformedVerifierKey):
        note.parse_verifier_key(vkey)


# --------------------------------------------------------------------------- checkpoints

ROOT = bytes(range(32))


def test_checkpoint_round_trip():
    cp = note.Checkpoint("evidence.example/arequipa", 20852163, ROOT, ("ext one",))
    text = cp.to_text()
    assert text == f"evidence.example/arequipa\n20852163\n{base64.b64encode(ROOT).decode()}\next one\n"
    assert note.parse_checkpoint(text) == cp
    assert note.parse_checkpoint(note.Checkpoint("o", 0, ROOT).to_text()).size == 0


def test_signed_checkpoint_opens_and_parses_back():
    cp = note.Checkpoint("evidence.example/arequipa", 44, ROOT)
    opened = note.open_note(note.sign_note(cp.to_text(), "PeterNeumann", PETER), [PETER_V])
    assert note.parse_checkpoint(opened.text) == cp


B64_ROOT = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize("text", [
    "",
    "origin\n12\n",                                   # no root
    f"origin\n12\n{B64_ROOT}",                        # no final newline
    f"\n12\n{B64_ROOT}\n",                            # empty origin
    f"origin\n012\n{B64_ROOT}\n",                     # leading zero
    f"origin\n-1\n{B64_ROOT}\n",
    f"origin\n+12\n{B64_ROOT}\n",
    f"origin\n1e3\n{B64_ROOT}\n",
    f"origin\n１２\n{B64_ROOT}\n",                    # full-width digits
    f"origin\n{2**64}\n{B64_ROOT}\n",
    f"origin\n12\n{base64.b64encode(ROOT[:31]).decode()}\n",          # 31-byte root
    f"origin\n12\n{base64.b64encode(ROOT + b'x').decode()}\n",        # 33-byte root
    f"origin\n12\n{B64_ROOT[:-1]}\n",                 # padding missing
    f"origin\n12\n{B64_ROOT}\n\n",                    # empty extension line
    f"origin\r\n12\n{B64_ROOT}\n",                    # carriage return
])
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(note.MalformedCheckpoint):
        note.parse_checkpoint(text)


@pytest.mark.parametrize("args", [("", 1, ROOT), ("o", -1, ROOT), ("o", 1, ROOT[:31]), ("o\nx", 1, ROOT),
                                  ("o", True, ROOT), ("o", 1, ROOT, ("",))])
def test_checkpoint_refuses_bad_fields(args):
    with pytest.raises(note.MalformedCheckpoint):
        note.Checkpoint(*args)
