"""Money parsing, minor units, Babel formatting, denominations and conversion."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import moneyed
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InputError
from ledger.money import (
    amount_str,
    check_currency,
    check_denominations,
    convert_minor,
    denominations_str,
    format_money,
    from_minor,
    minor_exponent,
    parse_amount,
    parse_denominations,
    parse_money_value,
    parse_rate,
    rate_str,
    read_amount,
    to_minor,
    to_money,
)

CURRENCIES = ["PEN", "USD", "EUR", "JPY", "CLP", "KWD", "BHD"]


# --- currencies --------------------------------------------------------------------------------


@pytest.mark.parametrize("given_code, expected", [("PEN", "PEN"), ("pen", "PEN"), ("Usd", "USD"), ("jpy", "JPY")])
def test_check_currency_normalises(given_code, expected):
    assert check_currency(given_code) == expected


@pytest.mark.parametrize("bad", ["", "PE", "PENN", "P3N", "ABC", "XXX", "XAU", "XTS", "ＰＥＮ", "PÉN", " PEN", "DDM"])
def test_check_currency_refuses(bad):
    with pytest.raises(InputError) as exc:
        check_currency(bad, field="base")
    assert exc.value.message.startswith(f"base {bad!r} ")
    assert "PEN, USD, EUR" in exc.value.message


@pytest.mark.parametrize(
    "code, exponent", [("PEN", 2), ("USD", 2), ("JPY", 0), ("CLP", 0), ("KWD", 3), ("BHD", 3), ("COP", 2)]
)
def test_minor_exponent(code, exponent):
    assert minor_exponent(code) == exponent


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, currency, expected",
    [
        ("4000", "PEN", "4000.00"),
        ("4000.5", "PEN", "4000.50"),
        ("4000.50", "PEN", "4000.50"),
        ("4,000.00", "PEN", "4000.00"),
        ("1,234,567.89", "USD", "1234567.89"),
        ("0.01", "USD", "0.01"),
        ("1200", "JPY", "1200"),
        ("1.234", "BHD", "1.234"),
        ("1000000000000", "USD", "1000000000000.00"),
    ],
)
def test_parse_amount_accepts(text, currency, expected):
    value = parse_amount(text, currency)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    "text, currency",
    [
        ("", "PEN"),
        ("-4000", "PEN"),
        ("0", "PEN"),
        ("0.00", "PEN"),
        ("NaN", "PEN"),
        ("Infinity", "PEN"),
        ("inf", "PEN"),
        ("1e3", "PEN"),
        ("1E3", "PEN"),
        ("４０００", "PEN"),  # full-width digits
        ("٤٠٠٠", "PEN"),  # Arabic-Indic digits
        ("4,0000", "PEN"),
        ("4.000", "PEN"),
        ("4.000,000", "PEN"),
        ("4.00,00", "PEN"),
        ("1,234.567,89", "PEN"),
        ("S/ 4000", "USD"),
        ("US$ 4000", "PEN"),
        ("40,00.00", "PEN"),
        ("4 000", "PEN"),
        ("4000 ", "PEN"),
        (" 4000", "PEN"),
        ("+4000", "PEN"),
        ("4000.", "PEN"),
        (".50", "PEN"),
        ("04000", "PEN"),
        ("4000.505", "PEN"),
        ("4000.500", "PEN"),
        ("1200.5", "JPY"),
        ("1.2345", "BHD"),
        ("1000000000000.01", "USD"),
        ("99999999999999999999", "USD"),
        ("S/ -4000", "PEN"),
        ("S/ ", "PEN"),
        ("4000\u202e", "PEN"),
    ],
)
def test_parse_amount_refuses(text, currency):
    with pytest.raises(InputError) as exc:
        parse_amount(text, currency, field="amount")
    assert exc.value.message.startswith(f"amount {text!r} ")


def test_parse_amount_message_shows_accepted_forms():
    with pytest.raises(InputError) as exc:
        parse_amount("4 000", "PEN")
    assert exc.value.message == "amount '4 000' is not an amount. Write it as 4000, 4000.50, 4,000.50 or 4.000,50."


@pytest.mark.parametrize(
    "text, currency, expected, note",
    [
        ("S/ 4.000,00", "PEN", "4000.00", "amount 'S/ 4.000,00' read as S/ 4,000.00 (S/ is PEN; dots between thousands, comma for decimals)."),
        ("4.000,00", "PEN", "4000.00", "amount '4.000,00' read as S/ 4,000.00 (dots between thousands, comma for decimals)."),
        ("4000,50", "PEN", "4000.50", "amount '4000,50' read as S/ 4,000.50 (comma for decimals)."),
        ("4,00", "PEN", "4.00", "amount '4,00' read as S/ 4.00 (comma for decimals)."),
        ("1.234.567", "PEN", "1234567.00", "amount '1.234.567' read as S/ 1,234,567.00 (dots between thousands)."),
        ("US$ 1,500.00", "USD", "1500.00", "amount 'US$ 1,500.00' read as US$1,500.00 (US$ is USD)."),
        ("S/4000", "PEN", "4000.00", "amount 'S/4000' read as S/ 4,000.00 (S/ is PEN)."),
        ("S/. 4000", "PEN", "4000.00", "amount 'S/. 4000' read as S/ 4,000.00 (S/. is PEN)."),
        ("$ 20", "USD", "20.00", "amount '$ 20' read as US$20.00 ($ is USD)."),
        ("4,000.00", "PEN", "4000.00", None),
        ("1.234", "BHD", "1.234", None),  # three decimals: the dot is the decimal point
    ],
)
def test_read_amount_peruvian_forms(text, currency, expected, note):
    reading = read_amount(text, currency)
    assert str(reading.amount) == expected
    assert reading.currency == currency
    assert reading.note == note


def test_read_amount_symbol_decides_without_a_currency():
    assert read_amount("US$ 12,000", None).currency == "USD"
    assert read_amount("S/ 45.000,50", None).amount == Decimal("45000.50")
    with pytest.raises(InputError, match="has no currency"):
        read_amount("45000", None)


def test_four_point_zero_zero_zero_is_refused_naming_both_readings():
    with pytest.raises(InputError) as exc:
        read_amount("4.000", "PEN", "--amount")
    assert exc.value.message == (
        "--amount '4.000' is ambiguous: with the dot between thousands it is 4,000.00 PEN; with the dot for "
        "decimals it is 4.000 PEN. Write 4,000.00 or 4.00 as you mean it."
    )
    with pytest.raises(InputError, match=r"4,005\.00 if you mean it; 4\.005 has more decimals than PEN allows"):
        read_amount("S/ 4.005", "PEN", "--amount")


def test_a_symbol_that_disagrees_with_the_currency_is_refused():
    with pytest.raises(InputError) as exc:
        read_amount("US$ 1,500.00", "PEN", "--amount")
    assert exc.value.message == (
        "--amount 'US$ 1,500.00' is written in US dollars (US$), but the currency given is PEN. "
        "Give the currency USD, or write the amount without US$."
    )


@given(st.integers(min_value=1, max_value=10**14), st.sampled_from(["PEN", "USD", "EUR"]))
def test_peruvian_written_form_reads_back(minor, currency):
    """4.000,00 (dots between thousands, comma for decimals) always reads back exactly, with a note."""
    whole, cents = divmod(minor, 100)
    text = f"{whole:,}".replace(",", ".") + f",{cents:02d}"
    reading = read_amount(text, currency)
    assert to_minor(reading.amount, currency) == minor
    assert reading.note is not None and "comma for decimals" in reading.note


@given(st.integers(min_value=1, max_value=10**14))
def test_shown_soles_read_back(minor):
    """What the ledger shows for soles (S/ 4,000.00) is accepted as typed input."""
    shown = format_money(minor, "PEN", "es")
    assert to_minor(read_amount(shown, "PEN").amount, "PEN") == minor
    assert to_minor(read_amount(shown, None).amount, "PEN") == minor


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999),
       st.sampled_from(["PEN", "USD", "JPY", "CLP"]), st.sampled_from(["", "S/ ", "US$"]))
def test_one_dot_before_three_digits_is_always_refused(head, tail, currency, symbol):
    text = f"{symbol}{head}.{tail:03d}"
    expected_currency = {"S/ ": "PEN", "US$": "USD"}.get(symbol, currency)
    with pytest.raises(InputError) as exc:
        read_amount(text, expected_currency)
    assert "ambiguous" in exc.value.message
    assert f"{head * 1000 + tail:,}" in exc.value.message and f"{head}.{tail:03d} {expected_currency}" in exc.value.message


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["S/", "US$"]),
       st.sampled_from(CURRENCIES))
def test_symbol_and_currency_agree_or_are_refused(whole, symbol, currency):
    meant = {"S/": "PEN", "US$": "USD"}[symbol]
    text = f"{symbol} {whole:,}"
    if currency == meant:
        assert read_amount(text, currency).amount == whole
    else:
        with pytest.raises(InputError, match=f"but the currency given is {currency}"):
            read_amount(text, currency)


def test_parse_amount_too_many_decimals_is_refused_not_rounded():
    with pytest.raises(InputError, match="has 3 decimals, but PEN has at most 2 decimals"):
        parse_amount("4000.505", "PEN")
    with pytest.raises(InputError, match="JPY has no decimals"):
        parse_amount("1200.5", "JPY")


def test_parse_amount_checks_currency():
    with pytest.raises(InputError, match="currency 'ABC'"):
        parse_amount("4000", "ABC")


def test_parse_money_value():
    assert parse_money_value("45000 PEN") == (Decimal("45000.00"), "PEN")
    assert parse_money_value("45,000.00 usd") == (Decimal("45000.00"), "USD")
    assert parse_money_value("S/ 45.000,00") == (Decimal("45000.00"), "PEN")
    assert parse_money_value("US$ 12,000") == (Decimal("12000.00"), "USD")
    for bad in ["45000", "PEN 45000", "45000  PEN", "45000 SOLES", "45000.001 PEN", "", "S/ 45000 USD", "45.000 PEN"]:
        with pytest.raises(InputError, match="^value "):
            parse_money_value(bad)


# --- minor units -------------------------------------------------------------------------------


def test_minor_units():
    assert to_minor(Decimal("4000.00"), "PEN") == 400000
    assert to_minor(Decimal("4000"), "PEN") == 400000
    assert to_minor(Decimal("1200"), "JPY") == 1200
    assert from_minor(400000, "PEN") == Decimal("4000.00")
    assert str(from_minor(400000, "PEN")) == "4000.00"
    assert str(from_minor(1234, "BHD")) == "1.234"
    assert str(from_minor(1200, "JPY")) == "1200"
    assert amount_str(400000, "PEN") == "4000.00"
    assert amount_str(1, "USD") == "0.01"
    assert amount_str(0, "USD") == "0.00"
    assert amount_str(10**14, "USD") == "1000000000000.00"
    assert to_money(400000, "PEN") == moneyed.Money(Decimal("4000.00"), "PEN")


@pytest.mark.parametrize("amount", [Decimal("4000.001"), Decimal("NaN"), Decimal("Infinity"), 4000.0])
def test_to_minor_refuses_unrepresentable(amount):
    with pytest.raises(ValueError):
        to_minor(amount, "PEN")


def test_from_minor_refuses_non_int():
    with pytest.raises(TypeError):
        from_minor(4000.0, "PEN")


@st.composite
def amounts(draw, min_value=1):
    """(minor units, currency) within the accepted range: at most 10^12 major units."""
    currency = draw(st.sampled_from(CURRENCIES))
    return draw(st.integers(min_value=min_value, max_value=10 ** (12 + minor_exponent(currency)))), currency


@given(amounts())
def test_round_trip_minor_str_parse(amount):
    minor, currency = amount
    text = amount_str(minor, currency)
    assert to_minor(parse_amount(text, currency), currency) == minor


@given(amounts())
def test_round_trip_through_grouped_format(amount):
    """What format_money shows in en, stripped of its symbol, parses back to the same amount."""
    minor, currency = amount
    shown = format_money(minor, currency, "en")
    digits = shown[shown.index(next(c for c in shown if c.isdigit())) :]
    assert to_minor(parse_amount(digits, currency), currency) == minor


@given(
    minor=st.integers(min_value=0, max_value=10**14),
    currency=st.sampled_from(CURRENCIES),
    lang=st.sampled_from(["en", "es"]),
)
def test_format_money_shows_exact_digits(minor, currency, lang):
    shown = format_money(minor, currency, lang)
    exponent = minor_exponent(currency)
    digits = "".join(c for c in shown if c.isdigit())
    assert int(digits) == minor
    assert re.fullmatch(r"\S+ ?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?", shown)
    if exponent:
        assert shown.rsplit(".", 1)[1] == str(minor % 10**exponent).zfill(exponent)
    assert "\u00a0" not in shown and "\u202f" not in shown


# --- formatting (pinned Babel outputs) ---------------------------------------------------------


@pytest.mark.parametrize(
    "minor, currency, lang, expected",
    [
        (400000, "PEN", "es", "S/ 4,000.00"),
        (120000, "USD", "en", "US$1,200.00"),
        (400000, "PEN", "en", "PEN 4,000.00"),
        (120000, "USD", "es", "USD 1,200.00"),
        (3000000, "USD", "en", "US$30,000.00"),
        (5, "PEN", "es", "S/ 0.05"),
        (1200, "JPY", "en", "JP¥1,200"),
        (1234, "BHD", "en", "BHD 1.234"),
        (120050, "COP", "en", "COP 1,200.50"),
    ],
)
def test_format_money_pinned(minor, currency, lang, expected):
    assert format_money(minor, currency, lang) == expected


def test_format_money_unknown_language():
    with pytest.raises(InputError, match="language 'fr'"):
        format_money(100, "PEN", "fr")


# --- denominations -----------------------------------------------------------------------------


def test_parse_denominations():
    denoms = parse_denominations("200x10,100x20,50x4", "PEN")
    assert denoms == [(Decimal("200"), 10), (Decimal("100"), 20), (Decimal("50"), 4)]
    assert parse_denominations("0.50x3, 1X2", "PEN") == [(Decimal("0.50"), 3), (Decimal("1"), 2)]
    assert parse_denominations("0.25x4,100x3", "USD") == [(Decimal("0.25"), 4), (Decimal("100"), 3)]
    assert parse_denominations("1000x5,0.5x1", "EUR") == [(Decimal("1000"), 5), (Decimal("0.50"), 1)]


@pytest.mark.parametrize(
    "text, currency, fragment",
    [
        ("", "PEN", "is empty"),
        ("200x", "PEN", "not a face x count pair"),
        ("200x0", "PEN", "not a face x count pair"),
        ("200x-1", "PEN", "not a face x count pair"),
        ("x10", "PEN", "not a face x count pair"),
        ("200*10", "PEN", "not a face x count pair"),
        ("200x10,,100x2", "PEN", "not a face x count pair"),
        ("２００x10", "PEN", "not a face x count pair"),
        ("300x10", "PEN", "PEN has no note or coin of 300"),
        ("0.25x4", "PEN", "PEN has no note or coin of 0.25"),
        ("200x10", "USD", "USD has no note or coin of 200"),
        ("0.505x1", "PEN", "more decimals than PEN allows"),
        ("0x5", "EUR", "is zero"),
        ("200x10,100x20,200x5", "PEN", "face 200 is given twice (200x10 and 200x5)"),
        ("200x10,200.00x5", "PEN", "face 200 is given twice"),
        ("100x99999999", "USD", "above 10,000,000"),
    ],
)
def test_parse_denominations_refuses(text, currency, fragment):
    with pytest.raises(InputError) as exc:
        parse_denominations(text, currency)
    assert fragment in exc.value.message
    assert exc.value.message.startswith("denominations")


def test_check_denominations():
    denoms = parse_denominations("200x10,100x20", "PEN")
    check_denominations(denoms, Decimal("4000.00"), "PEN")
    with pytest.raises(InputError) as exc:
        check_denominations(denoms, Decimal("4500.00"), "PEN")
    assert exc.value.message.startswith("denominations 200x10,100x20 adds up to 4000.00 PEN, not 4500.00 PEN.")


def test_denominations_str_is_canonical():
    assert denominations_str(parse_denominations("0.5x3,200x10", "PEN")) == "200x10,0.50x3"
    assert denominations_str(parse_denominations("200x10,0.50x3", "PEN")) == "200x10,0.50x3"
    assert denominations_str([(Decimal("0.005"), 2), (Decimal("1.000"), 1)]) == "1x1,0.005x2"


# --- rates and conversion ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["3.5870", "3.3333", "1", "0.000001", "1000000", "0.2788"])
def test_parse_rate_keeps_digits(text):
    rate = parse_rate(text)
    assert rate == Decimal(text)
    assert rate_str(rate) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0.0",
        "-3.5",
        "+3.5",
        "3,5870",
        "3.5870 ",
        "NaN",
        "Infinity",
        "3e0",
        "3.58701234567",
        "0.0000001",
        "1000000.1",
        "３.５",
        "3.",
        ".5",
    ],
)
def test_parse_rate_refuses(text):
    with pytest.raises(InputError) as exc:
        parse_rate(text, field="rate")
    assert exc.value.message.startswith(f"rate {text!r} ")
    assert "3.5870" in exc.value.message


def test_rate_str_has_no_exponent():
    assert rate_str(Decimal("1E+3")) == "1000"
    assert rate_str(Decimal("3.5870")) == "3.5870"


def test_arequipa_babies_in_dollars():
    """4,000 soles at USD/PEN 3.3333 is US$1,200.01 (PEN is the quote, so divide)."""
    assert convert_minor(400000, "PEN", "USD", Decimal("3.3333"), inverse=True) == 120001
    assert convert_minor(120000, "USD", "PEN", Decimal("3.3333"), inverse=False) == 399996


def test_convert_rounds_half_up():
    # 0.05 PEN / 4 = 0.0125 USD -> 0.01; 0.10 / 4 = 0.025 -> 0.03 (half up, not half even)
    assert convert_minor(5, "PEN", "USD", Decimal("4"), inverse=True) == 1
    assert convert_minor(10, "PEN", "USD", Decimal("4"), inverse=True) == 3
    assert convert_minor(1, "USD", "JPY", Decimal("150.5"), inverse=False) == 2  # 1.505 -> 2


def test_convert_refuses_nonsense():
    with pytest.raises(ValueError):
        convert_minor(100, "PEN", "PEN", Decimal("1"), inverse=False)
    with pytest.raises(ValueError):
        convert_minor(100, "PEN", "USD", Decimal("0"), inverse=True)


def _half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)) // 1)


@given(
    minor=st.integers(min_value=1, max_value=10**14),
    rate=st.decimals(
        min_value=Decimal("0.000001"), max_value=Decimal(1_000_000), places=6, allow_nan=False, allow_infinity=False
    ),
    pair=st.sampled_from([("PEN", "USD"), ("USD", "PEN"), ("USD", "JPY"), ("JPY", "KWD"), ("BHD", "CLP")]),
    inverse=st.booleans(),
)
def test_convert_matches_exact_fraction_arithmetic(minor, rate, pair, inverse):
    source, target = pair
    if rate <= 0:
        return
    amount = Fraction(minor, 10 ** minor_exponent(source))
    exact = amount / Fraction(rate) if inverse else amount * Fraction(rate)
    expected = _half_up(exact * 10 ** minor_exponent(target))
    assert convert_minor(minor, source, target, rate, inverse=inverse) == expected
