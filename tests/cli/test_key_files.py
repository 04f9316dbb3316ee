"""Key files that resist guessing: scrypt with its cost recorded in the file, passphrases that
are long and uncommon, old PKCS#8 files still opened and re-encrypted by `key passwd`, and key
files created exclusively (never through a symlink, never over another file)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.identity import keys
from tests.helpers import CliHarness
from tests.terminal import run_at_terminal

PASS = "cuatro mil soles en efectivo"
NEW = "llama ventana azul trece"


@pytest.fixture
def run(tmp_path):
    cli = CliHarness(f"sqlite:///{tmp_path / 'ledger.db'}")
    base = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "EVIDENCE_KEY_PASSPHRASE": PASS}

    def invoke(*args, env=None, **kw):
        result = cli(*args, env={**base, **(env or {})}, **kw)
        assert "Traceback" not in result.output
        return result
    return invoke


def test_new_key_file_records_scrypt_and_its_cost(run, tmp_path):
    out = tmp_path / "aud.key"
    assert run("key", "generate", "--name", "aud", "--out", str(out)).exit_code == 0
    assert keys.key_file_kdf(out) == keys.KdfParams(int(os.environ[keys.TEST_KDF_ENV]), 8, 1)
    assert keys.load_key_file(out, PASS).name == "aud"


def test_the_real_cost_is_a_quarter_second_of_one_core_or_more(tmp_path, monkeypatch):
    monkeypatch.delenv(keys.TEST_KDF_ENV)
    made = keys.generate_key_file(tmp_path / "real.key", "real", PASS)
    params = keys.key_file_kdf(made.path)
    assert params == keys.KdfParams(keys.SCRYPT_LOG2_N, keys.SCRYPT_R, keys.SCRYPT_P)
    assert params.memory_bytes == 128 * 1024 * 1024
    started = time.process_time()
    opened = keys.load_key_file(made.path, PASS)
    assert time.process_time() - started >= 0.25
    assert opened.public_key == made.public_key


def test_a_cheaper_cost_written_into_the_file_breaks_its_seal(tmp_path):
    made = keys.generate_key_file(tmp_path / "k.key", "k", PASS)
    text = made.path.read_text()
    log2n = keys.key_file_kdf(made.path).log2_n
    made.path.write_text(text.replace(f"log2n={log2n} ", f"log2n={log2n - 1} "))
    with pytest.raises(keys.WrongPassphrase):
        keys.load_key_file(made.path, PASS)
    made.path.write_text(text.replace(f"log2n={log2n} ", "log2n=40 "))
    with pytest.raises(keys.InputError, match="scrypt costs beyond"):
        keys.load_key_file(made.path, PASS)


@pytest.mark.parametrize("passphrase, said", [
    ("4711", "has 4 characters, fewer than the 12"),
    ("abc", "has 3 characters"),
    ("password1234", "one of the common ones"),
    ("Contraseña123", "one of the common ones"),
    ("aaaaaaaaaaaaaaaa", "one of the common ones"),
])
def test_short_or_common_passphrases_are_refused_with_a_sentence(run, tmp_path, passphrase, said):
    out = tmp_path / "aud.key"
    result = run("key", "generate", "--name", "aud", "--out", str(out), env={"EVIDENCE_KEY_PASSPHRASE": passphrase})
    assert result.exit_code == 1
    assert said in result.stderr and "four or more unrelated words" in result.stderr
    assert not out.exists() and not Path(str(out) + ".pub").exists()


def test_init_refuses_a_short_passphrase_and_leaves_no_ledger(run, tmp_path):
    result = run("init", "--admin", "ADM-01", "--name", "Rosa Medina", env={"EVIDENCE_KEY_PASSPHRASE": "4711"})
    assert result.exit_code == 1 and "fewer than the 12" in result.stderr
    assert not (tmp_path / "ledger.db").exists()
    assert not (tmp_path / "config" / "evidence" / "keys" / "ADM-01.key").exists()


def test_init_asks_the_new_passphrase_twice_and_never_a_third_time(run, tmp_path):
    result = run("init", "--admin", "ADM-01", "--name", "Rosa Medina", env={"EVIDENCE_KEY_PASSPHRASE": None},
                 input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["Passphrase for the new key of ADM-01: ", "Repeat for confirmation: "]


def _pkcs8_file(path: Path, name: str, passphrase: str) -> Ed25519PrivateKey:
    """A key file as evidence wrote them before scrypt: PKCS#8 with PBKDF2."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(passphrase.encode()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(f"# evidence key: {name}\n".encode() + pem)
    return key


