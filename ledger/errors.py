"""Errors the ledger raises, each carrying the exit code promised in CLI.md.

The ledger never prints; the one bridge in `ledger.cli` turns these into a message on
stderr and the exit code. Messages are full sentences: what is wrong, then how to fix it.
"""

from __future__ import annotations


class LedgerError(Exception):
    """A foreseeable refusal. `exit_code` is what the command exits with."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = list(details or [])

    def render(self) -> str:
        lines = [self.message]
        lines.extend(f"  {d}" for d in self.details)
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class InputError(LedgerError):
    """A value given on the command line or in a file is malformed or out of range."""


class NotFound(LedgerError):
    """A reference (case, seizure, item, officer, location) does not exist."""


class RuleError(LedgerError):
    """The input is well formed but a rule of the ledger forbids the act."""


class VerificationFailed(LedgerError):
    """`verify` found problems; the findings are in `details`."""

    exit_code = 3


class EnvironmentProblem(LedgerError):
    """The database is unreachable, locked past the timeout, or its schema is not current."""

    exit_code = 4
