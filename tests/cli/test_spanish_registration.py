"""Registration's refusals, warnings and notes in Spanish (`--lang es`): a bad IMEI, an amount
that reads two ways, an amount in the Peruvian form and how it was read, a mistyped badge with
the closest registered ones, a time without the time of day. A refusal writes nothing."""

from __future__ import annotations

from tests.helpers import GOOD_IMEI, rows

ES = ("--lang", "es")
CASH = ["cash", "add", "SZ-000001", "--counted-by", "B-1001", "--verified-by", "B-1002",
        "--at", "2020-10-06T09:00", "--by", "B-1001"]


def refused(cli, *args):
    before = cli.snapshot()
    result = cli(*ES, *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert cli.snapshot() == before
    return result.stderr


def test_imei_that_fails_the_luhn_check(seeded):
    bad = GOOD_IMEI[:-1] + "9"
    err = refused(seeded, "phone", "add", "SZ-000001", "--imei", bad, "--make", "Nokia", "--model", "105",
                  "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert (f"--imei '{bad}' no pasa la verificación de Luhn. Vuelva a leer los 15 dígitos en el equipo o en su "
            "caja.") in err
    err = refused(seeded, "phone", "add", "SZ-000001", "--imei", "12345", "--make", "Nokia", "--model", "105",
                  "--at", "2020-10-06T09:00", "--by", "B-1001")
    assert "--imei '12345' tiene 5 dígitos, no 15. Un IMEI tiene 15 dígitos 0-9" in err


def test_amount_that_reads_two_ways_names_both(seeded):
    err = refused(seeded, *CASH, "--amount", "4.000", "--currency", "PEN")
    assert ("--amount '4.000' es ambiguo: con el punto entre millares es 4,000.00 PEN; con el punto para decimales "
            "es 4.000 PEN. Escriba 4,000.00 o 4.00, según lo que quiera decir.") in err


def test_peruvian_amount_is_read_and_the_officer_told_how(seeded, db_url):
    result = seeded(*ES, *CASH, "--amount", "S/ 4.000,00", "--currency", "PEN")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "EV-000001"
    assert ("--amount 'S/ 4.000,00' se leyó como S/ 4,000.00 (S/ es PEN; puntos entre millares, coma para "
            "decimales).") in result.stderr
    assert rows(db_url, "SELECT amount_minor, currency FROM items") == [(400000, "PEN")]


def test_unknown_badge_names_the_closest(seeded):
    err = refused(seeded, *CASH[:6], "B-1010", *CASH[7:], "--amount", "10", "--currency", "PEN")
    assert "--verified-by: no hay ningún oficial registrado con la placa B-1010. ¿Quiso decir B-1001" in err
    assert "? Vea 'evidence officer list'." in err
    err = refused(seeded, "case", "open", "X-1", "--title", "t", "--by", "F-2010")
    assert "--by: no hay ningún oficial registrado con la placa F-2010." in err
    assert "¿Quiso decir F-2001? Revise la placa con 'evidence officer list'" in err


def test_time_without_time_of_day_and_in_the_future(seeded):
    err = refused(seeded, *CASH[:-4], "--at", "2020-10-06", "--by", "B-1001", "--amount", "10", "--currency", "PEN")
    assert ("--at '2020-10-06' es una fecha sin hora del día. Indique también la hora, en la forma 2020-10-06T05:30 "
            "(horas y minutos como en el formulario).") in err
    err = refused(seeded, *CASH[:-4], "--at", "2999-01-01T10:00", "--by", "B-1001", "--amount", "10",
                  "--currency", "PEN")
    assert "--at '2999-01-01T10:00' está en el futuro (el reloj marca " in err


def test_english_stays_the_default(seeded):
    result = seeded(*CASH, "--amount", "4.000", "--currency", "PEN")
    assert result.exit_code == 1 and "--amount '4.000' is ambiguous" in result.stderr
