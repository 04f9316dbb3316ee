"""The moment a write becomes final. `ledger.db` announces each commit here just before it
starts, so that the command line can tell an interrupt that arrived before it (nothing was
written) from one that arrived during or after it (everything was). Standard library only,
so that the command line listens without importing the database layer."""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[], None]] = []


def listen(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` before every commit from now on; returns the function that stops it."""
    _listeners.append(callback)
    return lambda: _listeners.remove(callback) if callback in _listeners else None


def committing() -> None:
    """A write transaction is about to commit."""
    for callback in list(_listeners):
        callback()