def test_an_old_pkcs8_key_file_still_opens_and_passwd_makes_it_scrypt(run, tmp_path):
    path = tmp_path / "old.key"
    old = _pkcs8_file(path, "aud", "4711")  # the old program took any passphrase
    assert keys.key_file_kdf(path) is None
    assert keys.load_key_file(path, "4711").public_key == keys.public_key_bytes(old)
    result = run("key", "passwd", str(path), json_out=True,
                 env={"EVIDENCE_KEY_PASSPHRASE": "4711", "EVIDENCE_NEW_KEY_PASSPHRASE": NEW})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kdf"] == "scrypt"
    assert keys.key_file_kdf(path).log2_n == int(os.environ[keys.TEST_KDF_ENV])
    assert keys.load_key_file(path, NEW).public_key == keys.public_key_bytes(old)  # the same key
    with pytest.raises(keys.WrongPassphrase):
        keys.load_key_file(path, "4711")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_passwd_asks_old_then_new_twice(run, tmp_path):
    path = tmp_path / "aud.key"
    made = keys.generate_key_file(path, "aud", PASS)
    result = run("key", "passwd", str(path), env={"EVIDENCE_KEY_PASSPHRASE": None}, input=f"{PASS}\n{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["Passphrase of key aud: ", "New passphrase for the key of aud: ",
                                          "Repeat for confirmation: "]
    assert keys.load_key_file(path, NEW).public_key == made.public_key


def test_passwd_with_a_wrong_old_passphrase_or_a_weak_new_one_changes_nothing(run, tmp_path):
    path = tmp_path / "aud.key"
    keys.generate_key_file(path, "aud", PASS)
    before = path.read_bytes()
    result = run("key", "passwd", str(path), env={"EVIDENCE_KEY_PASSPHRASE": "not the one at all",
                                                  "EVIDENCE_NEW_KEY_PASSPHRASE": NEW})
    assert result.exit_code == 1 and "does not open" in result.stderr
    result = run("key", "passwd", str(path), env={"EVIDENCE_NEW_KEY_PASSPHRASE": "corto"})
    assert result.exit_code == 1 and "fewer than the 12" in result.stderr
    assert path.read_bytes() == before


def test_public_key_file_is_never_written_through_a_symlink(run, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "aud.key"
    os.symlink(victim, str(out) + ".pub")
    result = run("key", "generate", "--name", "aud", "--out", str(out))
    assert result.exit_code == 1 and "aud.key.pub already exists" in result.stderr
    assert victim.read_text() == "precious\n" and not out.exists()


def test_key_file_is_never_written_through_a_dangling_symlink(run, tmp_path):
    out = tmp_path / "aud.key"
    os.symlink(tmp_path / "elsewhere.key", out)
    result = run("key", "generate", "--name", "aud", "--out", str(out))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert not (tmp_path / "elsewhere.key").exists()


def test_a_wrong_passphrase_is_asked_again_at_a_terminal(tmp_path):
    path = tmp_path / "aud.key"
    keys.generate_key_file(path, "aud", PASS)
    code, screen, prompts = run_at_terminal(["key", "passwd", str(path)], tmp_path,
                                            answers=["wrong one", "wrong two", PASS, NEW, NEW], prompt=b": ")
    assert code == 0, screen
    assert prompts == 5 and screen.count("try again") == 2, screen
    assert keys.load_key_file(path, NEW).name == "aud"


def test_three_wrong_passphrases_end_the_command(tmp_path):
    path = tmp_path / "aud.key"
    keys.generate_key_file(path, "aud", PASS)
    code, screen, prompts = run_at_terminal(["key", "passwd", str(path)], tmp_path,
                                            answers=["wrong one", "wrong two", "wrong three"], prompt=b"key aud: ")
    assert code == 1 and prompts == 3 and "does not open" in screen, screen
    assert "Traceback" not in screen
