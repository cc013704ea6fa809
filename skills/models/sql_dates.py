"""Date arithmetic in SQL that both databases understand."""

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class add_days(FunctionElement[Any]):  # noqa: N801 - named as the SQL function it reads as
    """`day + days` as a date (NULL when either is NULL): add_days(column, column)."""

    type = Date()
    inherit_cache = True


@compiles(add_days, "sqlite")
def _add_days_sqlite(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps dates as 'YYYY-MM-DD' text, as date() gives them back.
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({day}, '+' || {days} || ' days')"


@compiles(add_days)
def _add_days(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: date + integer is a date.
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"({day} + {days})"
