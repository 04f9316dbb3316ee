"""Rate files: plain CSV, BCRP JSON and BCRP CSV, and how bad files are reported."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import InputError
from ledger.ratefiles import RateRow, file_sha256, parse_rate_file

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
VENTA = "Tipo de cambio - TC Interbancario (S/ por US$) - Venta"
COMPRA = "Tipo de cambio - TC Interbancario (S/ por US$) - Compra"


def bcrp_json(periods, title=VENTA) -> bytes:
    document = {
        "config": {"title": "Tipo de cambio nominal diario (S/ por US$)", "series": [{"name": title, "dec": "4"}]},
        "periods": [{"name": name, "values": [value]} for name, value in periods],
    }
    return json.dumps(document).encode()


def error_of(data: bytes, filename: str = "rates.csv") -> InputError:
    with pytest.raises(InputError) as exc:
        parse_rate_file(data, filename)
    return exc.value


# --- plain CSV ---------------------------------------------------------------------------------


def test_plain_csv():
    data = b"date,base,quote,rate,side\n2020-10-06,USD,PEN,3.5870,sell\n2020-10-06,usd,pen,3.5810,buy\n\n2020-10-07,EUR,PEN,4.2100,\n"
    fmt, rows = parse_rate_file(data, "rates.csv")
    assert fmt == "csv"
    assert rows == [
        RateRow(2, datetime.date(2020, 10, 6), "USD", "PEN", Decimal("3.5870"), "sell"),
        RateRow(3, datetime.date(2020, 10, 6), "USD", "PEN", Decimal("3.5810"), "buy"),
        RateRow(5, datetime.date(2020, 10, 7), "EUR", "PEN", Decimal("4.2100"), None),
    ]
    assert str(rows[0].rate) == "3.5870"


def test_plain_csv_without_side_column_crlf_and_bom():
    data = "\ufeffDate,Base,Quote,Rate\r\n2020-10-06,USD,PEN,3.3333\r\n".encode()
    fmt, rows = parse_rate_file(data, "rates.csv")
    assert fmt == "csv"
    assert rows == [RateRow(2, datetime.date(2020, 10, 6), "USD", "PEN", Decimal("3.3333"), None)]


def test_plain_csv_reports_every_bad_line():
    data = (
        b"date,base,quote,rate,side\n"
        b"2020-10-06,USD,PEN,3.5870,sell\n"  # 2 good
        b"06/10/2020,USD,PEN,3.5870,sell\n"  # 3 date form
        b"2020-02-30,USD,PEN,3.5870,sell\n"  # 4 no such day
        b"2020-10-07,USD,ABC,3.5870,sell\n"  # 5 currency
        b"2020-10-08,USD,PEN,3,5870,sell\n"  # 6 field count
        b"2020-10-09,USD,PEN,-3.5,sell\n"  # 7 rate
        b"2020-10-12,USD,PEN,3.59,average\n"  # 8 side
        b"2020-10-13,PEN,PEN,1,\n"  # 9 same currency
        b"2020-10-14,USD,PEN,3.5870,sell\n"  # 10 good
    )
    error = error_of(data)
    assert error.message == "rate file 'rates.csv' has 7 bad lines; nothing was read."
    assert [d.split(":")[0] for d in error.details] == [f"line {n}" for n in range(3, 10)]
    assert "date '06/10/2020' is not in the form YYYY-MM-DD" in error.details[0]
    assert "not a day of the calendar" in error.details[1]
    assert "quote 'ABC' is not an ISO 4217 currency code" in error.details[2]
    assert "has 6 fields, not 5" in error.details[3]
    assert "rate '-3.5' is not a rate" in error.details[4]
    assert "side 'average'" in error.details[5]
    assert "base and quote are both PEN" in error.details[6]
    assert "Correct the listed lines" in error.hint


def test_many_bad_lines_are_capped():
    data = ("date,base,quote,rate\n" + "2020-10-06,USD,PEN,zero\n" * 60).encode()
    error = error_of(data)
    assert error.message.startswith("rate file 'rates.csv' has 60 bad lines")
    assert len(error.details) == 51
    assert error.details[0].startswith("line 2: rate 'zero'")
    assert error.details[-1] == "... and 10 more"


def test_plain_csv_duplicate_date_conflict_names_both_lines():
    data = b"date,base,quote,rate,side\n2020-10-06,USD,PEN,3.5870,sell\n2020-10-07,USD,PEN,3.58,sell\n2020-10-06,USD,PEN,3.5900,sell\n"
    error = error_of(data)
    assert error.details == ["line 4: 2020-10-06 USD/PEN is 3.5900 here but 3.5870 in line 2; keep one of them"]


def test_plain_csv_exact_repeat_is_kept_once():
    data = b"date,base,quote,rate\n2020-10-06,USD,PEN,3.5870\n2020-10-06,USD,PEN,3.5870\n"
    _, rows = parse_rate_file(data, "rates.csv")
    assert len(rows) == 1


def test_plain_csv_header_only():
    assert "has a header but no rates" in error_of(b"date,base,quote,rate\n").message


# --- BCRP JSON ---------------------------------------------------------------------------------


def test_bcrp_json_skips_nd_and_reads_side():
    data = bcrp_json(
        [
            ("05.Oct.20", "3.5950"),
            ("06.Oct.20", "3.5870"),
            ("10.Oct.20", "n.d."),
            ("11.Oct.20", "N.D."),
            ("12.Oct.20", "n.d"),
        ]
    )
    fmt, rows = parse_rate_file(data, "PD04640PD.json")
    assert fmt == "bcrp-json"
    assert rows == [
        RateRow(1, datetime.date(2020, 10, 5), "USD", "PEN", Decimal("3.5950"), "sell"),
        RateRow(2, datetime.date(2020, 10, 6), "USD", "PEN", Decimal("3.5870"), "sell"),
    ]


@pytest.mark.parametrize(
    "title, side",
    [(VENTA, "sell"), (COMPRA, "buy"), ("Tipo de cambio - TC Interbancario (S/ por US$) - Promedio", None)],
)
def test_bcrp_side_from_title(title, side):
    _, rows = parse_rate_file(bcrp_json([("06.Oct.20", "3.5870")], title=title), "x.json")
    assert rows[0].side == side


@pytest.mark.parametrize(
    "name, expected",
    [
        ("15.Set.20", datetime.date(2020, 9, 15)),
        ("15.Sep.20", datetime.date(2020, 9, 15)),
        ("02.Ene.97", datetime.date(1997, 1, 2)),
        ("31.Dic.19", datetime.date(2019, 12, 31)),
        ("14.Ago.20", datetime.date(2020, 8, 14)),
        ("14.Abr.20", datetime.date(2020, 4, 14)),
    ],
)
def test_bcrp_dates(name, expected):
    _, rows = parse_rate_file(bcrp_json([(name, "3.5")]), "x.json")
    assert rows[0].date == expected


def test_bcrp_json_reports_every_bad_period():
    data = bcrp_json(
        [
            ("05.Oct.20", "3.5950"),
            ("06.Okt.20", "3.5870"),  # 2 month
            ("07.Oct.20", "3,5810"),  # 3 value
            ("32.Oct.20", "3.5810"),  # 4 day
            ("2020-10-09", "3.5960"),  # 5 date form
            ("12.Oct.20", "3.5900"),
            ("12.Oct.20", "3.6000"),  # 7 conflict with 6
        ]
    )
    error = error_of(data, "PD04640PD.json")
    assert error.message == "rate file 'PD04640PD.json' has 5 bad periods; nothing was read."
    assert error.details[0].startswith("period 2 (06.Okt.20): date '06.Okt.20' has an unknown month 'Okt'")
    assert error.details[1].startswith("period 3 (07.Oct.20): rate '3,5810' is not a rate")
    assert error.details[2].startswith("period 4 (32.Oct.20): date '32.Oct.20' is not a day of the calendar")
    assert error.details[3].startswith("period 5 (2020-10-09): date '2020-10-09' is not in the BCRP form DD.Mmm.YY")
    assert error.details[4] == (
        "period 7 (12.Oct.20): 2020-10-12 USD/PEN is 3.6000 here but 3.5900 in period 6 (12.Oct.20); keep one of them"
    )


def test_bcrp_json_malformed_period_entries():
    document = {
        "config": {"series": [{"name": VENTA}]},
        "periods": [{"name": "06.Oct.20"}, {"name": "07.Oct.20", "values": [3.58]}, "x"],
    }
    error = error_of(json.dumps(document).encode(), "x.json")
    assert [d.split(":")[0] for d in error.details] == ["period 1 (06.Oct.20)", "period 2 (07.Oct.20)", "period 3"]


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b'{"periods": ', "is not valid JSON (line 1"),
        (b'{"a": 1}', "is JSON but not a BCRP series"),
        (b'{"config": {"series": [{"name": "a"}, {"name": "b"}]}, "periods": []}', "holds 2 BCRP series"),
        (
            json.dumps(
                {"config": {"series": [{"name": "Tipo de cambio (S/ por Euro) - Venta"}]}, "periods": []}
            ).encode(),
            "not soles per US dollar",
        ),
    ],
)
def test_bcrp_json_refused_documents(data, fragment):
    assert fragment in error_of(data, "x.json").message


def test_bcrp_json_all_nd():
    assert "no day with a rate" in error_of(bcrp_json([("10.Oct.20", "n.d.")]), "x.json").message


# --- BCRP CSV ----------------------------------------------------------------------------------


def test_bcrp_csv():
    data = f'"Fecha","{COMPRA}"\n"15.Set.20","3.5650"\n"19.Set.20","n.d."\n"21.Sep.20","3.5710"\n'.encode()
    fmt, rows = parse_rate_file(data, "PD04639PD.csv")
    assert fmt == "bcrp-csv"
    assert rows == [
        RateRow(2, datetime.date(2020, 9, 15), "USD", "PEN", Decimal("3.5650"), "buy"),
        RateRow(4, datetime.date(2020, 9, 21), "USD", "PEN", Decimal("3.5710"), "buy"),
    ]


def test_bcrp_csv_as_served_by_the_web_api_with_br():
    data = f'"Fecha","{VENTA}"<br>"06.Oct.20","3.5870"<br>"07.Oct.20","3.5810"<br>'.encode()
    fmt, rows = parse_rate_file(data, "api.csv")
    assert fmt == "bcrp-csv"
    assert [r.rate for r in rows] == [Decimal("3.5870"), Decimal("3.5810")]


def test_bcrp_csv_reports_every_bad_line_and_conflicts():
    data = f'"Fecha","{VENTA}"\n"06.Oct.20","3.5870"\n"07.Oct.20","abc"\n"08.Oct.20"\n"06.Oct.20","3.6000"\n'.encode()
    error = error_of(data, "PD04640PD.csv")
    assert error.details == [
        "line 3: rate 'abc' is not a rate. Write a plain decimal between 0.000001 and 1,000,000 with at most 10 decimals, such as 3.5870.",
        "line 4: has 1 fields, not 2 (date and value)",
        "line 5: 2020-10-06 USD/PEN is 3.6000 here but 3.5870 in line 2; keep one of them",
    ]


# --- files that are not rate files -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_file(data):
    error = error_of(data, "rates.csv")
    assert error.message.startswith("rate file 'rates.csv' is empty.")
    assert "UTF-8 CSV" in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00",  # an .xlsx
        "date,base,quote,rate\n2020-10-06,USD,PEN,3.5870\n".encode("utf-16"),
        "Fecha,Tipo de cambio d\u00f3lar\n".encode("latin-1"),
    ],
)
def test_binary_or_not_utf8(data):
    error = error_of(data, "rates.xlsx")
    assert error.message.startswith("rate file 'rates.xlsx' is not a UTF-8 text file.")
    assert "Save it as UTF-8 CSV" in error.message


def test_unknown_text_format():
    error = error_of(b"fecha;compra;venta\n06/10/2020;3.58;3.59\n", "sunat.txt")
    assert error.message.startswith(
        "rate file 'sunat.txt' is not a known rate format: its first line is 'fecha;compra;venta'"
    )


# --- sample files in the docs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt", [("bcrp-usd-pen-2020-10.json", "bcrp-json"), ("bcrp-usd-pen-2020-10.csv", "bcrp-csv")]
)
def test_sample_files(name, fmt):
    got_fmt, rows = parse_rate_file((SAMPLES / name).read_bytes(), name)
    assert got_fmt == fmt
    assert len(rows) == 21  # 31 days less 9 weekend days and the 8 October holiday (Combate de Angamos)
    assert {r.date.month for r in rows} == {10}
    assert all(r.date.weekday() < 5 for r in rows)
    assert all(Decimal("3.55") <= r.rate <= Decimal("3.62") for r in rows)
    assert all((r.base, r.quote, r.side) == ("USD", "PEN", "sell") for r in rows)
    assert next(r.rate for r in rows if r.date == datetime.date(2020, 10, 6)) == Decimal("3.5870")


def test_file_sha256():
    assert file_sha256(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(file_sha256(b"")) == 64
