"""`--db` and EVIDENCE_DB: a value the program cannot use is refused with a sentence naming
the forms it takes (exit 4), and a command that only reads never creates a ledger file at a
path where none exists."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ledger.cli import main

FORMS = ("sqlite:///path.db", "a plain file path", "postgresql://user@host/db")
READERS = [
    ["officer", "list"], ["location", "list"], ["case", "list"], ["item", "list"], ["rate", "list"],
    ["verify"], ["db", "status"], ["case", "show", "AQP-2020-0147"], ["custody", "holdings", "B-1001"],
]


def run(args, env=None, tmp_path=None):
    base = {"EVIDENCE_DB": None, "EVIDENCE_OFFICER": None, "EVIDENCE_TZ": None}
    if tmp_path is not None:
        base["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})})


def assert_clean_refusal(result, code, *words):
    shown = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code == code, shown
    assert result.stderr.startswith("error: "), shown
    assert result.stdout == "", shown
    for word in words:
        assert word in result.stderr, shown
    for leak in ("Traceback", "ModuleNotFoundError", "MySQLdb", "sqlalchemy", "DatabaseError", "NoSuchModule"):
        assert leak not in result.stderr, shown


@pytest.mark.parametrize("url", [
    "mysql://x@y/z",
    "postgresql+psycopg2://u@127.0.0.1/ledger",
    "postgresq://u@127.0.0.1/ledger",
    "oracle://scott:tiger@db/orcl",
])
def test_unsupported_url_is_refused_with_the_forms_that_work(url):
    result = run(["--db", url, "officer", "list"])
    assert_clean_refusal(result, 4, url.split("://")[0], *FORMS)


def test_password_of_a_refused_url_is_not_echoed():
    result = run(["--db", "mysql://ana:s3cret@db/ledger", "officer", "list"])
    assert_clean_refusal(result, 4, "mysql://ana:***@db/ledger")
    assert "s3cret" not in result.stderr


def test_a_csv_file_given_as_db_is_refused_and_left_alone(tmp_path):
    csv = tmp_path / "items.csv"
    csv.write_text("kind,make,model\nphone,Nokia,105\n", encoding="utf-8")
    before = csv.read_bytes()
    for args in (["officer", "list"], ["officer", "add", "B-1", "--name", "Ana", "--role", "officer"],
                 ["db", "upgrade"], ["db", "status"]):
        result = run(["--db", str(csv), *args])
        assert_clean_refusal(result, 4, str(csv), "not a SQLite database", *FORMS)
    assert csv.read_bytes() == before


def test_a_folder_given_as_db_is_refused(tmp_path):
    result = run(["--db", str(tmp_path), "officer", "list"])
    assert_clean_refusal(result, 4, str(tmp_path), "folder", *FORMS)


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_db_option_is_refused_not_replaced_by_the_default(tmp_path, value):
    result = run(["--db", value, "officer", "add", "B-1", "--name", "Ana", "--role", "officer"], tmp_path=tmp_path)
    assert_clean_refusal(result, 4, "--db", "empty", *FORMS)
    assert not (tmp_path / "xdg").exists()


def test_empty_evidence_db_is_refused_not_replaced_by_the_default(tmp_path):
    result = run(["officer", "add", "B-1", "--name", "Ana", "--role", "officer"], env={"EVIDENCE_DB": ""},
                 tmp_path=tmp_path)
    assert_clean_refusal(result, 4, "EVIDENCE_DB", "empty")
    assert not (tmp_path / "xdg").exists()


@pytest.mark.parametrize("args", READERS, ids=[" ".join(a) for a in READERS])
def test_reading_a_missing_ledger_creates_no_file(tmp_path, args):
    path = tmp_path / "typo.db"
    result = run(["--db", str(path), *args])
    assert_clean_refusal(result, 4, f"No ledger exists at {path}", "evidence init --admin BADGE")
    assert list(tmp_path.iterdir()) == []


def test_reading_the_missing_default_ledger_creates_no_file(tmp_path):
    result = run(["officer", "list"], tmp_path=tmp_path)
    assert_clean_refusal(result, 4, "No ledger exists at", "ledger.db")
    assert not (tmp_path / "xdg" / "evidence" / "ledger.db").exists()


def test_a_write_creates_the_ledger_that_reads_then_find(tmp_path):
    path = tmp_path / "new.db"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "EVIDENCE_KEY_PASSPHRASE": "clave de prueba larga"}
    done = run(["--db", f"sqlite:///{path}", "init", "--admin", "ADM-1", "--name", "Ana"], env=env)
    assert done.exit_code == 0, done.stderr
    result = run(["--db", str(path), "officer", "list"])
    assert result.exit_code == 0 and "ADM-1" in result.stdout


def test_reading_an_empty_file_says_it_holds_no_ledger(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    result = run(["--db", str(path), "officer", "list"])
    assert_clean_refusal(result, 4, f"No ledger exists at {path}", "empty", "evidence db upgrade")
