"""Bulk inserts for the demo: many rows in the session's transaction, skipping the ORM's
per-row work (the demo can hold hundreds of thousands of sign-offs)."""

import multiprocessing
import os
import pickle  # nosec B403 - only between this process and its own fork
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from datetime import date
from multiprocessing.connection import Connection as PipeEnd
from multiprocessing.process import BaseProcess
from operator import itemgetter
from typing import Any

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import ColumnDefault, Table, literal, select, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.schema import DefaultGenerator

from .extensions import Model, db
from .models.chain import CHAINED_TABLES, reserve, seal_batch
from .models.totals import VERSIONS, version_bump, version_trigger
from .timeutil import one_instant

# Rows prepared per batch: big enough to be quick, small enough to keep memory flat.
BATCH = 5000
# A chained load of this many rows or more is sealed and prepared by a forked copy of
# this process while this one writes: each half takes about as long as the other (the
# demo's sign-off events; a small load is not worth a process).
FORK_FROM = 20 * BATCH


def insert_rows(model: type[Model], rows: list, fields: tuple[str, ...] | None = None) -> list[int]:
    """Insert many rows (dicts, or tuples in the order of `fields`) in the session's
    transaction: COPY on PostgreSQL, executemany on SQLite, one batch at a time.

    Both skip SQLAlchemy's per-row work, so Python-side column defaults are filled in
    here and each value goes through its column type's bind processing. Rows of a
    hash-chained table (models/chain.py) are sealed into its chain, as live writes
    are.

    Rows are sealed and prepared a batch at a time, so only one batch of them is held
    twice over (a state-wide demo has millions of sign-off events): give millions as
    tuples, which take a fraction of a dict's memory. From `FORK_FROM` chained rows a
    second process seals and prepares the batches while this one writes them.

    Returns the ids a hash-chained table's rows were given, in the order of `rows`
    (none for other tables: the database numbers those).
    """
    if not rows:
        return []
    table = model.__table__
    connection = db.session.connection()
    chained = table.name in CHAINED_TABLES
    given = fields
    ids: list[int] = []
    if chained:
        if "id" in (given or rows[0]):
            raise ValueError(f"rows of {table.name} take the ids their chain reserves")
        head, ids = reserve(connection, table, len(rows))
        fields = tuple(column.name for column in table.columns)
    elif fields is None:
        fields = tuple(rows[0])
        rows = [tuple(row[name] for name in fields) for row in rows]
    names, prepare = _preparer(table, fields, connection.dialect)
    in_order = itemgetter(*fields)

    def batches() -> Generator[list[tuple], None, None]:
        nonlocal head
        for begin in range(0, len(rows), BATCH):
            batch = rows[begin : begin + BATCH]
            if chained:
                if given is not None:  # sealing reads each row by column name
                    batch = [dict(zip(given, row, strict=True)) for row in batch]
                sealed, head = seal_batch(table, batch, ids[begin : begin + BATCH], head)
                batch = [in_order(row) for row in sealed]
            yield prepare(batch)

    work = batches()
    if chained and len(rows) >= FORK_FROM and _can_fork():
        work = _made_by_a_child(work)
    # Closed at once when writing fails, so a forked process is not left waiting.
    with closing(work):
        _write(connection, table, names, work)
    return ids


def _can_fork() -> bool:
    # Linux only: macOS's system libraries are not safe to fork (Python starts processes
    # there by spawning them), and Windows cannot fork. Elsewhere the load is serial.
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


def _made_by_a_child(batches: Iterator[list[tuple]]) -> Generator[list[tuple], None, None]:
    """`batches`, made by a forked copy of this process (which needs no database: the
    ids and the chain's head are reserved) and sent back through a pipe, so that the
    next batch is made while this process writes the last. Started now, before a COPY
    starts its writer thread: a process is forked with no other thread running."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    # Output still buffered would be written twice: by this process, and by the copy.
    sys.stdout.flush()
    sys.stderr.flush()
    child = context.Process(
        target=_send_all, args=(batches, sending, receiving), name="demo-bulk-prepare", daemon=True
    )
    child.start()
    sending.close()
    return _received(child, receiving)


def _send_all(batches: Iterator[list[tuple]], sending: PipeEnd, receiving: PipeEnd) -> None:
    """In the child: every batch, then None; or the error that stopped it."""
    # The copy of the reading end: were it open, a parent that stops reading would
    # leave this process waiting to send, not told that nobody reads.
    receiving.close()
    try:
        try:
            for batch in batches:
                sending.send(batch)
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent stopped reading: its own error tells the story
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            sending.send(_pickled(exc))
            return
        sending.send(None)
    except (BrokenPipeError, ConnectionResetError):
        return
    finally:
        sending.close()


def _pickled(exc: Exception) -> Exception:
    """`exc`, or a RuntimeError with its text where it cannot cross the pipe."""
    try:
        pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - any failure to pickle
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _received(child: BaseProcess, receiving: PipeEnd) -> Generator[list[tuple], None, None]:
    try:
        while True:
            try:
                batch = receiving.recv()
            except EOFError:
                raise RuntimeError(
                    f"the process preparing the rows ended early (exit code {child.exitcode})"
                ) from None
            if batch is None:
                return
            if isinstance(batch, Exception):
                raise batch
            yield batch
    finally:
        receiving.close()
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
            child.join()


def _preparer(
    table: Table, fields: tuple[str, ...], dialect: Dialect
) -> tuple[list[str], Callable[[list], list[tuple]]]:
    """The columns to insert (`fields`, then those with a Python-side default) and a
    function turning rows of `fields` into rows of bound values for them."""
    defaults = [
        (column.name, python_default(column.default))
        for column in table.columns
        if column.name not in fields and column.default is not None
    ]
    names = [*fields, *(name for name, _ in defaults)]
    extra = tuple(value for _, value in defaults)
    processors = [
        (i, _memoised(processor))
        for i, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]

    def prepare(batch: list) -> list[tuple]:
        out = []
        for row in batch:
            values = [*row, *extra]
            for i, processor in processors:
                values[i] = processor(values[i])
            out.append(tuple(values))
        return out

    return names, prepare


def _memoised(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`processor`, remembering what it gave for dates, naive and UTC times: the demo's
    millions of sign-offs share some thousands of them. Not for times in other zones:
    where clocks go back, the two 1:30 a.m. compare equal but are an hour apart."""
    seen: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        if not isinstance(value, date) or not one_instant(value):
            return processor(value)
        bound = seen.get(value)
        if bound is None:
            if len(seen) >= 1 << 16:
                seen.clear()
            bound = seen[value] = processor(value)
        return bound

    return process


