"""The first run: a ledger that does not exist is named with the command that starts one, a
refused command leaves no ledger file behind, and the ledger file and its folder are its
user's alone."""

from __future__ import annotations

import os
import stat

from click.testing import CliRunner

from ledger.cli import main

PASS = "clave de prueba larga"


def run(args, tmp_path, env=None):
    base = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "EVIDENCE_KEY_PASSPHRASE": PASS, "EVIDENCE_DB": None, "EVIDENCE_OFFICER": None, "EVIDENCE_KEY": None}
    result = CliRunner().invoke(main, args, env={**base, **(env or {})})
    assert "Traceback" not in result.output
    return result


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_reading_a_missing_ledger_names_evidence_init(tmp_path):
    result = run(["--db", str(tmp_path / "aqp.db"), "case", "list"], tmp_path)
    assert result.exit_code == 4
    assert f"No ledger exists at {tmp_path / 'aqp.db'}" in result.stderr
    assert "evidence init --admin BADGE --name NAME" in result.stderr
    assert not (tmp_path / "aqp.db").exists()


def test_a_write_before_init_is_refused_and_leaves_no_file(tmp_path):
    for args in (["officer", "add", "B-1001", "--name", "Ana", "--role", "officer", "--by", "ADM-1"],
                 ["location", "add", "ALM-1", "--name", "Almacén", "--by", "ADM-1"],
                 ["rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "ADM-1"]):
        result = run(["--db", str(tmp_path / "aqp.db"), *args], tmp_path)
        assert result.exit_code == 4 and "evidence init" in result.stderr, result.output
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("aqp")) == []


def test_a_refused_init_leaves_no_ledger_file(tmp_path):
    result = run(["--db", str(tmp_path / "aqp.db"), "init", "--admin", "ADM-1", "--name", "Ana\x07"], tmp_path)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("aqp")) == []


def test_the_ledger_file_and_its_folder_are_the_users_alone(tmp_path):
    old = os.umask(0o022)
    try:
        result = run(["init", "--admin", "ADM-1", "--name", "Ana Quispe"], tmp_path)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    ledger = tmp_path / "data" / "evidence" / "ledger.db"
    assert _mode(ledger) == 0o600 and _mode(ledger.parent) == 0o700
    for side in ("-wal", "-shm"):
        if os.path.exists(f"{ledger}{side}"):
            assert _mode(f"{ledger}{side}") == 0o600


def test_db_upgrade_makes_a_private_file_too(tmp_path):
    old = os.umask(0o022)
    try:
        result = run(["--db", str(tmp_path / "aqp.db"), "db", "upgrade"], tmp_path)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert _mode(tmp_path / "aqp.db") == 0o600
