"""Bulk import of items from .csv and .xlsx: all rows or none, every bad row named."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from bench.data import luhn_imei
from tests.helpers import GOOD_IMEI, GOOD_IMEI2
from tests.helpers import rows as query

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TIME_AND_SEQ = {"no", "id", "registered_seq", "last_seq", "last_at"}


def rows(db_url, sql):
    return [r._asdict() for r in query(db_url, sql)]


def write_csv(path: Path, table: list[list], *, encoding="utf-8", delimiter=",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(table)
    return path


def write_xlsx(path: Path, table: list[list]) -> Path:
    """A workbook as a person keeps it: numbers typed as numbers, blank cells empty."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for i, row in enumerate(table):
        out = []
        for cell in row:
            text_ = "" if cell is None else str(cell)
            if i and text_.replace(".", "", 1).isdigit() and len(text_) < 16:
                out.append(float(text_) if "." in text_ else int(text_))
            else:
                out.append(text_ or None)
        ws.append(out)
    wb.save(path)
    return path


HEADER = ["kind", "amount", "currency", "denominations", "counted-by", "verified-by", "seal", "location",
          "make", "model", "plate", "year", "value", "imei", "imei2", "title", "pages", "file"]


def item_row(**values) -> list:
    return [values.get(h.replace("-", "_"), "") for h in HEADER]


def mixed_rows(n: int) -> list[list]:
    out = [HEADER]
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append(item_row(kind="cash", amount=f"{100 + i}.50", currency="PEN" if i % 8 else "USD",
                                counted_by="B-1001", verified_by="B-1002", seal=f"S-{i:05d}", location="ER-AQP"))
        elif k == 1:
            out.append(item_row(kind="vehicle", make="Toyota", model="Yaris", plate=f"V{i % 10}A-{i % 1000:03d}",
                                year="2016", value="45000 PEN"))
        elif k == 2:
            out.append(item_row(kind="phone", imei=luhn_imei(i), make="Samsung", model="A10", seal=f"S-{i:05d}",
                                location="VAULT-1"))
        else:
            out.append(item_row(kind="document", title=f"Cuaderno {i}", pages=str(1 + i % 90)))
    return out


