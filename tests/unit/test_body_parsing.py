"""verify parses each body twice: the C scanner proves it canonical (in the second process),
and the replay parses it again with orjson, which is faster. The two must give the same value,
type for type, for every body the format allows; what orjson refuses (integers beyond 64 bits,
lone surrogates) goes to the C scanner. Bodies are written by the `rfc8785` package, the
independent JCS implementation, so this holds for any JCS writer's bytes."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.events import MAX_SAFE_INTEGER
from ledger.log.leaves import DECODE, encode
from ledger.verify import _parse_canonical

KEYS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
LEAVES = st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | TEXT
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=30)


def same(a, b) -> bool:
    """Equal, key order included, and of the same types all the way down (True == 1 in
    Python; not here)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def canonical(body: str) -> bool:
    """verify's check: the C scanner parses it and the C encoder writes it back unchanged."""
    try:
        return encode(DECODE(body)) == body
    except (ValueError, TypeError, RecursionError):
        return False


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_the_replays_parse_equals_the_canonical_check_on_jcs_bodies(value):
    body = rfc8785.dumps(value).decode("utf-8")
    assert canonical(body)  # the verifier takes rfc8785's bytes as canonical
    checked = DECODE(body)
    assert same(_parse_canonical(body), checked)
    assert checked == value


def test_lone_surrogates_orjson_refuses_go_to_the_c_scanner():
    # A raw lone surrogate in the text (the C encoder writes it back raw, so it is canonical
    # to the check; the hash and leaf checks see it as surrogatepass UTF-8).
    for body in ('{"s":"\udc80"}', '{"s":"a\ud800b"}'):
        assert canonical(body)
        assert same(_parse_canonical(body), DECODE(body))


def test_bodies_the_check_refuses_never_reach_the_replay():
    # Floats, NaN and integers beyond 2^53 - 1 (which orjson would read as a float) are refused
    # by the canonical check itself, so the replay's parser is never asked; nor are duplicated
    # keys, whitespace or unsorted keys.
    big = str(MAX_SAFE_INTEGER + 1)
    for body in ('{"a":1.5}', '{"a":1e3}', '{"a":NaN}', '{"a":' + big + "}", '{"a":-' + big + "}",
                 '{"n":' + "9" * 30 + "}", '{"a":1,"a":2}', '{"a": 1}', '{"b":1,"a":2}'):
        assert not canonical(body), body
    assert canonical('{"a":' + str(MAX_SAFE_INTEGER) + ',"b":-' + str(MAX_SAFE_INTEGER) + "}")