def _write(
    connection: Connection, table: Table, names: list[str], batches: Iterator[list[tuple]]
) -> None:
    """Write batches of prepared rows of `names`: one COPY on PostgreSQL, an
    executemany per batch on SQLite."""
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        driver_connection = connection.connection.driver_connection
        if driver_connection is None:
            raise RuntimeError("the database connection is closed")
        # Table and column names come from our own metadata, never from input.
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"  # noqa: S608  # nosec B608
        with (
            driver_connection.cursor() as cursor,
            # Sends on a worker thread while this one formats the next rows.
            cursor.copy(copy_sql, writer=QueuedLibpqWriter(cursor)) as copy,
        ):
            for batch in batches:
                for values in batch:
                    copy.write_row(values)
        return
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
    for batch in batches:
        connection.exec_driver_sql(sql, batch)


@contextmanager
def built_after(model: type[Model]) -> Iterator[None]:
    """Load the table within the block with its secondary indexes (and, on PostgreSQL,
    its foreign keys) out of the way, then build each index once and check each foreign
    key once, from the database's own definitions: sorting and joining all rows at the
    end costs a fraction of doing it row by row (PostgreSQL's "Populating a Database").

    On SQLite, whose triggers run once per row, the triggers that bump a cache version
    on insert are set aside too, and each version is bumped once at the end.

    Only when the table starts empty (rebuilding what is there could cost more). The
    session's transaction covers it all, and the table is locked meanwhile: for loading
    demo data, not for a live program's tables.
    """
    table = model.__table__
    connection = db.session.connection()
    if connection.execute(select(literal(1)).select_from(table).limit(1)).first():
        yield
        return
    dialect = connection.dialect.name
    # (kind, name, definition) of what is set aside; the triggers' versions by name.
    schema, foreign_keys = _set_aside(connection, table.name)
    bumps = {version_trigger(name, table.name, "INSERT"): name for name in VERSIONS}
    try:
        with db.session.begin_nested():
            # The session opens the savepoint when asked for its connection.
            savepoint = db.session.connection()
            # Names and definitions come from the database's catalog, never from input.
            for name, _ in foreign_keys:
                savepoint.execute(text(f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{name}"'))
            for kind, name, _ in schema:
                savepoint.execute(text(f'DROP {kind} "{name}"'))
    except DBAPIError:
        # A role that may write rows but not change the schema (the app's restricted
        # PostgreSQL role, docs/deployment.md): load row by row, as live writes do.
        yield
        return
    yield
    for kind, name, definition in schema:
        connection.execute(text(definition))
        if kind == "TRIGGER":
            connection.execute(text(version_bump(bumps[name], dialect)))
    for name, definition in foreign_keys:
        connection.execute(text(f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{name}" {definition}'))
    if dialect == "postgresql":
        # Building an index tells the planner the table's new size but not what is in
        # it, and its guesses then go badly wrong for the demo's later queries.
        connection.execute(text(f'ANALYZE "{table.name}"'))


def _set_aside(
    connection: Connection, table: str
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """What `built_after` sets aside while `table` loads: its secondary indexes and,
    on SQLite, its version triggers on insert, as (kind, name, definition); and its
    foreign keys (PostgreSQL) as (name, definition)."""
    if connection.dialect.name == "postgresql":
        # Not the indexes behind a primary key or unique constraint: those stay.
        indexes = connection.execute(
            text(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = CAST(:table AS regclass) AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
            ),
            {"table": table},
        ).all()
        foreign_keys = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'"
            ),
            {"table": table},
        ).all()
        return [("INDEX", name, sql) for name, sql in indexes], [(n, d) for n, d in foreign_keys]
    # Automatic indexes (primary key, unique) have no SQL and stay. SQLite cannot drop a
    # foreign key; it checks each by primary key, cheaply.
    bumps = {version_trigger(name, table, "INSERT") for name in VERSIONS}
    rows = connection.execute(
        text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :table"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ),
        {"table": table},
    ).all()
    return [(k.upper(), n, sql) for k, n, sql in rows if k == "index" or n in bumps], []


def python_default(default: DefaultGenerator) -> Any:
    """The value a column's Python-side default (`default=`) gives a new row."""
    if not isinstance(default, ColumnDefault):
        raise TypeError(f"{default!r} is not a Python-side column default")
    return default.arg(None) if default.is_callable else default.arg
