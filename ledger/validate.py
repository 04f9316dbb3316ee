"""Checks for every value a person types in, run before anything is written.

Single commands and bulk import share this one code path, so a value that a command refuses is
refused in a file too, with the same sentence. Each check returns the normalised value or raises
`InputError` naming the option, showing the offending value safely, and saying what is accepted.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from datetime import UTC, date, datetime, timedelta, timezone

from ledger.errors import InputError
from ledger.i18n import N_, _, ngettext, or_list

__all__ = [
    "check_badge",
    "check_code",
    "check_imei",
    "check_plate",
    "check_positive_int",
    "check_vin",
    "check_year",
    "check_zone",
    "clean_text",
    "from_utc_iso",
    "identifier_key",
    "local_iso",
    "or_list",
    "luhn_ok",
    "parse_date",
    "parse_time",
    "reading_key",
    "refuse_look_alike",
    "utc_iso",
]

# --------------------------------------------------------------------------- showing values

_SHOW_MAX = 40


def show_value(value: object) -> str:
    """The value as it may appear in a message: repr-escaped (so control, bidi and zero-width
    characters are visible as \\x.. or \\u....) and cut to about 40 characters."""
    if isinstance(value, str) and len(value) > _SHOW_MAX:
        return _escape_invisible(repr(value[:_SHOW_MAX])) + "..."
    return _escape_invisible(repr(value))


def _escape_invisible(shown: str) -> str:
    # repr() leaves printable-but-blank characters (a Hangul filler) as they are
    if shown.isascii():
        return shown
    return "".join(f"\\u{ord(ch):04x}" if ch <= "\uffff" and _invisible(ch) else
                   f"\\U{ord(ch):08x}" if _invisible(ch) else ch for ch in shown)


def _char_name(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    return f"{code} {name}" if name else code


def _missing(field: str, form: str) -> InputError:
    """`form` is the translated sentence saying what is accepted."""
    return InputError(_("{field} is required.").format(field=field) + " " + form)


# --------------------------------------------------------------------------- free text

# Characters that reorder or hide text on screen: a name or a note containing them can display
# as something other than what is stored (the "Trojan Source" trick), so they are refused.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# Characters that draw nothing (or only a blank) yet are letters or marks to Unicode, so that
# "Ana\u3164Quispe" and "Ana Quispe" are different names that look alike. Format characters
# (category Cf: soft hyphen, tag characters, interlinear annotation marks...) are refused as a
# class; these are the invisible ones outside it.
_INVISIBLE = frozenset(
    "\u034f"  # COMBINING GRAPHEME JOINER
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u2800"  # BRAILLE PATTERN BLANK
)


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef" or "\u180b" <= ch <= "\u180f"
# LINE and PARAGRAPH SEPARATOR are not control characters but break lines like one.
_LINE_BREAKERS = frozenset("\u2028\u2029")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in _INVISIBLE or _is_variation_selector(ch)


def _bad_char_reason(ch: str, multiline: bool) -> str | None:
    if multiline and ch == "\n":
        return None
    category = unicodedata.category(ch)
    if category == "Cc":
        return _("a control character")
    if category == "Cs":
        return _("a lone surrogate (broken encoding)")
    if ch in _BIDI:
        return _("a bidirectional control character that can disguise text")
    if ch in _ZERO_WIDTH:
        return _("an invisible zero-width character")
    if _invisible(ch):
        return _("an invisible character that makes the text differ from what is seen")
    if ch in _LINE_BREAKERS:
        return _("a line separator")
    return None


def _scan(value: str, field: str, *, multiline: bool = False) -> str:
    """NFC, stripped, and free of control, bidi, zero-width characters and lone surrogates."""
    if not isinstance(value, str):
        raise InputError(_("{field} {value} is not text. Give it as a string.").format(
            field=field, value=show_value(value)))
    if value.isascii() and value.isprintable():
        return value.strip()  # nothing to normalise or refuse: the common case, taken fast for bulk import
    # Surrogates are checked before NFC so that normalisation never sees broken input.
    for position, ch in enumerate(value, start=1):
        if unicodedata.category(ch) == "Cs":
            raise InputError(
                _("{field} {value} contains {char} at position {position}, a lone surrogate "
                  "(broken encoding). Re-type the value or save the file as UTF-8.").format(
                    field=field, value=show_value(value), char=_char_name(ch), position=position)
            )
    text = unicodedata.normalize("NFC", value).strip()
    for position, ch in enumerate(text, start=1):
        reason = _bad_char_reason(ch, multiline)
        if reason:
            allowed = _("printable text and line breaks (\\n)") if multiline else _("printable text on one line")
            raise InputError(
                _("{field} {value} contains {char} at position {position}, "
                  "{reason}. Remove it; only {allowed} is accepted.").format(
                    field=field, value=show_value(text), char=_char_name(ch), position=position, reason=reason,
                    allowed=allowed)
            )
    return text


def clean_text(
    value: str | None,
    field: str,
    *,
    max_len: int = 200,
    required: bool = True,
    multiline: bool = False,
) -> str | None:
    """Free text (names, descriptions, notes): NFC, stripped, no hidden or control characters.

    Quotes, accents, SQL-looking or formula-looking text and right-to-left letters are ordinary
    text here and come back unchanged (beyond NFC). Empty gives None when not `required`.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _missing(field, _("Give a non-empty value."))
        return None
    text = _scan(value, field, multiline=multiline)
    if not text:  # only characters that strip() removes, e.g. "\x1c"
        if required:
            raise _missing(field, _("Give a non-empty value."))
        return None
    if len(text) > max_len:
        raise InputError(
            _("{field} {value} is {length} characters long, over the maximum of {maximum}. Shorten it.").format(
                field=field, value=show_value(text), length=len(text), maximum=max_len)
        )
    return text


