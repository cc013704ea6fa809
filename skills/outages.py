"""When the database fails: limits that make a stuck database fail fast, and what failed.

PostgreSQL connections get the limits in `config.DATABASE_LIMITS` (set from the
environment; 0 turns one off):

- the connect timeout: libpq gives up on a server that does not finish connecting;
- the statement and lock timeouts: the server cancels a statement that runs, or waits
  for a lock, too long;
- the idle-in-transaction timeout: the server ends a session that holds a transaction
  open and does nothing (a stuck worker holding locks).

The server enforces the last three only while it is alive and reachable. A server that
stops answering (a network cut, a frozen host, a proxy that swallows packets) sends
nothing back, not even the cancel, and libpq would wait for ever. So each statement,
commit and rollback also has a deadline in the app: the statement timeout plus
`GRACE`. A watchdog thread shuts the socket of a connection still waiting past it,
which ends libpq's wait with an error at once; SQLAlchemy then discards the connection.
Pooled connections are checked before each use (`pool_pre_ping`), and one that fails
the check in any way is replaced, so the app recovers by itself when the database comes
back.

`classify` says what a database error means for the person waiting: the database is
unavailable for now (try again), or its disk is full (nothing can be saved until an
admin makes room). Anything else is a bug and stays a 500. `check_ready` is the
readiness check behind /health/ready; it writes nothing.
"""

import logging
import math
import os
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal, Self

import psycopg
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Dialect, Engine, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry

from .extensions import db

_log = logging.getLogger(__name__)

# How long past the statement timeout the app waits before it gives up on the server
# itself: enough for the server's own cancel to arrive first whenever it can.
GRACE = 2.0
# How often the watchdog looks for connections past their deadline.
CHECK_INTERVAL = 0.25

# Exceptions that may mean an outage: `classify` decides.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeout,
    sqlite3.Error,
    psycopg.Error,
)
# SQLite result codes (primary) that mean "not now" rather than a bug.
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_IOERR,
}


@dataclass(frozen=True)
class Outage:
    """Why the database cannot be used now. `reason` is for the log, never for pages."""

    kind: Literal["unavailable", "disk_full"]
    reason: str


