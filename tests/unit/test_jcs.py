"""Event bodies are RFC 8785 (JCS): the `rfc8785` package, an independent implementation,
writes the same bytes for every event type the ledger writes and for arbitrary values of the
kinds a body may hold."""

from __future__ import annotations

import json

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.events import MAX_SAFE_INTEGER, canonical_json
from tests.cli.test_verify import sql
from tests.reliability.test_tamper_catalogue import build_history

KEYS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
LEAVES = st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | TEXT
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=20)


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_canonical_json_is_jcs(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_every_event_type_the_ledger_writes_is_jcs(cli, db_url, tmp_path):
    build_history(cli)
    csv = tmp_path / "items.csv"
    csv.write_text("kind,make,model,imei,title\nphone,Nokia,105,356938035643809,\ndocument,,,,Libreta «ñ»\n",
                   encoding="utf-8")
    cli.ok("item", "import", "SZ-2", str(csv), "--at", "2020-10-07T07:00", "--request-id", "op-1", "--by", "B-1002")
    bodies = sql(db_url, "SELECT type, body FROM events ORDER BY seq")[0]
    types = {t for t, _ in bodies}
    assert {"officer.added", "location.added", "case.opened", "seizure.recorded", "item.registered",
            "custody.transferred", "custody.resealed", "custody.disposed", "rate.set"} <= types
    for _type, body in bodies:
        assert rfc8785.dumps(json.loads(body)) == body.encode("utf-8")
