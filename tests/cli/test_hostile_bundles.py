"""verify.py against hostile bundles: each tampering is a finding with exit 3, never a
traceback and never a hang (every run has a timeout). The bundles are made once per module
on SQLite; what is tested is the standalone checker, not the database."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_custody import scenario
from tests.helpers import CliHarness, seed_basic


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="module")
def made(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "ledger.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    cli = CliHarness(f"sqlite:///{path}")
    seed_basic(cli)
    scenario(cli)
    cli.ok("export", "log", "--out", str(tmp / "old-full"))
    shutil.copyfile(tmp / "old-full" / "checkpoint", tmp / "old-checkpoint")
    cli.ok("custody", "transfer", "EV-3", "--from", "C-3001", "--to", "B-1001", "--reason", "Al laboratorio",
           "--by", "C-3001")
    cli.ok("export", "log", "--out", str(tmp / "full"))
    cli.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(tmp / "case"))
    return tmp


def run(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", str(bundle / "verify.py"), str(bundle), *args],
                          capture_output=True, text=True, timeout=60)


def rewrite_sums(out: Path) -> None:
    names = sorted(p.name for p in out.iterdir() if p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256((out / n).read_bytes()).hexdigest()}  {n}\n" for n in names if (out / n).is_file()
        and not (out / n).is_symlink()))


def lines_of(out: Path) -> list[bytes]:
    return (out / "events.jsonl").read_bytes().split(b"\n")[:-1]


def set_lines(out: Path, lines: list[bytes], sums: bool = True) -> None:
    (out / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    if sums:
        rewrite_sums(out)


def edit_body(out: Path, index: int, change) -> None:
    lines = lines_of(out)
    line = json.loads(lines[index])
    body = json.loads(line["body"])
    change(body)
    line["body"] = canonical(body).decode("utf-8")
    lines[index] = canonical(line)
    set_lines(out, lines)


def raw_body(out: Path, index: int, body: str) -> None:
    lines = lines_of(out)
    line = json.loads(lines[index])
    line["body"] = body
    lines[index] = canonical(line)
    set_lines(out, lines)


def forge_amount(out):
    text = (out / "events.jsonl").read_text()
    assert '\\"amount\\":\\"4000.00\\"' in text
    (out / "events.jsonl").write_text(text.replace('\\"amount\\":\\"4000.00\\"', '\\"amount\\":\\"9000.00\\"'))
    rewrite_sums(out)


def change_salt(out):
    lines = lines_of(out)
    line = json.loads(lines[3])
    line["salt"] = "%064x" % (int(line["salt"], 16) ^ 1)
    lines[3] = canonical(line)
    set_lines(out, lines)


def change_signature(out):
    """A signature of one event swapped for another event's: the officer never signed this one."""
    lines = [json.loads(raw) for raw in lines_of(out)]
    lines[3]["signatures"][0]["signature"] = lines[4]["signatures"][0]["signature"]
    set_lines(out, [canonical(x) for x in lines])


def drop_signature(out):
    lines = [json.loads(raw) for raw in lines_of(out)]
    lines[3]["signatures"] = []
    set_lines(out, [canonical(x) for x in lines])


def claim_another_signer(out):
    lines = [json.loads(raw) for raw in lines_of(out)]
    lines[3]["signatures"][0]["signer"] = "B-1002"
    set_lines(out, [canonical(x) for x in lines])


def drop_event(out):
    lines = lines_of(out)
    del lines[5]
    set_lines(out, lines)


def add_event(out):
    lines = lines_of(out)
    set_lines(out, lines + [lines[-1]])


def swap_lines(out):
    lines = lines_of(out)
    lines[4], lines[5] = lines[5], lines[4]
    set_lines(out, lines)


def rewrite_history(out):
    """Every hash, the root, checkpoint, manifest and HEAD recomputed after a change to event 8:
    self-consistent but for the officer's signature over the original event, and caught by
    --since an older checkpoint."""
    from ledger.log.merkle import Tree, leaf_commitment

    lines = [json.loads(raw) for raw in lines_of(out)]
    body = json.loads(lines[7]["body"])
    body["data"]["reason"] = "Otro motivo"
    lines[7]["body"] = canonical(body).decode("utf-8")
    prev = "0" * 64
    for line in lines:
        line["hash"] = prev = hashlib.sha256(prev.encode() + line["body"].encode()).hexdigest()
    root = Tree([leaf_commitment(bytes.fromhex(x["salt"]), x["body"].encode()) for x in lines]).root()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["root"] = root.hex()
    (out / "manifest.json").write_bytes(canonical(manifest) + b"\n")
    (out / "checkpoint").write_text(f"{manifest['origin']}\n{len(lines)}\n{base64.b64encode(root).decode()}\n")
    (out / "HEAD").write_text(f"{len(lines)}:{prev}\n")
    set_lines(out, [canonical(x) for x in lines])
    alone = run(out)
    assert alone.returncode == 3 and "does not verify over the event" in alone.stdout, alone.stdout


def unknown_signer(out):
    from ledger.identity.keys import private_key_from_seed
    from ledger.log.note import sign_note

    text = (out / "checkpoint").read_text()
    (out / "checkpoint").write_text(sign_note(text, "intruso.example", private_key_from_seed(b"\x07" * 32)))
    rewrite_sums(out)


def extra_file(out):
    (out / "notes.txt").write_text("added")
    rewrite_sums(out)


def missing_file(out):
    (out / "README.txt").unlink()
    rewrite_sums(out)


def extra_sums_entry(out):
    with open(out / "SHA256SUMS", "a") as fh:
        fh.write(f"{'0' * 64}  zzz.txt\n")