# --------------------------------------------------------------------------- identifiers

# Separators people add or leave out when copying an identifier by hand. Two identifiers equal
# once letter case and these are ignored (B-1001, b1001, B_1001) are look-alikes: the ledger
# keeps only one of them, so that nobody can register a second officer or case that reads the same.
ID_SEPARATORS = " _./#:-"
_ID_SEPARATORS = re.compile(f"[{re.escape(ID_SEPARATORS)}]+")


def identifier_key(text: str) -> str:
    """What look-alike identifiers share: upper case, without separators."""
    return _ID_SEPARATORS.sub("", text).upper()


# Characters read as one another on a label, a form or a screen: O and 0; I, l and 1.
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def reading_key(text: str) -> str:
    """What identifiers that read the same share: `identifier_key`, with O read as 0 and I and
    l as 1 (B-1OO1, B-I00I and b-l00l all read as B-1001)."""
    return identifier_key(text).translate(_READS_AS)


def refuse_look_alike(value: str, registered, kind: str) -> None:
    """Refuse a new badge (`kind` "officer") or location code ("location") that reads the same as
    one of `registered`, naming it; an identical one is refused by its caller first."""
    key = reading_key(value)
    existing = next((r for r in registered if r != value and reading_key(r) == key), None)
    if existing is None:
        return
    if kind == "officer":
        raise InputError(
            _("BADGE {value} reads the same as officer {existing}, already registered: 0 and O, 1, I and l, letter "
              "case and separators are easily mistaken on paper and on screen, so they are taken as one badge.").format(
                value=value, existing=existing),
            hint=_("If it is the same officer, use {existing}; otherwise choose a badge that differs in another letter "
                   "or digit. See 'evidence officer list'.").format(existing=existing))
    raise InputError(
        _("CODE {value} reads the same as location {existing}, already registered: 0 and O, 1, I and l, letter case "
          "and separators are easily mistaken on paper and on screen, so they are taken as one code.").format(
            value=value, existing=existing),
        hint=_("If it is the same place, use {existing}; otherwise choose a code that differs in another letter or "
               "digit. See 'evidence location list'.").format(existing=existing))


_BADGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,31}")
_BADGE_FORM = N_(
    "A badge is 1 to 32 ASCII letters, digits, '-', '_', '.' or '/', starting with a letter or digit, e.g. B-1001 "
    "(letter case does not matter)."
)


def _refuse_non_ascii_identifier(text: str, field: str, form: str) -> None:
    """`form`: the translated sentence saying what is accepted."""
    for position, ch in enumerate(text, start=1):
        if not ch.isascii():
            raise InputError(
                _("{field} {value} contains {char} ({name}) at position {position}; "
                  "identifiers are plain ASCII so that two that look the same are the same.").format(
                    field=field, value=show_value(text), char=show_value(ch), name=_char_name(ch), position=position)
                + " " + form
            )


