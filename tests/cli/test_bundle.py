"""`export log`: the bundle verifies with its own standard-library verify.py, fails after any
byte of an event line changes, redacts other cases, and is written atomically."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_custody import scenario
from tests.helpers import GOOD_IMEI2


def load_verifier(bundle: Path):
    spec = importlib.util.spec_from_file_location("bundle_verify_copy", bundle / "verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_verify(bundle: Path) -> subprocess.CompletedProcess:
    # -I: isolated mode, so the script cannot lean on this project's packages
    return subprocess.run([sys.executable, "-I", str(bundle / "verify.py"), str(bundle)], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def history(seeded):
    scenario(seeded)
    return seeded


def test_bundle_verifies_offline_and_matches_the_ledger(history, tmp_path):
    out = tmp_path / "bundle"
    history.ok("export", "log", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["HEAD", "README.txt", "SHA256SUMS", "events.jsonl", "verify.py"]
    result = run_verify(out)
    assert result.returncode == 0, result.stdout + result.stderr
    head = history.ok("verify", json_out=True)["head"]
    assert (out / "HEAD").read_text() == f"{head}\n"
    assert f"head {head}" in result.stdout
    verifier = (out / "verify.py").read_text()
    imports = {line.split()[1] for line in verifier.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"hashlib", "json", "os", "sys"}
    expect = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out), "--expect-head",
                             f"{int(head.split(':')[0]) - 2}:{'0' * 64}"], capture_output=True, text=True)
    assert expect.returncode == 1


def test_any_changed_byte_of_an_event_line_fails(history, tmp_path):
    out = tmp_path / "bundle"
    history.ok("export", "log", "--out", str(out))
    verifier = load_verifier(out)
    original = (out / "events.jsonl").read_bytes()
    lines = original.split(b"\n")
    target = 12  # a transfer line, 0-based index of seq 13
    start = sum(len(line) + 1 for line in lines[:target])
    end = start + len(lines[target]) + 1  # including its newline
    for pos in range(start, end):
        changed = bytearray(original)
        changed[pos] = changed[pos] ^ 0x01
        (out / "events.jsonl").write_bytes(bytes(changed))
        with pytest.raises(verifier.Bad) as exc:
            verifier.verify_bundle(str(out))
        assert "events.jsonl" in str(exc.value)
    (out / "events.jsonl").write_bytes(original)
    assert verifier.verify_bundle(str(out))["events"] == len(lines) - 1
    changed = bytearray(original)
    changed[start + 20] ^= 0x01
    (out / "events.jsonl").write_bytes(bytes(changed))
    result = run_verify(out)
    assert result.returncode == 1 and "line 13 (seq 13)" in result.stdout


def test_case_bundle_redacts_other_cases(history, tmp_path):
    history.ok("case", "open", "AQP-2020-0200", "--title", "Otro caso secreto", "--by", "B-1001",
               "--at", "2020-11-01T08:00")
    history.ok("seizure", "record", "AQP-2020-0200", "--at", "2020-11-01T09:00", "--place", "Lugar secreto",
               "--by", "B-1001")
    history.ok("phone", "add", "SZ-2", "--imei", GOOD_IMEI2, "--make", "Nokia", "--model", "105", "--by", "B-1001")
    out = tmp_path / "case-bundle"
    done = history.ok("export", "log", "--case", "AQP-2020-0147", "--out", str(out), json_out=True)
    assert done["redacted"] == 3
    text = (out / "events.jsonl").read_text(encoding="utf-8")
    assert "secreto" not in text and GOOD_IMEI2 not in text and "AQP-2020-0200" not in text
    assert "Venta de recién nacidos" in text
    assert text.count('"redacted":true') == 3
    assert run_verify(out).returncode == 0
    assert "redacted" in (out / "README.txt").read_text()


def test_existing_folder_refused_unless_forced(history, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / "bundle"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = history("export", "log", "--out", str(out))
    assert result.exit_code == 1 and "not empty" in result.stderr and "--force" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    # --force replaces an earlier bundle only, never a folder with anything else in it.
    forced = history("export", "log", "--out", str(out), "--force")
    assert forced.exit_code == 1 and "notes.txt" in forced.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    (out / "notes.txt").unlink()
    history.ok("export", "log", "--out", str(out))
    history.ok("export", "log", "--out", str(out), "--force")
    assert run_verify(out).returncode == 0
    assert [p.name for p in exports.iterdir()] == ["bundle"]  # no temporary folders left behind
    empty = tmp_path / "empty"
    empty.mkdir()
    history.ok("export", "log", "--out", str(empty))
    assert run_verify(empty).returncode == 0
    assert history("export", "log", "--out", str(tmp_path / "no" / "such")).exit_code == 1
    assert history("export", "log", "--case", "NOPE-1", "--out", str(tmp_path / "x")).exit_code == 1
