"""The bad-input catalog: hostile and malformed values in every argument class, driven
through the CLI. Each case must exit with its code, say in a sentence on stderr which field
is wrong, show no traceback, and leave every table exactly as it was. Legal but odd text
(quotes, SQL-looking titles, formula-looking names) is stored and shown literally.

tests/cli/test_bad_input.py holds the first fifty registration refusals; this catalog adds
to them (custody, rates, conversion, import files, exports, global options) and runs all of
its cases against one shared ledger per backend: since a refusal writes nothing, every case
starts from the same state, which the snapshot comparison proves.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import (
    BACKENDS,
    PG_SKIP,
    PG_URL,
    _pg_admin,
    create_pg_database,
    drop_pg_database,
    pg_url_for,
)
from tests.helpers import GOOD_IMEI, GOOD_IMEI2, CliHarness
from tests.reliability.world import build_world

CASH = ["cash", "add", "SZ-1", "--counted-by", "B-1001", "--verified-by", "B-1002", "--by", "B-1001"]
PHONE = ["phone", "add", "SZ-1", "--make", "Samsung", "--model", "A10", "--by", "B-1001"]
CAR = ["vehicle", "add", "SZ-1", "--make", "Toyota", "--model", "Yaris", "--by", "B-1001"]
DOC = ["document", "add", "SZ-1", "--by", "B-1001"]
XFER = ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001", "--by", "B-1001"]
XFER_R = XFER + ["--reason", "Al depósito"]
RESEAL = ["custody", "reseal", "EV-1", "--by", "B-1001"]
DISPOSE = ["custody", "dispose", "EV-2", "--by", "F-2001"]
RATE = ["rate", "set", "--source", "SBS", "--by", "B-1001", "--"]
CONVERT = ["convert", "--to", "USD", "--on", "2020-10-06", "--"]
SQLI = "B-1001' OR '1'='1"


def DEPOSIT(*items, by="B-1001", voucher="0457812"):  # noqa: N802 - reads like the other argv constants
    return ["custody", "deposit", *items, "--bank", "Banco de la Nación", "--account", "00-068-123456",
            "--voucher", voucher, "--by", by]


ASSIGN = ["custody", "assign", "EV-1", "--to-entity", "Municipalidad de Arequipa", "--by", "C-3001"]
SQLI2 = "x'); DROP TABLE events; --"


def amount(value, currency="PEN"):
    return CASH + ["--amount", value, "--currency", currency]


# (id, argv, exit code, text that must appear on stderr: the field named)
CASES: list[tuple[str, list[str], int, str]] = [
    # --- amounts -----------------------------------------------------------------------
    ("amount -0.01", amount("-0.01"), 1, "--amount"),
    ("amount 0.00", amount("0.00"), 1, "--amount"),
    ("amount -0", amount("-0"), 1, "--amount"),
    ("amount nan lower", amount("nan"), 1, "--amount"),
    ("amount sNaN", amount("sNaN"), 1, "--amount"),
    ("amount -Infinity", amount("-Infinity", "USD"), 1, "--amount"),
    ("amount inf", amount("inf", "USD"), 1, "--amount"),
    ("amount 1E+3", amount("1E+3"), 1, "--amount"),
    ("amount 1e-2", amount("1e-2"), 1, "--amount"),
    ("amount two points", amount("10.5.5"), 1, "--amount"),
    ("amount comma four decimals", amount("1,5555"), 1, "--amount"),
    ("amount space thousands", amount("4 000"), 1, "--amount"),
    ("amount apostrophe thousands", amount("4'000.00"), 1, "--amount"),
    ("amount underscore", amount("1_000"), 1, "--amount"),
    ("amount hex", amount("0x10"), 1, "--amount"),
    ("amount symbol of another currency", amount("US$ 100"), 1, "--amount"),
    ("amount dot thousands or decimals", amount("4.000"), 1, "--amount"),
    ("amount with code", amount("100 PEN"), 1, "--amount"),
    ("amount full-width", amount("１００"), 1, "--amount"),
    ("amount persian digits", amount("۱۰۰"), 1, "--amount"),
    ("amount devanagari", amount("१००"), 1, "--amount"),
    ("amount 30 digits", amount("1" + "0" * 30), 1, "--amount"),
    ("amount exponent huge", amount("1e999999"), 1, "--amount"),
    ("amount USD 3 decimals", amount("10.001", "USD"), 1, "--amount"),
    ("amount JPY decimals", amount("10.5", "JPY"), 1, "--amount"),
    ("amount blank", amount("   "), 1, "--amount"),
    ("amount NUL", amount("10\x00"), 1, "--amount"),
    ("amount sqli", amount(SQLI2), 1, "--amount"),
    ("value no currency", CAR + ["--value", "45000"], 1, "--value"),
    ("value bad currency", CAR + ["--value", "45000 XXY"], 1, "--value"),
    ("value negative", CAR + ["--value", "-1 PEN"], 1, "--value"),
    ("value nan", CAR + ["--value", "NaN PEN"], 1, "--value"),
    ("value ambiguous", CAR + ["--value", "45.000 PEN"], 1, "--value"),
    ("convert nan", CONVERT + ["NaN", "PEN"], 1, "AMOUNT"),
    ("convert -inf", CONVERT + ["-Infinity", "PEN"], 1, "AMOUNT"),
    ("convert full-width", CONVERT + ["４０００", "PEN"], 1, "AMOUNT"),
    ("convert huge", CONVERT + ["9" * 40, "PEN"], 1, "AMOUNT"),
    ("convert excess decimals", CONVERT + ["1.001", "PEN"], 1, "AMOUNT"),
    ("convert empty", CONVERT + ["", "PEN"], 1, "AMOUNT"),
    ("rate zero point", RATE + ["2020-10-05", "USD", "PEN", "0.0000"], 1, "RATE"),
    ("rate inf", RATE + ["2020-10-05", "USD", "PEN", "inf"], 1, "RATE"),
    ("rate full-width", RATE + ["2020-10-05", "USD", "PEN", "３.５"], 1, "RATE"),
    ("rate arabic-indic", RATE + ["2020-10-05", "USD", "PEN", "٣٫٥"], 1, "RATE"),
    ("rate huge", RATE + ["2020-10-05", "USD", "PEN", "1" + "0" * 40], 1, "RATE"),
    ("rate letters", RATE + ["2020-10-05", "USD", "PEN", "tres"], 1, "RATE"),
    ("rate too many decimals", RATE + ["2020-10-05", "USD", "PEN", "3.58701234567890123"], 1, "RATE"),
    # --- currencies ----------------------------------------------------------------------
    ("currency dollar sign", amount("10", "$"), 1, "--currency"),
    ("currency US$", amount("10", "US$"), 1, "--currency"),
    ("currency euro sign", amount("10", "€"), 1, "--currency"),
    ("currency full-width", amount("10", "ＰＥＮ"), 1, "--currency"),
    ("currency inner space", amount("10", "PE N"), 1, "--currency"),
    ("currency four letters", amount("10", "EURO"), 1, "--currency"),
    ("currency NUL", amount("10", "PEN\x00"), 1, "--currency"),
    ("currency sqli", amount("10", SQLI2), 1, "--currency"),
    ("convert currency unknown", CONVERT + ["10", "XYZ"], 1, "CURRENCY"),
    ("convert to unknown", ["convert", "10", "PEN", "--to", "ZZZ", "--on", "2020-10-06"], 1, "--to"),
    ("convert to sqli", ["convert", "10", "PEN", "--to", SQLI, "--on", "2020-10-06"], 1, "--to"),
    ("rate base sqli", RATE + ["2020-10-05", SQLI2, "PEN", "3.5"], 1, "BASE"),
    ("rate quote unknown", RATE + ["2020-10-05", "USD", "QQQ", "3.5"], 1, "QUOTE"),
    ("totals in unknown", ["case", "totals", "AQP-2020-0147", "--in", "XXY"], 1, "--in"),
    ("export in unknown", ["export", "xlsx", "AQP-2020-0147", "--out", "@out.xlsx", "--in", "DOLLARS"], 1, "--in"),
    # --- dates and times -------------------------------------------------------------------
    ("at month 13", DOC + ["--title", "X", "--at", "2020-13-01T00:00"], 1, "--at"),
    ("at day 0", DOC + ["--title", "X", "--at", "2020-10-00T10:00"], 1, "--at"),
    ("at 29 Feb 2021", DOC + ["--title", "X", "--at", "2021-02-29T10:00"], 1, "--at"),
    ("at hour 24", DOC + ["--title", "X", "--at", "2020-10-06T24:00"], 1, "--at"),
    ("at minute 60", DOC + ["--title", "X", "--at", "2020-10-06T23:60"], 1, "--at"),
    ("at second 61", DOC + ["--title", "X", "--at", "2020-10-06T23:00:61"], 1, "--at"),
    ("at day-first", DOC + ["--title", "X", "--at", "06/10/2020 10:00"], 1, "--at"),
    ("at words", DOC + ["--title", "X", "--at", "yesterday"], 1, "--at"),
    ("at zone name", DOC + ["--title", "X", "--at", "2020-10-06T10:00 America/Lima"], 1, "--at"),
    ("at offset minutes 61", DOC + ["--title", "X", "--at", "2020-10-06T10:00-05:61"], 1, "--at"),
    ("at offset +15", DOC + ["--title", "X", "--at", "2020-10-06T10:00+15:00"], 1, "--at"),
    ("at year 1989", DOC + ["--title", "X", "--at", "1989-12-31T23:59"], 1, "--at"),
    ("at full-width", DOC + ["--title", "X", "--at", "２０２０-10-06T10:00"], 1, "--at"),
    ("at epoch", DOC + ["--title", "X", "--at", "1601964000"], 1, "--at"),
    ("at year 10000", DOC + ["--title", "X", "--at", "10000-01-01T00:00"], 1, "--at"),
    ("at sqli", DOC + ["--title", "X", "--at", SQLI2], 1, "--at"),
    ("transfer at future", XFER_R + ["--at", "2999-01-01T00:00"], 1, "--at"),
    ("transfer at before registration", XFER_R + ["--at", "2020-10-06T05:59"], 1, "before its last recorded event"),
    ("transfer at impossible", XFER_R + ["--at", "2020-02-30T10:00"], 1, "--at"),
    ("reseal at before", RESEAL + ["--old-seal", "S-0001", "--new-seal", "S-9", "--reason", "r",
                                   "--at", "2020-10-06T05:00"], 1, "--at"),
    ("dispose at future", DISPOSE + ["--action", "destroyed", "--authority", "Res. 1", "--at", "2999-01-01"], 1,
     "--at"),
    ("seizure at impossible", ["seizure", "record", "AQP-2020-0147", "--at", "2020-04-31T10:00", "--place", "X",
                               "--by", "B-1001"], 1, "--at"),
    ("case at garbage", ["case", "open", "AQP-3", "--title", "t", "--by", "B-1001", "--at", "ayer"], 1, "--at"),
    ("holdings at garbage", ["custody", "holdings", "B-1001", "--at", "2020-10-06T99:00"], 1, "--at"),
    ("rate date impossible", RATE + ["2021-02-29", "USD", "PEN", "3.5"], 1, "DATE"),
    ("rate date 1989", RATE + ["1989-10-05", "USD", "PEN", "3.5"], 1, "DATE"),
    ("rate date compact", RATE + ["20201006", "USD", "PEN", "3.5"], 1, "DATE"),
    ("rate date with time", RATE + ["2020-10-06T10:00", "USD", "PEN", "3.5"], 1, "DATE"),
    ("convert on future", ["convert", "10", "PEN", "--to", "USD", "--on", "2999-01-01"], 1, "--on"),
    ("convert on garbage", ["convert", "10", "PEN", "--to", "USD", "--on", "6 Oct"], 1, "--on"),
    ("rate list from garbage", ["rate", "list", "--from", "last week"], 1, "--from"),
    ("rate list to impossible", ["rate", "list", "--to", "2020-09-31"], 1, "--to"),
    ("tz unknown", ["--tz", "Mars/Olympus_Mons", "item", "list"], 1, "--tz"),
    ("tz offset text", ["--tz", "UTC+5", "item", "list"], 1, "--tz"),
    ("tz empty", ["--tz", " ", "item", "list"], 1, "--tz"),
    ("tz localtime", ["--tz", "localtime", "item", "list"], 1, "--tz"),
    ("tz sqli", ["--tz", SQLI2, "item", "list"], 1, "--tz"),
    # --- IMEIs -------------------------------------------------------------------------------
    ("imei dashes", PHONE + ["--imei", "49-015420-323751-8"], 1, "--imei"),
    ("imei one full-width digit", PHONE + ["--imei", "49015420323751８"], 1, "--imei"),
    ("imei arabic-indic", PHONE + ["--imei", "٤٩٠١٥٤٢٠٣٢٣٧٥١٨"], 1, "--imei"),
    ("imei 17 digits (IMEISV+)", PHONE + ["--imei", "49015420323751800"], 1, "--imei"),
    ("imei negative", PHONE + ["--imei", "-490154203237518"], 1, "--imei"),
    ("imei NUL", PHONE + ["--imei", GOOD_IMEI + "\x00"], 1, "--imei"),
    ("imei sqli", PHONE + ["--imei", SQLI2], 1, "--imei"),
    ("imei2 repeats imei", PHONE + ["--imei", GOOD_IMEI, "--imei2", GOOD_IMEI], 1, "--imei2"),
    ("imei2 zeros", PHONE + ["--imei", GOOD_IMEI, "--imei2", "0" * 15], 1, "--imei2"),
    ("imei2 bad luhn", PHONE + ["--imei", GOOD_IMEI, "--imei2", GOOD_IMEI2[:-1] + "0"], 1, "--imei2"),
    ("phone number letters", PHONE + ["--imei", GOOD_IMEI, "--number", "nueve"], 1, "--number"),
    # --- VINs ----------------------------------------------------------------------------------
    ("vin with I", CAR + ["--vin", "1HGCM82633AI04352"], 1, "--vin"),
    ("vin 18 chars", CAR + ["--vin", "1HGCM82633A0043521"], 1, "--vin"),
    ("vin lowercase o", CAR + ["--vin", "1hgcm82633ao04352"], 1, "--vin"),
    ("vin inner space", CAR + ["--vin", "1HGCM 82633A004352"], 1, "--vin"),
    ("vin full-width digit", CAR + ["--vin", "1HGCM82633A00435２"], 1, "--vin"),
    ("vin umlaut", CAR + ["--vin", "ÄHGCM82633A004352"], 1, "--vin"),
    ("vin dashes", CAR + ["--vin", "1HGCM-82633-A004352"], 1, "--vin"),
    ("vin sqli", CAR + ["--vin", SQLI2], 1, "--vin"),
    # --- plates and other vehicle fields ---------------------------------------------------
    ("plate ambiguous", CAR + ["--plate", "AB1234"], 1, "--plate"),
    ("plate accented", CAR + ["--plate", "ÁBC-123"], 1, "--plate"),
    ("plate too long", CAR + ["--plate", "ABC-1234"], 1, "--plate"),
    ("plate dashes only", CAR + ["--plate", "---"], 1, "--plate"),
    ("plate sqli", CAR + ["--plate", SQLI2], 1, "--plate"),
    ("plate foreign symbols", CAR + ["--plate", "AB#12", "--plate-kind", "foreign"], 1, "--plate"),
    ("plate kind unknown", CAR + ["--plate", "ABC-123", "--plate-kind", "mars"], (1, 2), "--plate-kind"),
    ("year full-width", CAR + ["--year", "２０１８"], 1, "--year"),
    ("year far future", CAR + ["--year", "2999"], 1, "--year"),
    ("year huge", CAR + ["--year", "9" * 30], 1, "--year"),
    ("pages negative", DOC + ["--title", "X", "--pages", "-3"], (1, 2), "--pages"),
    ("pages float", DOC + ["--title", "X", "--pages", "3.5"], (1, 2), "--pages"),
    ("pages huge", DOC + ["--title", "X", "--pages", "9" * 25], (1, 2), "--pages"),
    ("denominations garbage", CASH + ["--amount", "100", "--currency", "PEN", "--denominations", "lots"], 1,
     "--denominations"),
    ("denominations negative count", CASH + ["--amount", "100", "--currency", "PEN", "--denominations", "100x-1"], 1,
     "--denominations"),
    # --- badges and references that do not exist ------------------------------------------
    ("transfer from unknown", XFER_R[:3] + ["--from", "B-9999", "--to", "C-3001", "--by", "C-3001",
                                            "--reason", "r"], 1, "--from"),
    ("transfer to unknown", XFER_R[:3] + ["--from", "B-1001", "--to", "B-9999", "--by", "B-1001",
                                          "--reason", "r"], 1, "--to"),
    ("transfer by unknown", XFER_R[:3] + ["--from", "B-1001", "--to", "C-3001", "--by", "X-1",
                                          "--reason", "r"], 1, "--by"),
    ("transfer item unknown", ["custody", "transfer", "EV-999999", "--from", "B-1001", "--to", "C-3001",
                               "--reason", "r", "--by", "B-1001"], 1, "EV-999999"),
    ("transfer item garbage", ["custody", "transfer", "EV-abc", "--from", "B-1001", "--to", "C-3001",
                               "--reason", "r", "--by", "B-1001"], 1, "EV-abc"),
    ("transfer item huge number", ["custody", "transfer", "EV-" + "9" * 30, "--from", "B-1001", "--to", "C-3001",
                                   "--reason", "r", "--by", "B-1001"], 1, "ITEM"),
    ("transfer item sqli", ["custody", "transfer", SQLI2, "--from", "B-1001", "--to", "C-3001",
                            "--reason", "r", "--by", "B-1001"], 1, "ITEM"),
    ("transfer from sqli", XFER_R[:3] + ["--from", SQLI, "--to", "C-3001", "--by", "C-3001",
                                         "--reason", "r"], 1, "--from"),
    ("transfer to sqli", XFER_R[:3] + ["--from", "B-1001", "--to", SQLI, "--by", "B-1001", "--reason", "r"], 1,
     "--to"),
    ("transfer by sqli", XFER_R[:3] + ["--from", "B-1001", "--to", "C-3001", "--by", SQLI, "--reason", "r"], 1,
     "--by"),
    ("transfer location unknown", XFER_R + ["--location", "NOWHERE"], 1, "--location"),
    ("transfer location sqli", XFER_R + ["--location", SQLI2], 1, "--location"),
    ("transfer seal sqli", XFER_R + ["--seal", SQLI2], 1, "--seal"),
    ("transfer request-id too long", XFER_R + ["--request-id", "r" * 200], 1, "--request-id"),
    ("reseal item unknown", ["custody", "reseal", "EV-777", "--old-seal", "S-1", "--new-seal", "S-2",
                             "--reason", "r", "--by", "B-1001"], 1, "EV-777"),
    ("dispose item unknown", ["custody", "dispose", "EV-777", "--action", "destroyed", "--authority", "R",
                              "--by", "F-2001"], 1, "EV-777"),
    ("holdings unknown", ["custody", "holdings", "B-9999"], 1, "B-9999"),
    ("holdings sqli", ["custody", "holdings", SQLI], 1, "BADGE"),
    ("item show unknown", ["item", "show", "EV-424242"], 1, "EV-424242"),
    ("item show sqli", ["item", "show", SQLI2], 1, "ITEM"),
    ("item history unknown", ["item", "history", "EV-424242"], 1, "EV-424242"),
    ("case show unknown", ["case", "show", "NOPE-1"], 1, "NOPE-1"),
    ("case show sqli", ["case", "show", SQLI2], 1, "CASE_NO"),
    ("case totals unknown", ["case", "totals", "NOPE-1"], 1, "NOPE-1"),
    ("verify case unknown", ["verify", "--case", "NOPE-1"], 1, "--case"),
    ("verify case sqli", ["verify", "--case", SQLI2], 1, "--case"),
    ("export xlsx unknown case", ["export", "xlsx", "NOPE-1", "--out", "@out.xlsx"], 1, "NOPE-1"),
    ("export log unknown case", ["export", "log", "--case", "NOPE-1", "--out", "@bundle"], 1, "--case"),
    ("seizure sqli", ["document", "add", SQLI2, "--title", "X", "--by", "B-1001"], 1, "SEIZURE"),
    ("seizure huge number", ["document", "add", "SZ-" + "9" * 30, "--title", "X", "--by", "B-1001"], 1, "SEIZURE"),
    ("case open sqli", ["case", "open", SQLI2, "--title", "t", "--by", "B-1001"], 1, "CASE_NO"),
    ("case prosecutor unknown", ["case", "open", "AQP-9", "--title", "t", "--prosecutor", "F-9", "--by", "B-1001"],
     1, "--prosecutor"),
    ("seizure acta sqli", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30", "--place", "X",
                           "--acta", SQLI2, "--by", "B-1001"], 1, "--acta"),
    ("location code sqli", ["location", "add", SQLI2, "--name", "X"], 1, "CODE"),
    ("officer badge sqli", ["officer", "add", SQLI, "--name", "X", "--role", "officer"], 1, "BADGE"),
    ("cash seal sqli", amount("10") + ["--seal", SQLI2], 1, "--seal"),
    ("cash location sqli", amount("10") + ["--location", SQLI2], 1, "--location"),
    ("cash verifier sqli", ["cash", "add", "SZ-1", "--amount", "10", "--currency", "PEN", "--counted-by", "B-1001",
                            "--verified-by", SQLI, "--by", "B-1001"], 1, "--verified-by"),
    ("rate by unknown", ["rate", "set", "--source", "SBS", "--by", "B-9999", "--", "2020-10-05", "USD", "PEN",
                         "3.5"], 1, "--by"),
    ("item list holder sqli", ["item", "list", "--holder", SQLI], 1, "--holder"),
    ("item list case sqli", ["item", "list", "--case", SQLI2], 1, "--case"),
    # --- rules of custody --------------------------------------------------------------------
    ("transfer from non-holder", ["custody", "transfer", "EV-1", "--from", "B-1002", "--to", "C-3001",
                                  "--reason", "r", "--by", "B-1002"], 1, "held by B-1001"),
    ("transfer by receiver", ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                              "--reason", "r", "--by", "C-3001"], 1, "custody accept"),
    ("transfer to auditor", ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "A-4001",
                             "--reason", "r", "--by", "B-1001"], 1, "--to A-4001"),
    ("transfer by auditor", ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                             "--reason", "r", "--by", "A-4001"], 1, "A-4001"),
    ("transfer by bystander", ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                               "--reason", "r", "--by", "B-1002"], 1, "--by B-1002"),
    ("transfer to self", ["custody", "transfer", "EV-1", "--from", "B-1001", "--to", "B-1001",
                          "--reason", "r", "--by", "B-1001"], 1, "--to"),
    ("transfer disposed item", ["custody", "transfer", "EV-4", "--from", "B-1001", "--to", "C-3001",
                                "--reason", "r", "--by", "B-1001"], 1, "EV-000004"),
    ("transfer item twice", ["custody", "transfer", "EV-1", "EV-000001", "--from", "B-1001", "--to", "C-3001",
                             "--reason", "r", "--by", "B-1001"], 1, "EV-000001"),
    ("transfer two cases", ["custody", "transfer", "EV-1", "EV-5", "--from", "B-1001", "--to", "C-3001",
                            "--reason", "r", "--by", "B-1001"], 1, "cases"),
    ("transfer one bad among good", ["custody", "transfer", "EV-1", "EV-2", "EV-3", "EV-4", "--from", "B-1001",
                                     "--to", "C-3001", "--reason", "r", "--by", "B-1001"], 1, "EV-000004"),
    ("reseal wrong old seal", RESEAL + ["--old-seal", "S-9999", "--new-seal", "S-0101", "--reason", "r"], 1,
     "S-9999"),
    ("reseal same seal", RESEAL + ["--old-seal", "S-0001", "--new-seal", "S-0001", "--reason", "r"], 1,
     "--new-seal"),
    ("reseal unsealed wrong", ["custody", "reseal", "EV-2", "--old-seal", "S-1", "--new-seal", "S-2",
                               "--reason", "r", "--by", "B-1001"], 1, "none"),
    ("reseal by non-holder", ["custody", "reseal", "EV-1", "--old-seal", "S-0001", "--new-seal", "S-2",
                              "--reason", "r", "--by", "B-1002"], 1, "held by B-1001"),
    ("reseal new seal bidi", RESEAL + ["--old-seal", "S-0001", "--new-seal", "S-\u202e1", "--reason", "r"], 1,
     "--new-seal"),
    ("dispose by officer role", ["custody", "dispose", "EV-2", "--action", "destroyed", "--authority", "R",
                                 "--by", "B-1001"], 1, "B-1001"),
    ("dispose disposed", ["custody", "dispose", "EV-4", "--action", "destroyed", "--authority", "R",
                          "--by", "F-2001"], 1, "EV-000004"),
    ("dispose action unknown", DISPOSE + ["--action", "sold", "--authority", "R"], 2, "--action"),
    ("dispose authority blank", DISPOSE + ["--action", "destroyed", "--authority", "  "], 1, "--authority"),
    ("dispose authority bidi", DISPOSE + ["--action", "destroyed", "--authority", "Res.\u202e 1"], 1,
     "--authority"),
    ("dispose to NUL", DISPOSE + ["--action", "returned", "--authority", "R", "--to", "Dueño\x00"], 1, "--to"),
    ("rate conflicting value", RATE + ["2020-10-06", "USD", "PEN", "3.6000"], 1, "already recorded"),
    ("rate supersede nothing", ["rate", "set", "--source", "SBS", "--by", "B-1001", "--supersede", "--reason", "x",
                                "--", "2020-10-01", "USD", "PEN", "3.5"], 1, "--supersede"),
    ("rate supersede without reason", ["rate", "set", "--source", "SBS", "--by", "B-1001", "--supersede", "--",
                                       "2020-10-06", "USD", "PEN", "3.6"], 1, "--reason"),
    ("rate by auditor", ["rate", "set", "--source", "SBS", "--by", "A-4001", "--", "2020-10-05", "USD", "PEN",
                         "3.5"], 1, "A-4001"),
    ("convert no rate in window", ["convert", "10", "PEN", "--to", "USD", "--on", "2020-11-30"], 1, "rate set"),
    ("convert source unknown", CONVERT[:-1] + ["--source", "BCRP", "--", "10", "PEN"], 1, "BCRP"),
    # --- text: control, bidi, zero-width, overlong -------------------------------------------
    ("reason NUL", XFER + ["--reason", "A\x00B"], 1, "--reason"),
    ("reason bell", XFER + ["--reason", "Alarma\x07"], 1, "--reason"),
    ("reason escape", XFER + ["--reason", "\x1b]0;pwned\x07"], 1, "--reason"),
    ("reason bidi override", XFER + ["--reason", "Lab \u202egnp.exe"], 1, "--reason"),
    ("reason bidi isolate", XFER + ["--reason", "Lab \u2066x\u2069"], 1, "--reason"),
    ("reason zero width", XFER + ["--reason", "La\u200bb"], 1, "--reason"),
    ("reason BOM inside", XFER + ["--reason", "La\ufeffb"], 1, "--reason"),
    ("reason blank", XFER + ["--reason", "   "], 1, "--reason"),
    ("reason overlong", XFER + ["--reason", "r" * 501], 1, "--reason"),
    ("reason lone surrogate", XFER + ["--reason", "ab\udcff"], 1, "--reason"),
    ("case title overlong", ["case", "open", "AQP-9", "--title", "t" * 501, "--by", "B-1001"], 1, "--title"),
    ("case title NUL", ["case", "open", "AQP-9", "--title", "t\x00", "--by", "B-1001"], 1, "--title"),
    ("case court bidi", ["case", "open", "AQP-9", "--title", "t", "--court", "\u202eJuzgado", "--by", "B-1001"], 1,
     "--court"),
    ("seizure place overlong", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30",
                                "--place", "p" * 501, "--by", "B-1001"], 1, "--place"),
    ("seizure place zero width", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30",
                                  "--place", "Calle\u200d 1", "--by", "B-1001"], 1, "--place"),
    ("seizure witness control", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30",
                                 "--place", "X", "--witness", "Tes\x08tigo", "--by", "B-1001"], 1, "--witness"),
    ("seizure from-person bidi", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30",
                                  "--place", "X", "--from-person", "Per\u202dsona", "--by", "B-1001"], 1,
     "--from-person"),
    ("officer name overlong", ["officer", "add", "B-8", "--name", "n" * 201, "--role", "officer"], 1, "--name"),
    ("officer unit NUL", ["officer", "add", "B-8", "--name", "N", "--role", "officer", "--unit", "U\x00"], 1,
     "--unit"),
    ("location name bidi", ["location", "add", "LAB-9", "--name", "Lab\u202e"], 1, "--name"),
    ("make overlong", ["vehicle", "add", "SZ-1", "--make", "m" * 101, "--model", "X", "--by", "B-1001"], 1,
     "--make"),
    ("model control", ["phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "S", "--model", "A\x7f1",
                       "--by", "B-1001"], 1, "--model"),
    ("color overlong", CAR + ["--color", "c" * 51], 1, "--color"),
    ("rate source control", ["rate", "set", "--source", "SB\x1bS", "--by", "B-1001", "--", "2020-10-05", "USD",
                             "PEN", "3.5"], 1, "--source"),
    ("rate source blank", ["rate", "set", "--source", " ", "--by", "B-1001", "--", "2020-10-05", "USD", "PEN",
                           "3.5"], 1, "--source"),
    # --- files -------------------------------------------------------------------------------
    ("import whitespace file", ["item", "import", "SZ-1", "@spaces.csv", "--by", "B-1001"], 1, "spaces.csv"),
    ("import random bytes", ["item", "import", "SZ-1", "@random.csv", "--by", "B-1001"], 1, "random.csv"),
    ("import png", ["item", "import", "SZ-1", "@png.csv", "--by", "B-1001"], 1, "png.csv"),
    ("import gzip", ["item", "import", "SZ-1", "@gzip.csv", "--by", "B-1001"], 1, "gzip.csv"),
    ("import truncated quote", ["item", "import", "SZ-1", "@truncated.csv", "--by", "B-1001"], 1, "truncated.csv"),
    ("import cp1252", ["item", "import", "SZ-1", "@cp1252.csv", "--by", "B-1001"], 1, "cp1252.csv"),
    ("import utf-16 big endian", ["item", "import", "SZ-1", "@utf16be.csv", "--by", "B-1001"], 1, "utf16be.csv"),
    ("import pdf named xlsx", ["item", "import", "SZ-1", "@pdf.xlsx", "--by", "B-1001"], 1, "pdf.xlsx"),
    ("import empty xlsx", ["item", "import", "SZ-1", "@empty.xlsx", "--by", "B-1001"], 1, "empty.xlsx"),
    ("import empty zip as xlsx", ["item", "import", "SZ-1", "@zipped.xlsx", "--by", "B-1001"], 1, "zipped.xlsx"),
    ("import directory", ["item", "import", "SZ-1", "@scan-dir", "--by", "B-1001"], (1, 2), "scan-dir"),
    ("import no header", ["item", "import", "SZ-1", "@noheader.csv", "--by", "B-1001"], 1, "row 1"),
    ("import control char in row", ["item", "import", "SZ-1", "@badrow.csv", "--by", "B-1001"], 1, "column title"),
    ("import negative pages", ["item", "import", "SZ-1", "@badpages.csv", "--by", "B-1001"], 1, "column pages"),
    ("import unknown kind", ["item", "import", "SZ-1", "@badkind.csv", "--by", "B-1001"], 1, "column kind"),
    ("import bad imei", ["item", "import", "SZ-1", "@badimei.csv", "--by", "B-1001"], 1, "column imei"),
    ("import nan amount", ["item", "import", "SZ-1", "@badamount.csv", "--by", "B-1001"], 1, "column amount"),
    ("import unknown officer", ["item", "import", "SZ-1", "@badofficer.csv", "--by", "B-1001"], 1,
     "column counted-by"),
    ("import sqli location", ["item", "import", "SZ-1", "@sqli.csv", "--by", "B-1001"], 1, "column location"),
    ("import by auditor", ["item", "import", "SZ-1", "@badpages.csv", "--by", "A-4001"], 1, "A-4001"),
    ("import seizure of nothing", ["item", "import", "SZ-404", "@badpages.csv", "--by", "B-1001"], 1, "SZ-404"),
    ("import at before seizure", ["item", "import", "SZ-1", "@sqli.csv", "--by", "B-1001",
                                  "--at", "2020-10-06T05:00"], 1, "column location"),
    ("rate import empty", ["rate", "import", "@rates-empty.csv", "--source", "SBS", "--by", "B-1001"], 1,
     "rates-empty.csv"),
    ("rate import binary", ["rate", "import", "@rates-binary.csv", "--source", "SBS", "--by", "B-1001"], 1,
     "rates-binary.csv"),
    ("rate import latin-1", ["rate", "import", "@rates-latin1.csv", "--source", "SBS", "--by", "B-1001"], 1,
     "rates-latin1.csv"),
    ("rate import truncated json", ["rate", "import", "@rates-truncated.json", "--source", "BCRP",
                                    "--by", "B-1001"], 1, "rates-truncated.json"),
    ("rate import wrong json shape", ["rate", "import", "@rates-shape.json", "--source", "BCRP",
                                      "--by", "B-1001"], 1, "rates-shape.json"),
    ("rate import nan row", ["rate", "import", "@rates-bad.csv", "--source", "SBS", "--by", "B-1001"], 1, "line 2"),
    ("rate import future row", ["rate", "import", "@rates-future.csv", "--source", "SBS", "--by", "B-1001"], 1,
     "line 2"),
    ("rate import negative row", ["rate", "import", "@rates-negative.csv", "--source", "SBS", "--by", "B-1001"], 1,
     "line 2"),
    ("rate import directory", ["rate", "import", "@scan-dir", "--source", "SBS", "--by", "B-1001"], 2, "scan-dir"),
    ("document file is a folder", DOC + ["--title", "X", "--file", "@scan-dir"], 1, "--file"),
    ("document file NUL in path", DOC + ["--title", "X", "--file", "scan\x00.pdf"], 1, "--file"),
    ("export out folder missing", ["export", "xlsx", "AQP-2020-0147", "--out", "@no/such/dir/out.xlsx"], 1,
     "--out"),
    ("export out not xlsx", ["export", "xlsx", "AQP-2020-0147", "--out", "@out.csv"], 1, "--out"),
    ("export out exists", ["export", "xlsx", "AQP-2020-0147", "--out", "@exists.xlsx"], 1, "--force"),
    ("export out is a folder", ["export", "xlsx", "AQP-2020-0147", "--out", "@scan-dir"], 1, "--out"),
    ("export out NUL", ["export", "xlsx", "AQP-2020-0147", "--out", "out\x00.xlsx"], 1, "--out"),
    ("export source unknown", ["export", "xlsx", "AQP-2020-0147", "--out", "@out.xlsx", "--source", "BCRP"], 1,
     "BCRP"),
    # --- --db values the program cannot use (a later --db overrides the world's own) ----
    ("db mysql url", ["--db", "mysql://x@y/z", "officer", "list"], 4, "postgresql://user@host/db"),
    ("db scheme typo", ["--db", "postgresq://u@127.0.0.1/ledger", "officer", "list"], 4, "sqlite:///path.db"),
    ("db unknown scheme write", ["--db", "oracle://scott@db/orcl", "officer", "add", "B-9", "--name", "X",
                                 "--role", "officer"], 4, "oracle://scott@db/orcl"),
    ("db csv file", ["--db", "@sqli.csv", "officer", "list"], 4, "not a SQLite database"),
    ("db csv file upgrade", ["--db", "@sqli.csv", "db", "upgrade"], 4, "not a SQLite database"),
    ("db folder", ["--db", "@scan-dir", "item", "list"], 4, "folder"),
    ("db empty", ["--db", "", "officer", "list"], 4, "--db"),
    ("db blank", ["--db", "  ", "case", "list"], 4, "--db"),
    ("db missing file read", ["--db", "@no-such-ledger.db", "verify"], 4, "No ledger exists"),
    ("db missing file status", ["--db", "@no-such-ledger.db", "db", "status"], 4, "evidence db upgrade"),
    ("db missing folder", ["--db", "@no/such/dir/l.db", "officer", "add", "B-9", "--name", "X",
                           "--role", "officer"], 4, "does not exist"),
    # --- identifiers that read like registered ones, invisible characters, times that
    # --- daylight saving makes impossible or ambiguous, fractions and bare dates
    ("badge look-alike case", ["officer", "add", "b-1001", "--name", "X", "--role", "officer"], 1, "B-1001"),
    ("badge look-alike separators", ["officer", "add", "B1001", "--name", "X", "--role", "officer"], 1, "B-1001"),
    ("badge look-alike underscore", ["officer", "add", "b_1001", "--name", "X", "--role", "officer"], 1, "B-1001"),
    ("badge cyrillic", ["officer", "add", "\u0412-1001", "--name", "X", "--role", "officer"], 1, "U+0412"),
    ("badge soft hyphen", ["officer", "add", "B\u00ad1001", "--name", "X", "--role", "officer"], 1, "U+00AD"),
    ("case look-alike case", ["case", "open", "aqp-2020-0147", "--title", "t", "--by", "B-1001"], 1,
     "AQP-2020-0147"),
    ("case look-alike separators", ["case", "open", "AQP 2020.0147", "--title", "t", "--by", "B-1001"], 1,
     "AQP-2020-0147"),
    ("case accented", ["case", "open", "AQP-2020-Ñ", "--title", "t", "--by", "B-1001"], 1, "U+00D1"),
    ("location look-alike", ["location", "add", "er_aqp", "--name", "X"], 1, "ER-AQP"),
    ("location look-alike no dash", ["location", "add", "VAULT1", "--name", "X"], 1, "VAULT-1"),
    ("seal non-ascii", DOC + ["--title", "X", "--seal", "S-０001"], 1, "--seal"),
    ("acta cyrillic", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30", "--place", "X",
                       "--acta", "\u0410CTA-1", "--by", "B-1001"], 1, "U+0410"),
    ("name hangul filler", ["officer", "add", "B-7001", "--name", "Ana\u3164Quispe", "--role", "officer"], 1,
     "U+3164"),
    ("name halfwidth hangul filler", ["officer", "add", "B-7001", "--name", "Ana\uffa0", "--role", "officer"], 1,
     "U+FFA0"),
    ("name choseong filler", ["officer", "add", "B-7001", "--name", "\u115fAna", "--role", "officer"], 1, "U+115F"),
    ("name jungseong filler", ["officer", "add", "B-7001", "--name", "A\u1160na", "--role", "officer"], 1,
     "U+1160"),
    ("name grapheme joiner", ["officer", "add", "B-7001", "--name", "A\u034fna", "--role", "officer"], 1, "U+034F"),
    ("name mongolian vowel separator", ["officer", "add", "B-7001", "--name", "A\u180ena", "--role", "officer"], 1,
     "U+180E"),
    ("title annotation anchor", DOC + ["--title", "Cuaderno\ufff9uno\ufffa\ufffb"], 1, "U+FFF9"),
    ("title tag characters", DOC + ["--title", "Cuaderno\U000e0001\U000e0041"], 1, "U+E0001"),
    ("title variation selector", DOC + ["--title", "Cuaderno\ufe0f"], 1, "U+FE0F"),
    ("reason soft hyphen", XFER + ["--reason", "Al dep\u00adósito"], 1, "U+00AD"),
    ("at skipped by the clocks", ["--tz", "America/New_York"] + DOC + ["--title", "X", "--at", "2021-03-14T02:30"],
     1, "never happened"),
    ("at shown twice by the clocks", ["--tz", "America/New_York"] + DOC + ["--title", "X",
                                                                           "--at", "2021-11-07T01:30"], 1, "-04:00"),
    ("at Lima 1990 daylight gap", DOC + ["--title", "X", "--at", "1990-01-01T00:30"], 1, "America/Lima"),
    ("at fraction of a second", DOC + ["--title", "X", "--at", "2020-10-06T10:00:00.5"], 1, "whole seconds"),
    ("at fraction with comma", XFER_R + ["--at", "2020-10-06T10:00:00,25"], 1, "whole seconds"),
    ("at date only", DOC + ["--title", "X", "--at", "2020-10-06"], 1, "2020-10-06T05:30"),
    ("seizure at date only", ["seizure", "record", "AQP-2020-0147", "--at", "2020-10-06", "--place", "X",
                              "--by", "B-1001"], 1, "without a time"),
    ("holdings at date only", ["custody", "holdings", "B-1001", "--at", "2020-10-07"], 1, "without a time"),
    # --- output targets (ledger/outputs.py): --force replaces an earlier export, nothing else --------
    ("export log force over other files", ["export", "log", "--out", "@", "--force"], 1, "nothing was removed"),
    ("export log force over ledger folder", ["export", "log", "--out", "@..", "--force"], 1, "nothing was removed"),
    ("export log force over a file", ["export", "log", "--out", "@exists.xlsx", "--force"], 1, "not a folder"),
    ("export log parent missing", ["export", "log", "--out", "@no/such/bundle"], 1, "does not exist"),
    ("export log out NUL", ["export", "log", "--out", "bundle\x00"], 1, "NUL"),
    ("export log not empty", ["export", "log", "--out", "@scan-dir/..", "--case", "AQP-2020-0147"], 1, "--force"),
    # --- keys and checkpoint cosigning: refused before any passphrase is asked -----------------
    ("key badge and name", ["key", "generate", "--badge", "B-1001", "--name", "aud", "--out", "@k.key"], 1,
     "--name"),
    ("key neither badge nor name", ["key", "generate", "--out", "@k.key"], 1, "--badge"),
    ("key name with space", ["key", "generate", "--name", "Ana Quispe", "--out", "@k.key"], 1, "--name"),
    ("key name with plus", ["key", "generate", "--name", "aud+1", "--out", "@k.key"], 1, "--name"),
    ("key name control", ["key", "generate", "--name", "aud\x1b", "--out", "@k.key"], 1, "--name"),
    ("key name without out", ["key", "generate", "--name", "auditoria.example/aqp"], 1, "--out"),
    ("key badge sqli", ["key", "generate", "--badge", SQLI], 1, "--badge"),
    ("key badge with slash", ["key", "generate", "--badge", "B/../../1001"], 1, "--badge"),
    ("key out exists", ["key", "generate", "--name", "aud", "--out", "@spaces.csv"], 1, "spaces.csv"),
    ("key out folder missing", ["key", "generate", "--name", "aud", "--out", "@no/such/dir/k.key"], 1, "such/dir"),
    ("key out NUL", ["key", "generate", "--name", "aud", "--out", "k\x00.key"], 1, "--out"),
    ("cosign missing file", ["checkpoint", "cosign", "@no-checkpoint.txt", "--key", "@k.key"], 1,
     "no-checkpoint.txt"),
    ("cosign whitespace file", ["checkpoint", "cosign", "@spaces.csv", "--key", "@k.key"], 1, "spaces.csv"),
    ("cosign binary file", ["checkpoint", "cosign", "@random.csv", "--key", "@k.key"], 1, "random.csv"),
    ("cosign folder", ["checkpoint", "cosign", "@scan-dir", "--key", "@k.key"], 1, "scan-dir"),
    ("cosign NUL path", ["checkpoint", "cosign", "cp\x00.txt", "--key", "@k.key"], 1, "cp"),
    ("cosign without key", ["checkpoint", "cosign", "@spaces.csv"], 2, "--key"),
    # --- signed bundles and item proofs (export log --sign, prove) ---------------------
    ("export log sign missing key", ["export", "log", "--out", "@b-sign1", "--sign", "@no.key"], 1, "no.key"),
    ("export log sign binary key", ["export", "log", "--out", "@b-sign2", "--sign", "@random.csv"], 1, "random.csv"),
    ("export log sign folder", ["export", "log", "--out", "@b-sign3", "--sign", "@scan-dir"], 1, "scan-dir"),
    ("prove unknown item", ["prove", "EV-999999", "--out", "@p-1"], 1, "EV-999999"),
    ("prove bad item ref", ["prove", "'; DROP TABLE events; --", "--out", "@p-2"], 1, "ITEM"),
    ("prove without out", ["prove", "EV-1"], 2, "--out"),
    ("prove without items", ["prove", "--out", "@p-3"], 2, "ITEM"),
    ("prove out not empty", ["prove", "EV-1", "--out", "@scan-dir/.."], 1, "--force"),
    ("prove checkpoint missing", ["prove", "EV-1", "--out", "@p-4", "--checkpoint", "@no-checkpoint.txt"], 1,
     "no-checkpoint.txt"),
    ("prove checkpoint whitespace", ["prove", "EV-1", "--out", "@p-5", "--checkpoint", "@spaces.csv"], 1,
     "spaces.csv"),
    ("prove checkpoint binary", ["prove", "EV-1", "--out", "@p-6", "--checkpoint", "@random.csv"], 1, "random.csv"),
    ("prove checkpoint folder", ["prove", "EV-1", "--out", "@p-7", "--checkpoint", "@scan-dir"], 1, "scan-dir"),
    # --- paper: custody forms, labels, and scanned label payloads (ledger/documents/) ------------
    ("label unknown item", ["label", "EV-999", "--out", "@l.pdf"], 1, "EV-999"),
    ("label unknown layout", ["label", "EV-1", "--out", "@l.pdf", "--layout", "a5-2x2"], 1, "--layout"),
    ("label out exists", ["label", "EV-1", "--out", "@exists.pdf"], 1, "exists.pdf"),
    ("label out not pdf", ["label", "EV-1", "--out", "@l.txt"], 1, ".pdf"),
    ("label out folder missing", ["label", "EV-1", "--out", "@no/such/l.pdf"], 1, "does not exist"),
    ("label nothing named", ["label", "--out", "@l.pdf"], 1, "--case"),
    ("label items and case", ["label", "EV-1", "--case", "AQP-2020-0147", "--out", "@l.pdf"], 1, "--case"),
    ("label unknown case", ["label", "--case", "NOPE-2020-1", "--out", "@l.pdf"], 1, "NOPE-2020-1"),
    ("label unknown seizure", ["label", "--seizure", "SZ-99", "--out", "@l.pdf"], 1, "SZ-99"),
    ("label without out", ["label", "EV-1"], 2, "--out"),
    ("custody form unknown item", ["export", "custody-form", "EV-1", "EV-999", "--out", "@f.pdf"], 1, "EV-999"),
    ("custody form no item", ["export", "custody-form", "--out", "@f.pdf"], 2, "ITEM"),
    ("custody form language", ["export", "custody-form", "EV-1", "--out", "@f.pdf", "--lang", "fr"], 2, "--lang"),
    ("custody form out exists", ["export", "custody-form", "EV-1", "--out", "@exists.pdf"], 1, "exists.pdf"),
    ("custody form out is folder", ["export", "custody-form", "EV-1", "--out", "@scan-dir"], 1, ".pdf"),
    ("label payload other hash", ["item", "show", "EV-000001/AQP-2020-0147/000000000000"], 3,
     "not printed from this ledger"),
    ("label payload other case", ["item", "show", "EV-000001/LIM-2020-0001/000000000000"], 3, "LIM-2020-0001"),
    ("label payload unknown item", ["item", "show", "EV-999999/AQP-2020-0147/ABCDEF012345"], 1, "EV-999999"),
    ("label payload short hash", ["item", "show", "EV-000001/AQP-2020-0147/ABC"], 1, "EV-000001/AQP"),
    # --- Peru's workflow: deposits of cash, temporary use, PRONABI, court orders -------------------
    ("deposit a phone", DEPOSIT("EV-1"), 1, "not cash"),
    ("deposit a disposed document", DEPOSIT("EV-4"), 1, "not cash"),
    ("deposit unknown item", DEPOSIT("EV-999"), 1, "EV-000999"),
    ("deposit cash of two cases", DEPOSIT("EV-3", "EV-5"), 1, "2 cases"),
    ("deposit by non-holder", DEPOSIT("EV-3", by="B-1002"), 1, "B-1001"),
    ("deposit by auditor", DEPOSIT("EV-3", by="A-4001"), 1, "A-4001"),
    ("deposit voucher control char", DEPOSIT("EV-3", voucher="04\x0757"), 1, "--voucher"),
    ("deposit empty bank", ["custody", "deposit", "EV-3", "--bank", " ", "--account", "00-1", "--voucher", "1",
                            "--by", "B-1001"], 1, "--bank"),
    ("deposit before seizure", DEPOSIT("EV-3") + ["--at", "2020-10-06T05:00"], 1, "--at"),
    ("deposit without voucher", ["custody", "deposit", "EV-3", "--bank", "BN", "--account", "00-1", "--by", "B-1001"],
     2, "--voucher"),
    ("assign without order", ASSIGN + ["--until", "2030-12-31"], 1, "--order"),
    ("assign blank order", ASSIGN + ["--until", "2030-12-31", "--order", "  "], 1, "--order"),
    ("assign bad until", ASSIGN + ["--order", "Res. 8-2021", "--until", "31/12/2030"], 1, "--until"),
    ("assign until before", ASSIGN + ["--order", "Res. 8-2021", "--until", "2019-01-01"], 1, "--until"),
    ("assign disposed", ["custody", "assign", "EV-4", "--to-entity", "Municipalidad", "--order", "Res. 8",
                         "--until", "2030-12-31", "--by", "C-3001"], 1, "disposed"),
    ("assign by officer", ASSIGN + ["--order", "Res. 8-2021", "--until", "2030-12-31", "--by", "B-1001"], 1,
     "B-1001"),
    ("return not assigned", ["custody", "return", "EV-1", "--by", "B-1001"], 1, "not assigned"),
    ("return disposed", ["custody", "return", "EV-4", "--by", "C-3001"], 1, "disposed"),
    ("return unknown item", ["custody", "return", "EV-999", "--by", "B-1001"], 1, "EV-999"),
    ("pronabi without act", DISPOSE + ["--action", "to-pronabi", "--authority", "Res. 9-2021"], 1, "--act"),
    ("act without pronabi", DISPOSE + ["--action", "destroyed", "--authority", "Res. 9-2021", "--act", "AE-1"], 1,
     "--act"),
    ("order control char", XFER_R + ["--order", "Res.\x1b[31m 9"], 1, "--order"),
    ("order too long", XFER_R + ["--order", "R" * 201], 1, "--order"),
    # --- inventory audits (ledger/operations/audits.py) -------------------------------------------
    ("audit unknown location", ["audit", "start", "NOWHERE-1", "--by", "A-4001"], 1, "NOWHERE-1"),
    ("audit location injection", ["audit", "start", SQLI2, "--by", "A-4001"], 1, "LOCATION"),
    ("audit by custodian", ["audit", "start", "ER-AQP", "--by", "C-3001"], 1, "C-3001"),
    ("audit without by", ["audit", "start", "ER-AQP"], 1, "--by"),
    ("audit sample and confidence", ["audit", "start", "ER-AQP", "--sample", "3", "--confidence", "95",
                                     "--tolerance", "2", "--by", "A-4001"], 1, "--sample"),
    ("audit confidence alone", ["audit", "start", "ER-AQP", "--confidence", "95", "--by", "A-4001"], 1,
     "--tolerance"),
    ("audit confidence decimal", ["audit", "start", "ER-AQP", "--confidence", "95.5", "--tolerance", "2",
                                  "--by", "A-4001"], 1, "--confidence"),
    ("audit tolerance zero", ["audit", "start", "ER-AQP", "--confidence", "95", "--tolerance", "0",
                              "--by", "A-4001"], 1, "--tolerance"),
    ("audit sample negative", ["audit", "start", "ER-AQP", "--sample", "-3", "--by", "A-4001"], 1, "--sample"),
    ("audit sample word", ["audit", "start", "ER-AQP", "--sample", "many", "--by", "A-4001"], 1, "--sample"),
    ("audit check unknown audit", ["audit", "check", "AU-000009", "EV-1", "--found", "--by", "A-4001"], 1,
     "AU-000009"),
    ("audit check found and missing", ["audit", "check", "AU-1", "EV-1", "--found", "--missing", "--by", "A-4001"],
     1, "--found or --missing"),
    ("audit close unknown", ["audit", "close", "AU-77", "--by", "A-4001"], 1, "AU-77"),
    ("audit show unknown", ["audit", "show", "AU-77"], 1, "AU-77"),
    ("audit show garbage", ["audit", "show", "'; DROP TABLE audits; --"], 1, "AUDIT"),
    ("audit export unknown", ["export", "audit", "AU-000009", "--out", "@a.xlsx"], 1, "AU-000009"),
    ("audit export not xlsx", ["export", "audit", "AU-1", "--out", "@a.pdf"], 1, ".xlsx"),
    ("audit export exists", ["export", "audit", "AU-1", "--out", "@exists.xlsx"], 1, "exists.xlsx"),
    # --- what is due (ledger/operations/due.py) ---------------------------------------------------
    ("due within negative", ["due", "--within", "-3"], 1, "--within"),
    ("due within huge", ["due", "--within", "99999999"], 1, "--within"),
    ("due unknown case", ["due", "--case", "NOPE-2020-1"], 1, "NOPE-2020-1"),
    ("due unknown location", ["due", "--location", "NOWHERE-1"], 1, "NOWHERE-1"),
    ("due cash hours zero", ["due", "--cash-hours", "0"], 1, "--cash-hours"),
    ("due cash hours decimal", ["due", "--cash-hours", "1.5"], 1, "--cash-hours"),
    ("due at future", ["due", "--at", "2999-01-01T00:00"], 1, "--at"),
    ("due review days negative", ["due", "--review-days", "-1"], 1, "--review-days"),
    ("due order days word", ["due", "--order-days", "month"], 1, "--order-days"),
    ("due unknown rule", ["due", "--rule", "everything"], 1, "everything"),
    # --- review dates and court orders (ledger/operations/reviews.py, orders.py) --------------------
    ("review without date", ["item", "review", "EV-1", "--by", "F-2001"], 1, "--on"),
    ("review date and clear", ["item", "review", "EV-1", "--on", "2030-01-01", "--clear", "--by", "F-2001"], 1,
     "--clear"),
    ("review impossible date", ["item", "review", "EV-1", "--on", "2030-02-30", "--by", "F-2001"], 1, "--on"),
    ("review date injection", ["item", "review", "EV-1", "--on", SQLI2, "--by", "F-2001"], 1, "--on"),
    ("review date in the past", ["item", "review", "EV-1", "--on", "2020-01-01", "--by", "F-2001"], 1, "--on"),
    ("review disposed", ["item", "review", "EV-4", "--on", "2030-01-01", "--by", "F-2001"], 1, "disposed"),
    ("review clear nothing", ["item", "review", "EV-1", "--clear", "--by", "F-2001"], 1, "no review date"),
    ("review two cases", ["item", "review", "EV-3", "EV-5", "--on", "2030-01-01", "--by", "F-2001"], 1, "2 cases"),
    ("review unknown item", ["item", "review", "EV-999", "--on", "2030-01-01", "--by", "F-2001"], 1, "EV-000999"),
    ("review by officer", ["item", "review", "EV-1", "--on", "2030-01-01", "--by", "B-1001"], 1, "B-1001"),
    ("review by auditor", ["item", "review", "EV-1", "--on", "2030-01-01", "--by", "A-4001"], 1, "A-4001"),
    ("review reason control char", ["item", "review", "EV-1", "--on", "2030-01-01", "--reason", "ok\x1b[2J",
                                    "--by", "F-2001"], 1, "--reason"),
    ("review no item", ["item", "review", "--on", "2030-01-01", "--by", "F-2001"], 2, "ITEM"),
    ("order without order", ["case", "order", "AQP-2020-0147", "--final", "--by", "F-2001"], 1, "--order"),
    ("order unknown case", ["case", "order", "NOPE-2020-1", "--order", "Sentencia 1", "--by", "F-2001"], 1,
     "NOPE-2020-1"),
    ("order by officer", ["case", "order", "AQP-2020-0147", "--order", "Sentencia 1", "--by", "B-1001"], 1,
     "B-1001"),
    ("order at future", ["case", "order", "AQP-2020-0147", "--order", "Sentencia 1", "--at", "2999-01-01T00:00",
                         "--by", "F-2001"], 1, "--at"),
    ("order note too long", ["case", "order", "AQP-2020-0147", "--order", "Sentencia 1", "--note", "n" * 501,
                             "--by", "F-2001"], 1, "--note"),
    ("order bidi", ["case", "order", "AQP-2020-0147", "--order", "Sentencia\u202e 1", "--by", "F-2001"], 1,
     "--order"),
    # --- the hledger cash journal (ledger/operations/journal.py) -----------------------------------
    ("journal out not journal", ["export", "journal", "--out", "@j.txt"], 1, ".journal"),
    ("journal out folder missing", ["export", "journal", "--out", "@no/such/j.journal"], 1, "does not exist"),
    ("journal out is folder", ["export", "journal", "--out", "@scan-dir"], 1, ".journal"),
    ("journal unknown case", ["export", "journal", "--case", "NOPE-2020-1", "--out", "@j.journal"], 1,
     "NOPE-2020-1"),
    ("journal without out", ["export", "journal"], 2, "--out"),
    # --- identity: who may act, keys, offers ------------------------------------------------
    ("officer add by custodian", ["officer", "add", "X-1", "--name", "Nadie", "--role", "officer", "--by", "C-3001"], 1,
     "C-3001"),
    ("officer add admin by officer", ["officer", "add", "X-1", "--name", "Nadie", "--role", "admin", "--by",
                                      "B-1001"], 1, "an admin"),
    ("location add by officer", ["location", "add", "X-1", "--name", "Nowhere", "--by", "B-1001"], 1,
     "register locations"),
    ("init a second time", ["init", "--admin", "ADM-9", "--name", "Otra"], 1, "already has an admin"),
    ("accept an item not offered", ["custody", "accept", "EV-1", "--by", "C-3001"], 1, "EV-000001"),
    ("decline an item not offered", ["custody", "decline", "EV-1", "--reason", "x", "--by", "C-3001"], 1,
     "EV-000001"),
    ("accept an unknown item", ["custody", "accept", "EV-999", "--by", "C-3001"], 1, "EV-000999"),
    ("accept with both seal answers", ["custody", "accept", "EV-1", "--seal-ok", "--seal-broken", "roto", "--by",
                                       "C-3001"], 1, "--seal-ok"),
    ("accept by unknown badge", ["custody", "accept", "EV-1", "--by", "B-9999"], 1, "B-9999"),
    ("enrol a key that is not one", ["officer", "key", "add", "B-1001", "notakey", "--by", "ADM-0001"], 1, "PUBKEY"),
    ("enrol a key by a non-admin", ["officer", "key", "add", "B-1001", "notakey", "--by", "B-1001"], 1, "B-1001"),
    ("revoke an unknown key", ["officer", "key", "revoke", "B-1001", "0000000000000000", "--reason", "x", "--by",
                               "ADM-0001"], 1, "KEYID"),
    ("officer update with nothing", ["officer", "update", "B-1001", "--by", "ADM-0001"], 1, "--name"),
    ("officer update unknown badge", ["officer", "update", "B-9999", "--name", "X", "--by", "ADM-0001"], 1, "B-9999"),
    ("last admin demoted", ["officer", "role", "ADM-0001", "officer", "--by", "ADM-0001"], 1, "only admin"),
    ("login role not a name", ["officer", "login", "B-1001", "bad name;drop", "--by", "ADM-0001"], 1, "ROLE"),
    ("dispose witnessed by oneself", DISPOSE + ["--action", "returned", "--authority", "Res. 1", "--witness",
                                                "F-2001"], 1, "second officer"),
    ("dispose witness unknown", DISPOSE + ["--action", "returned", "--authority", "Res. 1", "--witness", "B-9999"],
     1, "B-9999"),
    ("key file that does not exist", ["--key", "/nonexistent/B-1001.key", *DOC, "--title", "t"], 1,
     "does not exist"),
    # --- consistency proofs and witnesses ----------------------------------------------------
    ("checkpoint prove from missing", ["checkpoint", "prove", "--from", "@no-checkpoint.txt"], 1,
     "no-checkpoint.txt"),
    ("checkpoint prove from binary", ["checkpoint", "prove", "--from", "@random.csv"], 1, "random.csv"),
    ("checkpoint prove from folder", ["checkpoint", "prove", "--from", "@scan-dir"], 1, "scan-dir"),
    ("checkpoint prove without from", ["checkpoint", "prove"], 2, "--from"),
    ("verify proof without since", ["verify", "--proof", "@spaces.csv"], 1, "--since"),
    ("verify proof with new-only", ["verify", "--since", "@no-checkpoint.txt", "--new-only", "--proof",
                                    "@spaces.csv"], 1, "--proof"),
    ("witness cosign missing file", ["witness", "cosign", "@no-checkpoint.txt", "--key", "@k.key", "--state",
                                     "@witness-state"], 1, "no-checkpoint.txt"),
    ("witness cosign binary file", ["witness", "cosign", "@random.csv", "--key", "@k.key", "--state",
                                    "@witness-state"], 1, "random.csv"),
    ("witness cosign without state", ["witness", "cosign", "@spaces.csv", "--key", "@k.key"], 2, "--state"),
    ("key generate log and name", ["key", "generate", "--log", "--name", "x", "--out", "@x.key"], 1, "--log"),
    ("export log from missing", ["export", "log", "--case", "AQP-2020-0147", "--from", "@no-checkpoint.txt",
                                 "--out", "@b-from"], 1, "no-checkpoint.txt"),
    ("prove from binary", ["prove", "EV-1", "--from", "@random.csv", "--out", "@p-from"], 1, "random.csv"),
]


class World:
    """The catalog's shared ledger, with a pristine copy to go back to should a case that
    ought to be refused write something (so one failure does not spoil the cases after it)."""

    def __init__(self, request, backend: str, tmp: Path):
        self.backend, self.tmp, self.files = backend, tmp, tmp / "files"
        if backend == "sqlite":
            path = tmp / "ledger.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            self.cli = CliHarness(f"sqlite:///{path}")
            build_world(self.cli, self.files)
            self.path, self.pristine = path, tmp / "pristine.db"
            with sqlite3.connect(path) as src, sqlite3.connect(self.pristine) as dst:
                src.backup(dst)
        else:
            self.pristine = create_pg_database(template=request.getfixturevalue("pg_template"))
            request.addfinalizer(lambda: drop_pg_database(self.pristine))
            build_world(CliHarness(pg_url_for(self.pristine)), self.files)
            self.name = create_pg_database(template=self.pristine)
            request.addfinalizer(lambda: drop_pg_database(self.name))
            self.cli = CliHarness(pg_url_for(self.name))
        self.baseline = self.cli.snapshot()

    def reset(self) -> None:
        if self.backend == "sqlite":
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            with sqlite3.connect(self.pristine) as src, sqlite3.connect(self.path) as dst:
                src.backup(dst)
        else:
            drop_pg_database(self.name)
            with _pg_admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.pristine}"')


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """One set-up ledger per backend for the whole catalog; refusals never change it."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip(PG_SKIP)
    return World(request, request.param, tmp_path_factory.mktemp(f"catalog-{request.param}"))


