#!/usr/bin/env python3
# ruff: noqa: T201  (a standalone script run by auditors: printing is its job)
"""Verify an evidence log bundle (format 2) offline, with the Python standard library alone.

    python3 verify.py DIR [--trust VERIFIER_KEY]... [--expect-head SEQ:HASH] [--since CHECKPOINT_FILE]
                          [--proof CONSISTENCY_PROOF_FILE]

Exit 0: every rule of docs/FORMAT.md sections 1, 4 and 5 holds. Exit 3: the findings are listed,
one per line. Exit 2: the command line is wrong. A bundle is hostile input: this file reads
only regular files inside DIR, never follows a link or opens a FIFO or device, bounds every
size and depth, and turns every problem into a finding instead of a crash. Ed25519
signatures are checked when PyNaCl or the `cryptography` package is importable; otherwise it
says so.
The rules of section 5 are the ledger's own rulebook (the package ledger.rules, standard library
only), whose source the export writes into RULEBOOK below: auditors run the very code the ledger
decides with. This file imports nothing else of the ledger.
"""

import base64
import binascii
import hashlib
import importlib.abc
import importlib.util
import json
import os
import re
import stat
import sys

FORMAT = 2
MAX_FILE = 1 << 30  # 1 GiB, any file
MAX_LINE = 1 << 20  # 1 MiB, a line of events.jsonl
# The small files have far smaller honest sizes; a larger one is refused before it is read.
SMALL_FILE = {"manifest.json": 64 * 1024, "checkpoint": 1 << 20, "HEAD": 1024, "SHA256SUMS": 64 * 1024,
              "README.txt": 1 << 20, "verify.py": 4 << 20, "consistency-proof": 64 * 1024, "case-index": 64 * 1024}
MAX_DEPTH = 32
# Events of an item's case that an items bundle holds though they name no item (FORMAT.md 4).
PROVENANCE_TYPES = ("case.opened", "seizure.recorded")
MAX_INT = 2 ** 53 - 1
MAX_PROOF = 64
MAX_SIGNATURES = 100
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
GENESIS = "0" * 64
ED25519 = 0x01
COSIGNATURE_V1 = 0x04  # a witness's timestamped cosignature (c2sp.org/tlog-cosignature)
PROOF_FILE = "consistency-proof"
MAX_CONSISTENCY = 63
SIGNATURE_PREFIX = "\u2014 "
ORIGIN_PREFIX = "evidence-ledger/"
BODY_KEYS = ("v", "seq", "type", "recorded_at", "occurred_at", "actor", "case", "items", "data")
MANIFEST_KEYS = {"format", "kind", "case", "tree_size", "events", "origin", "root"}
LINE_KEYS = {"full": {"seq", "salt", "body", "hash"}, "case": {"seq", "salt", "body", "proof"},
             "items": {"seq", "salt", "body", "proof"}}
# FORMAT.md 1.6: an officer's signature is Ed25519 over the context, and from the seq the log
# fixes the ledger's origin and a newline, then the event's leaf (ledger/log/signatures.py).
EVENT_SIGNATURE_CONTEXT = b"evidence-ledger event signature v1\n"
EVENT_SIGNATURE_CONTEXT_V2 = b"evidence-ledger event signature v2\n"
# Recorded by the program, unsigned even in the signed part of the log.
ORIGIN_BINDING = "identity.signatures_name_origin"
CASE_INDEX = "log.case_index"
NEVER_SIGNED = (ORIGIN_BINDING, CASE_INDEX)
INDEX_FILE = "case-index"
# FORMAT.md 4.2: a case's entry in the case index is keyed by SHA-256(this || the salt of its
# case.opened event); the ledger-wide entry by 32 zero bytes.
INDEX_KEY_CONTEXT = b"evidence-ledger case index key v1\n"
LEDGER_KEY = bytes(32)
COMMON_FILES = ("README.txt", "SHA256SUMS", "checkpoint", "events.jsonl", "manifest.json", "verify.py")
FILES = {"full": frozenset(COMMON_FILES + ("HEAD",)), "case": frozenset(COMMON_FILES + (INDEX_FILE,)),
         "items": frozenset(COMMON_FILES)}
HEX64 = re.compile(r"[0-9a-f]{64}")
TIME = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z")
SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
HEAD_LINE = re.compile(r"([1-9][0-9]{0,15}):([0-9a-f]{64})\n")


# The rulebook's modules, {module name: source}, written in by `evidence export log` and
# `evidence prove` (ledger.bundle.verifier_source). Empty in the ledger's own copy, which
# imports the installed package instead.
RULEBOOK = {}
RULEBOOK_PACKAGES = ("ledger", "ledger.rules")


