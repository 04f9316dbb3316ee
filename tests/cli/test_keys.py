"""`key generate` and `checkpoint cosign` as a user runs them: the key file's mode and
contents, refusals that leave files as they were, and a cosignature any C2SP verifier accepts.

`key generate --name/--badge` never touches the ledger, so those tests check that the ledger
file was not even created; `checkpoint cosign` checks the checkpoint against a ledger first,
so its tests cosign the checkpoint of a small real one."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from ledger.identity import keys
from ledger.log import note
from tests.helpers import CliHarness

PASS = "cuatro mil soles"


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def run(home):
    cli = CliHarness(f"sqlite:///{home / 'ledger.db'}")
    base = {"XDG_CONFIG_HOME": str(home / "config"), "EVIDENCE_KEY_PASSPHRASE": PASS}

    def invoke(*args, env=None, **kw):
        result = cli(*args, env={**base, **(env or {})}, **kw)
        assert "Traceback" not in result.output
        assert not (home / "ledger.db").exists(), "a key command opened the ledger"
        return result
    return invoke


@pytest.fixture
def ledger_run(home):
    """Commands against a small real ledger (a file of its own), for `checkpoint cosign`."""
    cli = CliHarness(f"sqlite:///{home / 'real.db'}", keys_home=str(home / "harness-keys"))
    cli.init()
    base = {"XDG_CONFIG_HOME": str(home / "config"), "EVIDENCE_KEY_PASSPHRASE": PASS}

    def invoke(*args, env=None, **kw):
        result = cli(*args, env={**base, **(env or {})}, **kw)
        assert "Traceback" not in result.output
        return result
    return invoke


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _log_checkpoint(home: Path, ledger_run=None) -> tuple[Path, note.Verifier]:
    """A checkpoint signed by the log's own key, as `evidence checkpoint --sign` writes it: of
    the real ledger of `ledger_run`, or a made-up one for refusals that come before the ledger."""
    log_key = keys.generate_private_key()
    if ledger_run is not None:
        cp = note.parse_checkpoint(ledger_run("checkpoint").stdout)
    else:
        cp = note.Checkpoint("evidence.example/arequipa", 44, bytes(range(32)))
    path = home / "checkpoint.txt"
    path.write_text(note.sign_note(cp.to_text(), cp.origin, log_key), encoding="utf-8")
    vkey = note.verifier_key(cp.origin, keys.public_key_bytes(log_key))
    return path, note.parse_verifier_key(vkey)


# --------------------------------------------------------------------------- key generate

def test_badge_key_goes_to_the_config_folder_readable_by_its_owner_only(run, home):
    result = run("key", "generate", "--badge", "B-1001")
    assert result.exit_code == 0, result.output
    path = home / "config" / "evidence" / "keys" / "B-1001.key"
    assert result.stdout.splitlines()[0] == str(path)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    text = path.read_text()
    assert text.startswith("# evidence key: B-1001\n-----BEGIN EVIDENCE ED25519 KEY-----\nkdf: scrypt log2n=")
    key = keys.load_key_file(path, PASS)
    public = base64.b64encode(key.public_key).decode()
    assert f"public key: {public}" in result.stdout
    vkey = result.stdout.splitlines()[2].removeprefix("verifier key: ")
    assert note.parse_verifier_key(vkey).public_key == key.public_key
    assert key.name == "B-1001"


def test_key_file_is_0600_even_with_a_permissive_umask(run, home):
    old = os.umask(0)
    try:
        result = run("key", "generate", "--name", "auditoria.example/aqp", "--out", str(home / "aud.key"))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert _mode(home / "aud.key") == 0o600


def test_json_output_names_path_keys_and_key_id(run, home):
    out = home / "aud.key"
    result = run("key", "generate", "--name", "auditoria.example/aqp", "--out", str(out), json_out=True)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == data["path"] == str(out)
    verifier = note.parse_verifier_key(data["verifier_key"])
    assert verifier.name == "auditoria.example/aqp"
    assert data["key_id"] == f"{verifier.key_id:08x}"
    assert base64.b64decode(data["public_key"]) == verifier.public_key == keys.load_key_file(out, PASS).public_key


def test_existing_key_file_is_never_overwritten(run, home):
    out = home / "aud.key"
    assert run("key", "generate", "--name", "aud", "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    result = run("key", "generate", "--name", "aud", "--out", str(out))
    assert result.exit_code == 1
    assert f"Key file {out} already exists" in result.stderr and "never overwritten" in result.stderr
    assert out.read_bytes() == before


def test_passphrase_prompt_asks_twice_and_writes_only_to_stderr(run, home):
    out = home / "aud.key"
    result = run("key", "generate", "--name", "aud", "--out", str(out), json_out=True,
                 env={"EVIDENCE_KEY_PASSPHRASE": None}, input="otra clave de sala\notra clave de sala\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(out)  # the prompts did not spoil stdout
    assert "Passphrase for the new key of aud" in result.stderr and "Repeat" in result.stderr
    keys.load_key_file(out, "otra clave de sala")


def test_passphrases_that_differ_make_no_key(run, home):
    out = home / "aud.key"
    result = run("key", "generate", "--name", "aud", "--out", str(out), env={"EVIDENCE_KEY_PASSPHRASE": None},
                 input="otra clave de sala\notra llave de sala\n")
    assert result.exit_code == 1 and "do not match" in result.stderr
    assert not out.exists()


def test_no_passphrase_at_all_is_refused_without_a_file(run, home):
    out = home / "aud.key"
    result = run("key", "generate", "--name", "aud", "--out", str(out), env={"EVIDENCE_KEY_PASSPHRASE": None})
    assert result.exit_code == 1 and "EVIDENCE_KEY_PASSPHRASE" in result.stderr
    result = run("key", "generate", "--name", "aud", "--out", str(out), env={"EVIDENCE_KEY_PASSPHRASE": ""})
    assert result.exit_code == 1 and "passphrase is empty" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("args", "field"), [
    (["--badge", "B-1001", "--name", "aud"], "one of --badge, --name or --log"),
    ([], "--badge BADGE"),
    (["--name", "aud"], "--out is required"),
    (["--name", "Ana Quispe", "--out", "x.key"], "contains a space"),
    (["--name", "a+b", "--out", "x.key"], "contains '+'"),
    (["--badge", "B/1001"], "contains '/'"),
    (["--name", "aud", "--out", "no/such/folder/x.key"], "does not exist"),
])
def test_refused_generate_says_why_and_writes_nothing(run, home, args, field):
    result = run("key", "generate", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and field in result.stderr
    assert not (home / "config").exists() and not list(home.glob("*.key"))


# --------------------------------------------------------------------------- checkpoint cosign

def test_cosign_adds_a_signature_that_verifies_beside_the_logs(run, ledger_run, home):
    cp_file, log_v = _log_checkpoint(home, ledger_run)
    original = cp_file.read_text()
    run("key", "generate", "--name", "auditoria.example/aqp", "--out", str(home / "aud.key"))
    out = home / "cosigned.txt"
    result = ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(home / "aud.key"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    cosigned = out.read_text()
    assert cosigned.startswith(original) and cp_file.read_text() == original
    aud = keys.load_key_file(home / "aud.key", PASS)
    aud_v = note.parse_verifier_key(note.verifier_key(aud.name, aud.public_key))
    opened = note.open_note(cosigned, [log_v, aud_v])
    assert opened.verified == [log_v.name, "auditoria.example/aqp"]
    assert note.parse_checkpoint(opened.text).size == note.parse_checkpoint(original.split("\n\n")[0] + "\n").size


def test_cosign_to_stdout_and_in_place(run, ledger_run, home):
    cp_file, log_v = _log_checkpoint(home, ledger_run)
    run("key", "generate", "--badge", "A-4001")
    key = home / "config" / "evidence" / "keys" / "A-4001.key"
    shown = ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(key))
    assert shown.exit_code == 0, shown.output
    assert ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(key), "--out", str(cp_file)).exit_code == 0
    assert cp_file.read_text() == shown.stdout
    # Cosigning again with the same key changes nothing.
    again = ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(key), json_out=True)
    assert json.loads(again.stdout)["added"] is False and json.loads(again.stdout)["note"] == shown.stdout


def test_cosign_with_a_wrong_passphrase_is_refused(run, ledger_run, home):
    cp_file, _ = _log_checkpoint(home, ledger_run)
    run("key", "generate", "--name", "aud", "--out", str(home / "aud.key"))
    out = home / "cosigned.txt"
    result = ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(home / "aud.key"), "--out", str(out),
                 env={"EVIDENCE_KEY_PASSPHRASE": "cinco mil soles"})
    assert result.exit_code == 1
    assert f"The passphrase does not open key file {home / 'aud.key'}" in result.stderr
    assert not out.exists() and result.stdout == ""


def test_cosign_refuses_a_file_that_is_not_a_key_before_asking_a_passphrase(run, home):
    cp_file, _ = _log_checkpoint(home)
    result = run("checkpoint", "cosign", str(cp_file), "--key", str(cp_file), env={"EVIDENCE_KEY_PASSPHRASE": None})
    assert result.exit_code == 1
    assert f"{cp_file} is not an evidence key file" in result.stderr and "Passphrase" not in result.stderr


def test_cosign_refuses_a_damaged_key_file(run, home):
    cp_file, _ = _log_checkpoint(home)
    run("key", "generate", "--name", "aud", "--out", str(home / "aud.key"))
    lines = (home / "aud.key").read_text().splitlines(keepends=True)
    lines[2] = "A" * (len(lines[2]) - 1) + "\n"
    (home / "bad.key").write_text("".join(lines))
    result = run("checkpoint", "cosign", str(cp_file), "--key", str(home / "bad.key"))
    assert result.exit_code == 1 and "damaged" in result.stderr


@pytest.mark.parametrize(("content", "said"), [
    ("evidence.example/arequipa\n44\nAAEC\n", "not signed"),
    ("not\na\ncheckpoint\n\n\u2014 x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
     "tree size"),
])
def test_cosign_refuses_what_is_not_a_signed_checkpoint(run, home, content, said):
    bad = home / "bad.txt"
    bad.write_text(content)
    run("key", "generate", "--name", "aud", "--out", str(home / "aud.key"))
    result = run("checkpoint", "cosign", str(bad), "--key", str(home / "aud.key"))
    assert result.exit_code == 1 and str(bad) in result.stderr and said in result.stderr
    assert result.stdout == ""


def test_cosign_never_overwrites_another_file(run, ledger_run, home):
    cp_file, _ = _log_checkpoint(home, ledger_run)
    run("key", "generate", "--name", "aud", "--out", str(home / "aud.key"))
    other = home / "notes.txt"
    other.write_text("keep me\n")
    result = ledger_run("checkpoint", "cosign", str(cp_file), "--key", str(home / "aud.key"), "--out", str(other))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert other.read_text() == "keep me\n"
