"""Exchange rates: recorded, and superseded only by a later rate of the same source, never
edited, so that the same log always gives the same converted figure."""

from __future__ import annotations

from ledger.rules import data
from ledger.rules.book import Event, Rule, define
from ledger.rules.state import State, rate_entries, rate_row

RATE_SET = "rate.set"
RATES_IMPORTED = "rate.imported"


def check_rates(state: State, ev: Event, out: list, _states) -> None:
    rate_entries(ev.type, ev.data)  # the data must hold its rates


def apply_rates(state: State, ev: Event) -> None:
    rates = state.rows["rates"]
    cols = state._cols["rates"]
    source, superseded = cols.index("source"), cols.index("superseded_seq")
    for entry in rate_entries(ev.type, ev.data):
        old = entry.get("supersedes")
        key = (old, entry["date"], entry["base"], entry["quote"], entry["side"])
        row = rates.get(key) if old is not None else None
        if row is not None and row[source] == ev.data["source"]:
            rates[key] = row[:superseded] + (ev.seq,) + row[superseded + 1:]
        state.put("rates", rate_row(ev.seq, ev.data, entry))


define(
    Rule(RATE_SET, "rate.set", check_rates, apply_rates, data=data.RateSet),
    Rule(RATES_IMPORTED, "rate.set", check_rates, apply_rates, data=data.RatesImported),
)
