"""The commands' own texts in Spanish (--lang es): table headers and labels that still fit 100
columns, a confirmation whose noun and verb agree with its number, a prompt, a refusal; and
--json output that no language changes."""

from __future__ import annotations

import json

import pytest

from tests.helpers import GOOD_IMEI

WIDTH = 100
LONG_TITLE = ("Cuaderno de cuentas con nombres, montos y fechas de las entregas de recién nacidos, "
              "hallado en el dormitorio principal")


def es(cli, *args, **kw):
    """`evidence ARGS... --lang es` (the language may follow the command)."""
    return cli(*args, "--lang", "es", **kw)


def fits(text: str) -> bool:
    return all(len(line) <= WIDTH for line in text.splitlines())


@pytest.fixture
def stocked(seeded, tmp_path):
    """Seeded, with three items imported from a file (in Spanish) and one of them handed on."""
    path = tmp_path / "items.csv"
    path.write_text("kind,title,pages,imei,make,model,seal\n"
                    f'document,"{LONG_TITLE}",48,,,,S-0001\n'
                    "document,Contratos de adopción,12,,,,S-0002\n"
                    f"phone,,,{GOOD_IMEI},Samsung,Galaxy A10,S-0003\n", encoding="utf-8")
    result = es(seeded, "item", "import", "SZ-000001", str(path), "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert result.exit_code == 0, result.output
    seeded.imported = result.stdout
    seeded.ok("custody", "transfer", "EV-000001", "--from", "B-1001", "--to", "C-3001", "--location", "ER-AQP",
              "--reason", "Ingreso al depósito de evidencias de la división para su custodia hasta el juicio oral",
              "--at", "2020-10-06T11:00", "--by", "B-1001")
    return seeded


def test_import_confirms_in_spanish_with_agreeing_plurals(stocked):
    first = stocked.imported.splitlines()[0]
    assert first.startswith("se importaron 3 bienes en SZ-000001: ")
    assert "1 teléfono" in first and "2 documentos" in first
    assert stocked.imported.splitlines()[1] == "primero EV-000001, último EV-000003"


def test_item_list_speaks_spanish_within_100_columns(stocked):
    out = es(stocked, "item", "list").stdout
    header = out.splitlines()[0].split()
    assert header[0] == "BIEN" and {"ESTADO", "CUSTODIO", "PRECINTO", "DESCRIPCIÓN"} <= set(header)
    assert "ITEM" not in header and "WHAT" not in header
    assert fits(out), out
    assert "…" in out  # the long title is cut to fit


def test_item_history_speaks_spanish_within_100_columns(stocked):
    out = es(stocked, "item", "history", "EV-000001").stdout
    lines = out.splitlines()
    assert lines[0] == "EV-000001 (document, caso AQP-2020-0147): in-custody, custodio C-3001"
    assert lines[1].split()[:3] == ["SEC", "OCURRIDO", "EVENTO"] and "MOTIVO" in lines[1]
    assert fits(out), out
    wide = es(stocked, "item", "history", "EV-000001", "--wide").stdout
    assert "REGISTRADO" in wide.splitlines()[1] and "hasta el juicio oral" in wide


def test_item_show_labels_in_spanish(stocked):
    out = es(stocked, "item", "show", "EV-000003").stdout
    assert "caso:               AQP-2020-0147" in out
    assert "incautación:        SZ-000001" in out
    assert "estado:             in-custody" in out  # the status is a value of --status: never translated
    assert "marca:              Samsung" in out
    assert fits(out), out
    english = stocked.ok("item", "show", "EV-000003")
    assert "case_no:        AQP-2020-0147" in english


def test_a_foreign_label_is_refused_in_spanish(stocked):
    result = es(stocked, "item", "show", "EV-000001/AQP-2021-0001/ABCDEF123456")
    assert result.exit_code == 3
    assert "el rótulo EV-000001/AQP-2021-0001/ABCDEF123456 indica el caso AQP-2021-0001" in result.stderr
    assert "Revise el bien a mano ('evidence item show EV-000001')" in result.stderr


def test_json_is_the_same_in_every_language(stocked):
    english = stocked("item", "list", "--json").stdout
    spanish = es(stocked, "item", "list", "--json").stdout
    assert english == spanish
    assert {"id", "kind", "status", "holder"} <= set(json.loads(spanish)[0])


def test_the_passphrase_prompt_in_spanish(cli, tmp_path):
    key = tmp_path / "adm.key"
    result = es(cli, "init", "--admin", "ADM-0001", "--name", "Rosa Medina", "--out", str(key),
                input="frase secreta\nfrase secreta\nfrase secreta\n", env={"EVIDENCE_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.output
    assert "Frase de contraseña de la nueva clave de ADM-0001" in result.stderr
    assert "Frase de contraseña de la clave de ADM-0001 (" not in result.stderr  # never asked a third time
    assert "administrador ADM-0001 (Rosa Medina); clave " in result.stdout
    refused = es(cli, "key", "generate", "--badge", "B-1001", "--out", str(tmp_path / "b.key"), input="",
                 env={"EVIDENCE_KEY_PASSPHRASE": None})
    assert refused.exit_code == 1
    assert "No se indicó la frase de contraseña. Escríbala cuando se le pida" in refused.stderr
