"""Conversion arithmetic, totals and the choice of a rate over weekends and gaps."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import RuleError
from ledger.money import MAX_RATE, MIN_RATE, convert_minor, minor_exponent
from ledger.rates import CashItem, RateUsed, choose_rate, find_rate, value_cash

CURRENCIES = ["PEN", "USD", "EUR", "JPY", "BHD", "KWD"]  # 2, 2, 2, 0, 3, 3 decimals


@st.composite
def rates(draw) -> Decimal:
    digits = draw(st.integers(min_value=1, max_value=10**16))
    rate = Decimal(digits).scaleb(-draw(st.integers(min_value=0, max_value=10)))
    return min(max(rate, MIN_RATE), MAX_RATE)


pairs = st.lists(st.sampled_from(CURRENCIES), min_size=2, max_size=2, unique=True)
minors = st.integers(min_value=1, max_value=10**14)


def by_fractions(minor: int, source: str, target: str, rate: Decimal, inverse: bool) -> int:
    """Exact rational arithmetic and integer half-up rounding: no Decimal context involved."""
    value = Fraction(minor, 10 ** minor_exponent(source))
    value = value / Fraction(rate) if inverse else value * Fraction(rate)
    scaled = value * 10 ** minor_exponent(target)
    return (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)


def by_decimal(minor: int, source: str, target: str, rate: Decimal, inverse: bool) -> int:
    """The spreadsheet's ROUND(amount * rate, 2), written out with Decimal at high precision."""
    with localcontext() as ctx:
        ctx.prec = 120
        amount = Decimal(minor).scaleb(-minor_exponent(source))
        value = amount / rate if inverse else amount * rate
        quantum = Decimal(1).scaleb(-minor_exponent(target))
        return int(value.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(minor_exponent(target)))


@settings(max_examples=400, deadline=None)
@given(minor=minors, pair=pairs, rate=rates(), inverse=st.booleans())
def test_conversion_equals_independent_computation(minor, pair, rate, inverse):
    source, target = pair
    got = convert_minor(minor, source, target, rate, inverse=inverse)
    assert got == by_decimal(minor, source, target, rate, inverse)
    if not inverse:
        # Multiplication is exact in both; division agrees unless it lands within 1e-100 of a half.
        assert got == by_fractions(minor, source, target, rate, inverse)


@pytest.mark.parametrize("minor, rate, inverse, expected", [
    (400000, "3.3333", True, 120001),     # 4000.00 PEN / 3.3333 = 1200.0120...
    (1, "0.5", False, 1),                 # 0.005 -> 0.01: half rounds up, not to even
    (3, "0.5", False, 2),                 # 0.015 -> 0.02
    (5, "0.5", False, 3),                 # 0.025 -> 0.03 (banker's rounding would give 0.02)
    (120001, "3.3333", False, 399999),    # 1200.01 USD * 3.3333 = 3999.993333
])
def test_half_up_examples(minor, rate, inverse, expected):
    assert convert_minor(minor, "PEN" if inverse else "USD", "USD" if inverse else "PEN", Decimal(rate),
                         inverse=inverse) == expected


# --- totals -------------------------------------------------------------------------------


RATE = RateUsed(seq=7, date="2020-10-06", base="USD", quote="PEN", rate="3.3333", side="sell", source="TEST")
EUR_RATE = RateUsed(seq=8, date="2020-10-05", base="EUR", quote="USD", rate="1.1826", side="sell", source="TEST")


def lookup(day, from_currency, to_currency):
    table = {("PEN", "USD"): (RATE, True), ("USD", "PEN"): (RATE, False), ("EUR", "USD"): (EUR_RATE, False)}
    return table[(from_currency, to_currency)]


