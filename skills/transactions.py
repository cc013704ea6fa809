"""How database transactions behave: SQLite write locking, durability, write-lock hints.

SQLite allows one writer at a time. A transaction that has read and then tries to
write is refused at once ("database is locked") if another connection committed since
its first read, and no busy timeout helps. So a transaction here takes the write lock
(``BEGIN IMMEDIATE``, which waits its turn on the busy timeout) before its first write,
and never upgrades from a read. This follows SQLAlchemy's pysqlite recipe (the sqlite3
module's own BEGIN handling is switched off on connect; we emit BEGIN ourselves, so
SAVEPOINT and transactional DDL work) with one choice of our own: the BEGIN IMMEDIATE is
emitted at the first write, SAVEPOINT or `lock_for_write()`, not when SQLAlchemy starts
its transaction. Reads before that run outside a transaction, as with the sqlite3 module's
default, so page views never queue behind writers and an idle session never holds the
lock. We did not make every transaction IMMEDIATE: a session that stays open after
reading (a long report, a test holding objects) would then block every writer. The cost
is that reads before the first write see each latest commit rather than one snapshot, so
a service that checks something and then writes because of it calls `lock_for_write()`
first; from there on its reads and writes are serialised with every other writer.
PostgreSQL keeps its own transactions; `lock_for_write()` takes a row lock there.

Durability on power loss is set by ``SQLITE_SYNCHRONOUS`` (config or environment,
default ``FULL``). With WAL, ``FULL`` syncs the log at every commit, so a committed
sign-off survives a power cut; ``NORMAL`` is faster and never corrupts the database, but
the last transactions before a power cut may be lost. A killed process (crash, SIGKILL,
out of memory) loses no committed transaction at either level.

Writers of this app queue for the SQLite write lock on a file lock (`writer_lock`), which
hands it on the moment it is free instead of after SQLite's sleeps of up to 100 ms.
"""

import os
import re
import sqlite3
from functools import partial
from typing import TypeVar

from flask import Flask
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExecutionContext
from sqlalchemy.orm import Session, SessionTransaction, make_transient, make_transient_to_detached
from sqlalchemy.pool import ConnectionPoolEntry

from . import writer_lock
from .config import ConfigError
from .extensions import db

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
# Statements that may run outside a transaction; anything else takes the write lock first.
_READ = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN|VALUES|BEGIN|COMMIT|END|ROLLBACK)\b", re.I)

T = TypeVar("T")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    # WAL lets readers and one writer work at once; the busy timeout waits out a
    # writer instead of failing (set first: switching to WAL needs the lock once);
    # SQLite leaves foreign keys off unless asked.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # we emit BEGIN; see the module docstring
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        database_path = cursor.execute("PRAGMA database_list").fetchone()[2]
        cursor.close()
        writer_lock.attach(dbapi_connection, database_path)


def _manages_sqlite_transactions(conn: Connection) -> sqlite3.Connection | None:
    """The sqlite3 connection under `conn` if we emit its BEGINs, else None."""
    if conn.dialect.name != "sqlite":
        return None
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return None
    dbapi_connection = conn.connection.dbapi_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return None
    if dbapi_connection.isolation_level is not None:
        return None  # the sqlite3 module manages transactions on this connection itself
    return dbapi_connection


def _begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    if not dbapi_connection.in_transaction:
        writer_lock.begin_immediate(dbapi_connection)


def engine_options(database_uri: str) -> dict:
    """Engine options for the app's database: SQLite connections that queue writers."""
    if database_uri.startswith("sqlite"):
        return {"connect_args": {"factory": writer_lock.QueuedConnection}}
    return {}


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_begin_before_write(
    conn: Connection,
    cursor: DBAPICursor,
    statement: str,
    parameters: object,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    if _READ.match(statement):
        return
    dbapi_connection = _manages_sqlite_transactions(conn)
    if dbapi_connection is not None:
        _begin_immediate(dbapi_connection)


def _set_synchronous(
    level: str, dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA synchronous={level}")


def init_app(app: Flask) -> None:
    """Apply the configured SQLite durability level to this app's engines."""
    configured = app.config.get("SQLITE_SYNCHRONOUS") or os.environ.get(
        "SQLITE_SYNCHRONOUS", "FULL"
    )
    level = str(configured).upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ConfigError(
            f"SQLITE_SYNCHRONOUS is {configured!r}; use one of "
            f"{', '.join(SYNCHRONOUS_LEVELS)} (FULL is recommended in production)."
        )
    app.config["SQLITE_SYNCHRONOUS"] = level
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", partial(_set_synchronous, level))


def begin_write(conn: Connection) -> None:
    """On SQLite, take the write lock now (as the first write would); elsewhere nothing."""
    dbapi_connection = _manages_sqlite_transactions(conn)
    if dbapi_connection is not None:
        _begin_immediate(dbapi_connection)


def lock_for_write(entity: type[T], ident: object, session: Session | None = None) -> T | None:
    """Serialise writers that depend on one row, and reload it as committed.

    Call before the checks a write depends on. SQLite takes its database-wide write lock;
    PostgreSQL locks the row (FOR NO KEY UPDATE, so inserts that only reference it are
    not blocked). The lock lasts until the transaction ends.
    """
    session = session or db.session()
    begin_write(session.connection())
    # OF names the row's own table: PostgreSQL refuses to lock the outer side of the
    # joins that eager-loaded relationships add.
    lock = {"key_share": True, "of": entity}
    return session.get(entity, ident, with_for_update=lock, populate_existing=True)


def lock_all_for_write(entity: type[T], idents: list[int], session: Session | None = None) -> None:
    """`lock_for_write` each row, in id order, before a transaction that writes for all
    of them writes anything. Every chained insert takes the one chain lock until commit
    (models/chain.py); a group that queued for its second row only after writing for its
    first would hold the chain lock while a single writer holding that row waited for it:
    a deadlock on PostgreSQL."""
    for ident in sorted(set(idents)):
        lock_for_write(entity, ident, session)


# Objects whose rows a Core statement inserted, with the (sub)transaction that did it.
_INSERTED = "core_inserted"


def attach_inserted(obj: T, session: Session | None = None) -> T:
    """`obj`, built with the values of a row a Core statement has just inserted, made a
    persistent object of the session as if it had been loaded: nothing is read back.

    As with an object the session inserts itself, a rollback of the transaction (or
    savepoint) that inserted it takes it out of the session again, transient, its
    values kept: it never stands for a row that is not there."""
    session = session or db.session()
    state = inspect(obj)
    row = {a.key: state.dict[a.key] for a in state.mapper.column_attrs if a.key in state.dict}
    make_transient_to_detached(obj)
    session.add(obj)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((obj, row, transaction))
    return obj


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    inserted = session.info.get(_INSERTED)
    if not inserted:
        return
    kept = []
    for obj, row, transaction in inserted:
        if not _inside(transaction, previous_transaction):
            kept.append((obj, row, transaction))
            continue
        if obj in session:
            session.expunge(obj)
        make_transient(obj)
        for name, value in row.items():  # the rollback expired them
            setattr(obj, name, value)
    session.info[_INSERTED] = kept


@event.listens_for(Session, "after_commit")
def _inserted_for_good(session: Session) -> None:
    session.info.pop(_INSERTED, None)
