"""Global options (`--json`, `--db`, `--tz`, `--lang`) are accepted after the subcommand as
well as before it: `evidence item list --json` is what people type."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ledger.cli import main
from ledger.i18n import resolve_language
from tests.helpers import GOOD_IMEI, PASSPHRASE


def run(*args, env=None):
    base = {"EVIDENCE_DB": None, "EVIDENCE_OFFICER": None, "EVIDENCE_TZ": None, "EVIDENCE_LANG": None}
    return CliRunner().invoke(main, [str(a) for a in args], env={**base, **(env or {})})


def test_json_after_the_subcommand(seeded, db_url):
    seeded.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--make", "Nokia", "--model", "105",
              "--at", "2020-10-06T09:00", "--by", "B-1001")
    for args in (["item", "list", "--json"], ["item", "--json", "list"], ["item", "list", "--kind", "phone", "--json"]):
        result = run("--db", db_url, *args)
        assert result.exit_code == 0, result.output
        assert [row["id"] for row in json.loads(result.stdout)] == ["EV-000001"]
    result = run("--db", db_url, "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


def test_db_after_the_subcommand(seeded, db_url, tmp_path):
    result = run("item", "list", "--db", db_url, "--json", env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    result = run("officer", "list", "--db", db_url, env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert "B-1001" in result.stdout
    assert not (tmp_path / "xdg").exists()  # the default ledger was never opened


def test_db_after_the_subcommand_writes_there(tmp_path):
    path = tmp_path / "aqp.db"
    result = run("init", "--admin", "ADM-1", "--name", "Ana Quispe", "--db", str(path),
                 env={"XDG_DATA_HOME": str(tmp_path / "xdg"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                      "EVIDENCE_KEY_PASSPHRASE": "clave de prueba larga"})
    assert result.exit_code == 0, result.output
    assert path.exists() and not (tmp_path / "xdg").exists()
    assert "Ana Quispe" in run("--db", str(path), "officer", "list").stdout


def test_an_option_after_the_subcommand_overrides_the_one_before(seeded, db_url, tmp_path):
    other = tmp_path / "other.db"
    result = run("--db", str(other), "officer", "list", "--db", db_url)
    assert "B-1001" in result.stdout
    assert not other.exists()


def test_tz_after_the_subcommand(seeded, db_url):
    """A naive time is read in the zone given after the subcommand."""
    seizure = run("--db", db_url, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30", "--place", "X",
                  "--by", "B-1001", "--tz", "UTC", "--json",
                  env={"XDG_CONFIG_HOME": seeded.keys_home, "EVIDENCE_KEY_PASSPHRASE": PASSPHRASE})
    assert seizure.exit_code == 0, seizure.output
    shown = run("--db", db_url, "case", "show", "AQP-2020-0147", "--json").stdout
    assert "2020-10-06T05:30:00Z" in shown  # not 10:30Z, as America/Lima would have read it
    bad = run("--db", db_url, "case", "list", "--tz", "Mars/Olympus")
    assert bad.exit_code == 1 and "Mars/Olympus" in bad.stderr and "America/Lima" in bad.stderr


def test_lang_after_the_subcommand_is_checked(seeded, db_url):
    assert run("--db", db_url, "officer", "list", "--lang", "es").exit_code == 0
    bad = run("--db", db_url, "officer", "list", "--lang", "fr")
    assert bad.exit_code == 2 and "--lang" in bad.stderr


def test_a_command_keeps_its_own_lang_option():
    """`export xlsx --lang` is the workbook's language, not the interface's."""
    result = run("export", "xlsx", "--help")
    assert "--lang [en|es]" in result.stdout


@pytest.mark.parametrize("option, env, expected", [
    ("es", {"LANG": "en_US.UTF-8"}, "es"),
    (None, {"LANG": "es_PE.UTF-8"}, "es"),
    (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "es_PE.UTF-8"}, "es"),
    (None, {"LC_ALL": "C", "LANG": "es_PE.UTF-8"}, "en"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {}, "en"),
])
def test_language_from_option_then_locale(option, env, expected):
    assert resolve_language(option, env) == expected
