"""The commands and forms a new user looked for: seizure list and show, export xlsx without
--out, Spanish import headers, phones whose IMEI cannot be read, a repeated acta number."""

from __future__ import annotations

import json
import os

from openpyxl import load_workbook

from tests.helpers import GOOD_IMEI, rows

PHONE = ["phone", "add", "SZ-000001", "--make", "Nokia", "--model", "105", "--at", "2020-10-06T09:00",
         "--by", "B-1001"]


def test_seizure_list_and_show(seeded):
    seeded.ok(*PHONE, "--imei", GOOD_IMEI)
    listed = seeded.ok("seizure", "list")
    assert listed.splitlines()[0].split() == ["SEIZURE", "CASE", "AT", "ACTA", "BY", "ITEMS", "PLACE"]
    assert "SZ-000001" in listed and "ACTA-0001" in listed and "2020-10-06 05:30 -05:00" in listed
    data = seeded.ok("seizure", "list", "--case", "AQP-2020-0147", json_out=True)
    assert [(s["id"], s["items"]) for s in data] == [("SZ-000001", 1)]
    shown = seeded.ok("seizure", "show", "SZ-000001")
    assert "acta:         ACTA-0001" in shown and "items:        1 item" in shown and "EV-000001" in shown
    assert "Testigo Uno" in shown and "Persona Ficticia Uno" in shown
    assert seeded.ok("seizure", "show", "1", json_out=True)["items"] == [
        {"id": "EV-000001", "kind": "phone", "status": "in-custody"}]


def test_seizure_list_of_an_unknown_case_is_refused(seeded):
    result = seeded("seizure", "list", "--case", "AQP-2020-0174")
    assert result.exit_code == 1 and "Did you mean AQP-2020-0147?" in result.stderr


def test_repeated_acta_is_recorded_with_a_warning(seeded, db_url):
    result = seeded("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "Otra casa",
                    "--acta", "acta-0001", "--by", "B-1001")
    assert result.exit_code == 0 and result.stdout.strip() == "SZ-000002"
    assert result.stderr == (
        "warning: acta ACTA-0001 is already the acta of SZ-000001 (case AQP-2020-0147). If this is the same "
        "seizure typed again, register its items under SZ-000001; otherwise check the acta number.\n")
    assert rows(db_url, "SELECT count(*) FROM seizures") == [(2,)]
    other = seeded("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "X",
                   "--acta", "ACTA-0002", "--by", "B-1001")
    assert other.exit_code == 0 and other.stderr == ""


def test_export_xlsx_defaults_to_the_case_number_and_never_overwrites(seeded, tmp_path):
    seeded.ok(*PHONE, "--imei", GOOD_IMEI)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        first = seeded("export", "xlsx", "aqp-2020-0147", "--by", "F-2001")
        assert first.exit_code == 0, first.output
        assert first.stdout.startswith("wrote AQP-2020-0147.xlsx")
        assert load_workbook(tmp_path / "AQP-2020-0147.xlsx").sheetnames[0] == "Resumen"
        before = (tmp_path / "AQP-2020-0147.xlsx").read_bytes()
        again = seeded("export", "xlsx", "AQP-2020-0147")
        assert again.exit_code == 1 and "already exists" in again.stderr and "--force" in again.stderr
        assert (tmp_path / "AQP-2020-0147.xlsx").read_bytes() == before
        assert seeded("export", "xlsx", "AQP-2020-0147", "--force").exit_code == 0
    finally:
        os.chdir(old)


def test_default_workbook_name_has_no_path_separators():
    from cli.xlsx_cmds import default_workbook_name

    assert default_workbook_name("exp/2020/15") == "EXP-2020-15.xlsx"
    assert default_workbook_name(" AQP-2020-0147 ") == "AQP-2020-0147.xlsx"


def test_import_with_spanish_headers(seeded, db_url, tmp_path):
    path = tmp_path / "acta.csv"
    path.write_text(
        "Tipo,Monto,Moneda,Contado por,Verificado por,Marca,Modelo,Placa,Año,IMEI,Título,Páginas,Motivo sin IMEI\n"
        "efectivo,\"S/ 4.000,00\",PEN,B-1001,B-1002,,,,,,,,\n"
        "vehículo,,,,,Toyota,Yaris,V1A-123,2016,,,,\n"
        f"teléfono,,,,,Samsung,A10,,,{GOOD_IMEI},,,\n"
        "celular,,,,,Nokia,105,,,,,,Pantalla rota\n"
        "documento,,,,,,,,,,Cuaderno,48,\n", encoding="utf-8")
    out = seeded.ok("item", "import", "SZ-000001", str(path), "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert out.startswith("imported 5 items into SZ-000001: 1 cash, 1 vehicle, 2 phones, 1 document")
    got = rows(db_url, "SELECT kind, amount_minor, plate, year, imei, title, pages FROM items ORDER BY no")
    assert [tuple(r) for r in got] == [
        ("cash", 400000, None, None, None, None, None), ("vehicle", None, "V1A-123", 2016, None, None, None),
        ("phone", None, None, None, GOOD_IMEI, None, None), ("phone", None, None, None, None, None, None),
        ("document", None, None, None, None, "Cuaderno", 48)]
    assert seeded.ok("item", "show", "EV-000004", json_out=True)["imei_unreadable"] == "Pantalla rota"


def test_unknown_header_names_the_spanish_forms(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("tipo,montos\nefectivo,10\n", encoding="utf-8")
    result = seeded("item", "import", "SZ-000001", str(path), "--by", "B-1001")
    assert result.exit_code == 1 and "'montos'" in result.stderr and "tipo, monto, moneda, placa" in result.stderr


def test_phone_without_a_readable_imei(seeded, db_url):
    done = seeded(*PHONE, "--no-imei", "--reason", "Pantalla rota, sin caja")
    assert done.exit_code == 0, done.output
    assert rows(db_url, "SELECT imei FROM items") == [(None,)]
    body = json.loads(rows(db_url, "SELECT body FROM events WHERE type = 'item.registered'")[0][0])
    assert body["data"]["imei_unreadable"] == "Pantalla rota, sin caja"
    shown = seeded.ok("item", "show", "EV-000001")
    assert "imei_unreadable: Pantalla rota, sin caja" in shown
    assert "Nokia 105 (no IMEI)" in seeded.ok("item", "list")
    assert seeded.ok("verify").startswith("verify: clean.")


def test_phone_imei_refusals_point_to_no_imei(seeded):
    before = seeded.snapshot()
    for args, expected in [
        ([], "--imei is required for a phone item. If the IMEI cannot be read (a broken or locked phone, no box), "
             "register it with --no-imei --reason TEXT."),
        (["--imei", "000000000000000"], "if it cannot be read, register the phone with --no-imei --reason TEXT."),
        (["--no-imei"], "--no-imei needs --reason"),
        (["--reason", "rota"], "--reason goes with --no-imei"),
        (["--imei", GOOD_IMEI, "--no-imei", "--reason", "rota"], "are both given"),
    ]:
        result = seeded(*PHONE, *args)
        assert result.exit_code == 1 and expected in result.stderr, (args, result.stderr)
    assert seeded.snapshot() == before
