"""Hostile inputs get a sentence, never a traceback or a changed meaning: escape codes in a
scanned payload, hledger's comment and tag syntax in texts that reach the journal, a DTD in a
workbook, and badges or location codes that read like one already registered."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest

from tests.cli.test_journal import hledger_balances
from tests.cli.test_peru_workflow import BANK, peru

HLEDGER = shutil.which("hledger")


# --- the hledger journal ---------------------------------------------------------------------
def _journal(seeded, tmp_path, authority: str, voucher: str, source: str) -> str:
    peru(seeded)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", source, "--by", "B-1001")
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", voucher, "--at", "2020-10-07T11:00", "--by", "C-3001")
    seeded.ok("custody", "dispose", "EV-4", "--action", "forfeited", "--authority", authority, "--by", "F-2001")
    out = tmp_path / "c.journal"
    seeded.ok("export", "journal", "--out", str(out))
    return str(out)


HOSTILE = dict(authority="Sentencia 4-2022; case:LIM, ciudad:Lima", voucher="0457812 destino:LIM",
               source="SBS; case:LIM")


def test_hostile_texts_add_no_comment_or_tag_to_the_journal(seeded, tmp_path):
    text = open(_journal(seeded, tmp_path, **HOSTILE), encoding="utf-8").read()
    for line in text.splitlines():
        if line.startswith("20") or line.startswith("P "):
            head, _sep, comment = line.partition(";")
            assert ":" not in comment.replace("case:AQP-2020-0147", ""), line
    assert "Sentencia 4-2022, case" in text  # the text is kept, its ';' made harmless


@pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed (apt-get install hledger)")
def test_hledger_reads_the_same_balances_and_tags_from_hostile_texts(seeded, tmp_path):
    journal = _journal(seeded, tmp_path, **HOSTILE)
    subprocess.run([HLEDGER, "-f", journal, "check"], check=True, timeout=60)
    tags = subprocess.run([HLEDGER, "-f", journal, "tags"], capture_output=True, text=True, check=True,
                          timeout=60).stdout.split()
    assert tags == ["case"]
    lima = subprocess.run([HLEDGER, "-f", journal, "register", "tag:case=LIM"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert lima.strip() == ""
    arequipa = subprocess.run([HLEDGER, "-f", journal, "print", "tag:case=^AQP-2020-0147$"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
    assert arequipa.count("\n20") + arequipa.startswith("20") == 5  # every entry still in its case
    assert hledger_balances(journal) == {
        ("deposits:Banco de la Nación:00-068-123456", "PEN"): Decimal("4000.00"),
        ("disposed:AQP-2020-0147:forfeited", "USD"): Decimal("250.00"),
        ("seized:AQP-2020-0147", "PEN"): Decimal("-4000.00"), ("seized:AQP-2020-0147", "USD"): Decimal("-250.00"),
    }


# --- a scanned payload with escape codes ---------------------------------------------------------
@pytest.mark.parametrize("payload", [
    "EV-000001/X%1B]0;PWNED%07/0123456789AB",
    "EV-000001/AQP-2020-0147/\x1b[2J0123456789AB",
    "EV-000001\x1b]0;PWNED\x07",
    "EV-0000\u202e01",
])
def test_item_show_refuses_control_characters_without_showing_them(seeded, payload):
    peru(seeded)
    result = seeded("item", "show", payload)
    assert result.exit_code == 1, result.output
    assert "control character U+" in result.stderr and "Scan the label again" in result.stderr
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output


# --- workbooks with a DTD -------------------------------------------------------------------------
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n')
EXTERNAL = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _workbook_with(tmp_path, prolog: str, part: str = "xl/worksheets/sheet1.xml", entity: str = "&lol3;"):
    from tests.cli.test_import import CASH_TABLE, write_xlsx

    path = write_xlsx(tmp_path / "items.xlsx", CASH_TABLE)
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    text = parts[part].decode()
    body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
    if part.endswith("sheet1.xml"):
        body = body.replace("<v>", f"<v>{entity}", 1) if entity else body
    parts[part] = (prolog + body).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


@pytest.mark.parametrize("prolog, part, entity", [
    (LAUGHS, "xl/worksheets/sheet1.xml", "&lol3;"),
    (EXTERNAL, "xl/worksheets/sheet1.xml", "&xxe;"),
    (EXTERNAL, "[Content_Types].xml", ""),
    (LAUGHS, "xl/workbook.xml", ""),
    ('<?xml version="1.0"?>\n<!DOCTYPE worksheet>\n', "xl/worksheets/sheet1.xml", ""),
])
def test_a_workbook_with_a_dtd_is_refused_with_a_sentence(seeded, tmp_path, prolog, part, entity):
    path = _workbook_with(tmp_path, prolog, part, entity)
    before = seeded.snapshot()
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"its part {part} declares a DTD" in result.stderr and "nothing was imported" in result.stderr
    assert "root:" not in result.output
    assert seeded.snapshot() == before


# --- look-alike badges and codes --------------------------------------------------------------------
@pytest.mark.parametrize("badge", ["B-1OO1", "B-I00I", "b-l00l", "B1OO1"])
def test_a_badge_that_reads_like_a_registered_one_is_refused(seeded, badge):
    before = seeded.snapshot()
    result = seeded("officer", "add", badge, "--name", "Otro Oficial", "--role", "officer")
    assert result.exit_code == 1, result.output
    assert "B-1001" in result.stderr and "reads" in result.stderr
    assert seeded.snapshot() == before


@pytest.mark.parametrize("code, existing", [("VAULT-I", "VAULT-1"), ("vault-l", "VAULT-1"), ("VAULT 1", "VAULT-1"),
                                            ("ER-AQP", "ER-AQP"), ("ER-AQP-0", "ER-AQP")])
def test_a_location_code_that_reads_like_a_registered_one_is_refused(seeded, code, existing):
    if code == "ER-AQP-0":
        seeded.ok("location", "add", "ER-AQP-O", "--name", "Sala O", "--kind", "evidence-room")
        existing = "ER-AQP-O"
    before = seeded.snapshot()
    result = seeded("location", "add", code, "--name", "Otro", "--kind", "vault")
    assert result.exit_code == 1, result.output
    assert existing in result.stderr and ("reads" in result.stderr or "already registered" in result.stderr)
    assert seeded.snapshot() == before


def test_a_badge_that_differs_in_another_digit_is_accepted(seeded):
    assert seeded("officer", "add", "B-1003", "--name", "Otra Oficial", "--role", "officer").exit_code == 0


# --- texts that reached the database another way ----------------------------------------------------
def test_escape_codes_written_into_the_tables_never_reach_the_terminal(seeded, db_url, backend):
    from sqlalchemy import create_engine, text

    peru(seeded)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # as someone with the database file in hand would
        conn.execute(text("UPDATE officers SET name = :n WHERE badge = 'B-1002'"), {"n": "Luis\x1b]0;PWNED\x07\u202e"})
        conn.execute(text("UPDATE items SET seal = :s WHERE id = 'EV-000001'"), {"s": "S-1\x1b[2J"})
    engine.dispose()
    for args in (["officer", "list"], ["item", "show", "EV-000001"], ["item", "list"]):
        result = seeded(*args)
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output, args
    assert "Luis\\x1b]0;PWNED\\x07\\u202e" in seeded("officer", "list", "--wide").stdout
