"""Bulk inserts for the demo: many rows in the session's transaction, skipping the ORM's
per-row work (the demo can hold hundreds of thousands of sign-offs)."""

from typing import Any

from sqlalchemy import ColumnDefault
from sqlalchemy.sql.schema import DefaultGenerator

from .extensions import Model, db
from .models.chain import CHAINED_TABLES, seal_rows

# Rows prepared per batch: big enough to be quick, small enough to keep memory flat.
BATCH = 5000


def insert_rows(model: type[Model], rows: list, fields: tuple[str, ...] | None = None) -> None:
    """Insert many rows (dicts, or tuples in the order of `fields`) in the session's
    transaction: COPY on PostgreSQL, one executemany per batch on SQLite.

    Both skip SQLAlchemy's per-row work, so Python-side column defaults are filled in
    here and each value goes through its column type's bind processing. Rows of a
    hash-chained table (models/chain.py) are sealed into its chain in one go, as live
    writes are; give those as dicts.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if table.name in CHAINED_TABLES:
        if fields is not None:
            raise TypeError(f"rows of the chained table {table.name} must be dicts")
        rows = seal_rows(connection, table, rows)
    if fields is None:
        fields = tuple(rows[0])
        rows = [tuple(row[name] for name in fields) for row in rows]
    dialect = connection.dialect
    defaults = [
        (
            column.name,
            python_default(column.default),
        )
        for column in table.columns
        if column.name not in fields and column.default is not None
    ]
    names = [*fields, *(name for name, _ in defaults)]
    extra = tuple(value for _, value in defaults)
    processors = [
        (i, processor)
        for i, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]

    def prepared(batch: list) -> list[tuple]:
        out = []
        for row in batch:
            values = [*row, *extra]
            for i, processor in processors:
                values[i] = processor(values[i])
            out.append(tuple(values))
        return out

    columns = ", ".join(names)
    if dialect.name == "postgresql":
        driver_connection = connection.connection.driver_connection
        if driver_connection is None:
            raise RuntimeError("the database connection is closed")
        cursor = driver_connection.cursor()
        # Table and column names come from our own metadata, never from input.
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"  # noqa: S608  # nosec B608
        with cursor.copy(copy_sql) as copy:
            for begin in range(0, len(rows), BATCH):
                for values in prepared(rows[begin : begin + BATCH]):
                    copy.write_row(values)
        cursor.close()
        return
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
    for begin in range(0, len(rows), BATCH):
        connection.exec_driver_sql(sql, prepared(rows[begin : begin + BATCH]))


def python_default(default: DefaultGenerator) -> Any:
    """The value a column's Python-side default (`default=`) gives a new row."""
    if not isinstance(default, ColumnDefault):
        raise TypeError(f"{default!r} is not a Python-side column default")
    return default.arg(None) if default.is_callable else default.arg
