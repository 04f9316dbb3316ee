"""Ctrl-C tells what happened. Before a write commits, an interrupt stops the command and
nothing is in the ledger (exit 130). Once a commit has begun it can no longer be undone, so an
interrupt is held back: the command completes, prints its normal output and exits 0, and an
officer never believes that an import which was committed failed (and imports it twice)."""

from __future__ import annotations

import signal

from ledger import commits

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


def _own_process() -> bool:
    """True when the command runs as its own process (stdout is a real file), not inside a test
    runner that goes on to run other commands and keeps its own Ctrl-C."""
    import sys

    try:
        sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    return True


class Interrupts:
    """For one command: SIGINT raises KeyboardInterrupt until the first commit begins, and is
    only noted (`held`) from then on."""

    def __init__(self) -> None:
        self.committed = False
        self.held = False
        self._previous = None
        self._stop = None

    def __enter__(self) -> Interrupts:
        try:
            self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        except ValueError:  # not the main thread (an embedding program): its own handling stands
            self._previous = None
        self._stop = commits.listen(self._on_commit)
        return self

    def __exit__(self, *_exc) -> None:
        if self._stop is not None:
            self._stop()
        if self._previous is None:
            return
        if self.committed and _own_process():
            # The command has committed and reported. A Ctrl-C from here to the process's end
            # (closing connections, joining the import's helper, the interpreter's own shutdown,
            # which resets the handler) must not kill it and turn exit 0 into a failure: blocked,
            # it stays pending until the process is gone.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, self._previous)

    def _on_commit(self) -> None:
        self.committed = True

    def _on_interrupt(self, _signum, _frame) -> None:
        if self.committed:
            self.held = True
            return
        raise KeyboardInterrupt