def check_badge(value: str | None, field: str = "--by") -> str:
    """An officer's badge number, in capitals: b-1001 and B-1001 are one badge."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, _(_BADGE_FORM))
    text = _scan(value, field)
    _refuse_non_ascii_identifier(text, field, _(_BADGE_FORM))
    if not _BADGE_RE.fullmatch(text):
        raise InputError(_("{field} {value} is not a badge number.").format(field=field, value=show_value(text))
                         + " " + _(_BADGE_FORM))
    return text.upper()


_CODE_PUNCT = frozenset("-_./#:")
_CODE_MAX = 64
_CODE_PLAIN = re.compile(r"[A-Za-z0-9 _./#:-]*[A-Za-z0-9][A-Za-z0-9 _./#:-]*")
_CODE_FORM = N_(
    "Use up to {maximum} ASCII letters A-Z, digits 0-9, spaces and - _ . / # :, "
    "e.g. CF-2020-0456 or Carpeta 1306014500-2020-1234 (letter case does not matter)."
)


def _code_form() -> str:
    return _(_CODE_FORM).format(maximum=_CODE_MAX)


def check_code(value: str | None, field: str) -> str:
    """An identifier typed by people: location code, case, acta or seal number, in capitals.

    Only ASCII, so that two codes that look the same are the same (a Cyrillic А or an accented
    letter would make a second code that reads like the first). Runs of spaces become one space.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, _code_form())
    text = re.sub(" {2,}", " ", _scan(value, field))
    if len(text) <= _CODE_MAX and _CODE_PLAIN.fullmatch(text):
        return text.upper()  # the common case; the loop below would accept it
    _refuse_non_ascii_identifier(text, field, _code_form())
    for position, ch in enumerate(text, start=1):
        if not (ch.isalnum() or ch == " " or ch in _CODE_PUNCT):
            raise InputError(
                _("{field} {value} contains {char} ({name}) at position "
                  "{position}, which a code cannot hold.").format(
                    field=field, value=show_value(text), char=show_value(ch), name=_char_name(ch), position=position)
                + " " + _code_form()
            )
    if not any(ch.isalnum() for ch in text):
        raise InputError(_("{field} {value} has no letter or digit.").format(field=field, value=show_value(text))
                         + " " + _code_form())
    if len(text) > _CODE_MAX:
        raise InputError(
            _("{field} {value} is {length} characters long, over the maximum of {maximum}.").format(
                field=field, value=show_value(text), length=len(text), maximum=_CODE_MAX)
            + " " + _code_form()
        )
    return text.upper()


def _first_non_ascii_digit(text: str) -> tuple[int, str] | None:
    # str.isdigit() is True for full-width, Arabic-Indic, superscript... digits; int() even
    # accepts most of them. The ledger stores ASCII only, so they are refused by name.
    for position, ch in enumerate(text, start=1):
        if ch.isdigit() and not ch.isascii():
            return position, ch
    return None


def _refuse_non_ascii_digits(text: str, field: str) -> None:
    found = _first_non_ascii_digit(text)
    if found:
        position, ch = found
        raise InputError(
            _("{field} {value} contains the non-ASCII digit {char} ({name}) "
              "at position {position}. Type the digits with 0-9.").format(
                field=field, value=show_value(text), char=show_value(ch), name=_char_name(ch), position=position)
        )


def luhn_ok(digits: str) -> bool:
    """True when `digits` (ASCII 0-9 only) ends in a correct Luhn check digit."""
    if not digits or not re.fullmatch(r"[0-9]+", digits):
        return False
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if index % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_IMEI_FORM = N_("An IMEI is 15 digits 0-9 (dial *#06# or read it from the box or the tray).")


