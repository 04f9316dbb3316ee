"""Every validation rule of registration refuses bad input with exit 1, a sentence naming the
field, no traceback, and a database left exactly as it was."""

from __future__ import annotations

import pytest

from tests.helpers import GOOD_IMEI

CASH = ["cash", "add", "SZ-000001", "--counted-by", "B-1001", "--verified-by", "B-1002", "--by", "B-1001"]
PHONE = ["phone", "add", "SZ-000001", "--make", "Samsung", "--model", "A10", "--by", "B-1001"]
CAR = ["vehicle", "add", "SZ-000001", "--make", "Toyota", "--model", "Yaris", "--by", "B-1001"]
DOC = ["document", "add", "SZ-000001", "--by", "B-1001"]

CASES = [
    # IMEI: 15 ASCII digits with a valid Luhn check digit
    ("imei 14 digits", PHONE + ["--imei", "49015420323751"], "--imei"),
    ("imei 16 digits", PHONE + ["--imei", "4901542032375180"], "--imei"),
    ("imei bad luhn", PHONE + ["--imei", "490154203237519"], "--imei"),
    ("imei letters", PHONE + ["--imei", "49015420323751A"], "--imei"),
    ("imei full-width", PHONE + ["--imei", "４９０１５４２０３２３７５１８"], "--imei"),
    ("imei zeros", PHONE + ["--imei", "000000000000000"], "--imei"),
    ("imei2 bad", PHONE + ["--imei", GOOD_IMEI, "--imei2", "123"], "--imei2"),
    # VIN: 17 characters, no I/O/Q
    ("vin short", CAR + ["--vin", "1HGCM82633A00435"], "--vin"),
    ("vin with O", CAR + ["--vin", "1HGCM82633AO04352"], "--vin"),
    ("vin with Q", CAR + ["--vin", "QHGCM82633A004352"], "--vin"),
    # plates
    ("plate garbage", CAR + ["--plate", "ZZZZ-ZZZZ"], "--plate"),
    ("plate control", CAR + ["--plate", "V1A\x00123"], "--plate"),
    # amounts and currencies
    ("amount negative", CASH + ["--amount", "-5", "--currency", "PEN"], "--amount"),
    ("amount zero", CASH + ["--amount", "0", "--currency", "PEN"], "--amount"),
    ("amount nan", CASH + ["--amount", "NaN", "--currency", "PEN"], "--amount"),
    ("amount inf", CASH + ["--amount", "Infinity", "--currency", "USD"], "--amount"),
    ("amount exponent", CASH + ["--amount", "1e3", "--currency", "USD"], "--amount"),
    ("amount decimals", CASH + ["--amount", "10.005", "--currency", "PEN"], "--amount"),
    ("amount ambiguous", CASH + ["--amount", "4.000", "--currency", "PEN"], "--amount"),
    ("amount symbol of another currency", CASH + ["--amount", "S/ 4.000,00", "--currency", "USD"], "--amount"),
    ("amount arabic-indic", CASH + ["--amount", "٤٠٠٠", "--currency", "PEN"], "--amount"),
    ("amount huge", CASH + ["--amount", "99999999999999999", "--currency", "PEN"], "--amount"),
    ("currency unknown", CASH + ["--amount", "10", "--currency", "ABC"], "--currency"),
    ("currency garbage", CASH + ["--amount", "10", "--currency", "soles"], "--currency"),
    ("denominations sum", CASH + ["--amount", "500", "--currency", "PEN", "--denominations", "200x2"], "--denominations"),
    ("denominations fake note", CASH + ["--amount", "300", "--currency", "PEN", "--denominations", "300x1"], "--denominations"),
    ("same counter and verifier", ["cash", "add", "SZ-000001", "--amount", "10", "--currency", "PEN", "--counted-by",
                                   "B-1001", "--verified-by", "B-1001", "--by", "B-1001"], "--verified-by"),
    ("vehicle value", CAR + ["--value", "lots"], "--value"),
    ("vehicle year", CAR + ["--year", "1850"], "--year"),
    # times
    ("time future", DOC + ["--title", "X", "--at", "2999-01-01T00:00"], "--at"),
    ("time impossible", DOC + ["--title", "X", "--at", "2020-02-30T10:00"], "--at"),
    ("time garbage zone", DOC + ["--title", "X", "--at", "2020-10-06T10:00+99:00"], "--at"),
    ("time before seizure", DOC + ["--title", "X", "--at", "2020-10-06T05:00"], "--at"),
    # text
    ("text NUL", DOC + ["--title", "Cuaderno\x00"], "--title"),
    ("text bidi override", DOC + ["--title", "Cuaderno \u202etxt.exe"], "--title"),
    ("text escape", DOC + ["--title", "Cuad\x1b[31mrojo"], "--title"),
    ("text zero width", DOC + ["--title", "Cua\u200bderno"], "--title"),
    ("text too long", DOC + ["--title", "x" * 501], "--title"),
    ("pages zero", DOC + ["--title", "X", "--pages", "0"], "--pages"),
    ("file missing", DOC + ["--title", "X", "--file", "/no/such/scan.pdf"], "--file"),
    # references
    ("unknown seizure", ["document", "add", "SZ-000099", "--title", "X", "--by", "B-1001"], "SEIZURE"),
    ("unknown officer", ["document", "add", "SZ-000001", "--title", "X", "--by", "B-9999"], "--by"),
    ("unknown counter", ["cash", "add", "SZ-000001", "--amount", "10", "--currency", "PEN", "--counted-by", "B-9999",
                         "--verified-by", "B-1002", "--by", "B-1001"], "--counted-by"),
    ("unknown location", DOC + ["--title", "X", "--location", "NOWHERE"], "--location"),
    ("no acting officer", ["document", "add", "SZ-000001", "--title", "X"], "--by"),
    ("unknown case", ["seizure", "record", "NOPE-1", "--at", "2020-10-06T05:30", "--place", "X", "--by", "B-1001"],
     "CASE_NO"),
    ("seizure future", ["seizure", "record", "AQP-2020-0147", "--at", "2999-10-06T05:30", "--place", "X",
                        "--by", "B-1001"], "--at"),
    ("case duplicate", ["case", "open", "AQP-2020-0147", "--title", "again", "--by", "B-1001"], "AQP-2020-0147"),
    ("case prosecutor not prosecutor", ["case", "open", "AQP-2", "--title", "t", "--prosecutor", "B-1002",
                                        "--by", "B-1001"], "--prosecutor"),
    ("officer duplicate", ["officer", "add", "B-1001", "--name", "Otra", "--role", "officer"], "B-1001"),
    ("officer bad badge", ["officer", "add", "B 1001;DROP", "--name", "X", "--role", "officer"], "BADGE"),
    ("officer name control", ["officer", "add", "B-7", "--name", "Ana\x07", "--role", "officer"], "--name"),
    ("location duplicate", ["location", "add", "ER-AQP", "--name", "X"], "ER-AQP"),
]


@pytest.mark.parametrize("args, field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_nothing_written(seeded, args, field):
    before = seeded.snapshot()
    result = seeded(*args)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert field in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert seeded.snapshot() == before


def test_legal_but_odd_text_is_stored_literally(seeded):
    title = "' OR 1=1 -- ; DROP TABLE items; =SUM(A1)"
    item = seeded.ok("document", "add", "SZ-000001", "--title", title, "--by", "B-1001")
    assert seeded.ok("item", "show", item, json_out=True)["title"] == title
    seeded.ok("officer", "add", "B-1003", "--name", "María O'Brien Ñáñez", "--role", "officer")
    names = {o["badge"]: o["name"] for o in seeded.ok("officer", "list", json_out=True)}
    assert names["B-1003"] == "María O'Brien Ñáñez"
