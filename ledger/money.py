"""Money as the ledger sees it: Decimal amounts parsed from strings, integer minor units, ISO codes.

This is the one home of py-moneyed and Babel. Amounts are never floats and never silently rounded:
input with more decimals than the currency has is refused. Conversion rounds ROUND_HALF_UP once,
to the target currency's minor unit, as a spreadsheet's ROUND does.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

import moneyed
from babel import Locale
from babel.numbers import format_currency

from ledger.errors import InputError
from ledger.i18n import N_, _, ngettext
from ledger.validate import show_value

# Largest amount accepted, in major units: far above any seizure, far below Decimal trouble.
MAX_AMOUNT = Decimal(10) ** 12
MIN_RATE = Decimal("0.000001")
MAX_RATE = Decimal(1_000_000)
MAX_RATE_DECIMALS = 10
MAX_DENOMINATION_COUNT = 10_000_000

# ISO 4217 codes that are not money one can seize or count: precious metals, bond-market units,
# IMF/ADB units, the testing code and "no currency". py-moneyed knows them; the ledger refuses them.
# Metals, units of account, test codes and ISO 4217 "fund" codes (next-day and same-day
# dollars, indexed units): none of them is notes and coins an officer can seize.
_NOT_MONEY = frozenset({
    "XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX",
    "USN", "USS", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "UYI", "UYW",
})

# Babel locale per interface language. en_001 ("world English") writes US$ for dollars, which
# is unambiguous in Peru where $ alone could be read as soles; es_PE writes S/ for soles.
LOCALES = {"en": "en_001", "es": "es_PE"}

# Faces in circulation (notes and coins); other currencies accept any positive face.
FACES: dict[str, frozenset[Decimal]] = {
    "PEN": frozenset(Decimal(f) for f in ("0.10", "0.20", "0.50", "1", "2", "5", "10", "20", "50", "100", "200")),
    "USD": frozenset(
        Decimal(f) for f in ("0.01", "0.05", "0.10", "0.25", "0.50", "1", "2", "5", "10", "20", "50", "100")
    ),
}

_CODE_RE = re.compile(r"[A-Za-z]{3}", re.ASCII)
_AMOUNT_RE = re.compile(r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
_RATE_RE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
_DENOM_RE = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?[xX]([1-9][0-9]*)", re.ASCII)
_LETTER_DIGIT_RE = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")

_AMOUNT_FORMS = N_("4000, 4000.50, 4,000.50 or 4.000,50")


def check_currency(code: str, field: str = "currency") -> str:
    """Return the upper-case ISO 4217 code, or raise InputError."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise InputError(_("{field} {value} is not a currency code.").format(field=field, value=show_value(code))
                         + " " + _("Use a three-letter ISO 4217 code such as PEN, USD, EUR."))
    upper = code.upper()
    try:
        currency = moneyed.get_currency(upper)
    except moneyed.CurrencyDoesNotExist:
        raise InputError(_("{field} {value} is not an ISO 4217 currency code.").format(
            field=field, value=show_value(code))
            + " " + _("Use a three-letter ISO 4217 code such as PEN, USD, EUR.")) from None
    # sub_unit 1 on a currency no country uses means py-moneyed does not know its minor unit.
    if upper in _NOT_MONEY or (currency.sub_unit == 1 and not currency.country_codes):
        raise InputError(_("{field} {value} is not a currency of notes and coins.").format(
            field=field, value=show_value(code))
            + " " + _("Use a three-letter ISO 4217 code such as PEN, USD, EUR."))
    return upper


def minor_exponent(code: str) -> int:
    """Decimals of the currency's minor unit per ISO 4217 (PEN 2, JPY 0, BHD 3).

    ISO rather than Babel's CLDR digits: CLDR gives 0 for COP, HUF or IDR, whose ISO minor
    unit is 2, and a stored amount must keep every digit the paper record has.
    """
    sub_unit = moneyed.get_currency(check_currency(code)).sub_unit
    exponent = len(str(sub_unit)) - 1
    if 10**exponent != sub_unit:  # pragma: no cover - no ISO currency has such a unit
        raise ValueError(f"currency {code} has a minor unit of 1/{sub_unit}, not a power of ten")
    return exponent