def check_imei(value: str | None, field: str = "--imei") -> str:
    """A phone's IMEI: 15 ASCII digits with a valid Luhn check digit, not all zeros."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, _(_IMEI_FORM))
    text = _scan(value, field)
    _refuse_non_ascii_digits(text, field)
    for position, ch in enumerate(text, start=1):
        if not "0" <= ch <= "9":
            raise InputError(
                _("{field} {value} contains {char} at position {position}, not a digit.").format(
                    field=field, value=show_value(text), char=show_value(ch), position=position)
                + " " + _(_IMEI_FORM)
            )
    if len(text) != 15:
        raise InputError(ngettext("{field} {value} has {n} digits, not 15.", "{field} {value} has {n} digits, not 15.",
                                  len(text)).format(field=field, value=show_value(text), n=len(text))
                         + " " + _(_IMEI_FORM))
    if text == "0" * 15:
        raise InputError(
            _("{field} {value} is all zeros, which is no real IMEI. "
              "Read the IMEI from the device or its box; if it cannot be read, register the phone with "
              "--no-imei --reason TEXT.").format(field=field, value=show_value(text))
        )
    if not luhn_ok(text):
        raise InputError(
            _("{field} {value} fails the Luhn check. Re-read the 15 digits from the device or its box.").format(
                field=field, value=show_value(text))
        )
    return text


# --------------------------------------------------------------------------- vehicles

_VIN_CHARS = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
_VIN_FORM = N_("A VIN is 17 characters: digits 0-9 and letters A-Z except I, O and Q, with no spaces or dashes.")
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_check_digit(vin: str) -> str:
    remainder = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def check_vin(value: str | None, field: str = "--vin") -> tuple[str, list[str]]:
    """A vehicle identification number, upper-cased, with warnings.

    A wrong North American check digit (position 9) is a warning, not an error: vehicles built
    for other markets, common in Peru, need not follow that rule.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, _(_VIN_FORM))
    text = _scan(value, field)
    for position, ch in enumerate(text, start=1):
        upper = ch.upper() if ch.isascii() else ch
        if upper in "IOQ":
            raise InputError(
                _("{field} {value} has the letter {letter} at position {position}, "
                  "which VINs never use. Re-read it: I is usually 1, O and Q are usually 0.").format(
                    field=field, value=show_value(text), letter=upper, position=position)
            )
        if upper not in _VIN_CHARS:
            raise InputError(
                _("{field} {value} contains {char} at position {position}, "
                  "which a VIN cannot hold.").format(field=field, value=show_value(text), char=show_value(ch),
                                                     position=position)
                + " " + _(_VIN_FORM)
            )
    vin = text.upper()
    if len(vin) != 17:
        raise InputError(ngettext("{field} {value} has {n} characters, not 17.",
                                  "{field} {value} has {n} characters, not 17.", len(vin)).format(
                             field=field, value=show_value(vin), n=len(vin))
                         + " " + _(_VIN_FORM))
    warnings = []
    expected = _vin_check_digit(vin)
    if vin[8] != expected:
        warnings.append(
            _("{field} {vin}: the check digit at position 9 is {digit}, the North American rule "
              "gives {expected}; that is normal for vehicles built for other markets, "
              "otherwise re-read the VIN.").format(field=field, vin=vin, digit=vin[8], expected=expected)
        )
    return vin, warnings


# Peruvian plates, written with the hyphen as on the plate. Each row: pattern, example, what.
_PE_PLATES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # Current format: three letters or digits (at least one letter), then three digits;
    # also covers the older all-letter ABC-123 series.
    (re.compile(r"(?=[A-Z0-9]{0,2}[A-Z])[A-Z0-9]{3}-[0-9]{3}"), "ABC-123, A1B-234", "cars"),
    # Two letters and four digits: legacy car plates and the special series
    # (EP army, CD diplomatic, PL police, ...).
    (re.compile(r"[A-Z]{2}-[0-9]{4}"), "AB-1234", "legacy and special"),
    # Motorcycles: four digits, then two letters or a digit and a letter.
    (re.compile(r"[0-9]{4}-[A-Z0-9][A-Z]"), "1234-AB, 1234-5A", "motorcycles"),
)
_PE_FORMS = ", ".join(example for _pattern, example, _what in _PE_PLATES)
_PE_FORM = N_("Peruvian plates look like {forms}; for a foreign plate pass --plate-kind foreign.")
_PLATE_KINDS = ("pe", "foreign")
_FOREIGN_RE = re.compile(r"[A-Z0-9][A-Z0-9 -]{0,10}[A-Z0-9]")
_FOREIGN_FORM = N_("A foreign plate is 2 to 12 ASCII letters, digits, hyphens or spaces.")


