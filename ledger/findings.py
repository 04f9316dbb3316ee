"""What `verify` reports: one finding per problem, naming the event, item, table and column.

Its own module because the checks that run in verify's second process (ledger.log.leaves)
return findings too, and that process imports as little as it can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Finding:
    check: str  # chain, head, links, rule, reference, signature, projection
    seq: int | None
    item: str | None
    message: str
    case: str | None = None
    table: str | None = None
    key: str | None = None
    column: str | None = None
    rule: str | None = None  # for a rule finding, the rule it names (ledger.rules, FORMAT.md section 5)

    def render(self) -> str:
        where = " ".join(x for x in (f"seq {self.seq}" if self.seq is not None else None, self.item) if x)
        return f"[{self.check}] {where + ': ' if where else ''}{self.message}"

    def as_dict(self) -> dict:
        return {"check": self.check, "seq": self.seq, "item": self.item, "case": self.case, "table": self.table,
                "key": self.key, "column": self.column, "rule": self.rule, "message": self.message}


class Later(NamedTuple):
    """Costly work an event check may return in place of its findings (an Ed25519 check): it
    needs nothing more of the stream, so either process may run it. `run(*args)` returns the
    findings; `run` is module-level and `args` plain data, so both travel between processes."""

    run: Callable[..., list[Finding]]
    args: tuple
