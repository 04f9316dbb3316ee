"""Custody, import, rates and keys refusals in Spanish (--lang es): the exit code, a Spanish
sentence on stderr, and nothing written."""

from __future__ import annotations

import csv
import os

from tests.helpers import GOOD_IMEI


def register_phone(cli):
    """EV-000001, a phone held by B-1001 since 2020-10-06 06:00 (Lima)."""
    cli.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--seal", "S-0001",
           "--by", "B-1001", "--at", "2020-10-06T06:00")


def refused_in_spanish(cli, *args, code=1, words=(), env=None, offer=False):
    before = cli.snapshot()
    result = cli("--lang", "es", *args, env=env, offer=offer)
    assert result.exit_code == code, f"exit {result.exit_code}: {result.stderr}{result.stdout}"
    for w in words:
        assert w in result.stderr, f"{w!r} not in {result.stderr!r}"
    assert "Traceback" not in result.stderr
    assert cli.snapshot() == before, "a refused command wrote to the ledger"
    return result


def test_a_transfer_from_an_officer_who_does_not_hold_the_item(seeded):
    register_phone(seeded)
    refused_in_spanish(seeded, "custody", "transfer", "EV-1", "--from", "B-1002", "--to", "C-3001",
                       "--reason", "Al almacén", "--at", "2020-10-06T09:00", "--by", "B-1002",
                       words=("bien EV-000001: su custodio es B-1001, no B-1002; traspáselo desde B-1001, o consulte "
                              "'evidence item history EV-000001'",))


def test_a_sender_who_is_not_the_acting_officer(seeded):
    register_phone(seeded)
    refused_in_spanish(seeded, "custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                       "--reason", "Al almacén", "--by", "B-1002",
                       words=("--by B-1002 no es quien entrega (B-1001)", "Ejecútelo con --by B-1001 y la clave de "
                                                                          "B-1001."))


def test_custody_cannot_go_back_in_time(seeded):
    register_phone(seeded)
    refused_in_spanish(seeded, "custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                       "--reason", "Al almacén", "--at", "2020-10-06T05:50", "--by", "B-1001",
                       words=("es anterior a su último evento registrado",
                              "la custodia no puede retroceder en el tiempo. Indique un --at posterior"))


def test_an_import_file_with_a_bad_row_names_the_row(seeded, tmp_path):
    path = tmp_path / "bienes.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["kind", "title", "amount", "currency", "counted-by", "verified-by"],
            ["document", "Cuaderno de apuntes", "", "", "", ""],
            ["bicicleta", "", "", "", "", ""],
            ["efectivo", "", "100.00", "PEN", "B-9999", "B-1002"],
        ])
    refused_in_spanish(seeded, "item", "import", "SZ-000001", str(path), "--by", "B-1001",
                       words=("bienes.csv tiene 2 errores; no se importó nada:",
                              "fila 3, columna kind: 'bicicleta' no es un tipo de bien; use uno de",
                              "fila 4, columna counted-by: ",
                              "Corrija estas filas e importe de nuevo el archivo completo."))


def test_a_rate_that_contradicts_the_recorded_one(seeded):
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    refused_in_spanish(seeded, "rate", "set", "2020-10-06", "USD", "PEN", "3.6000", "--source", "SBS",
                       "--by", "B-1001",
                       words=("Ya hay registrado un tipo de cambio sell USD/PEN de SBS para el 2020-10-06: 3.5870",
                              "regístrelo con --supersede --reason TEXTO"))


def test_a_conversion_without_a_rate(seeded):
    refused_in_spanish(seeded, "convert", "100", "USD", "--to", "PEN", "--on", "2020-10-06",
                       words=("No hay tipo de cambio sell USD/PEN para el 2020-10-06", "Agréguelo con: evidence rate "
                                                                                        "set 2020-10-06"))


def test_a_missing_key(seeded):
    os.remove(seeded.key_path("B-1002"))
    refused_in_spanish(seeded, "seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x",
                       "--by", "B-1002",
                       words=("Actuar como B-1002 requiere la clave propia de B-1002, y no se encontró ninguna",
                              "Indique el archivo de clave con --key FILE o EVIDENCE_KEY"))


def test_a_wrong_passphrase(seeded):
    register_phone(seeded)
    refused_in_spanish(seeded, "custody", "transfer", "EV-1", "--from", "B-1001", "--to", "C-3001",
                       "--reason", "Al almacén", "--by", "B-1001", env={"EVIDENCE_KEY_PASSPHRASE": "no es"},
                       words=("La frase de contraseña no abre el archivo de clave",
                              "Indique la frase de contraseña elegida cuando se creó la clave"))