def engine_options(database_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """PostgreSQL engine options that make a stuck or unreachable database fail fast."""
    url = make_url(database_uri)
    if url.get_backend_name() != "postgresql":
        return {}
    connect_args: dict[str, Any] = {}
    connect_timeout = config["DATABASE_CONNECT_TIMEOUT"]
    if connect_timeout and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = max(2, math.ceil(connect_timeout))  # libpq: whole s, 2+
    settings = [
        f"-c {name}={max(1, round(seconds * 1000))}"  # in ms; 0 would mean "none"
        for name, seconds in (
            ("statement_timeout", config["DATABASE_STATEMENT_TIMEOUT"]),
            ("lock_timeout", config["DATABASE_LOCK_TIMEOUT"]),
            ("idle_in_transaction_session_timeout", config["DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"]),
        )
        if seconds
    ]
    if settings:
        # connect_args replace the URL's own `options`: keep them, last, so that they win.
        own = url.query.get("options", ())
        connect_args["options"] = " ".join([*settings, *([own] if isinstance(own, str) else own)])
    return {
        "connect_args": connect_args,
        "pool_pre_ping": True,
        # A worker waits for a free pooled connection no longer than for a statement.
        "pool_timeout": config["DATABASE_STATEMENT_TIMEOUT"] or 30,
    }


def init_app(app: Flask) -> None:
    """Give this app's PostgreSQL connections their deadline (statement timeout + GRACE),
    and treat any failure of the check before a pooled connection's use as a lost
    connection (the pool then connects afresh)."""
    statement_timeout = app.config["DATABASE_STATEMENT_TIMEOUT"]
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.driver != "psycopg":
                continue
            event.listen(engine, "handle_error", _failed_check_is_a_lost_connection)
            if statement_timeout:
                event.listen(engine, "do_connect", partial(_connect, statement_timeout + GRACE))


def _failed_check_is_a_lost_connection(context: ExceptionContext) -> None:
    # SQLAlchemy's psycopg check turns autocommit on, sends a query, and turns it off
    # again in a `finally`. When the connection drops mid-check, that last step fails
    # with "can't change 'autocommit' now" (a ProgrammingError) in place of the lost
    # connection, and the request failed with a 500 instead of connecting again (or
    # answering 503). A connection that cannot answer the check is not worth keeping;
    # an error SQLAlchemy did not itself take for a lost connection is logged.
    # (tests/test_database_outage.py pins that SQLAlchemy heeds `is_disconnect` here.)
    if not context.is_pre_ping or context.is_disconnect:
        return
    _log.warning(
        "A pooled database connection failed its check and is replaced: %s",
        _one_line(context.original_exception),
    )
    context.is_disconnect = True


class _Watchdog:
    """Shuts the socket of a connection that is still waiting for the server past its
    deadline. One thread per process, started at first use."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # gunicorn forks its workers

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[float, int]] = {}  # id(connection): deadline, socket
        self._expired: set[int] = set()
        self._started = False

    @contextmanager
    def deadline(self, connection: psycopg.Connection[Any], seconds: float) -> Iterator[None]:
        """Run the body (one exchange with the server) within `seconds`, or fail."""
        if not seconds:
            yield
            return
        key, fd = id(connection), connection.fileno()
        with self._lock:
            if not self._started:
                threading.Thread(target=self._run, daemon=True, name="db-deadlines").start()
                self._started = True
            self._waiting[key] = (time.monotonic() + seconds, fd)
        try:
            yield
        except psycopg.OperationalError as exc:
            if key in self._expired:
                raise psycopg.OperationalError(
                    f"the database server did not answer within {seconds:g} s"
                ) from exc
            raise
        finally:
            with self._lock:
                self._waiting.pop(key, None)
                self._expired.discard(key)

    def _run(self) -> None:
        while True:
            time.sleep(CHECK_INTERVAL)
            now = time.monotonic()
            # Under the lock, a connection in `_waiting` is inside its exchange, so its
            # socket is still open: the descriptor cannot belong to anything else.
            with self._lock:
                for key, (deadline, fd) in self._waiting.items():
                    if deadline <= now and key not in self._expired:
                        self._expired.add(key)
                        _shut_down(fd)


def _shut_down(fd: int) -> None:
    # Shutting down a duplicate of the descriptor ends the connection for every holder;
    # libpq's poll wakes and reports the connection closed.
    with suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


class _Cursor(psycopg.Cursor[Any]):
    # Arguments pass through unchanged: these only add the deadline.
    def execute(self, *args: Any, **kwargs: Any) -> Self:
        with _watchdog.deadline(self.connection, _deadline_of(self.connection)):
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> None:
        with _watchdog.deadline(self.connection, _deadline_of(self.connection)):
            super().executemany(*args, **kwargs)


class _Connection(psycopg.Connection[Any]):
    deadline = 0.0  # seconds; set per connection by _connect

    def commit(self) -> None:
        with _watchdog.deadline(self, self.deadline):
            super().commit()

    def rollback(self) -> None:
        with _watchdog.deadline(self, self.deadline):
            super().rollback()


def _deadline_of(connection: psycopg.Connection[Any]) -> float:
    return connection.deadline if isinstance(connection, _Connection) else 0.0


def _connect(
    deadline: float,
    dialect: Dialect,
    connection_record: ConnectionPoolEntry,
    cargs: tuple[Any, ...],
    cparams: dict[str, Any],
) -> _Connection:
    connection = _Connection.connect(*cargs, **{"cursor_factory": _Cursor, **cparams})
    connection.deadline = deadline
    return connection


def classify(exc: BaseException) -> Outage | None:
    """What a database error means for the person waiting, or None if it is a bug."""
    if isinstance(exc, PoolTimeout):
        return Outage("unavailable", _one_line(exc))
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    reason = _one_line(cause)
    if isinstance(cause, sqlite3.Error):
        code = (getattr(cause, "sqlite_errorcode", None) or 0) & 0xFF  # primary code
        if code == sqlite3.SQLITE_FULL:
            return Outage("disk_full", reason)
        # The writers' queue (writer_lock) raises "database is locked" with no code.
        if code in _SQLITE_UNAVAILABLE or reason.startswith("database is locked"):
            return Outage("unavailable", reason)
        return None
    if isinstance(cause, psycopg.errors.DiskFull):
        return Outage("disk_full", reason)
    # OperationalError covers lost connections, timeouts, a server shutting down,
    # too many connections, deadlocks: all worth trying again.
    if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return Outage("unavailable", reason)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Outage("unavailable", reason)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def sqlite_path(engine: Engine) -> Path | None:
    """The SQLite database file of `engine`, or None (PostgreSQL, in-memory)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(str(engine.url.database)).resolve()


def describe(outage: Outage, engine: Engine) -> str:
    """One log line: what failed, where, and the driver's reason."""
    path, url = sqlite_path(engine), engine.url
    server = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
    where = f"SQLite at {path}" if path else f"PostgreSQL at {server}"
    if outage.kind == "disk_full":
        if path:
            return f"SQLite database disk is full at {path}: {outage.reason}"
        return f"Database disk is full ({where}): {outage.reason}"
    return f"Database unavailable ({where}): {outage.reason}"


def check_ready(engine: Engine, min_free_mb: float) -> Outage | None:
    """Why this app cannot serve now, or None: the database answers, and on SQLite the
    disk holding it has `min_free_mb` free. Writes nothing."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DATABASE_ERRORS as exc:
        outage = classify(exc)
        if outage is None:
            raise
        return outage
    path = sqlite_path(engine)
    if path is not None:
        free = shutil.disk_usage(path.parent).free
        if free < min_free_mb * 1024 * 1024:
            return Outage("disk_full", f"{free // 1024} KB free in {path.parent}")
    return None