def _argv(files: Path, args: list[str]) -> list[str]:
    return [str(files / a[1:]) if a.startswith("@") else a for a in args]


@pytest.mark.parametrize(("args", "code", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_catalog_case_is_refused_cleanly(world, args, code, field):
    result = world.cli(*_argv(world.files, args))
    codes = code if isinstance(code, tuple) else (code,)
    shown = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code in codes, shown
    assert field in result.stderr, shown
    assert result.stderr.startswith(("error: ", "Usage: ")), shown
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, shown
    assert result.stdout == "", shown
    # A sentence, not a bare exception name or a driver's message.
    assert len(result.stderr.split()) >= 5, shown
    for leak in ("sqlalchemy", "psycopg", "sqlite3.", "Error:", "Exception"):
        assert leak not in result.stderr or result.exit_code == 2, shown
    if world.cli.snapshot() != world.baseline:
        world.reset()
        pytest.fail(f"the refused command wrote something\n{shown}")


def test_catalog_is_large_enough():
    kinds = {c[0] for c in CASES}
    assert len(kinds) == len(CASES), "case ids must be unique"
    assert len(CASES) >= 150


# --- legal but odd text is stored and shown literally --------------------------------------
ODD = [
    "' OR 1=1 --",
    "Robert'); DROP TABLE events;--",
    "=HYPERLINK(\"http://x\",\"clic\")",
    "María O'Brien Ñáñez",
    "\"comillas\" y 'apóstrofes' ; -- /* */",
    "שלום عربى mixed RTL letters",
    "%s %d {0} ${HOME} $(rm -rf /)",
    "<script>alert(1)</script>",
    "emoji 💵🚗📱",
    "back\\slash C:\\temp\\x.txt",
]


@pytest.mark.parametrize("text", ODD, ids=[f"odd{i}" for i in range(len(ODD))])
def test_legal_odd_text_is_stored_and_shown_literally(seeded, text, tmp_path):
    cli = seeded
    doc = cli.ok("document", "add", "SZ-1", "--title", text, "--by", "B-1001", "--at", "2020-10-06T06:00")
    shown = cli.ok("item", "show", doc, json_out=True)
    assert shown["title"] == text
    assert text in cli("item", "show", doc).stdout
    cli.ok("custody", "transfer", doc, "--from", "B-1001", "--to", "C-3001", "--reason", text, "--by", "B-1001",
           "--at", "2020-10-06T07:00")
    history = cli.ok("item", "history", doc, json_out=True)["events"]
    assert history[-1]["reason"] == text
    case = cli.ok("case", "open", "ODD-1", "--title", text, "--court", text, "--by", "B-1001", json_out=True)
    assert case["title"] == text and case["court"] == text
    assert cli.ok("case", "show", "ODD-1", json_out=True)["title"] == text
    sz = cli.ok("seizure", "record", "ODD-1", "--at", "2020-10-06T05:30", "--place", text, "--witness", text,
                "--from-person", text, "--by", "B-1001", json_out=True)
    assert sz["place"] == text and sz["witnesses"] == [text] and sz["from_persons"] == [text]
    car = cli.ok("vehicle", "add", sz["id"], "--make", text, "--model", text, "--color", text[:50],
                 "--by", "B-1001")
    assert cli.ok("item", "show", car, json_out=True)["make"] == text
    cli.ok("officer", "add", "B-7777", "--name", text, "--role", "officer", "--unit", text)
    assert {o["badge"]: o["name"] for o in cli.ok("officer", "list", json_out=True)}["B-7777"] == text
    cli.ok("location", "add", "ODD-LOC", "--name", text)
    assert {x["code"]: x["name"] for x in cli.ok("location", "list", json_out=True)}["ODD-LOC"] == text
    cli.ok("custody", "dispose", doc, "--action", "returned", "--authority", text, "--to", text, "--by", "F-2001")
    assert cli.ok("item", "show", doc, json_out=True)["status"] == "disposed"
    cli.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5", "--source", text[:100], "--by", "B-1001")
    assert any(r["source"] == text[:100] for r in cli.ok("rate", "list", json_out=True))
    # The log holds the same text, and verify replays it to the same projections.
    assert cli.ok("verify", json_out=True)["ok"]
    out = cli("--json", "item", "history", doc)
    assert json.loads(out.stdout)["events"][-1]["reason"].startswith("returned (")


# --- the same refusals in Spanish (--lang es) ----------------------------------------------
# A few common Spanish words, any one of which (as a whole word of the message, not of a value
# the message repeats from the arguments) shows that a refusal speaks Spanish; none is English.
SPANISH_WORDS = frozenset(
    "el la los las del al un una es está están debe deben para con por que se sin hay su sus este esta "
    "o y ni como más pero ya".split()
)


def _field_is_an_argument(field: str, args: list[str]) -> bool:
    """Whether the case's `field` is a value the officer typed (an option, an identifier, a
    file name), which a translated message names as it is, rather than English words of the
    message (which a translation does not keep)."""
    if field in args:
        return True
    # Otherwise only a value made of tokens such as "--by", "B-1002" or "cp1252.csv": a word of
    # letters alone ("column", "or") would be English.
    return all(not t.isalpha() for t in field.split()) and field in " ".join(args)


def _speaks_spanish(text: str, args: list[str]) -> bool:
    typed = {w.lower() for a in args for w in re.findall(r"\w+", a)}
    return any(w.lower() in SPANISH_WORDS - typed for w in re.findall(r"\w+", text))


@pytest.mark.parametrize(("args", "code", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_catalog_case_is_refused_cleanly_in_spanish(world, args, code, field):
    """Each refusal of the catalog, with `--lang es`: the same exit code, nothing written, no
    traceback, and a sentence in Spanish that names the field when the officer typed it."""
    typed = _argv(world.files, args)
    result = world.cli("--lang", "es", *typed)
    codes = code if isinstance(code, tuple) else (code,)
    shown = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code in codes, shown
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, shown
    assert result.stdout == "", shown
    if world.cli.snapshot() != world.baseline:
        world.reset()
        pytest.fail(f"the refused command wrote something\n{shown}")
    assert result.stderr.startswith(("error: ", "Uso: ")), shown
    if _field_is_an_argument(field, typed):
        assert field in result.stderr, shown
    assert _speaks_spanish(result.stderr, typed), f"not in Spanish\n{shown}"