def _pe_plate(text: str) -> str | None:
    """The plate in its hyphenated form, or None. Unhyphenated input is accepted when exactly
    one format fits; "AB1234" fits both AB1-234 and AB-1234 and is refused as ambiguous."""
    if "-" in text:
        return text if any(p.fullmatch(text) for p, _example, _what in _PE_PLATES) else None
    fits = {
        candidate
        for cut in range(1, len(text))
        for candidate in [f"{text[:cut]}-{text[cut:]}"]
        if any(p.fullmatch(candidate) for p, _example, _what in _PE_PLATES)
    }
    if len(fits) > 1:
        raise _Ambiguous(sorted(fits))
    return fits.pop() if fits else None


class _Ambiguous(Exception):
    def __init__(self, readings: list[str]):
        self.readings = readings


def check_plate(value: str | None, kind: str = "pe", field: str = "--plate") -> str:
    """A licence plate, upper-cased, with a single inner space read as the hyphen."""
    if kind not in _PLATE_KINDS:
        raise InputError(_("--plate-kind {value} is not a plate kind. Use one of: {kinds}.").format(
            value=show_value(kind), kinds=", ".join(_PLATE_KINDS)))
    form = _(_PE_FORM).format(forms=_PE_FORMS) if kind == "pe" else _(_FOREIGN_FORM)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, form)
    text = _scan(value, field)
    if not text.isascii():
        raise InputError(_("{field} {value} contains characters outside ASCII.").format(
            field=field, value=show_value(text)) + " " + form)
    text = text.upper()
    if kind == "foreign":
        if not _FOREIGN_RE.fullmatch(text):
            raise InputError(_("{field} {value} is not a plate number.").format(field=field, value=show_value(text))
                             + " " + form)
        return text
    if text.count(" ") == 1 and "-" not in text:
        text = text.replace(" ", "-")
    try:
        plate = _pe_plate(text)
    except _Ambiguous as ambiguous:
        raise InputError(
            _("{field} {value} could be read as {readings}. "
              "Write it with the hyphen where the plate has it.").format(
                field=field, value=show_value(text), readings=or_list(ambiguous.readings))
        ) from None
    if plate is None:
        raise InputError(_("{field} {value} is not a Peruvian plate.").format(field=field, value=show_value(text))
                         + " " + form)
    return plate


# --------------------------------------------------------------------------- numbers


def _ascii_int(value: str | int | None, field: str, form: str) -> int:
    """`form`: the translated sentence saying what is accepted."""
    if isinstance(value, bool):  # True is an int, but never a meant number
        raise InputError(_("{field} {value} is not a number.").format(field=field, value=show_value(value))
                         + " " + form)
    if isinstance(value, int):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing(field, form)
    text = _scan(value, field)
    _refuse_non_ascii_digits(text, field)
    # The length cap keeps int() away from huge strings; such values are out of range anyway.
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise InputError(_("{field} {value} is not a whole number.").format(field=field, value=show_value(text))
                         + " " + form)
    return int(text)


def check_year(value: str | int | None, field: str = "--year", *, now_year: int | None = None) -> int:
    """A model or manufacturing year, 1900 to next year (next year's models sell this year)."""
    last = (now_year if now_year is not None else datetime.now(UTC).year) + 1
    form = _("Give a year from 1900 to {last}, in digits 0-9.").format(last=last)
    year = _ascii_int(value, field, form)
    if not 1900 <= year <= last:
        raise InputError(_("{field} {value} is out of range.").format(field=field, value=show_value(value))
                         + " " + form)
    return year


def check_positive_int(value: str | int | None, field: str, *, maximum: int) -> int:
    """A count such as pages or units: 1 to `maximum`."""
    form = _("Give a whole number from 1 to {maximum}, in digits 0-9.").format(maximum=maximum)
    number = _ascii_int(value, field, form)
    if not 1 <= number <= maximum:
        raise InputError(_("{field} {value} is out of range.").format(field=field, value=show_value(value))
                         + " " + form)
    return number


# --------------------------------------------------------------------------- times

