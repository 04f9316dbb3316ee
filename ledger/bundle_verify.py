#!/usr/bin/env python3
# ruff: noqa: T201  (a standalone script run by auditors: printing is its job)
"""Verify an evidence log bundle offline, with the Python standard library alone.

    python3 verify.py BUNDLE_DIR [--expect-head SEQ:HASH]

Exit 0: every event line recomputes to its hash, the chain runs unbroken from the genesis
hash to HEAD, and every file matches SHA256SUMS. Exit 1: the first bad line is named.
Exit 2: the bundle cannot be read. The format is described in README.txt and in the
ledger's docs/FORMAT.md. This file is copied unchanged into every bundle.
"""

import hashlib
import json
import os
import sys

GENESIS = "0" * 64
HEX = set("0123456789abcdef")
BODY_PREFIX = b'{"body":'
HASH_INFIX = b',"hash":"'
LINE_END = b'"}'


class Bad(Exception):
    pass


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def is_hash(text):
    return isinstance(text, str) and len(text) == 64 and set(text) <= HEX


def check_line(raw, seq, prev):
    """Return (hash, disclosed?) of one line of events.jsonl (without its newline)."""
    if raw.startswith(BODY_PREFIX):
        cut = len(raw) - len(LINE_END) - 64 - len(HASH_INFIX)
        if cut <= len(BODY_PREFIX) or raw[cut:cut + len(HASH_INFIX)] != HASH_INFIX or not raw.endswith(LINE_END):
            raise Bad("is not {\"body\":BODY,\"hash\":\"HASH\"}")
        body, digest = raw[len(BODY_PREFIX):cut], raw[cut + len(HASH_INFIX):-len(LINE_END)].decode("ascii", "replace")
        if not is_hash(digest):
            raise Bad("has no 64-digit lowercase hex hash")
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Bad(f"body is not JSON ({exc})") from None
        if not isinstance(doc, dict) or canonical(doc) != body:
            raise Bad("body is not canonical JSON (sorted keys, no spaces, UTF-8)")
        if doc.get("seq") != seq:
            raise Bad("body says seq {!r}, expected {}".format(doc.get("seq"), seq))
        computed = hashlib.sha256(prev.encode("ascii") + body).hexdigest()
        if computed != digest:
            raise Bad(f"hash {digest} does not match SHA-256(previous hash + body) = {computed}")
        return digest, True
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Bad("is neither an event nor a redacted event") from None
    if not isinstance(doc, dict) or set(doc) != {"hash", "prev", "redacted", "seq"} or doc["redacted"] is not True:
        raise Bad("is neither an event nor a redacted event")
    if canonical(doc) != raw:
        raise Bad("redacted line is not canonical JSON")
    if doc["seq"] != seq:
        raise Bad("says seq {!r}, expected {}".format(doc["seq"], seq))
    if doc["prev"] != prev:
        raise Bad("prev {} is not the hash of the line before ({})".format(doc["prev"], prev))
    if not is_hash(doc["hash"]):
        raise Bad("has no 64-digit lowercase hex hash")
    return doc["hash"], False


def verify_bundle(folder, expect_head=None):
    """Return a summary dict; raise Bad with the first problem."""
    path = os.path.join(folder, "events.jsonl")
    prev, seq, shown, hidden = GENESIS, 0, 0, 0
    with open(path, "rb") as fh:
        data = fh.read()
    if data and not data.endswith(b"\n"):
        raise Bad("events.jsonl: the last line has no newline (file cut short?)")
    for number, raw in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
        seq += 1
        try:
            prev, disclosed = check_line(raw, seq, prev)
        except Bad as exc:
            raise Bad(f"events.jsonl line {number} (seq {seq}): {exc}") from None
        shown, hidden = shown + disclosed, hidden + (not disclosed)
    with open(os.path.join(folder, "HEAD"), "rb") as fh:
        head = fh.read().decode("ascii", "replace").strip()
    if head != f"{seq}:{prev}":
        raise Bad(f"HEAD says {head}, but events.jsonl ends at {seq}:{prev}")
    if expect_head is not None:
        want_seq, _, want_hash = expect_head.partition(":")
        line = _hash_at(data, int(want_seq)) if want_seq.isdigit() else None
        if line != want_hash.lower():
            raise Bad(f"the expected head {expect_head} is not in this log (its hash there is {line})")
    with open(os.path.join(folder, "SHA256SUMS"), "rb") as fh:
        sums = fh.read().decode("utf-8", "replace").splitlines()
    listed = set()
    for line in sums:
        digest, _, name = line.partition("  ")
        if not is_hash(digest) or not name or os.path.basename(name) != name:
            raise Bad(f"SHA256SUMS: bad line {line!r}")
        with open(os.path.join(folder, name), "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() != digest:
                raise Bad(f"SHA256SUMS: {name} does not match its checksum")
        listed.add(name)
    missing = {"events.jsonl", "HEAD", "README.txt", "verify.py"} - listed
    if missing:
        raise Bad("SHA256SUMS does not list {}".format(", ".join(sorted(missing))))
    return {"events": seq, "disclosed": shown, "redacted": hidden, "head": f"{seq}:{prev}"}


def _hash_at(data, seq):
    lines = data.split(b"\n")
    if not 1 <= seq <= len(lines) - 1:
        return None
    raw = lines[seq - 1]
    if raw.startswith(BODY_PREFIX):
        return raw[-len(LINE_END) - 64:-len(LINE_END)].decode("ascii", "replace")
    return json.loads(raw.decode("utf-8"))["hash"]


def main(argv):
    args = list(argv[1:])
    expect = None
    if "--expect-head" in args:
        at = args.index("--expect-head")
        if at + 1 >= len(args):
            print("usage: verify.py BUNDLE_DIR [--expect-head SEQ:HASH]", file=sys.stderr)
            return 2
        expect = args[at + 1]
        del args[at:at + 2]
    if len(args) != 1:
        print("usage: verify.py BUNDLE_DIR [--expect-head SEQ:HASH]", file=sys.stderr)
        return 2
    try:
        summary = verify_bundle(args[0], expect)
    except Bad as exc:
        print(f"FAILED: {exc}")
        return 1
    except OSError as exc:
        print(f"cannot read the bundle: {exc}", file=sys.stderr)
        return 2
    print("OK: {events} events ({disclosed} disclosed, {redacted} redacted), head {head}".format(**summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
