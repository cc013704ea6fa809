"""One page of a long list, read in one query."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select

from ..extensions import db

T = TypeVar("T")


@dataclass
class Slice(Generic[T]):
    """Page `number` (from 1) of a list, and whether another page follows."""

    items: list[T]
    number: int
    has_next: bool


def fetch_page(query: Select[Any], number: int, per_page: int) -> Slice[Any]:
    """Page `number` of `query`; one row more than needed is read to know if more follow."""
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((number - 1) * per_page)))
    return Slice(rows[:per_page], number, len(rows) > per_page)
