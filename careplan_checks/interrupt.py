"""Ctrl-C and SIGTERM as outcomes of their own: exit 130 and 143, recorded as "interrupted".

A scheduler stops a job with SIGTERM; a person with Ctrl-C. Neither may look like
"exceptions found" (1) or "bad input" (2), and either must stop a long DuckDB
query at once, not when it ends.

A Python signal handler runs only when the main thread is back in Python, which a
long query may not be for minutes. So a small thread, woken through
``signal.set_wakeup_fd`` the moment a signal arrives, notes which signal came
first and interrupts the connections the pipeline registered (``watch``); the
query then fails with DuckDB's interrupted-query error, and while the main thread
runs Python the handlers raise ``KeyboardInterrupt`` or ``Interrupted`` as usual.
``as_interrupted`` turns whichever exception that produced into ``Interrupted``
with the right exit status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

import duckdb


class Interrupted(BaseException):
    """The run was stopped by a signal; ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal.Signals(signum).name)


_received: int | None = None


def received() -> int | None:
    """The signal that stopped the current run, if one did."""
    return _received


def _note(signum: int) -> None:
    global _received
    if _received is None:
        _received = signum


_connections: list[duckdb.DuckDBPyConnection] = []


def watch(con: duckdb.DuckDBPyConnection) -> None:
    """Interrupt this connection's running query when a signal arrives (until ``handled`` ends)."""
    _connections.append(con)


def _on_term(signum: int, _frame: object) -> None:
    _note(signum)
    raise Interrupted(signum)


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 16)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum in (signal.SIGINT, signal.SIGTERM):
                _note(signum)
                for con in list(_connections):
                    with contextlib.suppress(Exception):  # a closed connection has nothing to stop
                        con.interrupt()


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM stop the work (``KeyboardInterrupt``, ``Interrupted`` or
    DuckDB's interrupted-query error) and ``received()`` says which came first. Main thread only."""
    global _received
    _received = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous_term = signal.signal(signal.SIGTERM, _on_term)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(read_fd,), daemon=True, name="careplan-signals")
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
        os.close(write_fd)
        watcher.join(timeout=1)
        os.close(read_fd)
        _connections.clear()


def as_interrupted(e: BaseException) -> Interrupted | None:
    """The ``Interrupted`` an exception stands for: itself, Ctrl-C, or DuckDB's error for a signal."""
    if isinstance(e, Interrupted):
        return e
    stopped = (isinstance(e, KeyboardInterrupt | duckdb.InterruptException)
               or (isinstance(e, RuntimeError) and str(e).startswith("Query interrupted")))
    if stopped or _received is not None:
        return Interrupted(_received or signal.SIGINT)
    return None