_EARLIEST_YEAR = 1990
_CLOCK_SKEW = timedelta(seconds=60)
# Zones that exist on some machines but name no place: their meaning differs between hosts.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def _loads_as_zone(name: str) -> bool:
    """True for a name that `_zones()` lists, found without listing every zone on the machine
    (that walk costs tens of milliseconds on every command, as --tz has a default). Names that
    load but are not listed (the posix/ and right/ copies, _NOT_ZONES) are left to `_zones()`."""
    if name in _NOT_ZONES or name.startswith(("posix/", "right/")) or "\\" in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:  # not found, a folder, not a TZif file, a path that escapes the zone folder
        return False
    return True


def check_zone(tz: str | None, field: str = "--tz") -> str:
    """An IANA time zone name such as America/Lima."""
    if tz is None or (isinstance(tz, str) and not tz.strip()):
        raise _missing(field, _("Give an IANA time zone name, e.g. America/Lima or UTC."))
    name = _scan(tz, field)
    if _loads_as_zone(name) or name in _zones():
        return name
    near = [zone for zone in _zones() if zone.lower() == name.lower()]
    form = (_("Did you mean {names}?").format(names=near[0]) if near
            else _("Give an IANA time zone name, e.g. America/Lima or UTC."))
    raise InputError(_("{field} {value} is not a known time zone.").format(field=field, value=show_value(name))
                     + " " + form)


_TIME_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?P<frac>[.,][0-9]{1,9})?)?"
    r"(?P<off>[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_TIME_FORM = N_(
    "Write it as YYYY-MM-DDTHH:MM, e.g. 2020-10-06T05:30, optionally with seconds and an offset such as -05:00 or Z."
)


def _now_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:  # a naive `now` is taken as UTC, the ledger's clock
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _offset(text: str, field: str, shown: str) -> timezone:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[-2:])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise InputError(
            _("{field} {value} has the offset {offset}, which no place uses. "
              "Offsets run from -12:00 to +14:00 (Lima is -05:00).").format(field=field, value=shown, offset=text)
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local_moment(wall: datetime, zone_name: str, field: str, shown: str) -> datetime:
    """The naive wall-clock time `wall` in zone `zone_name`, refusing a time the clocks skipped
    and one they showed twice: zoneinfo would silently pick an offset for either."""
    zone = zoneinfo.ZoneInfo(zone_name)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after:
        return first
    typed = wall.strftime("%Y-%m-%dT%H:%M:%S" if wall.second else "%Y-%m-%dT%H:%M")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise InputError(
            _("{field} {value} never happened in {zone}: that night the clocks jumped forward from "
              "{before} to {after}, skipping that time. Check the time on the form; "
              "if it is right, give it with the offset the clock used, e.g. {example}.").format(
                field=field, value=shown, zone=zone_name, before=_offset_text(before), after=_offset_text(after),
                example=typed + _offset_text(before))
        )
    raise InputError(
        _("{field} {value} happened twice in {zone}: the clocks went back that night, so it is either "
          "{first} (the first time) or {second} (the second). "
          "Give it with the offset that was meant.").format(
            field=field, value=shown, zone=zone_name, first=typed + _offset_text(before),
            second=typed + _offset_text(after))
    )


def parse_time(text: str, tz: str, field: str = "--at", *, now: datetime | None = None) -> datetime:
    """When something happened, as an aware UTC datetime in whole seconds.

    A date and a time of day are both required. A time without an offset is read in zone `tz`;
    a time that zone skipped or showed twice (daylight saving) is refused, as is a fraction of a
    second (the ledger records whole seconds; a fraction of zeros loses nothing and is taken).
    It may not be before 1990 nor later than `now` (default: the clock) plus a minute of clock skew.
    """
    zone_name = check_zone(tz, "--tz")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise _missing(field, _(_TIME_FORM))
    value = _scan(text, field)
    shown = show_value(value)
    _refuse_non_ascii_digits(value, field)
    match = _TIME_RE.fullmatch(value)
    if not match:
        raise InputError(_("{field} {value} is not a date and time.").format(field=field, value=shown)
                         + " " + _(_TIME_FORM))
    if match["h"] is None:
        raise InputError(
            _("{field} {value} is a date without a time of day. Give the time too, "
              "in the form {example} (hours and minutes as on the form).").format(
                field=field, value=shown, example=f"{value}T05:30")
        )
    if match["frac"] and match["frac"].strip(".,0"):
        whole = value[:match.start("frac")] + value[match.end("frac"):]
        raise InputError(
            _("{field} {value} has a fraction of a second ({fraction}); the ledger records whole seconds. "
              "Give the time to the second, e.g. {whole}.").format(
                field=field, value=shown, fraction=match["frac"], whole=whole)
        )
    year = int(match["y"])
    if year < _EARLIEST_YEAR:
        raise InputError(
            _("{field} {value} is before {year}. Check the year; "
              "the ledger records acts from {year} on.").format(field=field, value=shown, year=_EARLIEST_YEAR)
        )
    try:
        wall = datetime(year, int(match["mo"]), int(match["d"]), int(match["h"]), int(match["mi"]), int(match["s"] or 0))
    except ValueError as exc:
        raise InputError(
            _("{field} {value} is not a real date or time ({problem}). "
              "Check the day of the month and that the hour is 00-23 and the minutes 00-59.").format(
                field=field, value=shown, problem=exc)
        ) from None
    if match["off"]:
        moment = wall.replace(tzinfo=_offset(match["off"], field, shown))
    else:
        moment = _local_moment(wall, zone_name, field, shown)
    result = moment.astimezone(UTC)
    clock = _now_utc(now)
    if result > clock + _CLOCK_SKEW:
        raise InputError(
            _("{field} {value} is in the future (the clock says {clock}). "
              "Give the time the act happened; if it is right, check this computer's clock.").format(
                field=field, value=shown, clock=utc_iso(clock))
        )
    return result


_DATE_RE = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})")


