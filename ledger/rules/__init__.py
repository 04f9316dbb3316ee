"""The rulebook: every event type of the ledger defined once — its act and who may do it,
what must hold before it, what it changes — in one package that imports only the standard
library. Commands decide through it, the replay builds the tables through it, `verify` and
`db rebuild` fold it over the log, and every bundle's checker is built from it.

    state = State()
    for ev in events:
        problems = step(state, ev)

One module per family: identity, cases, items, custody, money, operations, disclosure. docs/FORMAT.md
section 5 states the same rules for auditors who re-implement them.
"""

from ledger.rules import cases, custody, disclosure, identity, items, money, operations  # noqa: F401  (they define the rules)
from ledger.rules.book import (
    ACT_WORDS,
    MAY_HOLD,
    PERMISSIONS,
    RECORDS_ANY_HANDOVER,
    ROLES,
    RULES,
    Event,
    Problem,
    Rule,
    step,
)
from ledger.rules.state import State

__all__ = ["ACT_WORDS", "MAY_HOLD", "PERMISSIONS", "RECORDS_ANY_HANDOVER", "ROLES", "RULES", "Event", "Problem",
           "Rule", "State", "step"]
