"""A queue for SQLite writers: an OS file lock taken before ``BEGIN IMMEDIATE``.

SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, 10 … up to 100 ms
between tries, so with several app processes writing the lock often stands free while
every writer sleeps: 8 writers saw waits of over a second. Writers of this app first
take an exclusive `flock` on a file beside the database. The kernel wakes the next
waiter the moment the lock is released, so the SQLite lock is then free at once.

The wait is bounded by the connection's busy timeout, as SQLite's own is; a writer that
gives up raises the same "database is locked" error. Programs that do not take this
lock (the sqlite3 shell, a backup) still meet the SQLite lock itself and its busy
timeout, so they stay safe, merely unqueued. Where `fcntl` does not exist (Windows)
writers fall back to SQLite's busy handler.
"""

import os
import sqlite3
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - not on the Linux machines we run on
    # mypy types the name as the module; None marks that this platform has none.
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".writer-lock"


class WriterLock:
    """One connection's handle on the writers' lock file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def acquire(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the lock; raise sqlite3.OperationalError then."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait(timeout)
        self.held = True

    def _wait(self, timeout: float) -> None:
        # Waiting in the kernel (not polling) wakes this writer as soon as the lock is
        # free. A helper thread waits, so that the wait can end at the timeout.
        fd, got_it, lock = self.fd, threading.Event(), threading.Lock()
        state = {"abandoned": False}

        def wait() -> None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with lock:
                if not state["abandoned"]:
                    got_it.set()
                    return
            fcntl.flock(fd, fcntl.LOCK_UN)  # nobody wants it any more
            os.close(fd)

        threading.Thread(target=wait, daemon=True, name="sqlite-writer-lock").start()
        if got_it.wait(timeout):
            return
        with lock:
            if got_it.is_set():
                return
            state["abandoned"] = True
        # The helper keeps the old descriptor; later transactions use a fresh one.
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        raise sqlite3.OperationalError("database is locked (waited for other writers)")

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        os.close(self.fd)


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that lets the next writer in when its transaction ends."""

    writer_lock: WriterLock | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_next_writer_in()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_next_writer_in()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.writer_lock is not None:
                self.writer_lock.close()
                self.writer_lock = None

    def _let_next_writer_in(self) -> None:
        if self.writer_lock is not None and not self.in_transaction:
            self.writer_lock.release()


def attach(connection: sqlite3.Connection, database_path: str) -> None:
    """Give a new connection to a database file its handle on the writers' lock."""
    if fcntl is not None and database_path and isinstance(connection, QueuedConnection):
        connection.writer_lock = WriterLock(database_path + SUFFIX)


def begin_immediate(connection: sqlite3.Connection) -> None:
    """Queue for the writers' lock (when the connection has one), then BEGIN IMMEDIATE."""
    lock = getattr(connection, "writer_lock", None)
    if lock is not None and not lock.held:
        (timeout_ms,) = connection.execute("PRAGMA busy_timeout").fetchone()
        lock.acquire(timeout_ms / 1000)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except BaseException:
        if lock is not None:
            lock.release()
        raise