def parse_date(text: str, field: str, *, now: datetime | None = None) -> date:
    """A calendar date (YYYY-MM-DD), from 1990 up to tomorrow in UTC.

    The allowance of one day lets a date typed in Lima late in the evening pass while the UTC
    clock is already on the next day, and the other way round for zones east of UTC.
    """
    form = _("Write it as YYYY-MM-DD, e.g. 2020-10-06.")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise _missing(field, form)
    value = _scan(text, field)
    shown = show_value(value)
    _refuse_non_ascii_digits(value, field)
    match = _DATE_RE.fullmatch(value)
    if not match:
        raise InputError(_("{field} {value} is not a date.").format(field=field, value=shown) + " " + form)
    try:
        day = date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError as exc:
        raise InputError(_("{field} {value} is not a real date ({problem}).").format(
            field=field, value=shown, problem=exc) + " " + form) from None
    if day.year < _EARLIEST_YEAR:
        raise InputError(
            _("{field} {value} is before {year}. Check the year; "
              "the ledger records acts from {year} on.").format(field=field, value=shown, year=_EARLIEST_YEAR)
        )
    today = _now_utc(now).date()
    if day > today + timedelta(days=1):
        raise InputError(
            _("{field} {value} is in the future (today is {today} UTC). Give the date the act happened.").format(
                field=field, value=shown, today=today.isoformat())
        )
    return day


_UTC_ISO_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def utc_iso(dt: datetime) -> str:
    """The ledger's canonical time string, `YYYY-MM-DDTHH:MM:SSZ`: fixed width, so such
    strings sort as the times do. Fractions of a second are truncated."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("utc_iso needs an aware datetime, got a naive one")
    u = dt.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def from_utc_iso(s: str) -> datetime:
    """The inverse of `utc_iso`: an aware UTC datetime. Anything else is a ValueError, since
    these strings come from the ledger itself, not from a person."""
    if not isinstance(s, str) or not _UTC_ISO_RE.fullmatch(s):
        raise ValueError(f"not a ledger time (YYYY-MM-DDTHH:MM:SSZ): {show_value(s)}")
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def local_iso(s_or_dt: str | datetime, tz: str) -> str:
    """A ledger time for people to read in zone `tz`, e.g. "2020-10-06 05:30 -05:00".

    Seconds are shown only when they are not zero, so times typed to the minute read as typed.
    """
    moment = from_utc_iso(s_or_dt) if isinstance(s_or_dt, str) else s_or_dt
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("local_iso needs an aware datetime, got a naive one")
    local = moment.astimezone(zoneinfo.ZoneInfo(check_zone(tz)))
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return f"{day} {clock} {sign}{minutes // 60:02d}:{minutes % 60:02d}"