def head_without_newline(out):
    (out / "HEAD").write_bytes((out / "HEAD").read_bytes().rstrip(b"\n"))
    rewrite_sums(out)


def line_with(out, raw: bytes, index: int = 2):
    lines = lines_of(out)
    lines[index] = raw
    set_lines(out, lines)


def fifo_in_sums(out):
    os.mkfifo(out / "pipe")
    with open(out / "SHA256SUMS", "a") as fh:
        fh.write(f"{'0' * 64}  pipe\n")


def zero_link_in_sums(out):
    os.symlink("/dev/zero", out / "zero")
    with open(out / "SHA256SUMS", "a") as fh:
        fh.write(f"{'0' * 64}  zero\n")


def events_as_zero_link(out):
    (out / "events.jsonl").unlink()
    os.symlink("/dev/zero", out / "events.jsonl")


HOSTILE = [
    ("forged amount", "full", forge_amount, (), "hash"),
    ("forged amount in a case bundle", "case", forge_amount, (), "inclusion proof"),
    ("changed salt", "full", change_salt, (), "root"),
    ("signature copied from another event", "full", change_signature, (), "does not verify over the event"),
    ("signature copied in a case bundle", "case", change_signature, (), "does not verify over the event"),
    ("signature removed", "full", drop_signature, (), "has no signature by"),
    ("signature claimed for another officer", "full", claim_another_signer, (), "no signature by"),
    ("changed salt in a case bundle", "case", change_salt, (), "inclusion proof"),
    ("dropped event", "full", drop_event, (), "expected seq"),
    ("dropped event in a case bundle", "case", drop_event, (), "manifest.json"),
    ("added event", "full", add_event, (), "seq"),
    ("added event in a case bundle", "case", add_event, (), "seq"),
    ("two lines swapped", "full", swap_lines, (), "expected seq"),
    ("two lines swapped in a case bundle", "case", swap_lines, (), "does not increase"),
    ("rewritten history", "full", rewrite_history, ("--since", "@old-checkpoint"), "rewritten"),
    ("unknown signer", "full", unknown_signer, ("--trust", "@trust"), "no trusted key"),
    ("extra file", "full", extra_file, (), "notes.txt"),
    ("missing file", "full", missing_file, (), "README.txt: missing"),
    ("extra SHA256SUMS entry", "full", extra_sums_entry, (), "zzz.txt"),
    ("HEAD without newline", "full", head_without_newline, (), "HEAD"),
    ("a float", "full", lambda o: edit_body(o, 1, lambda b: b["data"].update(n=1.5)), (), "not an integer"),
    ("NaN", "full", lambda o: raw_body(o, 1, json.loads(lines_of(o)[1])["body"].replace('"data":{', '"data":{"n":NaN,')),
     (), "NaN"),
    ("seq true", "full", lambda o: line_with(o, lines_of(o)[2].replace(b'"seq":3,', b'"seq":true,')), (), "seq"),
    ("tenth body key", "full", lambda o: edit_body(o, 1, lambda b: b.update(extra=1)), (), "nine"),
    ("v 3", "full", lambda o: edit_body(o, 1, lambda b: b.update(v=3)), (), "v is 3"),
    ("deep nesting", "full", lambda o: line_with(o, b"[" * 100000 + b"]" * 100000), (), "nested deeper"),
    ("huge line", "full", lambda o: line_with(o, b'{"body":"' + b"a" * (3 << 20) + b'"}'), (), "longer than"),
    ("lone surrogate", "full", lambda o: line_with(o, lines_of(o)[1].replace(b"B-1001", b"\\udc80"), 1), (),
     "surrogate"),
    ("huge number", "full", lambda o: line_with(o, lines_of(o)[2].replace(b'"seq":3,', b'"seq":' + b"9" * 5000 + b",")),
     (), "outside"),
    ("FIFO named in SHA256SUMS", "full", fifo_in_sums, (), "pipe"),
    ("symlink to /dev/zero named in SHA256SUMS", "full", zero_link_in_sums, (), "zero"),
    ("events.jsonl a symlink to /dev/zero", "full", events_as_zero_link, (), "not a regular file"),
]


@pytest.mark.parametrize(("kind", "tamper", "args", "expect"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_bundle_is_a_finding(made, tmp_path, kind, tamper, args, expect):
    out = tmp_path / "bundle"
    shutil.copytree(made / kind, out, symlinks=True)
    assert run(out).returncode == 0
    from ledger.identity.keys import private_key_from_seed, public_key_bytes
    from ledger.log.note import verifier_key

    trust = verifier_key("auditoria.example", public_key_bytes(private_key_from_seed(b"\x01" * 32)))
    tamper(out)
    argv = [trust if a == "@trust" else str(made / a[1:]) if a.startswith("@") else a for a in args]
    result = run(out, *argv)
    shown = result.stdout + result.stderr
    assert result.returncode == 3, shown
    assert "Traceback" not in shown and "FAILED:" in result.stdout, shown
    assert expect in result.stdout, shown


def test_a_clean_bundle_with_since_its_own_past_passes(made):
    result = run(made / "full", "--since", str(made / "old-checkpoint"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_byte_of_an_event_line_matters(made, tmp_path):
    out = tmp_path / "bundle"
    shutil.copytree(made / "case", out)
    original = (out / "events.jsonl").read_bytes()
    start = original.index(b"\n", original.index(b"\n") + 1) + 1
    end = original.index(b"\n", start)
    import importlib.util

    spec = importlib.util.spec_from_file_location("bundle_verify_copy", out / "verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for pos in range(start, end, 7):
        changed = bytearray(original)
        changed[pos] ^= 0x01
        (out / "events.jsonl").write_bytes(bytes(changed))
        assert module.check_bundle(str(out)).findings, pos
