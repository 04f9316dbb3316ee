"""Input checks in ledger.validate: what is accepted, what is normalised, and that every refusal
names the option the person typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InputError
from ledger.validate import (
    check_badge,
    check_code,
    check_imei,
    check_plate,
    check_positive_int,
    check_vin,
    check_year,
    check_zone,
    clean_text,
    from_utc_iso,
    identifier_key,
    local_iso,
    luhn_ok,
    parse_date,
    parse_time,
    utc_iso,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def refused(field: str, func, *args, **kwargs) -> str:
    """Call `func`, expect an InputError naming `field`, and return its message."""
    with pytest.raises(InputError) as info:
        func(*args, **kwargs)
    message = info.value.message
    assert field in message, message
    assert "\n" not in message
    return message


def luhn_digit(prefix: str) -> str:
    return next(d for d in "0123456789" if luhn_ok(prefix + d))


# --------------------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    "value",
    [
        "O'Brien",
        'Said "hello"',
        "José Ñáñez",
        "' OR 1=1 --",
        "=SUM(A1)",
        "+51 999 888 777",
        "محمد",
        "שלום",
        "Robert'); DROP TABLE items;--",
        "<script>alert(1)</script>",
    ],
)
def test_clean_text_keeps_legal_text(value):
    assert clean_text(value, "--name") == value


def test_clean_text_normalises_to_nfc_and_strips():
    decomposed = "Jose\u0301 N\u0303an\u0303ez"
    assert clean_text(f"  {decomposed}\t", "--name") == "José Ñañez"


def test_clean_text_counts_length_after_nfc():
    decomposed = "e\u0301" * 5  # 10 code points, 5 characters after NFC
    assert clean_text(decomposed, "--name", max_len=5) == "é" * 5


@pytest.mark.parametrize(
    "value, shown",
    [
        ("a\x00b", "\\x00"),
        ("a\x1b[31mred", "\\x1b"),
        ("a\rb", "\\r"),
        ("a\nb", "\\n"),
        ("a\tb", "\\t"),
        ("a\x7fb", "\\x7f"),
        ("a\x85b", "\\x85"),
        ("invoice\u202etxt.exe", "\\u202e"),
        ("a\u202ab", "\\u202a"),
        ("a\u2066b", "\\u2066"),
        ("a\u2069b", "\\u2069"),
        ("a\u200eb", "\\u200e"),
        ("a\u200fb", "\\u200f"),
        ("a\u061cb", "\\u061c"),
        ("a\u200bb", "\\u200b"),
        ("a\u200cb", "\\u200c"),
        ("a\u200db", "\\u200d"),
        ("a\u2060b", "\\u2060"),
        ("a\ufeffb", "\\ufeff"),
        ("\ufeffabc", "\\ufeff"),
        ("a\u2028b", "\\u2028"),
        ("a\ud800b", "\\ud800"),
    ],
)
def test_clean_text_refuses_hidden_and_control_characters(value, shown):
    message = refused("--name", clean_text, value, "--name")
    assert shown in message
    assert "position" in message


@pytest.mark.parametrize(
    "char",
    ["\u00ad", "\u034f", "\u115f", "\u1160", "\u180e", "\u3164", "\uffa0", "\ufff9", "\ufffa", "\ufffb",
     "\U000e0001", "\U000e0041", "\U000e007f", "\ufe0f", "\ufe00", "\U000e0100"],
)
def test_clean_text_refuses_invisible_characters_naming_the_code_point(char):
    message = refused("--name", clean_text, f"Ana{char}Quispe", "--name")
    assert f"U+{ord(char):04X}" in message and "position 4" in message
    assert char not in message  # shown escaped, never as an invisible character


def test_clean_text_multiline_allows_newline_only():
    assert clean_text("line one\nline two", "--note", multiline=True) == "line one\nline two"
    assert "\\r" in refused("--note", clean_text, "line one\r\nline two", "--note", multiline=True)
    assert "\\t" in refused("--note", clean_text, "a\tb", "--note", multiline=True)
    assert "\\u202e" in refused("--note", clean_text, "a\n\u202eb", "--note", multiline=True)


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_clean_text_empty(value):
    assert clean_text(value, "--note", required=False) is None
    assert "required" in refused("--name", clean_text, value, "--name")


def test_clean_text_too_long_says_length_and_maximum():
    message = refused("--name", clean_text, "x" * 201, "--name")
    assert "201" in message and "200" in message
    assert clean_text("x" * 200, "--name") == "x" * 200


def test_messages_truncate_long_values():
    message = refused("--name", clean_text, "y" * 5000, "--name")
    assert len(message) < 300


# --------------------------------------------------------------------------- badge, code


@pytest.mark.parametrize(
    "value, expected",
    [("B-1001", "B-1001"), (" pnp.4521 ", "PNP.4521"), ("7/aqp_12", "7/AQP_12"), ("A" * 32, "A" * 32)],
)
def test_check_badge_accepts(value, expected):
    assert check_badge(value) == expected


@pytest.mark.parametrize("value", ["", None, "-B1001", "B 1001", "B1001!", "A" * 33, "Ñ-1001", "B\x001001", "１２３"])
def test_check_badge_refuses(value):
    refused("--by", check_badge, value)


def test_check_badge_uses_given_field():
    refused("--to", check_badge, "no good", "--to")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("CF-2020-0456", "CF-2020-0456"),
        ("Carpeta 1306014500-2020-1234", "CARPETA 1306014500-2020-1234"),
        ("Carpeta   1306014500", "CARPETA 1306014500"),
        ("aqp-2020-0147", "AQP-2020-0147"),
        ("Almacen AQP #3", "ALMACEN AQP #3"),
        ("SEAL:00123/b", "SEAL:00123/B"),
        ("A" * 64, "A" * 64),
    ],
)
def test_check_code_accepts(value, expected):
    assert check_code(value, "--case") == (expected or value)


@pytest.mark.parametrize(
    "value",
    ["", None, "A" * 65, "CF-2020;DROP", "CF\u202e2020", "CF\t2020", "---", "CF-２０２０", "caso@fiscalia", "a\u200bb"],
)
def test_check_code_refuses(value):
    refused("--case", check_code, value, "--case")


@pytest.mark.parametrize(
    "value, char",
    [
        ("Almacén AQP #3", "U+00E9"),
        ("Acta N.º 12", "U+00BA"),
        ("АQP-2020-0147", "U+0410 CYRILLIC CAPITAL LETTER A"),  # looks like the Latin A
        ("AQP\u00a02020", "U+00A0"),
    ],
)
def test_check_code_refuses_non_ascii_naming_the_code_point(value, char):
    message = refused("--case", check_code, value, "--case")
    assert char in message and "ASCII" in message


@pytest.mark.parametrize("value, char", [("Ñ-1001", "U+00D1"), ("В-1001", "U+0412"), ("B-1001\u00ad", "U+00AD")])
def test_check_badge_refuses_non_ascii_naming_the_code_point(value, char):
    assert char in refused("BADGE", check_badge, value, "BADGE")


def test_identifier_key_ignores_case_and_separators():
    assert identifier_key("B-1001") == identifier_key("b1001") == identifier_key("B_10.01") == "B1001"
    assert identifier_key("AQP-2020-0147") == identifier_key("aqp 2020/0147")
    assert identifier_key("B-1001") != identifier_key("B-1007")


# --------------------------------------------------------------------------- IMEI

VALID_IMEIS = ["490154203237518", "356938035643809", "352099001761481"]


@pytest.mark.parametrize("value", VALID_IMEIS)
def test_check_imei_accepts(value):
    assert luhn_ok(value)
    assert check_imei(f" {value} ") == value


@pytest.mark.parametrize(
    "value, words",
    [
        ("49015420323751", ["14 digits", "15"]),
        ("4901542032375180", ["16 digits", "15"]),
        ("490154203237519", ["Luhn"]),
        ("49015420323751X", ["'X'", "position 15"]),
        ("4901 5420 3237 518", ["' '"]),
        ("49-015420-323751-8", ["'-'"]),
        ("000000000000000", ["zeros"]),
        ("４９０１５４２０３２３７５１８", ["non-ASCII digit"]),
        ("٤٩٠١٥٤٢٠٣٢٣٧٥١٨", ["non-ASCII digit"]),
        ("49015420323751\x00", ["\\x00"]),
        ("", ["required"]),
        (None, ["required"]),
    ],
)
def test_check_imei_refuses(value, words):
    message = refused("--imei", check_imei, value)
    for word in words:
        assert word in message


def test_all_zeros_passes_luhn_but_not_check_imei():
    assert luhn_ok("0" * 15)
    refused("--imei", check_imei, "0" * 15)


@pytest.mark.parametrize("value", ["", "12a", "４２", "79927398710"])
def test_luhn_ok_false(value):
    assert not luhn_ok(value)


def test_luhn_ok_known_number():
    assert luhn_ok("79927398713")


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_any_prefix_with_its_luhn_digit_is_an_imei(prefix):
    imei = prefix + luhn_digit(prefix)
    if imei == "0" * 15:
        refused("--imei", check_imei, imei)
    else:
        assert check_imei(imei) == imei


@given(
    st.text(alphabet="0123456789", min_size=14, max_size=14),
    st.integers(min_value=0, max_value=14),
    st.integers(min_value=1, max_value=9),
)
def test_luhn_catches_every_single_digit_error(prefix, position, delta):
    imei = prefix + luhn_digit(prefix)
    wrong = imei[:position] + str((int(imei[position]) + delta) % 10) + imei[position + 1 :]
    assert not luhn_ok(wrong)


# --------------------------------------------------------------------------- VIN


def test_check_vin_valid_north_american_has_no_warning():
    assert check_vin("1HGCM82633A004352") == ("1HGCM82633A004352", [])


def test_check_vin_upper_cases():
    assert check_vin(" 1hgcm82633a004352 ") == ("1HGCM82633A004352", [])


def test_check_vin_check_digit_x():
    vin = "1M8GDM9AXKP042788"  # remainder 10 gives the check digit X
    assert check_vin(vin) == (vin, [])


def test_check_vin_non_north_american_warns():
    vin, warnings = check_vin("WVWZZZ1JZXW000001")
    assert vin == "WVWZZZ1JZXW000001"
    assert len(warnings) == 1
    assert "position 9" in warnings[0] and "--vin" in warnings[0]


@pytest.mark.parametrize(
    "value, words",
    [
        ("1HGCM8263IA004352", ["letter I", "position 10"]),
        ("1HGCM82633O004352", ["letter O", "position 11"]),
        ("QHGCM82633A004352", ["letter Q", "position 1"]),
        ("1hgcm82633a00435i", ["letter I", "position 17"]),
        ("1HGCM82633A00435", ["16 characters", "17"]),
        ("1HGCM82633A0043521", ["18 characters", "17"]),
        ("1HGCM-82633A004352", ["'-'", "position 6"]),
        ("1HGCM 82633A004352", ["' '", "position 6"]),
        ("1HGCM82633A00435Ñ", ["'Ñ'"]),
        ("1HGCM82633A00435\u202e", ["\\u202e"]),
        ("", ["required"]),
    ],
)
def test_check_vin_refuses(value, words):
    message = refused("--vin", check_vin, value)
    for word in words:
        assert word in message


# --------------------------------------------------------------------------- plates


@pytest.mark.parametrize(
    "value, expected",
    [
        ("ABC-123", "ABC-123"),
        ("abc-123", "ABC-123"),
        ("ABC123", "ABC-123"),
        ("ABC 123", "ABC-123"),
        (" V1A-123 ", "V1A-123"),
        ("A1B234", "A1B-234"),
        ("1AB-234", "1AB-234"),
        ("AB-1234", "AB-1234"),
        ("EP-1234", "EP-1234"),
        ("CD-1234", "CD-1234"),
        ("PL 1234", "PL-1234"),
        ("1234-AB", "1234-AB"),
        ("1234AB", "1234-AB"),
        ("1234-5A", "1234-5A"),
    ],
)
def test_check_plate_peru_accepts(value, expected):
    assert check_plate(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "123-456",
        "ABCD-123",
        "AB-123",
        "ABC-12A",
        "A-1234",
        "1234-56",
        "AB--1234",
        "ABC 1 23",
        "ÁBC-123",
        "AB\x00-1234",
    ],
)
def test_check_plate_peru_refuses(value):
    refused("--plate", check_plate, value)


def test_check_plate_peru_message_shows_forms_and_foreign_option():
    message = refused("--plate", check_plate, "XYZ-12345")
    assert "ABC-123, A1B-234, AB-1234" in message
    assert "--plate-kind foreign" in message


def test_check_plate_ambiguous_without_hyphen():
    message = refused("--plate", check_plate, "AB1234")
    assert "AB-1234" in message and "AB1-234" in message


@pytest.mark.parametrize("value, expected", [("b 123 xyz", "B 123 XYZ"), ("AA-123-BB", "AA-123-BB"), ("TX12", "TX12")])
def test_check_plate_foreign_accepts(value, expected):
    assert check_plate(value, kind="foreign") == expected


@pytest.mark.parametrize("value", ["A", "A" * 13, "-AB12", "AB_12", "ÄB-12", "AB\u202e12"])
def test_check_plate_foreign_refuses(value):
    refused("--plate", check_plate, value, kind="foreign")


def test_check_plate_unknown_kind():
    message = refused("--plate-kind", check_plate, "ABC-123", kind="us")
    assert "pe, foreign" in message


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("value, expected", [("2015", 2015), (" 1900 ", 1900), ("2025", 2025), (2010, 2010)])
def test_check_year_accepts(value, expected):
    assert check_year(value, now_year=2024) == expected


@pytest.mark.parametrize("value", ["1899", "2026", "20x5", "", "２０１５", "-2015", "2015.0", True, 1899])
def test_check_year_refuses(value):
    refused("--year", check_year, value, now_year=2024)


def test_check_year_defaults_to_this_year():
    assert check_year(str(datetime.now(UTC).year + 1)) == datetime.now(UTC).year + 1


@pytest.mark.parametrize("value, expected", [("1", 1), ("500", 500), (" 42 ", 42), (7, 7)])
def test_check_positive_int_accepts(value, expected):
    assert check_positive_int(value, "--pages", maximum=500) == expected


@pytest.mark.parametrize("value", ["0", "501", "-1", "1.5", "", "٣", "9" * 40, 0, False])
def test_check_positive_int_refuses(value):
    refused("--pages", check_positive_int, value, "--pages", maximum=500)


# --------------------------------------------------------------------------- zones and times


@pytest.mark.parametrize("tz", ["America/Lima", "UTC", "Europe/Madrid", "America/Argentina/Buenos_Aires"])
def test_check_zone_accepts(tz):
    assert check_zone(tz) == tz


@pytest.mark.parametrize(
    "tz",
    ["", "Mars/Olympus", "../etc", "../../etc/passwd", "/etc/localtime", "localtime", "America", "Lima"],
)
def test_check_zone_refuses(tz):
    message = refused("--tz", check_zone, tz)
    assert "America/Lima" in message


def test_check_zone_refuses_control_characters():
    assert "\\x00" in refused("--tz", check_zone, "UTC\x00")


def test_check_zone_suggests_spelling():
    assert "America/Lima" in refused("--tz", check_zone, "america/lima")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-10-06T05:30", datetime(2020, 10, 6, 10, 30, tzinfo=UTC)),
        ("2020-10-06 05:30", datetime(2020, 10, 6, 10, 30, tzinfo=UTC)),
        ("2020-10-06T05:30:15", datetime(2020, 10, 6, 10, 30, 15, tzinfo=UTC)),
        ("2020-10-06T05:30:15.000", datetime(2020, 10, 6, 10, 30, 15, tzinfo=UTC)),
        ("2020-10-06T05:30-05:00", datetime(2020, 10, 6, 10, 30, tzinfo=UTC)),
        ("2020-10-06T05:30+02:00", datetime(2020, 10, 6, 3, 30, tzinfo=UTC)),
        ("2020-10-06T05:30Z", datetime(2020, 10, 6, 5, 30, tzinfo=UTC)),
        ("2020-10-06T05:30:00Z", datetime(2020, 10, 6, 5, 30, tzinfo=UTC)),
        ("1990-01-01T00:00Z", datetime(1990, 1, 1, 0, 0, tzinfo=UTC)),
        ("1990-06-01T00:00", datetime(1990, 6, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_parse_time_lima(text, expected):
    result = parse_time(text, "America/Lima", now=NOW)
    assert result == expected
    assert result.utcoffset() == timedelta(0)
    assert result.microsecond == 0


def test_parse_time_naive_uses_zone_offset_given_uses_offset():
    naive_utc = parse_time("2020-10-06T05:30", "UTC", now=NOW)
    naive_lima = parse_time("2020-10-06T05:30", "America/Lima", now=NOW)
    assert naive_lima - naive_utc == timedelta(hours=5)
    assert parse_time("2020-10-06T05:30Z", "America/Lima", now=NOW) == naive_utc


def test_parse_time_refuses_a_time_the_clocks_skipped():
    # 02:00 became 03:00 in New York on 2021-03-14: no clock there showed 02:30.
    message = refused("--at", parse_time, "2021-03-14T02:30", "America/New_York", now=NOW)
    assert "never happened in America/New_York" in message and "clocks jumped" in message
    assert "-05:00 to -04:00" in message


def test_parse_time_refuses_an_ambiguous_time_naming_both_offsets():
    # 01:30 happened twice in New York on 2021-11-07: at -04:00, then again at -05:00.
    message = refused("--at", parse_time, "2021-11-07T01:30", "America/New_York", now=NOW)
    assert "happened twice" in message
    assert "2021-11-07T01:30-04:00" in message and "2021-11-07T01:30-05:00" in message


def test_parse_time_takes_an_ambiguous_time_with_its_offset():
    first = parse_time("2021-11-07T01:30-04:00", "America/New_York", now=NOW)
    second = parse_time("2021-11-07T01:30-05:00", "America/New_York", now=NOW)
    assert (first, second) == (datetime(2021, 11, 7, 5, 30, tzinfo=UTC), datetime(2021, 11, 7, 6, 30, tzinfo=UTC))


def test_parse_time_around_a_change_is_unaffected():
    assert parse_time("2021-03-14T03:30", "America/New_York", now=NOW) == datetime(2021, 3, 14, 7, 30, tzinfo=UTC)
    assert parse_time("2021-11-07T02:30", "America/New_York", now=NOW) == datetime(2021, 11, 7, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2020-10-06T05:30:15.999", "2020-10-06T05:30:15,5", "2020-10-06T05:30:00.000001Z"])
def test_parse_time_refuses_fractions_of_a_second(text):
    message = refused("--at", parse_time, text, "America/Lima", now=NOW)
    assert "whole seconds" in message


def test_parse_time_refuses_a_date_without_a_time():
    message = refused("--at", parse_time, "2020-10-06", "America/Lima", now=NOW)
    assert "without a time" in message and "2020-10-06T05:30" in message


def test_parse_time_allows_a_minute_of_clock_skew():
    assert parse_time("2024-06-01T12:01:00Z", "UTC", now=NOW) == NOW + timedelta(minutes=1)
    message = refused("--at", parse_time, "2024-06-01T12:01:01Z", "UTC", now=NOW)
    assert "future" in message


def test_parse_time_default_now_is_the_clock():
    message = refused("--at", parse_time, "2031-01-01T00:00", "America/Lima")
    assert "'2031-01-01T00:00' is in the future" in message
    assert "the act happened" in message


@pytest.mark.parametrize(
    "text, words",
    [
        ("2020-02-30T10:00", ["not a real"]),
        ("2021-02-29T10:00", ["not a real"]),
        ("2020-10-06T25:00", ["not a real"]),
        ("2020-10-06T24:00", ["not a real"]),
        ("2020-10-06T10:60", ["not a real"]),
        ("2020-13-01T00:00", ["not a real"]),
        ("2020-10-06T05:30+15:00", ["offset"]),
        ("2020-10-06T05:30-05:99", ["offset"]),
        ("1989-12-31T23:59", ["1990"]),
        ("yesterday", ["YYYY-MM-DD"]),
        ("06/10/2020 05:30", ["YYYY-MM-DD"]),
        ("2020-10-6T5:30", ["YYYY-MM-DD"]),
        ("2020-10-06T05", ["YYYY-MM-DD"]),
        ("2020-10-06Z", ["YYYY-MM-DD"]),
        ("２０２０-10-06T05:30", ["non-ASCII digit"]),
        ("2020-10-٠٦T05:30", ["non-ASCII digit"]),
        ("2020-10-06T05:30\x00", ["\\x00"]),
        ("2025-01-01T00:00", ["future"]),
        ("", ["required"]),
    ],
)
def test_parse_time_refuses(text, words):
    message = refused("--at", parse_time, text, "America/Lima", now=NOW)
    for word in words:
        assert word in message


def test_parse_time_uses_given_field():
    refused("--seized-at", parse_time, "nope", "America/Lima", "--seized-at", now=NOW)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../etc", ""])
def test_parse_time_refuses_garbage_zone(tz):
    refused("--tz", parse_time, "2020-10-06T05:30", tz, now=NOW)


def test_parse_time_naive_now_is_utc():
    naive_now = datetime(2024, 6, 1, 12, 0)
    assert parse_time("2024-06-01T12:00Z", "UTC", now=naive_now) == NOW


@pytest.mark.parametrize(
    "text, expected",
    [("2020-10-06", date(2020, 10, 6)), ("1990-01-01", date(1990, 1, 1)), ("2024-06-02", date(2024, 6, 2))],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text, "--date", now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    ["2024-06-03", "1989-12-31", "2020-02-30", "2020-10-06T05:30", "06/10/2020", "2020-1-6", "２０２０-10-06", ""],
)
def test_parse_date_refuses(text):
    refused("--rate-date", parse_date, text, "--rate-date", now=NOW)


# --------------------------------------------------------------------------- canonical strings


def test_utc_iso_format():
    assert utc_iso(datetime(2020, 10, 6, 5, 30, 15, 999999, tzinfo=UTC)) == "2020-10-06T05:30:15Z"
    lima = timezone(timedelta(hours=-5))
    assert utc_iso(datetime(2020, 10, 6, 23, 30, tzinfo=lima)) == "2020-10-07T04:30:00Z"


def test_utc_iso_refuses_naive():
    with pytest.raises(ValueError):
        utc_iso(datetime(2020, 10, 6))


@pytest.mark.parametrize("text", ["2020-10-06T05:30:00", "2020-10-06 05:30:00Z", "2020-10-06T05:30:00+00:00", "x"])
def test_from_utc_iso_is_strict(text):
    with pytest.raises(ValueError):
        from_utc_iso(text)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_utc_iso_round_trip(moment):
    text = utc_iso(moment)
    assert len(text) == 20
    assert from_utc_iso(text) == moment.replace(microsecond=0)
    assert utc_iso(from_utc_iso(text)) == text


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_utc_iso_sorts_like_time(a, b):
    a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    assert (utc_iso(a) < utc_iso(b)) == (a < b)


def test_local_iso():
    assert local_iso("2020-10-06T10:30:00Z", "America/Lima") == "2020-10-06 05:30 -05:00"
    assert local_iso("2020-10-06T10:30:07Z", "America/Lima") == "2020-10-06 05:30:07 -05:00"
    assert local_iso(datetime(2020, 10, 6, 10, 30, tzinfo=UTC), "Asia/Kolkata") == "2020-10-06 16:00 +05:30"
    assert local_iso("2020-10-06T10:30:00Z", "UTC") == "2020-10-06 10:30 +00:00"


def test_parse_time_then_local_iso_gives_back_the_typed_time():
    assert local_iso(parse_time("2020-10-06T05:30", "America/Lima", now=NOW), "America/Lima") == (
        "2020-10-06 05:30 -05:00"
    )