def _quantum(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


# Currency symbols an officer writes before an amount. `S/.` is the older form of `S/`; `$` alone
# is how Peru writes dollars (soles are always S/).
_SYMBOLS = {"S/.": "PEN", "S/": "PEN", "US$": "USD", "$": "USD", "€": "EUR"}
_SYMBOL_NAMES = {"PEN": N_("soles"), "USD": N_("US dollars"), "EUR": N_("euros")}
_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_GROUPED_RE = re.compile(r"[1-9][0-9]{0,2}(?:[.,][0-9]{3})+", re.ASCII)


@dataclass(frozen=True)
class AmountReading:
    """An amount as read from what was typed: the value, its currency, and, when it was typed
    in another form than the plain 4000.50 / 4,000.50, a sentence saying how it was read."""

    amount: Decimal
    currency: str
    note: str | None = None


def _split_symbol(text: str) -> tuple[str | None, str]:
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        if text.upper().startswith(symbol.upper()):
            return symbol, text[len(symbol):].lstrip(" ")
    return None, text


def _number(body: str, field: str, shown: str) -> tuple[Decimal, int, str | None]:
    """The number in `body`, its count of decimals, and how its separators were read (None
    for the plain forms 4000, 4000.50, 4,000.50). Peruvian forms: 4.000,50 and 4000,50
    (comma for decimals), 1.234.567 (dots between thousands)."""
    if _AMOUNT_RE.fullmatch(body):
        return Decimal(body.replace(",", "")), len(body.partition(".")[2]), None
    whole, comma, frac = body.rpartition(",")
    if comma and _DIGITS_RE.fullmatch(frac) and len(frac) <= 2 and (
            whole == "0" or (_DIGITS_RE.fullmatch(whole) and whole[0] != "0")
            or (_GROUPED_RE.fullmatch(whole) and "," not in whole)):
        how = _("dots between thousands, comma for decimals") if "." in whole else _("comma for decimals")
        return Decimal(whole.replace(".", "") + "." + frac), len(frac), how
    if _GROUPED_RE.fullmatch(body) and "," not in body:
        return Decimal(body.replace(".", "")), 0, _("dots between thousands")
    raise InputError(_("{field} {value} is not an amount. Write it as {forms}.").format(
        field=field, value=show_value(shown), forms=_(_AMOUNT_FORMS)))


def _refuse_ambiguous(field: str, text: str, body: str, code: str, exponent: int) -> None:
    """4.000 is four thousand to one officer and four to another: refuse it, naming both."""
    thousands = Decimal(body.replace(".", ""))
    as_thousands = f"{thousands:,.{exponent}f}"
    as_decimal = Decimal(body)
    fits = -as_decimal.normalize().as_tuple().exponent <= exponent
    how = (_("Write {thousands} or {decimal} as you mean it.").format(
               thousands=as_thousands, decimal=as_decimal.quantize(_quantum(exponent))) if fits else
           _("Write {thousands} if you mean it; {body} has more decimals than {code} allows.").format(
               thousands=as_thousands, body=body, code=code))
    raise InputError(
        _("{field} {value} is ambiguous: with the dot between thousands it is {thousands} {code}; "
          "with the dot for decimals it is {body} {code}.").format(
            field=field, value=show_value(text), thousands=as_thousands, code=code, body=body)
        + " " + how
    )


def read_amount(text: str, currency: str | None, field: str = "amount") -> AmountReading:
    """Read a positive amount as an officer in Peru writes it.

    Accepted: the plain forms (4000, 4000.50, 4,000.50), a currency symbol before them (S/,
    S/., US$, $, €), and the decimal comma (4.000,50, 4000,50). Refused: a symbol that is not
    the currency given, and 4.000 (four thousand, or four?) in a currency with fewer than three
    decimals. The value has exactly the currency's decimals and is never rounded. Without
    `currency`, the symbol decides it.
    """
    if not isinstance(text, str):
        raise InputError(_("{field} {value} is not an amount. Write it as {forms}.").format(
            field=field, value=show_value(text), forms=_(_AMOUNT_FORMS)))
    symbol, body = _split_symbol(text)
    if symbol is not None:
        meant = _SYMBOLS[symbol]
        if currency is not None and check_currency(currency) != meant:
            raise InputError(
                _("{field} {value} is written in {name} ({symbol}), but the currency "
                  "given is {given}. Give the currency {meant}, or write the amount without {symbol}.").format(
                    field=field, value=show_value(text), name=_(_SYMBOL_NAMES[meant]), symbol=symbol,
                    given=check_currency(currency), meant=meant)
            )
        currency = meant
    if currency is None:
        raise InputError(_("{field} {value} has no currency. Write it as 45000 PEN or S/ 45,000.00.").format(
            field=field, value=show_value(text)))
    code = check_currency(currency)
    exponent = minor_exponent(code)
    if exponent < 3 and re.fullmatch(r"[1-9][0-9]{0,2}\.[0-9]{3}", body, re.ASCII):
        _refuse_ambiguous(field, text, body, code, exponent)
    value, decimals, how = _number(body, field, text)
    if decimals > exponent:
        if exponent == 0:
            refusal = ngettext(
                "{field} {value} has {n} decimals, but {code} has no decimals. "
                "Write the amount exactly as counted, with no decimals; amounts are never rounded.",
                "{field} {value} has {n} decimals, but {code} has no decimals. "
                "Write the amount exactly as counted, with no decimals; amounts are never rounded.", decimals)
        else:
            refusal = ngettext(
                "{field} {value} has {n} decimals, but {code} has at most {exponent} decimals. "
                "Write the amount exactly as counted, with at most {exponent} decimals; amounts are never rounded.",
                "{field} {value} has {n} decimals, but {code} has at most {exponent} decimals. "
                "Write the amount exactly as counted, with at most {exponent} decimals; amounts are never rounded.",
                decimals)
        raise InputError(refusal.format(field=field, value=show_value(text), n=decimals, code=code, exponent=exponent))
    if value == 0:
        raise InputError(_("{field} {value} is zero. Give a positive amount such as {forms}.").format(
            field=field, value=show_value(text), forms=_(_AMOUNT_FORMS)))
    if value > MAX_AMOUNT:
        raise InputError(_("{field} {value} is above the largest accepted amount. Give at most 1,000,000,000,000.")
                         .format(field=field, value=show_value(text)))
    value = value.quantize(_quantum(exponent))
    note = None
    if symbol is not None or how is not None:
        parts = ([_("{symbol} is {code}").format(symbol=symbol, code=code)] if symbol is not None else []) \
            + ([how] if how else [])
        note = _("{field} {value} read as {amount} ({how}).").format(
            field=field, value=show_value(text), amount=show_money(to_minor(value, code), code), how="; ".join(parts))
    return AmountReading(value, code, note)


def parse_amount(text: str, currency: str, field: str = "amount") -> Decimal:
    """The amount's value (see read_amount), with exactly the currency's decimals
    ("4000" PEN -> Decimal("4000.00")). For callers that need not tell how it was read."""
    return read_amount(text, currency, field).amount


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact integer minor units; ValueError if the amount has digits below the minor unit."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount {amount!r} is not a finite Decimal")
    with localcontext() as ctx:
        ctx.prec = 50
        scaled = amount.scaleb(minor_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {amount} is not a whole number of {currency} minor units")
        return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """The Decimal with exactly the currency's decimals: from_minor(400000, "PEN") == Decimal("4000.00")."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    return Decimal(minor).scaleb(-minor_exponent(currency))


def amount_str(minor: int, currency: str) -> str:
    """Canonical plain amount for JSON and files: "4000.00", no separators, no exponent."""
    return format(from_minor(minor, currency), "f")


def to_money(minor: int, currency: str) -> moneyed.Money:
    return moneyed.Money(from_minor(minor, currency), check_currency(currency))


def format_money(minor: int, currency: str, lang: str = "en") -> str:
    """Human rendering: format_money(120000, "USD") == "US$1,200.00", (400000, "PEN", "es") == "S/ 4,000.00".

    Babel with the locale in LOCALES, always with the ISO number of decimals. Two adjustments
    keep terminals and tests predictable: non-breaking spaces become plain spaces, and a
    letter code gets a space before the digits ("PEN 4,000.00"), as CLDR's currency spacing
    asks but Babel does not do.
    """
    if lang not in LOCALES:
        raise InputError(_("language {value} is not supported. Use one of: {languages}.").format(
            value=show_value(lang), languages=", ".join(sorted(LOCALES))))
    code = check_currency(currency)
    exponent = minor_exponent(code)
    locale = Locale.parse(LOCALES[lang])
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (exponent, exponent)
    text = format_currency(from_minor(minor, code), code, format=pattern, locale=locale, currency_digits=False)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    return _LETTER_DIGIT_RE.sub(" ", text)


def show_money(minor: int, currency: str) -> str:
    """The ledger's usual rendering for people: soles as Peru writes them (`S/ 4,000.00`),
    every other currency in English with its unambiguous symbol (`US$1,200.00`)."""
    return format_money(minor, currency, "es" if currency == "PEN" else "en")


def read_money_value(text: str, field: str = "value") -> AmountReading:
    """Read "45000 PEN", "45,000.00 USD", "S/ 45.000" or "US$ 12,000": an amount with its
    currency, as a code after it or a symbol before it (see read_amount)."""
    if not isinstance(text, str) or not text.strip(" "):
        raise InputError(_("{field} {value} is not an amount with a currency.").format(
            field=field, value=show_value(text)) + " " + _("Write it as 45000 PEN, 45,000.00 USD or S/ 45,000."))
    number, _space, code = text.strip(" ").rpartition(" ")
    if number and _CODE_RE.fullmatch(code):
        return read_amount(number, check_currency(code, field=f"{field} currency"), field=field)
    if _split_symbol(text.strip(" "))[0] is None:
        raise InputError(_("{field} {value} is not an amount with a currency.").format(
            field=field, value=show_value(text)) + " " + _("Write it as 45000 PEN, 45,000.00 USD or S/ 45,000."))
    return read_amount(text.strip(" "), None, field=field)


def parse_money_value(text: str, field: str = "value") -> tuple[Decimal, str]:
    """(Decimal, code) of a value such as "45000 PEN" (see read_money_value)."""
    reading = read_money_value(text, field)
    return reading.amount, reading.currency


# --- denominations ---------------------------------------------------------------------------


def _face_str(face: Decimal) -> str:
    """200 -> "200", 0.5 -> "0.50", 0.005 -> "0.005": integers bare, fractions with 2+ decimals."""
    if face == face.to_integral_value():
        return str(int(face))
    decimals = max(2, -face.normalize().as_tuple().exponent)
    return format(face, f".{decimals}f")


def parse_denominations(text: str, currency: str, field: str = "denominations") -> list[tuple[Decimal, int]]:
    """Parse "200x10,100x20,0.50x4" into [(face, count), ...] in the order given.

    Faces come back with the currency's decimals (Decimal("200.00")). A face given twice is
    refused rather than merged, so a typo does not quietly change a count.
    """
    code = check_currency(currency)
    exponent = minor_exponent(code)
    forms = _("Write face x count pairs separated by commas, such as 200x10,100x20,0.50x4.")
    if not isinstance(text, str) or not text.strip(" "):
        raise InputError(_("{field} {value} is empty.").format(field=field, value=show_value(text)) + " " + forms)
    result: list[tuple[Decimal, int]] = []
    seen: dict[Decimal, str] = {}
    for raw in text.split(","):
        part = raw.strip(" ")
        match = _DENOM_RE.fullmatch(part)
        if not match:
            raise InputError(_("{field}: {value} is not a face x count pair.").format(
                field=field, value=show_value(part)) + " " + forms)
        whole, frac, count_text = match.groups()
        if frac is not None and len(frac) > exponent:
            raise InputError(
                _("{field}: face {value} has more decimals than {code} allows. "
                  "Write faces with at most {exponent} decimals.").format(
                    field=field, value=show_value(whole + "." + frac), code=code, exponent=exponent)
            )
        face = Decimal(whole + ("." + frac if frac else "")).quantize(_quantum(exponent))
        count = int(count_text)
        if face == 0:
            raise InputError(_("{field}: face in {value} is zero. Give the face value of the note or coin.").format(
                field=field, value=show_value(part)))
        if count > MAX_DENOMINATION_COUNT:
            raise InputError(_("{field}: count in {value} is above {maximum:,}. Check the count.").format(
                field=field, value=show_value(part), maximum=MAX_DENOMINATION_COUNT))
        allowed = FACES.get(code)
        if allowed is not None and face not in allowed:
            faces = ", ".join(_face_str(f) for f in sorted(allowed))
            raise InputError(_("{field}: {code} has no note or coin of {face}. Its faces are {faces}.").format(
                field=field, code=code, face=_face_str(face), faces=faces))
        if face in seen:
            raise InputError(
                _("{field}: face {face} is given twice ({first} and {second}). "
                  "Give each face once with the total count.").format(
                    field=field, face=_face_str(face), first=seen[face], second=part)
            )
        seen[face] = part
        result.append((face, count))
    return result


def denominations_total(denoms: list[tuple[Decimal, int]]) -> Decimal:
    return sum((face * count for face, count in denoms), Decimal(0))


def check_denominations(
    denoms: list[tuple[Decimal, int]], amount: Decimal, currency: str, field: str = "denominations"
) -> None:
    """Refuse a breakdown whose sum differs from the amount, naming both figures."""
    code = check_currency(currency)
    quantum = _quantum(minor_exponent(code))
    total = denominations_total(denoms)
    if total != amount:
        raise InputError(
            _("{field} {denominations} adds up to {total} {code}, "
              "not {amount} {code}. Correct the counts or the amount.").format(
                field=field, denominations=denominations_str(denoms), total=total.quantize(quantum), code=code,
                amount=amount.quantize(quantum))
        )


def denominations_str(denoms: list[tuple[Decimal, int]]) -> str:
    """Canonical form, largest face first: "200x10,100x20,0.50x3"."""
    ordered = sorted(denoms, key=lambda pair: pair[0], reverse=True)
    return ",".join(f"{_face_str(face)}x{count}" for face, count in ordered)


# --- rates and conversion --------------------------------------------------------------------


def parse_rate(text: str, field: str = "rate") -> Decimal:
    """Parse an exchange rate such as "3.5870", keeping its digits as given."""
    how = _("Write a plain decimal between {minimum} and {maximum:,} with at most {decimals} decimals, "
            "such as 3.5870.").format(minimum=MIN_RATE, maximum=MAX_RATE, decimals=MAX_RATE_DECIMALS)
    if not isinstance(text, str) or not _RATE_RE.fullmatch(text):
        raise InputError(_("{field} {value} is not a rate.").format(field=field, value=show_value(text)) + " " + how)
    if len(text.partition(".")[2]) > MAX_RATE_DECIMALS:
        raise InputError(_("{field} {value} has more than {decimals} decimals.").format(
            field=field, value=show_value(text), decimals=MAX_RATE_DECIMALS) + " " + how)
    rate = Decimal(text)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InputError(_("{field} {value} is out of range.").format(field=field, value=show_value(text)) + " " + how)
    return rate


def rate_str(rate: Decimal) -> str:
    """Canonical rate string: the digits as given, never an exponent ("3.5870" stays "3.5870")."""
    return format(rate, "f")


def convert_minor(minor: int, from_currency: str, to_currency: str, rate: Decimal, *, inverse: bool) -> int:
    """Convert minor units at a rate meaning 1 BASE = rate QUOTE.

    inverse=False: from_currency is the base, result = amount * rate.
    inverse=True: from_currency is the quote (PEN with a USD/PEN rate), result = amount / rate.
    Computed at 50 digits, rounded once ROUND_HALF_UP to the target's minor unit.
    """
    source = check_currency(from_currency)
    target = check_currency(to_currency)
    if source == target:
        raise ValueError(f"cannot convert {source} to itself")
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise ValueError(f"rate {rate!r} is not a positive finite Decimal")
    with localcontext() as ctx:
        ctx.prec = 50
        amount = from_minor(minor, source)
        value = amount / rate if inverse else amount * rate
        rounded = value.quantize(_quantum(minor_exponent(target)), rounding=ROUND_HALF_UP)
        return to_minor(rounded, target)
