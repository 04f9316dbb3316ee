"""A small, fully set-up ledger shared by the reliability tests: officers of every role,
two cases, items of every kind (one disposed), a rate, and a folder of hostile files."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import GOOD_IMEI, seed_basic

RATE = ("2020-10-06", "USD", "PEN", "3.5870")


def build_world(cli, files: Path) -> None:
    """EV-000001 phone (seal S-0001), EV-000002 document, EV-000003 cash 4000.00 PEN (seal S-0003),
    all held by B-1001; EV-000004 document disposed of; EV-000005 document of a second case
    (LIM-2020-0001, seizure SZ-000002) held by B-1002; one USD/PEN rate from SBS."""
    seed_basic(cli)
    cli.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--seal", "S-0001",
           "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("document", "add", "SZ-1", "--title", "Cuaderno", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("cash", "add", "SZ-1", "--amount", "4000.00", "--currency", "PEN", "--counted-by", "B-1001",
           "--verified-by", "B-1002", "--seal", "S-0003", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("document", "add", "SZ-1", "--title", "Recibo", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("custody", "dispose", "EV-4", "--action", "returned", "--authority", "Resolución 1-2021",
           "--at", "2021-01-05T10:00", "--by", "F-2001")
    cli.ok("case", "open", "LIM-2020-0001", "--title", "Otro caso", "--by", "B-1002", "--at", "2020-10-07T04:00")
    cli.ok("seizure", "record", "LIM-2020-0001", "--at", "2020-10-07T05:00", "--place", "Lima", "--by", "B-1002")
    cli.ok("document", "add", "SZ-2", "--title", "Agenda", "--by", "B-1002", "--at", "2020-10-07T06:00")
    cli.ok("rate", "set", *RATE, "--source", "SBS", "--by", "B-1001")
    write_files(files)


def write_files(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    good_header = "kind,title,pages\n"
    blobs = {
        "empty.csv": b"",
        "spaces.csv": b"   \t  ",
        "random.csv": os.urandom(64).replace(b"\n", b"\x00") + b"\x00",
        "png.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "truncated.csv": (good_header + 'document,"Cuaderno sin cerrar,3\n').encode(),
        "cp1252.csv": (good_header + "document,Año “2020”,3\n").encode("cp1252"),
        "utf16be.csv": b"\xfe\xff" + (good_header + "document,X,1\n").encode("utf-16-be"),
        "gzip.csv": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        "pdf.xlsx": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        "empty.xlsx": b"",
        "zipped.xlsx": b"PK\x05\x06" + b"\x00" * 18,
        "badrow.csv": (good_header + "document,Cuaderno\x07,3\n").encode(),
        "badpages.csv": (good_header + "document,Cuaderno,-3\n").encode(),
        "badkind.csv": (good_header + "weapon,Pistola,1\n").encode(),
        "badimei.csv": b"kind,imei,make,model\nphone,490154203237519,Samsung,A10\n",
        "badamount.csv": b"kind,amount,currency,counted-by,verified-by\ncash,NaN,PEN,B-1001,B-1002\n",
        "badofficer.csv": b"kind,amount,currency,counted-by,verified-by\ncash,10.00,PEN,B-9999,B-1002\n",
        "sqli.csv": b"kind,title,location\ndocument,X,ER-AQP'; DROP TABLE items; --\n",
        "noheader.csv": b"document,Cuaderno,3\n",
        "rates-empty.csv": b"",
        "rates-binary.csv": b"\x00\x01\x02\x03" * 16,
        "rates-latin1.csv": "date,base,quote,rate\n2020-10-05,USD,PEN,3.58 ñ\n".encode("latin-1"),
        "rates-truncated.json": b'{"periods": [{"name": "05.Oct.20", "val',
        "rates-shape.json": b'[1, 2, 3]',
        "rates-bad.csv": b"date,base,quote,rate\n2020-10-05,USD,PEN,NaN\n",
        "rates-future.csv": b"date,base,quote,rate\n2999-10-05,USD,PEN,3.5\n",
        "rates-negative.csv": b"date,base,quote,rate\n2020-10-05,USD,PEN,-3.5\n",
        "scan-dir": None,
    }
    for name, data in blobs.items():
        if data is None:
            (d / name).mkdir(exist_ok=True)
        else:
            (d / name).write_bytes(data)
    (d / "exists.xlsx").write_bytes(b"already here")
    (d / "exists.pdf").write_bytes(b"already here")