class _Rulebook(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules in RULEBOOK to `import`, ahead of anything installed."""

    def find_spec(self, name, path=None, target=None):
        if name in RULEBOOK:
            return importlib.util.spec_from_loader(name, self, is_package=name in RULEBOOK_PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__spec__.name
        exec(compile(RULEBOOK[name], f"<verify.py: {name}>", "exec"), module.__dict__)  # noqa: S102


def load_rulebook():
    """The ledger.rules package: from RULEBOOK when this file carries it, else the installed one."""
    if RULEBOOK and not any(isinstance(f, _Rulebook) for f in sys.meta_path):
        sys.meta_path.insert(0, _Rulebook())
    import ledger.rules as rules

    return rules


class Bad(Exception):
    """One finding about one place of the bundle."""


class Usage(Exception):
    """The command line cannot be acted on (exit 2)."""


def show(value, limit=80):
    """A bundle's text shown safely: ASCII only (no lone surrogate can break the output), cut short."""
    text = ascii(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------- reading files

def open_regular(folder, name, limit):
    """A read-only file object for `name` in `folder`, or Bad: never a link, FIFO or device."""
    path = os.path.join(folder, name)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Bad(f"{name}: missing") from None
    except OSError as exc:
        raise Bad(f"{name}: cannot be examined ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise Bad(f"{name}: not a regular file (a link, folder, FIFO or device is never read)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Bad(f"{name}: cannot be opened ({exc.strerror})") from None
    try:
        # It may have been swapped for something else since the lstat: check what was opened.
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Bad(f"{name}: not a regular file")
        if info.st_size > limit:
            raise Bad(f"{name}: {info.st_size} bytes, more than the {limit} a bundle's {name} may have")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_small(folder, name):
    limit = SMALL_FILE[name]
    with open_regular(folder, name, limit) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Bad(f"{name}: larger than the {limit} bytes it may have")
    return data


def digest_of(folder, name):
    limit = SMALL_FILE.get(name, MAX_FILE)
    digest, total = hashlib.sha256(), 0
    with open_regular(folder, name, limit) as handle:
        while chunk := handle.read(1 << 16):
            total += len(chunk)
            if total > limit:
                raise Bad(f"{name}: larger than the {limit} bytes it may have")
            digest.update(chunk)
    return digest.hexdigest()


def utf8(data, where):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Bad(f"{where}: not valid UTF-8") from None


# --------------------------------------------------------------------------- strict canonical JSON

def _refuse_float(text):
    raise ValueError(f"the number {show(text, 30)} is not an integer")


def _refuse_constant(text):
    raise ValueError(f"{text} is not JSON")


def _bounded_int(text):
    # Checked on the text first, so a million-digit number is never converted.
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_INT:
        raise ValueError(f"the integer {show(text, 30)} is outside -(2^53-1)..2^53-1")
    return int(text)


def _unique_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"the key {show(key, 40)} appears twice")
        obj[key] = value
    return obj


_DECODER = json.JSONDecoder(parse_float=_refuse_float, parse_int=_bounded_int, parse_constant=_refuse_constant,
                            object_pairs_hook=_unique_keys)


def nesting(text):
    """The deepest nesting of arrays and objects, counted before parsing so that no hostile
    depth ever reaches the parser's recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def has_surrogate(value):
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return any(has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    return False


def canonical(value):
    """FORMAT.md 1.1: RFC 8785 for the values a body holds."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def parse_canonical(data, where):
    """The JSON value of `data` (bytes), which must be exactly its own canonical form."""
    text = utf8(data, where)
    if nesting(text) > MAX_DEPTH:
        raise Bad(f"{where}: nested deeper than {MAX_DEPTH} levels")
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise Bad(f"{where}: not strict JSON ({show(str(exc), 120)})") from None
    if has_surrogate(value):
        raise Bad(f"{where}: holds a lone surrogate (\\ud800-\\udfff), which is not text")
    if canonical(value) != data:
        raise Bad(f"{where}: not canonical JSON (FORMAT.md 1.1: sorted keys, no spaces, raw UTF-8, "
                  "integers only)")
    return value


def is_int(value):
    return type(value) is int


def check_body(body, seq, where):
    """FORMAT.md section 1: the nine keys with their types."""
    if not isinstance(body, dict):
        raise Bad(f"{where}: the body is not a JSON object")
    keys = set(body)
    if keys != set(BODY_KEYS):
        extra, missing = sorted(keys - set(BODY_KEYS)), sorted(set(BODY_KEYS) - keys)
        raise Bad(f"{where}: the body's keys are not the nine of FORMAT.md 1"
                  + (f"; extra {show(extra)}" if extra else "") + (f"; missing {missing}" if missing else ""))
    if not is_int(body["v"]) or body["v"] not in (1, 2):
        raise Bad(f"{where}: v is {show(body['v'])}, not 1 or 2")
    if not is_int(body["seq"]) or body["seq"] != seq:
        raise Bad(f"{where}: the body's seq {show(body['seq'])} is not the line's seq {seq}")
    if not isinstance(body["type"], str) or not body["type"]:
        raise Bad(f"{where}: type is not a non-empty string")
    for key in ("recorded_at", "occurred_at"):
        if not isinstance(body[key], str) or not TIME.fullmatch(body[key]):
            raise Bad(f"{where}: {key} {show(body[key])} is not of the form YYYY-MM-DDTHH:MM:SSZ")
    for key in ("actor", "case"):
        if body[key] is not None and not isinstance(body[key], str):
            raise Bad(f"{where}: {key} is neither a string nor null")
    if not isinstance(body["items"], list) or not all(isinstance(i, str) for i in body["items"]):
        raise Bad(f"{where}: items is not an array of strings")
    if not isinstance(body["data"], dict):
        raise Bad(f"{where}: data is not an object")


# --------------------------------------------------------------------------- the tree (RFC 6962 / 9162)

def hash_leaf(salt, body):
    return hashlib.sha256(LEAF_PREFIX + salt + body).digest()


def hash_children(left, right):
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


class Edge:
    """The roots of the perfect subtrees of the leaves so far: enough for the root of the
    tree of every prefix, with O(log n) memory."""

    def __init__(self):
        self.size = 0
        self.nodes = []  # (width, hash), widths strictly decreasing

    def append(self, leaf):
        width, node = 1, leaf
        while self.nodes and self.nodes[-1][0] == width:
            node = hash_children(self.nodes.pop()[1], node)
            width *= 2
        self.nodes.append((width, node))
        self.size += 1

    def root(self):
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        node = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            node = hash_children(left, node)
        return node


def inclusion_root(leaf, index, size, proof):
    """RFC 9162 2.1.3.2: the root that `proof` leads to from `leaf` at `index`, or Bad."""
    if not 0 <= index < size:
        raise Bad(f"leaf index {index} is not inside a tree of {size}")
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise Bad("the proof is longer than the path from the leaf to the root")
        if fn & 1 or fn == sn:
            node = hash_children(sibling, node)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            node = hash_children(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Bad("the proof is shorter than the path from the leaf to the root")
    return node


# --------------------------------------------------------------------------- checkpoints and notes

def b64(text):
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def key_id(name, public_key, kind=ED25519):
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public_key).digest()[:4]


def good_name(name):
    return bool(name) and len(name) <= 128 and all(" " < ch != "+" for ch in name) and not has_surrogate(name)


def parse_verifier_key(text):
    parts = text.split("+")
    if len(parts) < 3:
        raise Usage(f"--trust {show(text)} is not NAME+KEYID+KEY")
    name, hex_id, encoded = parts[0], parts[1], "+".join(parts[2:])
    raw = b64(encoded)
    if not good_name(name) or not re.fullmatch(r"[0-9a-f]{8}", hex_id) or raw is None or len(raw) != 33 \
            or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise Usage(f"--trust {show(text)} is not NAME+KEYID+base64(0x01 or 0x04 || 32-byte Ed25519 key)")
    if key_id(name, raw[1:], raw[0]).hex() != hex_id:
        raise Usage(f"--trust {show(text)}: the key id does not match the name and key (altered or mistyped)")
    return name, bytes.fromhex(hex_id), raw[1:], raw[0]


def split_note(text, where):
    """(checkpoint text, [(name, key id, signature)]) of a signed note, or of a bare checkpoint."""
    if not text.endswith("\n"):
        raise Bad(f"{where}: does not end with a newline")
    for ch in text:
        if ch != "\n" and (ch < " " or "\ud800" <= ch <= "\udfff"):
            raise Bad(f"{where}: holds the control character U+{ord(ch):04X}")
    cut = text.find("\n\n")
    if cut < 0:
        return text, []
    body, block = text[:cut + 1], text[cut + 2:]
    lines = block[:-1].split("\n") if block else []
    if not lines or len(lines) > MAX_SIGNATURES:
        raise Bad(f"{where}: {len(lines)} signature lines after the blank line (1 to {MAX_SIGNATURES} expected)")
    signatures = []
    for number, line in enumerate(lines, start=1):
        fields = line[len(SIGNATURE_PREFIX):].split(" ") if line.startswith(SIGNATURE_PREFIX) else []
        blob = b64(fields[1]) if len(fields) == 2 else None
        # Any signature type: a line of a key nobody trusts is only parsed, then ignored.
        if blob is None or len(blob) < 4 + 1 or not good_name(fields[0]):
            raise Bad(f"{where}: signature line {number} is not '\u2014 NAME base64(KEYID || SIGNATURE)'")
        signatures.append((fields[0], blob[:4], blob[4:]))
    return body, signatures


def parse_checkpoint(text, where):
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise Bad(f"{where}: the checkpoint has {len(lines)} lines, not at least 3 (origin, size, root)")
    origin, size, root, *extensions = lines
    if not all(extensions):
        raise Bad(f"{where}: an extension line (after the root) is empty")
    if not origin:
        raise Bad(f"{where}: the origin line is empty")
    if not SIZE.fullmatch(size) or int(size) > MAX_INT:
        raise Bad(f"{where}: the size {show(size)} is not a decimal count of leaves")
    raw = b64(root)
    if raw is None or len(raw) != 32:
        raise Bad(f"{where}: the root {show(root)} is not the base64 of 32 bytes")
    return origin, int(size), raw


# The encodings of Ed25519's points of small order, sign bit cleared (libsodium's list): a
# public key or an R among them is refused, as libsodium refuses it (ledger/ed25519.py).
SMALL_ORDER = {bytes.fromhex(h) for h in (
    "00" * 32, "01" + "00" * 31,
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ec" + "ff" * 30 + "7f", "ed" + "ff" * 30 + "7f", "ee" + "ff" * 30 + "7f")}


def ed25519_checker():
    """Ed25519 verification by PyNaCl (libsodium) where it is installed, else by `cryptography`
    (OpenSSL) with libsodium's refusals of small-order and non-canonical points; None without
    either."""
    try:
        from nacl.bindings import crypto_sign_open
        from nacl.exceptions import BadSignatureError

        def check(public_key, message, signature):
            if len(public_key) != 32 or len(signature) != 64:
                return False
            try:
                crypto_sign_open(signature + message, public_key)
                return True
            except BadSignatureError:
                return False
        return check
    except Exception:  # noqa: BLE001, S110 - absent or broken: try the other
        pass
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except Exception:  # noqa: BLE001 - absent or broken, either way it cannot check
        return None

    def small(point):
        return point[:31] + bytes((point[31] & 0x7F,)) in SMALL_ORDER

    def check(public_key, message, signature):  # noqa: F811 - the fallback
        if len(public_key) != 32 or len(signature) != 64 or small(public_key) or small(signature[:32]):
            return False
        if int.from_bytes(public_key, "little") & ((1 << 255) - 1) >= 2 ** 255 - 19:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False
    return check


def check_signatures(text, signatures, trusted, where, report):
    """With --trust: a trusted key's signature must be on the note and verify."""
    if not trusted:
        if signatures:
            report.notes.append(f"{where}: {len(signatures)} signature(s) not checked (no --trust key given)")
        return
    check = ed25519_checker()
    if check is None:
        report.notes.append(f"{where}: signatures were NOT checked: the Python package 'cryptography' is not "
                            "installed (pip install cryptography, then run this again)")
        return
    good = []
    for name, kid, signature in signatures:
        for t_name, t_id, public_key, kind in trusted:
            if (name, kid) == (t_name, t_id):
                if signature_verifies(check, public_key, kind, text, signature):
                    good.append(name)
                    if kind == COSIGNATURE_V1:
                        report.notes.append(f"{where}: cosigned by witness {show(name)} at POSIX time "
                                            f"{int.from_bytes(signature[:8], 'big')}")
                else:
                    report.findings.append(f"{where}: the signature by {show(name)} ({kid.hex()}) does not verify")
    if not good:
        signers = ", ".join(f"{show(n)}+{k.hex()}" for n, k, _ in signatures) or "nobody"
        report.findings.append(f"{where}: no trusted key signed it (signed by {signers})")
    else:
        report.notes.append(f"{where}: signed by trusted {', '.join(sorted(set(good)))}")


def signature_verifies(check, public_key, kind, text, signature):
    """Ed25519 (type 0x01) over the note text, or a tlog-cosignature/v1 (type 0x04): an 8-byte
    big-endian POSIX time, then Ed25519 over "cosignature/v1\ntime T\n" and the note text."""
    if kind == ED25519:
        return len(signature) == 64 and check(public_key, text.encode("utf-8"), signature)
    if len(signature) != 8 + 64 or int.from_bytes(signature[:8], "big") >= 1 << 63:
        return False
    timestamp = int.from_bytes(signature[:8], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    return check(public_key, message, signature[8:])


# --------------------------------------------------------------------------- consistency proofs

def consistency_roots(old_size, new_size, old_root, proof):
    """RFC 9162 2.1.4.2: the (old, new) roots `proof` leads to from `old_root`, or Bad."""
    if not 0 < old_size < new_size:
        raise Bad(f"a consistency proof from {old_size} to {new_size} leaves is not one of a growing tree")
    if old_size & (old_size - 1) == 0:
        proof = [old_root] + list(proof)
    if not proof:
        raise Bad("the consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise Bad("the consistency proof is longer than the trees need")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Bad("the consistency proof is shorter than the trees need")
    return fr, sr


def parse_proof(text, where):
    """(old size, [hashes], (origin, size, root)) of a consistency proof file (FORMAT.md 1.4.1)."""
    if not text.endswith("\n") or "\n\n" not in text:
        raise Bad(f"{where}: not an 'old SIZE' line, hashes, a blank line and a checkpoint")
    head, rest = text.split("\n\n", 1)
    lines = head.split("\n")
    match = re.fullmatch(r"old (0|[1-9][0-9]{0,15})", lines[0])
    if not match:
        raise Bad(f"{where}: line 1 is not 'old SIZE'")
    if len(lines) - 1 > MAX_CONSISTENCY:
        raise Bad(f"{where}: more than {MAX_CONSISTENCY} hash lines")
    hashes = []
    for number, line in enumerate(lines[1:], start=2):
        raw = b64(line)
        if raw is None or len(raw) != 32:
            raise Bad(f"{where}: line {number} is not the base64 of a 32-byte hash")
        hashes.append(raw)
    body, _signatures = split_note(rest, where)
    return int(match.group(1)), hashes, parse_checkpoint(body, where)


def check_consistency(text, where, checkpoint, since, report):
    """The proof in `text` leads to the bundle's checkpoint and, with --since, from that
    checkpoint's root: the log only grew between the two."""
    old_size, hashes, target = parse_proof(text, where)
    origin, size, root = checkpoint
    if target != checkpoint:
        raise Bad(f"{where}: it leads to size {target[1]} root {target[2].hex()}, not to this bundle's checkpoint "
                  f"(size {size} root {root.hex()})")
    if since is None:
        report.notes.append(f"{where}: a consistency proof from size {old_size}, not checked: give --since with "
                            "your checkpoint of that size")
        return
    if since[1] != old_size:
        raise Bad(f"{where}: it starts at size {old_size}, but the --since checkpoint has size {since[1]}")
    if old_size in (0, size):
        good = not hashes and (since[2] == root if old_size == size else since[2] == hashlib.sha256(b"").digest())
    else:
        try:
            good = consistency_roots(old_size, size, since[2], hashes) == (since[2], root)
        except Bad:
            good = False
    if not good:
        raise Bad(f"{where}: it does not lead from the --since root {since[2].hex()} (size {old_size}) to this "
                  f"bundle's root {root.hex()} (size {size}): the log was rewritten or forked, or the proof changed")
    report.notes.append(f"{where}: the log of {size} leaves extends the --since checkpoint of {old_size} "
                        "(consistency proof checked)")


# --------------------------------------------------------------------------- the bundle

class Report:
    def __init__(self):
        self.findings = []
        self.notes = []
        self.summary = ""


def list_folder(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise Usage(f"{show(folder)} cannot be listed as a folder ({exc.strerror})") from None


def read_manifest(folder):
    data = read_small(folder, "manifest.json")
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise Bad("manifest.json: not one line of JSON ending in a newline")
    manifest = parse_canonical(data[:-1], "manifest.json")
    if not isinstance(manifest, dict):
        raise Bad("manifest.json: not a JSON object")
    kind = manifest.get("kind")
    if kind not in FILES:
        raise Bad(f"manifest.json: kind {show(kind)} is not \"full\", \"case\" or \"items\"")
    wanted = MANIFEST_KEYS | ({"items"} if kind == "items" else set())
    if set(manifest) != wanted:
        raise Bad(f"manifest.json: its keys are not exactly {sorted(wanted)}")
    if not is_int(manifest["format"]) or manifest["format"] != FORMAT:
        raise Bad(f"manifest.json: format {show(manifest['format'])} is not {FORMAT}")
    for key in ("tree_size", "events"):
        if not is_int(manifest[key]) or manifest[key] < 0:
            raise Bad(f"manifest.json: {key} is not a count")
    if not isinstance(manifest["origin"], str) or not manifest["origin"]:
        raise Bad("manifest.json: origin is not a string")
    if not isinstance(manifest["root"], str) or not HEX64.fullmatch(manifest["root"]):
        raise Bad("manifest.json: root is not 64 lowercase hex digits")
    if kind == "full" and manifest["case"] is not None:
        raise Bad("manifest.json: a full bundle's case must be null")
    if kind == "case" and (not isinstance(manifest["case"], str) or not manifest["case"]):
        raise Bad("manifest.json: a case bundle names no case")
    if kind == "items":
        items = manifest["items"]
        if manifest["case"] is not None or not isinstance(items, list) or not items \
                or not all(isinstance(i, str) and i for i in items) or items != sorted(set(items)):
            raise Bad("manifest.json: an items bundle has case null and items a sorted array of distinct ids")
    return manifest


def check_sums(folder, expected, report):
    data = read_small(folder, "SHA256SUMS")
    text = utf8(data, "SHA256SUMS")
    if not text.endswith("\n"):
        raise Bad("SHA256SUMS: does not end with a newline")
    listed = []
    for number, line in enumerate(text[:-1].split("\n"), start=1):
        match = re.fullmatch(r"([0-9a-f]{64})  ([A-Za-z0-9._-]{1,64})", line)
        if not match:
            report.findings.append(f"SHA256SUMS line {number}: not 'HEX  NAME' (64 lowercase hex, two spaces)")
            continue
        listed.append((match.group(2), match.group(1)))
    names = [name for name, _ in listed]
    if names != sorted(set(names)):
        report.findings.append("SHA256SUMS: names are not sorted, or one is listed twice")
    others = sorted(expected - {"SHA256SUMS"})
    for name in sorted(set(names) - set(others)):
        report.findings.append(f"SHA256SUMS: lists {show(name)}, which is not a file of this bundle (not read)")
    for name in others:
        if name not in names:
            report.findings.append(f"SHA256SUMS: does not list {name}")
    return {name: digest for name, digest in listed if name in others}


def read_lines(folder, report, on_line):
    """Stream events.jsonl: each line (without its newline) to `on_line`; returns its SHA-256."""
    digest = hashlib.sha256()
    with open_regular(folder, "events.jsonl", MAX_FILE) as handle:
        number = 0
        while True:
            line = handle.readline(MAX_LINE + 2)
            if not line:
                break
            number += 1
            digest.update(line)
            if len(line) > MAX_LINE + 1 or (not line.endswith(b"\n") and len(line) > MAX_LINE):
                # Skip the rest of an overlong line without holding it.
                while line and not line.endswith(b"\n"):
                    line = handle.readline(1 << 20)
                    digest.update(line)
                raise Bad(f"events.jsonl line {number}: longer than {MAX_LINE} bytes")
            if not line.endswith(b"\n"):
                raise Bad(f"events.jsonl line {number}: the file does not end with a newline")
            on_line(number, line[:-1])
    return number, digest.hexdigest()


def check_events(folder, manifest, checkpoint_root, report, since):
    kind = manifest["kind"]
    size = manifest["tree_size"]
    state = {"prev": GENESIS, "seq": 0, "v2": False, "edge": Edge(), "head": None, "first_leaf": None,
             "since_root": None, "case": [0, 0], "ledger": [0, 0], "key": None, "index": None}
    keys = LINE_KEYS[kind]
    items = set(manifest.get("items") or ())
    rules = load_rulebook()
    signed = Signatures(report, manifest["origin"])
    book = rules.State()
    if kind == "full":
        book.edge = state["edge"]  # an audit's sample is drawn from the root right after its start
    else:
        book.every_case = False  # a case index is checked by its entries instead (check_complete)

    def on_line(number, raw):
        where = f"events.jsonl line {number}"
        line = parse_canonical(raw, where)
        if not isinstance(line, dict) or set(line) - {"signatures", "act"} != keys or (
                "act" in line and kind == "full"):
            raise Bad(f"{where}: its keys are not exactly {sorted(keys | {'signatures'})}"
                      + ("" if kind == "full" else " (and 'act' for an event of an act of several)"))
        seq = line["seq"]
        if not is_int(seq) or not 1 <= seq <= size:
            raise Bad(f"{where}: seq {show(seq)} is not between 1 and the tree size {size}")
        where = f"{where} (seq {seq})"
        if kind == "full" and seq != state["seq"] + 1:
            raise Bad(f"{where}: expected seq {state['seq'] + 1} (a full bundle has every event, in order)")
        if seq <= state["seq"]:
            raise Bad(f"{where}: seq does not increase (the line before was seq {state['seq']})")
        if not isinstance(line["salt"], str) or not HEX64.fullmatch(line["salt"]):
            raise Bad(f"{where}: salt is not 64 lowercase hex digits")
        if not isinstance(line["body"], str):
            raise Bad(f"{where}: body is not a JSON string")
        body_bytes = line["body"].encode("utf-8")
        body = parse_canonical(body_bytes, f"{where} body")
        check_body(body, seq, where)
        if body["v"] == 2:
            state["v2"] = True
        elif state["v2"]:
            raise Bad(f"{where}: v 1 after an event of v 2")
        leaf = hash_leaf(bytes.fromhex(line["salt"]), body_bytes)
        signed.check(seq, body, leaf, line.get("signatures"), where, line.get("act"), kind == "full")
        if seq == 1:
            state["first_leaf"] = leaf
        if kind == "full":
            digest = line["hash"]
            if not isinstance(digest, str) or not HEX64.fullmatch(digest):
                raise Bad(f"{where}: hash is not 64 lowercase hex digits")
            computed = hashlib.sha256(state["prev"].encode("ascii") + body_bytes).hexdigest()
            if computed != digest:
                raise Bad(f"{where}: hash {digest} is not SHA-256(previous hash || body) = {computed}")
            if report.expect_head and report.expect_head[0] == seq and report.expect_head[1] != digest:
                raise Bad(f"--expect-head: event {seq} has hash {digest}, not {report.expect_head[1]}: "
                          "this is not the log whose head you kept")
            state["prev"] = digest
            state["edge"].append(leaf)
            if since is not None and seq == since[1]:
                state["since_root"] = state["edge"].root()
            check_rules(rules, book, body, digest, where, report, line["salt"])
        else:
            if body["case"] is not None:
                if kind == "case" and body["case"] != manifest["case"]:
                    raise Bad(f"{where}: the body's case {show(body['case'])} is not the bundle's case")
                if kind == "items" and not items.intersection(body["items"]) and (
                        body["items"] or body["type"] not in PROVENANCE_TYPES):
                    raise Bad(f"{where}: the event names none of the bundle's items")
            proof = line["proof"]
            if not isinstance(proof, list) or len(proof) > MAX_PROOF or \
                    not all(isinstance(p, str) and HEX64.fullmatch(p) for p in proof):
                raise Bad(f"{where}: proof is not an array of at most {MAX_PROOF} hashes in lowercase hex")
            root = inclusion_root(leaf, seq - 1, size, [bytes.fromhex(p) for p in proof])
            if root != checkpoint_root:
                raise Bad(f"{where}: the inclusion proof leads to root {root.hex()}, not the checkpoint's "
                          f"{checkpoint_root.hex()}: the salt, the body or the proof was changed")
            if kind == "items":  # the other items an event names have no history in this bundle
                body = dict(body, items=[i for i in body["items"] if i in items])
            if kind == "case":
                count_for_index(state, seq, size, body, line["salt"], manifest["case"])
            check_rules(rules, book, body, "", where, report, line["salt"])
        state["seq"] = seq

    count, digest = read_lines(folder, report, on_line)
    signed.finish()
    if count != manifest["events"]:
        report.findings.append(f"manifest.json: events is {manifest['events']}, but events.jsonl has {count} lines")
    if kind == "full":
        if state["seq"] != size:
            report.findings.append(f"events.jsonl: ends at seq {state['seq']}, but the tree size is {size}")
        elif state["edge"].root() != checkpoint_root:
            report.findings.append(f"events.jsonl: the root of its leaves {state['edge'].root().hex()} is not the "
                                   f"checkpoint's root {checkpoint_root.hex()}")
        state["head"] = f"{state['seq']}:{state['prev']}"
    return state, digest


def check_rules(rules, book, body, digest, where, report, salt=""):
    """FORMAT.md section 5: the event against the rulebook's state so far, then applied to it.
    A case bundle holds its case's events and every ledger-wide one (officers, keys, places,
    rates), which is all its rules read."""
    for problem in rules.step(book, rules.Event.from_body(body, digest, salt)):
        item = f" {problem.item}" if problem.item else ""
        report.findings.append(f"{where}{item}: breaks rule {problem.rule}: {problem.message}")


# --------------------------------------------------------------------------- complete disclosure

def count_for_index(state, seq, size, body, salt, case):
    """What a case bundle's completeness is checked on (FORMAT.md 4.2): its case's events and the
    ledger-wide ones before the case index, the key of its case's entry (from the salt of the
    case.opened event that opens it; the last, as the rulebook keeps it), and the index itself."""
    if seq == size:
        if body["type"] == CASE_INDEX and body["case"] is None:
            state["index"] = body["data"]
        return
    counted = state["case"] if body["case"] is not None else state["ledger"]
    counted[0] += 1
    counted[1] = seq
    if body["type"] == "case.opened" and body["data"].get("case_no") == case:
        state["key"] = hashlib.sha256(INDEX_KEY_CONTEXT + bytes.fromhex(salt)).digest()


def index_entry_leaf(key, case, count, last):
    """SHA-256(0x00 || key || {"case":…,"events":…,"last":…} in canonical JSON)."""
    return hash_leaf(key, canonical({"case": case, "events": count, "last": last}))


def read_index_file(folder):
    data = read_small(folder, INDEX_FILE)
    if not data.endswith(b"\n") or data.count(b"\n") != 1:
        raise Bad(f"{INDEX_FILE}: not one line of JSON ending in a newline")
    doc = parse_canonical(data[:-1], INDEX_FILE)
    if not isinstance(doc, dict) or set(doc) != {"case", "ledger"}:
        raise Bad(f"{INDEX_FILE}: not an object with exactly the keys case and ledger")
    for name in ("case", "ledger"):
        entry = doc[name]
        if not isinstance(entry, dict) or set(entry) != {"events", "index", "last", "path"} \
                or not all(is_int(entry[k]) and entry[k] >= 0 for k in ("events", "index", "last")) \
                or not isinstance(entry["path"], list) or len(entry["path"]) > MAX_PROOF \
                or not all(isinstance(p, str) and HEX64.fullmatch(p) for p in entry["path"]):
            raise Bad(f"{INDEX_FILE}: its {name} entry is not {{events, index, last, path}} (counts, and at most "
                      f"{MAX_PROOF} hashes in lowercase hex)")
    return doc


def check_complete(folder, manifest, state, report):
    """FORMAT.md 4.2: the checkpoint's last leaf is a case index; the case's entry and the
    ledger-wide entry of case-index lead to its root; and the bundle holds exactly the events
    they count, the last of each at the seq they name. A removed event is a finding."""
    size, case = manifest["tree_size"], manifest["case"]
    named = case if case.isascii() and case.isprintable() and len(case) <= 64 else show(case)
    index = state["index"]
    if index is None:
        report.findings.append(f"events.jsonl: its last event is not a {CASE_INDEX} event at seq {size}, the "
                               "checkpoint's last leaf: nothing shows that the bundle holds every event of the case")
        return
    try:
        doc = read_index_file(folder)
    except Bad as exc:
        report.findings.append(str(exc))
        return
    root, entries = index.get("root"), index.get("entries")
    if not isinstance(root, str) or not HEX64.fullmatch(root) or not is_int(entries) or entries < 1:
        report.findings.append(f"events.jsonl line of seq {size}: the case index has no root and entries")
        return
    if state["key"] is None:
        report.findings.append(f"events.jsonl: no case.opened event of case {named}, whose salt keys the "
                               "case's entry in the case index: the bundle does not hold the opening of its case")
    before = len(report.findings)
    for name, key, label, held in (("case", state["key"] or LEDGER_KEY, case, state["case"]),
                                   ("ledger", LEDGER_KEY, None, state["ledger"])):
        entry = doc[name]
        what = f"case {named}" if name == "case" else "the ledger"
        leaf = index_entry_leaf(key, label, entry["events"], entry["last"])
        try:
            good = inclusion_root(leaf, entry["index"], entries, [bytes.fromhex(p) for p in entry["path"]]) \
                == bytes.fromhex(root)
        except Bad:
            good = False
        if not good:
            report.findings.append(f"{INDEX_FILE}: the entry of {what} ({entry['events']} events, the last at seq "
                                   f"{entry['last']}) does not lead to the root of the case index at seq {size}: its "
                                   "counts, its path or the case's opening were changed")
            continue
        if entry["events"] != held[0]:
            whose = f"case {named} has" if name == "case" else "the ledger has"
            kind = "events" if name == "case" else "ledger-wide events"
            report.findings.append(f"{whose} {entry['events']} {kind} below seq {size} but the bundle holds "
                                   f"{held[0]}: events were removed from the bundle")
        elif entry["last"] != held[1]:
            report.findings.append(f"{INDEX_FILE}: the last event of {what} below seq {size} is seq {entry['last']}, "
                                   f"but the bundle's is seq {held[1]}: events were removed or replaced")
    if len(report.findings) == before:
        report.notes.append(f"complete: the bundle holds all {state['case'][0]} events of case {named} and all "
                            f"{state['ledger'][0]} ledger-wide events below the case index at seq {size}")


class Signatures:
    """FORMAT.md 1.6: from the seq the log says events are signed from, every event carries a
    signature by its actor and by each co-signer its body names, made with a key enrolled for
    that officer (by an event of the bundle) and not revoked before that seq, over the leaf
    and, from the seq the log fixes, the ledger's origin (the checkpoint's)."""

    def __init__(self, report, origin):
        self.report = report
        self.origin = origin
        self.keys = {}  # key id -> [badge, public key, added seq, revoked seq]
        self.start = None
        self.origin_from = None
        self.check_sig = ed25519_checker()
        self.checked = 0
        self.pending = []  # a full bundle's events of an act whose signatures are still to come
        self.verdicts = {}  # an act's signature, checked once for all the bundle's events of it

    def learn(self, seq, body):
        kind, data = body["type"], body["data"]
        key = data.get("key") if kind in ("identity.initialized", "officer.added", "officer.key_added") else None
        if isinstance(key, dict) and isinstance(key.get("key_id"), str) and isinstance(key.get("public_key"), str):
            try:
                self.keys[key["key_id"]] = [data.get("badge"), bytes.fromhex(key["public_key"]), seq, None]
            except ValueError:
                pass
        if kind == "officer.key_revoked" and data.get("key_id") in self.keys:
            self.keys[data["key_id"]][3] = seq
        if kind == "identity.initialized" and self.start is None and is_int(data.get("signatures_from")):
            self.start = data["signatures_from"]
        if kind == "identity.signatures_required" and self.start is None and is_int(data.get("from")):
            self.start = data["from"]
        if self.origin_from is None:
            if kind == "identity.initialized" and data.get("signatures_name_origin") is True:
                self.origin_from = seq
            elif kind == ORIGIN_BINDING:
                self.origin_from = seq + 1

    def message(self, seq, leaf):
        if self.origin_from is None or seq < self.origin_from:
            return EVENT_SIGNATURE_CONTEXT + leaf
        return EVENT_SIGNATURE_CONTEXT_V2 + self.origin.encode("utf-8") + b"\n" + leaf

    def check(self, seq, body, leaf, signatures, where, act=None, full=False):
        self.learn(seq, body)
        if self.start is None or seq < self.start or body["type"] in NEVER_SIGNED:
            if signatures or act is not None:
                self.report.findings.append(f"{where}: carries signatures, but events before the signed part of "
                                            "the log, and those the program records, are not signed")
            self.flush_unsigned()
            return
        if not isinstance(signatures, list) or not all(
                isinstance(s, dict) and set(s) == {"key_id", "signature", "signer"} for s in signatures):
            self.report.findings.append(f"{where}: has no list of signatures ({{key_id, signature, signer}} each), "
                                        "but every event of the signed part of the log is signed")
            return
        data = body["data"]
        need = [body["actor"]] if body["actor"] else []
        for badge in data.get("cosigners") or []:
            if badge not in need:
                need.append(badge)
        if not need:
            self.report.findings.append(f"{where}: names no officer who signed it")
            self.flush_unsigned()
            return
        if act is not None:  # one of the bundle's events of an act of several (FORMAT.md 1.6.1, 4)
            self.check_in_act(seq, leaf, need, signatures, act, where)
            return
        if full and not signatures:  # part of the act the next event with signatures ends
            self.pending.append((seq, leaf, need, where))
            return
        if self.pending:
            act_events = [*self.pending, (seq, leaf, need, where)]
            self.pending = []
            first, last = act_events[0][0], seq
            leaves = [e[1] for e in act_events]
            level = leaves
            while len(level) > 1:
                level = [hash_children(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)] + (
                    [level[-1]] if len(level) % 2 else [])
            signers = list(dict.fromkeys(b for e in act_events for b in e[2]))
            if self.check_sig is not None and self.event_signed(seq, leaf, need, signatures, where, quiet=True):
                self.checked += len(need)
                self.pending = act_events[:-1]  # the last is an act of its own: those before it are unsigned
                self.flush_unsigned()
                return
            self.act_signed(first, last, level[0], signers, signatures, where, every=True)
            return
        self.event_signed(seq, leaf, need, signatures, where)

    def flush_unsigned(self):
        for _seq, _leaf, need, where in self.pending:
            for badge in need:
                self.report.findings.append(f"{where}: has no signature by {show(badge)}")
        self.pending = []

    def key_for(self, badge, sig, where, first, last):
        key = self.keys.get(sig["key_id"])
        if key is None or key[0] != badge:
            self.report.findings.append(f"{where}: signed for {show(badge)} with key {show(sig['key_id'])}, "
                                        "which no event of the bundle enrolled for that officer")
            return None
        if not (key[2] <= first and (key[3] is None or last <= key[3])):
            self.report.findings.append(f"{where}: signed by {show(badge)} with key {sig['key_id']}, not valid "
                                        f"at this seq (enrolled at {key[2]}, revoked at {key[3]})")
            return None
        return key

    def verifies(self, key, message, sig):
        try:
            raw = bytes.fromhex(sig["signature"]) if isinstance(sig["signature"], str) else b""
        except ValueError:
            raw = b""
        return len(raw) == 64 and self.check_sig(key[1], message, raw)

    def event_signed(self, seq, leaf, need, signatures, where, quiet=False):
        """The signatures of an act of one event: over its leaf (v1 or v2)."""
        got = {s["signer"]: s for s in signatures}
        ok = True
        problems = []
        for badge in need:
            sig = got.pop(badge, None)
            if sig is None:
                problems.append(f"{where}: has no signature by {show(badge)}")
                continue
            key = self.keys.get(sig["key_id"])
            if key is None or key[0] != badge or not (key[2] <= seq and (key[3] is None or seq <= key[3])):
                ok = False
                if not quiet:
                    self.key_for(badge, sig, where, seq, seq)
                continue
            if self.check_sig is None:
                continue
            if not self.verifies(key, self.message(seq, leaf), sig):
                problems.append(f"{where}: the signature of {show(badge)} does not verify over the event in this "
                                "ledger: forged, made in another ledger, copied from another event, or the event "
                                "was changed")
            elif not quiet:
                self.checked += 1
        for badge in sorted(got):
            problems.append(f"{where}: carries a signature by {show(badge)}, who is neither its actor nor a "
                            "co-signer its body names")
        ok = ok and not problems
        if not quiet:
            self.report.findings.extend(problems)
        return ok

    def act_signed(self, first, last, root, signers, signatures, where, every):
        """The signatures of an act of several events, over its commitment (v3): by `signers`
        (every one of the act's when the bundle holds all its events), each with a key valid
        for the whole act. True when they all verify; else its findings are reported."""
        from ledger.rules.acts import act_message

        if self.origin_from is None or first < self.origin_from:
            self.report.findings.append(f"{where}: ends an act of seq {first} to {last}, but only acts in the part of "
                                        "the log whose signatures name the ledger's origin may hold several events")
            return False
        message = act_message(self.origin, first, last, root)
        got = {s["signer"]: s for s in signatures}
        ok = True
        for badge in signers:
            sig = got.pop(badge, None)
            if sig is None:
                self.report.findings.append(f"{where}: the act of seq {first} to {last} has no signature by "
                                            f"{show(badge)}")
                ok = False
                continue
            key = self.key_for(badge, sig, where, first, last)
            if key is None:
                ok = False
                continue
            if self.check_sig is None:
                continue
            memo = (first, last, root, badge, sig["key_id"], sig["signature"])
            if memo not in self.verdicts:
                self.verdicts[memo] = self.verifies(key, message, sig)
                self.checked += self.verdicts[memo]
            if not self.verdicts[memo]:
                self.report.findings.append(f"{where}: the signature of {show(badge)} does not verify over the act "
                                            f"of seq {first} to {last} in this ledger: an event was moved into or "
                                            "out of the act, the act was cut short, the signature was moved from "
                                            "another act, or an event was changed")
                ok = False
        if every:
            for badge in sorted(got):
                self.report.findings.append(f"{where}: carries a signature by {show(badge)}, who is neither the actor "
                                            "nor a co-signer of any event of the act it ends")
                ok = False
        return ok

    def check_in_act(self, seq, leaf, need, signatures, act, where):
        """An event of a case or items bundle that belongs to an act of several: `act` gives the
        act's first and last seq and the path from this event's leaf to the act's root."""
        if not (isinstance(act, dict) and set(act) == {"first", "last", "path"} and is_int(act["first"])
                and is_int(act["last"]) and act["first"] <= seq <= act["last"] and act["first"] < act["last"]
                and isinstance(act["path"], list) and len(act["path"]) <= MAX_PROOF
                and all(isinstance(p, str) and HEX64.fullmatch(p) for p in act["path"])):
            self.report.findings.append(f"{where}: its act is not {{first, last, path}} with first <= seq <= last "
                                        f"and a path of at most {MAX_PROOF} hashes")
            return
        first, last = act["first"], act["last"]
        try:
            root = inclusion_root(leaf, seq - first, last - first + 1, [bytes.fromhex(p) for p in act["path"]])
        except Bad as exc:
            self.report.findings.append(f"{where}: its act's path: {exc}")
            return
        self.act_signed(first, last, root, need, signatures, where, every=False)

    def finish(self):
        self.flush_unsigned()
        if self.start is None:
            return
        if self.check_sig is None:
            self.report.notes.append("officers' signatures were matched to their enrolled keys but not checked: "
                                     "install the 'cryptography' package to check them")
        else:
            self.report.notes.append(f"{self.checked} officers' signatures checked (Ed25519)")


def check_bundle(folder, trusted=(), expect_head=None, since=None, proof=None):
    """Every finding about the bundle in `folder` (a Report); `proof` is the text of a
    consistency proof file given on the command line."""
    report = Report()
    report.expect_head = expect_head
    present = list_folder(folder)
    try:
        manifest = read_manifest(folder)
    except Bad as exc:
        report.findings.append(str(exc))
        manifest = None
    kind = manifest["kind"] if manifest else ("full" if "HEAD" in present else "case")
    expected = FILES[kind] | ({PROOF_FILE} if PROOF_FILE in present else set())
    for name in present:
        if name not in expected:
            report.findings.append(f"{show(name)}: not a file of a {kind} bundle (not read)")
    for name in sorted(expected - set(present)):
        report.findings.append(f"{name}: missing")
    sums = {}
    try:
        sums = check_sums(folder, expected, report)
    except Bad as exc:
        report.findings.append(str(exc))
    for name in ("README.txt", "verify.py", "HEAD", "checkpoint", "manifest.json", PROOF_FILE, INDEX_FILE):
        if name in sums and name in present:
            try:
                if digest_of(folder, name) != sums[name]:
                    report.findings.append(f"{name}: its SHA-256 is not the one SHA256SUMS lists")
            except Bad as exc:
                report.findings.append(str(exc))
    if manifest is None:
        return report
    try:
        checkpoint_text = utf8(read_small(folder, "checkpoint"), "checkpoint")
        text, signatures = split_note(checkpoint_text, "checkpoint")
        origin, size, root = parse_checkpoint(text, "checkpoint")
    except Bad as exc:
        report.findings.append(str(exc))
        return report
    if (origin, size, root.hex()) != (manifest["origin"], manifest["tree_size"], manifest["root"]):
        report.findings.append("manifest.json: origin, tree_size and root are not the checkpoint's "
                               f"({show(origin)}, {size}, {root.hex()})")
    check_signatures(text, signatures, trusted, "checkpoint", report)
    if since is not None:
        if since[0] != origin:
            report.findings.append(f"--since: its origin {show(since[0])} is not this bundle's {show(origin)}: "
                                   "another ledger")
        if since[1] > size:
            report.findings.append(f"--since: its size {since[1]} is larger than this bundle's tree ({size})")
        elif kind != "full" and since[1] != size and proof is None and not proof_expected(folder, present):
            raise Usage("--since with a smaller checkpoint needs a full bundle: a case or items bundle holds no "
                        "other leaves to rebuild the older tree from")
        elif kind != "full" and since[1] == size and since[2] != root:
            report.findings.append("--since: same size as this bundle's checkpoint but another root: the log was "
                                   "rewritten")
    proofs = [("--proof", proof)] if proof is not None else []
    if PROOF_FILE in present:
        try:
            proofs.append((PROOF_FILE, utf8(read_small(folder, PROOF_FILE), PROOF_FILE)))
        except Bad as exc:
            report.findings.append(str(exc))
    for where, proof_text in proofs:
        try:
            check_consistency(proof_text, where, (origin, size, root), since, report)
        except Bad as exc:
            report.findings.append(str(exc))
    if expect_head is not None and kind != "full":
        raise Usage("--expect-head needs a full bundle: a case or items bundle carries no chain hashes")
    state = None
    try:
        state, digest = check_events(folder, manifest, root, report, since)
        if "events.jsonl" in sums and digest != sums["events.jsonl"]:
            report.findings.append("events.jsonl: its SHA-256 is not the one SHA256SUMS lists")
    except Bad as exc:
        report.findings.append(str(exc))
    if state is None:
        return report
    if state["first_leaf"] is not None and origin != ORIGIN_PREFIX + state["first_leaf"].hex()[:16]:
        report.findings.append(f"checkpoint: origin {show(origin)} is not {ORIGIN_PREFIX} and the first 16 hex "
                               "digits of leaf 1")
    if since is not None and kind == "full" and since[1] <= size and since[1] > 0:
        if state["since_root"] is None or state["since_root"] != since[2]:
            report.findings.append(f"--since: the root of the first {since[1]} leaves is not that checkpoint's "
                                   "root: this log does not extend it (its history was rewritten)")
    if kind == "case":
        check_complete(folder, manifest, state, report)
    if expect_head is not None and expect_head[0] > state["seq"]:
        report.findings.append(f"--expect-head: event {expect_head[0]} is not in this bundle (it ends at "
                               f"{state['seq']})")
    if kind == "full" and "HEAD" in present:
        try:
            head = read_small(folder, "HEAD")
            if head != (state["head"] + "\n").encode("ascii"):
                report.findings.append(f"HEAD: {show(head.decode('utf-8', 'replace'))} is not "
                                       f"'{state['head']}\\n', the last event's seq and hash")
        except Bad as exc:
            report.findings.append(str(exc))
    report.summary = (f"{manifest['events']} events of {'an' if kind == 'items' else 'a'} {kind} bundle"
                      + (f" (case {manifest['case']})" if kind == "case" else "")
                      + (f" (items {', '.join(manifest['items'])})" if kind == "items" else "")
                      + f"; checkpoint {size} {root.hex()}"
                      + (f"; head {state['head']}" if state["head"] else ""))
    return report


def read_since(path, trusted, report):
    """(origin, size, root) of the checkpoint file given with --since; its signatures are
    checked like the bundle's when --trust is given."""
    limit = SMALL_FILE["checkpoint"]
    try:
        # The auditor's own file, named on the command line: a link to it is fine, a FIFO is not.
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise Usage(f"--since {show(path)}: not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Usage(f"--since {show(path)}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Usage(f"--since {show(path)}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise Usage(f"--since {show(path)}: larger than the {limit} bytes of a checkpoint")
    try:
        body, signatures = split_note(utf8(data, "--since"), "--since")
        checkpoint = parse_checkpoint(body, "--since")
    except Bad as exc:
        raise Usage(str(exc)) from None
    if signatures:
        check_signatures(body, signatures, trusted, "--since checkpoint", report)
    return checkpoint


def proof_expected(folder, present):
    """The bundle has a consistency proof, or its SHA256SUMS says it had one (a removed proof
    is then a finding, not a usage error)."""
    if PROOF_FILE in present:
        return True
    try:
        return f"  {PROOF_FILE}\n".encode("ascii") in read_small(folder, "SHA256SUMS")
    except Bad:
        return False


def read_own_file(path, option, limit):
    """A file the auditor names on the command line: a link to it is fine, a FIFO is not."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise Usage(f"{option} {show(path)}: not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise Usage(f"{option} {show(path)}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise Usage(f"{option} {show(path)}: cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise Usage(f"{option} {show(path)}: larger than the {limit} bytes it may have")
    try:
        return utf8(data, option)
    except Bad as exc:
        raise Usage(str(exc)) from None


def parse_args(argv):
    folder, trusted, expect_head, since, proof = None, [], None, None, None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        if arg in ("--trust", "--expect-head", "--since", "--proof"):
            if not args:
                raise Usage(f"{arg} needs a value")
            value = args.pop(0)
            if arg == "--trust":
                trusted.append(parse_verifier_key(value))
            elif arg == "--expect-head":
                match = HEAD_LINE.fullmatch(value + "\n")
                if not match:
                    raise Usage(f"--expect-head {show(value)} is not SEQ:HASH (64 lowercase hex digits)")
                expect_head = (int(match.group(1)), match.group(2))
            elif arg == "--proof":
                proof = value
            else:
                since = value
        elif arg.startswith("-") and arg != "-":
            raise Usage(f"unknown option {show(arg)}")
        elif folder is None:
            folder = arg
        else:
            raise Usage("give one bundle folder")
    if folder is None:
        raise Usage("give the bundle folder")
    if proof is not None and since is None:
        raise Usage("--proof needs --since: the proof is checked from that checkpoint's root")
    return folder, trusted, expect_head, since, proof


def main(argv=None):
    try:
        folder, trusted, expect_head, since_path, proof_path = parse_args(sys.argv[1:] if argv is None else argv)
        report = Report()
        since = read_since(since_path, trusted, report) if since_path else None
        proof = read_own_file(proof_path, "--proof", SMALL_FILE[PROOF_FILE]) if proof_path else None
        try:
            info = os.stat(folder)
        except OSError as exc:
            raise Usage(f"{show(folder)}: {exc.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise Usage(f"{show(folder)} is not a folder")
        try:
            result = check_bundle(folder, trusted, expect_head, since, proof)
        except Usage:
            raise
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - hostile input is never a crash
            result = Report()
            result.findings.append(f"the bundle could not be checked: {type(exc).__name__}: {show(str(exc), 200)}")
        result.notes[:0] = report.notes
        result.findings[:0] = report.findings
    except Usage as exc:
        print(f"usage error: {exc}", file=sys.stderr)
        print("usage: python3 verify.py DIR [--trust VERIFIER_KEY]... [--expect-head SEQ:HASH] "
              "[--since CHECKPOINT_FILE] [--proof FILE]", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"note: {note}")
    if result.findings:
        for finding in result.findings:
            print(f"FINDING: {finding}")
        print(f"FAILED: {len(result.findings)} finding(s); do not trust this bundle.")
        return 3
    print(f"OK: {result.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