cash_items = st.lists(
    st.builds(CashItem, item_id=st.from_regex(r"EV-0000[0-9]{2}", fullmatch=True), seizure_id=st.just("SZ-000001"),
              currency=st.sampled_from(["PEN", "USD", "EUR"]), amount_minor=minors,
              on_date=st.just(datetime.date(2020, 10, 6))),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(first=cash_items, second=cash_items)
def test_totals_are_additive(first, second):
    a = value_cash("C", first, lookup)
    b = value_cash("C", second, lookup)
    both = value_cash("C", first + second, lookup)
    assert both.total_minor == a.total_minor + b.total_minor
    assert both.total_minor == sum(v.converted_minor for v in both.items)
    assert sum(p["converted_minor"] for p in both.per_currency) == both.total_minor
    for p in both.per_currency:
        assert p["minor"] == sum(i.amount_minor for i in first + second if i.currency == p["currency"])
    # Each item is rounded on its own, as a spreadsheet ROUND per row.
    for item, value in zip(first + second, both.items, strict=True):
        if item.currency == "USD":
            assert value.converted_minor == item.amount_minor and value.rate is None
        else:
            rate, inverse = lookup(None, item.currency, "USD")
            assert value.converted_minor == convert_minor(item.amount_minor, item.currency, "USD",
                                                          Decimal(rate.rate), inverse=inverse)
    assert len({(r.seq, r.base) for r in both.rates}) == len(both.rates)
    dumped = both.as_dict()
    assert isinstance(dumped["total"], str) and all(isinstance(i["converted"], str) for i in dumped["items"])


def test_missing_rates_name_every_item_and_the_command():
    def nothing(day, a, b):
        return choose_rate([], day, a, b, "sell")

    items = [CashItem("EV-000001", "SZ-000001", "PEN", 400000, datetime.date(2020, 10, 6)),
             CashItem("EV-000002", "SZ-000001", "USD", 100, datetime.date(2020, 10, 6)),
             CashItem("EV-000003", "SZ-000002", "PEN", 500, datetime.date(2020, 10, 7))]
    with pytest.raises(RuleError) as exc:
        value_cash("AQP-1", items, nothing)
    text = exc.value.render()
    assert "EV-000001" in text and "EV-000003" in text and "EV-000002" not in text
    assert "evidence rate set 2020-10-06 USD PEN RATE --source SOURCE --side sell --by BADGE" in text
    assert "evidence rate set 2020-10-07 USD PEN RATE" in text


# --- choosing a rate ------------------------------------------------------------------------

START = datetime.date(2020, 9, 1)


def rate_on(day: datetime.date, seq: int, source="BCRP", base="USD", quote="PEN", side="sell") -> RateUsed:
    return RateUsed(seq=seq, date=day.isoformat(), base=base, quote=quote, rate="3.5", side=side, source=source)


def test_sunday_uses_friday_and_gaps_end_after_seven_days():
    friday = datetime.date(2020, 10, 9)
    known = [rate_on(friday, 1)]
    rate, inverse = choose_rate(known, datetime.date(2020, 10, 11), "PEN", "USD", "sell")
    assert rate.date == "2020-10-09" and inverse is True
    assert choose_rate(known, friday + datetime.timedelta(days=7), "USD", "PEN", "sell")[0].date == "2020-10-09"
    with pytest.raises(RuleError) as exc:
        choose_rate(known, friday + datetime.timedelta(days=8), "USD", "PEN", "sell")
    assert "2020-10-17" in exc.value.message and "rate set 2020-10-17 USD PEN" in exc.value.hint
    with pytest.raises(RuleError):  # a later rate never serves an earlier day
        choose_rate(known, friday - datetime.timedelta(days=1), "USD", "PEN", "sell")


def test_direct_rate_preferred_on_the_same_day():
    day = datetime.date(2020, 10, 6)
    both = [rate_on(day, 1, base="PEN", quote="USD"), rate_on(day, 2)]
    assert choose_rate(both, day, "USD", "PEN", "sell") == (both[1], False)
    assert choose_rate(both, day, "PEN", "USD", "sell") == (both[0], False)


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.sets(st.integers(min_value=0, max_value=60), max_size=20),
    on=st.integers(min_value=0, max_value=70),
    sources=st.lists(st.sampled_from(["BCRP", "SBS"]), min_size=20, max_size=20),
    pick=st.sampled_from([None, "BCRP", "SBS"]),
)
def test_choice_is_latest_day_within_window(offsets, on, sources, pick):
    known = [rate_on(START + datetime.timedelta(days=o), i, source=sources[i]) for i, o in enumerate(sorted(offsets))]
    day = START + datetime.timedelta(days=on)
    window = [r for r in known if 0 <= (day - datetime.date.fromisoformat(r.date)).days <= 7]
    window_sources = {r.source for r in window}
    usable = [r for r in window if pick is None or r.source == pick]
    if (pick is None and len(window_sources) != 1) or not usable:
        with pytest.raises(RuleError) as exc:
            choose_rate(known, day, "PEN", "USD", "sell", pick)
        if pick is None and len(window_sources) > 1:
            assert "--source BCRP or --source SBS" in exc.value.hint
        else:
            assert f"rate set {day.isoformat()} USD PEN RATE" in exc.value.hint
        return
    rate, inverse = choose_rate(known, day, "PEN", "USD", "sell", pick)
    assert inverse is True
    assert rate.date == max(r.date for r in usable)
    assert rate.date <= day.isoformat()


def test_find_rate_ignores_superseded_rows(ledger, tmp_path):
    """The query half of the lookup, on both backends: superseded rows are never chosen."""
    from ledger.rates import set_rate
    from tests.helpers import start_ledger

    start_ledger(ledger, tmp_path, [("B-1001", "officer")])
    ledger.write(set_rate, "2020-10-02", "USD", "PEN", "3.6040", source="SBS", by="B-1001")
    ledger.write(set_rate, "2020-10-05", "USD", "PEN", "3.3333", source="SBS", by="B-1001")
    ledger.write(set_rate, "2020-10-05", "USD", "PEN", "3.5950", source="SBS", by="B-1001", supersede=True,
                 reason="correction")
    ledger.write(set_rate, "2020-10-05", "USD", "PEN", "3.5900", source="SBS", side="buy", by="B-1001")
    with ledger.read() as session:
        rate, inverse = find_rate(session, datetime.date(2020, 10, 6), "PEN", "USD", "sell")
        assert (rate.rate, rate.date, rate.seq, inverse) == ("3.5950", "2020-10-05", 5, True)
        assert find_rate(session, datetime.date(2020, 10, 4), "USD", "PEN", "sell")[0].rate == "3.6040"
        assert find_rate(session, datetime.date(2020, 10, 6), "USD", "PEN", "buy")[0].rate == "3.5900"
        with pytest.raises(RuleError, match="There are buy and sell rates in that window: pass --side buy or --side sell"):
            find_rate(session, datetime.date(2020, 10, 6), "USD", "PEN", "mid")