def test_mixed_csv_import_registers_every_row(seeded, db_url, tmp_path):
    (tmp_path / "scans").mkdir()
    scan = tmp_path / "scans" / "cuaderno.pdf"
    scan.write_bytes(b"%PDF-1.4 fictitious scan\n")
    table = [HEADER,
             item_row(kind="cash", amount="4,000.00", currency="PEN", denominations="200x10,100x20",
                      counted_by="B-1001", verified_by="B-1002", seal="S-0001", location="ER-AQP"),
             item_row(kind="Vehicle", make="Toyota", model="Yaris", plate="v1a-123", year="2016", value="45000 PEN"),
             item_row(kind="phone", imei=GOOD_IMEI, imei2=GOOD_IMEI2, make="Samsung", model="Galaxy A10"),
             ["", "", ""],  # a blank line is skipped
             item_row(kind="document", title="Cuaderno de cuentas", pages="48", file="scans/cuaderno.pdf")]
    path = write_csv(tmp_path / "operativo.csv", table)
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "imported 4 items into SZ-000001: 1 cash, 1 vehicle, 1 phone, 1 document",
        "first EV-000001, last EV-000004",
    ]
    items = {r["id"]: r for r in rows(db_url, "SELECT * FROM items ORDER BY no")}
    assert items["EV-000001"]["amount_minor"] == 400000 and items["EV-000001"]["denominations"]
    assert items["EV-000002"]["plate"] == "V1A-123" and items["EV-000002"]["value_minor"] == 4500000
    assert items["EV-000003"]["imei2"] == GOOD_IMEI2
    assert items["EV-000004"]["file_sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert {r["holder"] for r in items.values()} == {"B-1001"}
    links = rows(db_url, "SELECT e.type, ei.item_no FROM event_items ei JOIN events e ON e.seq = ei.seq ORDER BY ei.seq")
    assert [(r["type"], r["item_no"]) for r in links] == [("item.registered", n) for n in (1, 2, 3, 4)]


def test_xlsx_sample_imports_like_the_csv_sample(seeded, db_url):
    out_csv = seeded.ok("item", "import", "SZ-1", str(SAMPLES / "items-sample.csv"), "--by", "B-1001",
                        "--at", "2020-10-06T09:00", json_out=True)
    out_xlsx = seeded.ok("item", "import", "SZ-1", str(SAMPLES / "items-sample.xlsx"), "--by", "B-1001",
                         "--at", "2020-10-06T09:00", json_out=True)
    assert out_csv["counts"] == out_xlsx["counts"] == {"cash": 2, "vehicle": 1, "phone": 2, "document": 1}
    items = rows(db_url, "SELECT * FROM items ORDER BY no")
    strip = [{k: v for k, v in r.items() if k not in TIME_AND_SEQ} for r in items]
    assert strip[:6] == strip[6:]


def test_mixed_xlsx_with_numbers_typed_as_numbers(seeded, db_url, tmp_path):
    table = [["Kind", "Amount", "Currency", "Counted_By", "Verified_By", "IMEI", "Make", "Model", "Year"],
             ["cash", "1200.5", "USD", "B-1001", "B-1002", "", "", "", ""],
             ["phone", "", "", "", "", GOOD_IMEI, "Nokia", "105", ""],
             ["vehicle", "", "", "", "", "", "Kia", "Rio", "2019"]]
    path = write_xlsx(tmp_path / "lista.xlsx", table)
    out = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", json_out=True)
    assert out["counts"] == {"cash": 1, "vehicle": 1, "phone": 1} and out["last"] == "EV-000003"
    items = rows(db_url, "SELECT amount_minor, imei, year FROM items ORDER BY no")
    assert items[0]["amount_minor"] == 120050 and items[1]["imei"] == GOOD_IMEI and items[2]["year"] == 2019


def test_errors_in_several_rows_are_all_listed_and_nothing_is_written(seeded, tmp_path):
    table = [HEADER,
             item_row(kind="cash", amount="10.00", currency="PEN", counted_by="B-1001", verified_by="B-1002"),
             item_row(kind="phone", imei="123", make="Nokia"),                                   # row 3
             item_row(kind="cash", amount="1.234", currency="PEN", counted_by="B-1001", verified_by="B-1002"),
             item_row(kind="boat", make="x"),                                                    # row 5
             item_row(kind="document", title="ok", location="NOWHERE"),                          # row 6
             item_row(kind="cash", amount="5", currency="PEN", counted_by="B-1001", verified_by="B-9999"),
             item_row(kind="", make="x"),                                                        # row 8
             item_row(kind="vehicle", make="Kia", model="Rio", imei=GOOD_IMEI)]                  # row 9
    path = write_csv(tmp_path / "bad.csv", table)
    before = seeded.snapshot()
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: bad.csv has 8 errors; nothing was imported:"
    listed = [line.strip() for line in lines[1:-1]]
    assert [line.split(":")[0] for line in listed] == [
        "row 3, column model", "row 3, column imei", "row 4, column amount", "row 5, column kind",
        "row 6, column location", "row 7, column verified-by", "row 8, column kind", "row 9, column imei",
    ]
    assert "imei '123' has 3 digits, not 15" in listed[1]
    assert "no location NOWHERE is registered" in listed[4]
    assert "no officer with badge B-9999" in listed[5]
    assert "does not apply to a vehicle item" in listed[7]
    assert seeded.snapshot() == before


def test_error_list_is_capped_and_counts_the_rest(seeded, tmp_path):
    table = [HEADER] + [item_row(kind="phone", imei="1", make="a", model="b")] * 150
    path = write_csv(tmp_path / "bad.csv", table)
    result = seeded("item", "import", "SZ-1", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: bad.csv has 150 errors; nothing was imported:"
    assert lines[100].strip().startswith("row 101, column imei:")
    assert lines[101].strip() == "... and 50 more errors not listed."


@pytest.mark.parametrize(("name", "content", "sentence"), [
    ("empty.csv", b"", "empty.csv is empty."),
    ("blank.csv", b"\n\n  \n", "blank.csv is empty."),
    ("header.csv", b"kind,make\n", "header.csv has a header (row 1) but no rows of items."),
    ("binary.csv", b"kind\x00\x01\x02make\n", "binary.csv is a binary file, not CSV text."),
    ("latin.csv", "kind,title\ndocument,Señal\n".encode("latin-1"), "latin.csv is not UTF-8 text: byte 0xF1 on line 2"),
    ("utf16.csv", "kind,title\n".encode("utf-16"), "utf16.csv is UTF-16 text"),
    ("nokind.csv", b"make,model\nKia,Rio\n", "row 1: there is no kind column."),
    ("extra.csv", b"kind,make,Colour,owner\nvehicle,Kia\n", "row 1: unknown columns 'Colour', 'owner'."),
    ("twice.csv", b"kind,make,Make\nvehicle,Kia,Kia\n", "row 1: column make appears 2 times."),
    ("list.txt", b"kind\n", "list.txt: evidence imports .csv and .xlsx files, not .txt."),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx is not a readable .xlsx workbook"),
    ("zip.csv", b"PK\x03\x04\x14\x00", "zip.csv is a zip archive (an .xlsx workbook?), not CSV text."),
])
def test_unreadable_files_are_refused(seeded, tmp_path, name, content, sentence):
    path = tmp_path / name
    path.write_bytes(content)
    before = seeded.snapshot()
    result = seeded("item", "import", "SZ-1", str(path), "--by", "B-1001")
    assert result.exit_code == 1, result.stdout
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr
    assert seeded.snapshot() == before


def test_missing_file_is_refused(seeded, tmp_path):
    result = seeded("item", "import", "SZ-1", str(tmp_path / "nope.csv"), "--by", "B-1001")
    assert result.exit_code in (1, 2)
    assert "nope.csv" in result.stderr


def test_bom_and_semicolons_are_accepted(seeded, tmp_path):
    path = write_csv(tmp_path / "excel-es.csv", [["kind", "title", "pages"], ["document", "Libro; tomo 1", "12"]],
                     encoding="utf-8-sig", delimiter=";")
    out = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", json_out=True)
    assert out["counts"] == {"document": 1}
    assert seeded.ok("item", "show", "EV-000001", json_out=True)["title"] == "Libro; tomo 1"


def test_unknown_seizure_and_actor_refused(seeded):
    result = seeded("item", "import", "SZ-000099", str(SAMPLES / "items-sample.csv"), "--by", "B-1001")
    assert result.exit_code == 1 and "no seizure 'SZ-000099'" in result.stderr
    result = seeded("item", "import", "SZ-1", str(SAMPLES / "items-sample.csv"), "--by", "A-4001")
    assert result.exit_code == 1 and "A-4001" in result.stderr


def test_a_few_thousand_rows_import_and_the_chain_verifies(seeded, db_url, tmp_path):
    from ledger.events import GENESIS_HASH, chain_hash

    path = write_csv(tmp_path / "big.csv", mixed_rows(3000))
    out = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", json_out=True)
    assert out["count"] == 3000 and out["counts"] == {"cash": 750, "vehicle": 750, "phone": 750, "document": 750}
    assert (out["first"], out["last"]) == ("EV-000001", "EV-003000")
    events = rows(db_url, "SELECT seq, body, prev_hash, hash FROM events ORDER BY seq")
    prev = GENESIS_HASH
    for n, ev in enumerate(events, start=1):
        assert ev["seq"] == n and ev["prev_hash"] == prev
        assert chain_hash(prev, ev["body"].encode("utf-8")) == ev["hash"]
        assert json.loads(ev["body"])["seq"] == n
        prev = ev["hash"]
    head = rows(db_url, "SELECT seq, hash FROM chain_head")[0]
    assert (head["seq"], head["hash"]) == (len(events), prev)
    assert rows(db_url, "SELECT count(*) AS n FROM event_items")[0]["n"] == 3000
    from ledger.cli import main

    if "verify" in main.commands:
        result = seeded("verify")
        assert result.exit_code == 0, result.stderr + result.stdout


def test_import_and_one_by_one_registration_give_equal_projections(seeded, db_url, tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"scan")
    table = [HEADER,
             item_row(kind="cash", amount="4000.00", currency="PEN", denominations="200x10,100x20",
                      counted_by="B-1001", verified_by="B-1002", seal="S-1", location="ER-AQP"),
             item_row(kind="vehicle", make="Toyota", model="Yaris", plate="V1A-123", year="2016", value="45000 PEN",
                      location="VAULT-1"),
             item_row(kind="phone", imei=GOOD_IMEI, imei2=GOOD_IMEI2, make="Samsung", model="A10", seal="S-2"),
             item_row(kind="document", title="Cuaderno", pages="48", file="scan.pdf", seal="S-3")]
    at = ("--at", "2020-10-06T09:00", "--by", "B-1001")
    seeded.ok("item", "import", "SZ-1", str(write_csv(tmp_path / "four.csv", table)), *at)
    seeded.ok("cash", "add", "SZ-1", "--amount", "4000.00", "--currency", "PEN", "--denominations", "200x10,100x20",
              "--counted-by", "B-1001", "--verified-by", "B-1002", "--seal", "S-1", "--location", "ER-AQP", *at)
    seeded.ok("vehicle", "add", "SZ-1", "--make", "Toyota", "--model", "Yaris", "--plate", "V1A-123", "--year", "2016",
              "--value", "45000 PEN", "--location", "VAULT-1", *at)
    seeded.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--imei2", GOOD_IMEI2, "--make", "Samsung", "--model", "A10",
              "--seal", "S-2", *at)
    seeded.ok("document", "add", "SZ-1", "--title", "Cuaderno", "--pages", "48", "--file", str(scan), "--seal", "S-3", *at)
    items = rows(db_url, "SELECT * FROM items ORDER BY no")
    strip = [{k: v for k, v in r.items() if k not in TIME_AND_SEQ} for r in items]
    assert strip[:4] == strip[4:]
    bodies = [json.loads(r["body"]) for r in rows(db_url, "SELECT body FROM events WHERE type = 'item.registered' ORDER BY seq")]
    data = [{k: v for k, v in b["data"].items() if k != "item"} for b in bodies]
    assert data[:4] == data[4:]
    assert [b["occurred_at"] for b in bodies] == ["2020-10-06T14:00:00Z"] * 8


def test_request_id_makes_a_retry_import_nothing_twice(seeded, db_url, tmp_path):
    path = SAMPLES / "items-sample.csv"
    first = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", "--request-id", "op-1", json_out=True)
    # Registered years after the seizure: warned once, and a replay does not repeat warnings.
    assert [w.startswith("no --at was given") for w in first["warnings"]] == [True]
    first["warnings"] = []
    before = seeded.snapshot()
    again = seeded("item", "import", "SZ-1", str(path), "--by", "B-1001", "--request-id", "op-1")
    assert again.exit_code == 0
    assert again.stdout.startswith("already imported (request id seen before): 6 items into SZ-000001: 2 cash, 1 vehicle")
    assert "first EV-000001, last EV-000006" in again.stdout
    assert seeded.snapshot() == before
    replay = seeded.ok("item", "import", "SZ-1", str(path), "--by", "B-1001", "--request-id", "op-1", json_out=True)
    assert replay == {**first, "replayed": True}
    other = write_csv(tmp_path / "other.csv", [["kind", "title"], ["document", "Otro"]])
    refused = seeded("item", "import", "SZ-1", str(other), "--by", "B-1001", "--request-id", "op-1")
    assert refused.exit_code == 1 and "--request-id op-1 was already used" in refused.stderr
    assert seeded.snapshot() == before


# -- hostile workbooks and files -------------------------------------------------------
def rewrite_sheet(path: Path, edit) -> Path:
    """Rewrite the first sheet's XML inside a workbook openpyxl wrote, as a hostile tool might."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = edit(parts[sheet].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return path


CASH_TABLE = [["kind", "amount", "currency", "counted-by", "verified-by"],
              ["cash", "10.00", "PEN", "B-1001", "B-1002"],
              ["cash", "400", "PEN", "B-1001", "B-1002"]]


@pytest.mark.parametrize("formula", [
    "<f>400</f><v>4000</v>",                  # cached value disagrees with the formula
    "<f>[1]Hoja1!B3</f><v>4000</v>",          # an external link
    '<f t="shared" ref="B3" si="0">B2*400</f><v>4000</v>',
    "<f></f><v>4000</v>",
])
def test_a_formula_cell_refuses_the_workbook_naming_the_cell(seeded, tmp_path, formula):
    path = write_xlsx(tmp_path / "lista.xlsx", CASH_TABLE)
    rewrite_sheet(path, lambda xml: xml.replace('<c r="B3" t="n"><v>400</v></c>', f'<c r="B3">{formula}</c>'))
    before = seeded.snapshot()
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1, result.output
    assert "lista.xlsx has 1 error; nothing was imported:" in result.stderr
    assert "row 3, column amount (cell B3) holds a formula" in result.stderr
    assert "paste values only" in result.stderr
    assert seeded.snapshot() == before


def test_a_formula_in_the_header_is_refused(seeded, tmp_path):
    path = write_xlsx(tmp_path / "lista.xlsx", CASH_TABLE)
    rewrite_sheet(path, lambda xml: xml.replace('<c r="A1" t="inlineStr"><is><t>kind</t></is></c>',
                                                '<c r="A1" t="str"><f>"kind"</f><v>kind</v></c>'))
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    assert "header row holds formulas, in cell A1" in result.stderr


def test_a_workbook_that_unpacks_too_large_is_refused_before_parsing(seeded, tmp_path):
    import time

    from ledger.xlsx import reader

    path = write_xlsx(tmp_path / "big.xlsx", CASH_TABLE)
    filler = "<!--" + " " * ((reader.MAX_PART_MB + 8) << 20) + "-->"
    rewrite_sheet(path, lambda xml: xml.replace("<sheetData>", filler + "<sheetData>"))
    assert path.stat().st_size < 200_000  # spaces pack down to almost nothing
    before = seeded.snapshot()
    started = time.monotonic()
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    assert "big.xlsx: its part xl/worksheets/sheet1.xml unpacks to 40 MB, over the limit of 32 MB" in result.stderr
    assert time.monotonic() - started < 5
    assert seeded.snapshot() == before


def test_a_zip_bomb_part_is_refused_by_its_ratio(seeded, tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", CASH_TABLE)
    filler = "<!--" + "A" * (4 << 20) + "-->"  # 4 MB that packs over a thousand to one
    rewrite_sheet(path, lambda xml: xml.replace("<sheetData>", filler + "<sheetData>"))
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    assert "bomb.xlsx: its part xl/worksheets/sheet1.xml is packed" in result.stderr
    assert "beyond the 100 to 1" in result.stderr


def test_a_header_of_a_million_unknown_columns_gives_a_short_message(seeded, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("kind," + ",".join(f"c{i}" for i in range(1_000_000)) + "\ndocument\n", encoding="utf-8")
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1
    assert len(result.stderr) < 5000
    assert "unknown columns 'c0', 'c1'" in result.stderr
    assert "'c99' and 999,900 more." in result.stderr and "'c100'" not in result.stderr
