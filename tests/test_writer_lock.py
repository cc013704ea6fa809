"""SQLite writers queue on a file lock before BEGIN IMMEDIATE (skills/writer_lock.py)."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from skills import create_app
from skills.extensions import db
from skills.writer_lock import SUFFIX, QueuedConnection, attach, begin_immediate


def connect(path, busy_ms: int = 5000) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, factory=QueuedConnection, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout={busy_ms}")
    connection.execute("PRAGMA journal_mode=WAL")
    attach(connection, str(path))
    return connection


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "queue.sqlite"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    return path


def test_the_next_writer_goes_in_as_soon_as_the_first_commits(database):
    first, second = connect(database), connect(database)
    begin_immediate(first)
    first.execute("INSERT INTO t VALUES (1)")
    entered = threading.Event()

    def write() -> None:
        begin_immediate(second)
        entered.set()
        second.execute("INSERT INTO t VALUES (2)")
        second.commit()

    writer = threading.Thread(target=write)
    writer.start()
    assert not entered.wait(0.3)  # queued behind the first writer
    first.commit()
    assert entered.wait(5)
    writer.join(5)
    assert [x for (x,) in first.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    assert not first.writer_lock.held and not second.writer_lock.held


def test_a_writer_gives_up_after_the_busy_timeout_and_can_queue_again(database):
    holder, waiter = connect(database), connect(database, busy_ms=200)
    begin_immediate(holder)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        begin_immediate(waiter)
    assert 0.15 < time.monotonic() - started < 3
    assert not waiter.in_transaction and not waiter.writer_lock.held

    holder.rollback()  # lets the next writer in, as a commit does
    begin_immediate(waiter)
    waiter.execute("INSERT INTO t VALUES (3)")
    waiter.commit()
    # The helper that waited for the given-up turn has let go of the lock too.
    begin_immediate(holder)
    holder.commit()
    assert holder.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_closing_a_connection_mid_transaction_lets_the_next_writer_in(database):
    first, second = connect(database), connect(database, busy_ms=2000)
    begin_immediate(first)
    first.close()
    begin_immediate(second)
    second.commit()


def test_the_app_queues_its_sqlite_writers_beside_the_database(tmp_path):
    path = tmp_path / "app.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        connection = db.session.connection().connection.dbapi_connection
        assert isinstance(connection, QueuedConnection)
        assert connection.writer_lock.path == f"{path}{SUFFIX}"
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        assert connection.writer_lock.held
        db.session.commit()
        assert not connection.writer_lock.held
        db.session.execute(text("INSERT INTO t VALUES (2)"))
        db.session.rollback()
        assert not connection.writer_lock.held
        db.engine.dispose()
