"""INSERT … ON CONFLICT DO UPDATE, written once for both databases.

SQLite and PostgreSQL spell an upsert the same way, and SQLAlchemy gives each dialect
its own `insert` that can say it. The statement is built once per dialect and then
only executed with new parameters: building one costs more than running it.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from .extensions import db


class Upsert:
    """Insert a row (or the rows of `select`) into `table`; where a row with the same
    `keys` exists, update its other `columns` instead."""

    def __init__(
        self,
        table: Table,
        keys: Sequence[str],
        columns: Sequence[str],
        select: Select | None = None,
    ) -> None:
        self.table, self.keys, self.columns, self.select = (
            table,
            tuple(keys),
            tuple(columns),
            select,
        )
        self._built: dict[str, Insert] = {}

    def statement(self, dialect: str) -> Insert:
        if dialect not in self._built:
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(self.table)
            if self.select is not None:
                insert = insert.from_select(list(self.columns), self.select)
            self._built[dialect] = insert.on_conflict_do_update(
                index_elements=list(self.keys),
                set_={c: insert.excluded[c] for c in self.columns if c not in self.keys},
            )
        return self._built[dialect]

    def __call__(self, params: dict[str, Any], session: Session | None = None) -> None:
        """Run it with `params`: the row's values, or the select's bound parameters."""
        session = session or db.session()
        session.execute(self.statement(session.get_bind().dialect.name), params)
