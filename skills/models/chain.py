"""A hash chain over sign-off events and audit events, so a changed, removed or added
row shows even when the append-only triggers were bypassed.

Each chained row stores the id of the row it follows (`chain_prev_id`) and `chain_hash`:
the SHA-256 of that row's hash and a canonical encoding of every other column of this
row. The encoding is built from the table's columns, so a column added later is covered
with no change here; NULLs are left out, so adding a nullable column keeps the hashes of
older rows valid (a migration that fills a new column in old rows must reseal them).

Writers are serialised so the chain stays one line with several app servers: PostgreSQL
takes one transaction-scoped advisory lock shared by both chains (one lock, so two
transactions writing both tables in opposite orders cannot deadlock), SQLite its write
lock. Each insert then reads the chain's head: one small query by primary key.

The chain carries no secret: whoever can write the table can recompute every later hash.
It shows tampering up to the last head kept elsewhere (`flask check` prints the heads; a
backup's manifest hashes every row).
"""

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, String, Table, event, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, object_session

from ..extensions import db
from ..timeutil import one_instant
from ..transactions import begin_write

CHAINED_TABLES = ("signoff_events", "audit_events")
# Any fixed number: the key of the advisory lock both chains share.
_LOCK_KEY = 0x5C411C4A
_PENDING = "chain_pending"
MAX_REPORTED = 20  # problems listed per table; the rest are counted


class Chained:
    """Columns of a chained table (mixed into its model)."""

    chain_prev_id: Mapped[int | None] = mapped_column(Integer)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


def canonical(value: Any) -> Any:
    """`value` as JSON can hold it, the same whichever database it was read from."""
    kind = type(value)
    if kind is str or kind is int:  # most values: skip the checks below (bulk sealing)
        return value
    if (kind is date or kind is datetime) and one_instant(value):
        return _canonical_time(value)
    if value is None or isinstance(value, str | int | float):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, date):  # in another zone, or a subclass of datetime or date
        return _canonical_time.__wrapped__(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    raise TypeError(f"no canonical form for a {type(value).__name__}")


# Cached (dates and naive or UTC times only, see `one_instant`): a bulk load seals
# millions of rows that share some thousands of times.
@lru_cache(maxsize=1 << 16)
def _canonical_time(value: date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    return value.isoformat()


# One encoder for every value: json.dumps with options builds a new one each call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def row_hash(prev_hash: str | None, values: Mapping[Any, Any]) -> str:
    """The hash of a row with these column values that follows a row hashed `prev_hash`."""
    return _hash(prev_hash, _row_encoder(tuple(values))(values))


def _hash(prev_hash: str | None, encoded: str) -> str:
    return hashlib.sha256(f"{prev_hash or ''}\n{encoded}".encode()).hexdigest()


@lru_cache(maxsize=64)  # one per set of columns: a table's, or a test's few
def _row_encoder(names: tuple[str, ...]) -> Callable[[Mapping[Any, Any]], str]:
    """The encoding every chain hash is taken over, for rows of these columns: the JSON
    object of their canonical values, keys sorted, NULLs and `chain_hash` left out,
    compact, non-ASCII kept. Built here a row at a time rather than as a dict for the
    encoder (a bulk load seals, and `flask check` reads, millions of rows): text and
    whole numbers are encoded as the encoder would, any other value by the encoder."""
    keys = [(name, _encode(name) + ":") for name in sorted(names) if name != "chain_hash"]
    text_of = json.encoder.encode_basestring  # what the encoder uses for text

    def encode(values: Mapping[Any, Any]) -> str:
        parts = []
        for name, key in keys:
            value = values[name]
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                parts.append(key + text_of(value))
            elif kind is int:
                parts.append(key + int.__repr__(value))
            else:
                parts.append(key + _encode(canonical(value)))
        return "{" + ",".join(parts) + "}"

    return encode


# --- writing ------------------------------------------------------------------------------


def _lock(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        begin_write(conn)  # SQLite: BEGIN IMMEDIATE, unless this transaction holds it
        return
    # Once per (sub)transaction: a savepoint rolled back releases locks taken inside it.
    current = conn.get_nested_transaction() or conn.get_transaction()
    if conn.info.get("chain_locked_by") is not current:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        conn.info["chain_locked_by"] = current


def _head_and_ids(
    conn: Connection, table: Table, count: int, head: tuple[int, str | None] | None
) -> tuple[tuple[int, str | None] | None, list[int]]:
    """The chain's last (id, hash), read unless `head` is given, and `count` new ids."""
    last = select(table.c.id, table.c.chain_hash).order_by(table.c.id.desc()).limit(1)
    if conn.dialect.name != "postgresql":
        if head is None:
            found = conn.execute(last).first()
            head = (found[0], found[1]) if found is not None else None
        start = head[0] + 1 if head else 1  # the writer holds the lock: no one else adds
        return head, list(range(start, start + count))
    # PostgreSQL: ids from the table's sequence, taken under the lock, so they rise in
    # chain order; the head and the first id in one round trip.
    nextval = func.nextval(func.pg_get_serial_sequence(table.name, "id"))
    ids: list[int] = []
    if head is None:
        row = conn.execute(
            select(
                last.with_only_columns(table.c.id).scalar_subquery(),
                last.with_only_columns(table.c.chain_hash).scalar_subquery(),
                nextval,
            )
        ).one()
        head, ids = ((row[0], row[1]) if row[0] is not None else None), [row[2]]
    if len(ids) < count:
        # The rest in one round trip, not a row per id (a bulk load takes millions), and
        # the sequence looked up once, not per id. Every writer takes its ids under this
        # lock, so they are consecutive; checked, as a writer that did not would reuse
        # them. (setval would be one step, but needs a right the app's role lacks.)
        more = count - len(ids)
        low, high = conn.execute(_BLOCK, {"table": table.name, "more": more}).one()
        if high - low + 1 != more:
            raise RuntimeError(f"ids of {table.name} were taken outside the chain lock")
        ids += range(low, high + 1)
    return head, ids


# PostgreSQL: `more` ids from a table's sequence; the lowest and the highest. OFFSET 0
# keeps the planner from folding the lookup of the sequence into each row: looked up
# once, 2,000,000 ids take 0.6 s, not 5.
_BLOCK = text(
    "SELECT min(id), max(id) FROM (SELECT nextval(s.seq) AS id FROM"
    " (SELECT CAST(pg_get_serial_sequence(:table, 'id') AS regclass) AS seq OFFSET 0) AS s,"
    " generate_series(1, :more)) AS taken"
)


def _column_defaults(table: Table) -> tuple[list[str], list[tuple[str, Any]]]:
    """Every column's name, and (name, Python-side default) of those that have one."""
    names = [column.name for column in table.columns]
    defaults = [
        (column.name, column.default)
        for column in table.columns
        if column.default is not None and not column.primary_key
    ]
    return names, defaults


def _with_defaults(
    columns: tuple[list[str], list[tuple[str, Any]]], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Every column's value as it will be stored: Python-side defaults filled in."""
    names, defaults = columns
    full = {name: values.get(name) for name in names}
    for name, default in defaults:
        if full[name] is None:
            full[name] = default.arg(None) if default.is_callable else default.arg
    return full


def seal_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    head: tuple[int, str | None] | None = None,
) -> list[dict[str, Any]]:
    """`rows` (column name: value) made ready to insert into a chained table: defaults
    filled, an id each, and the chain columns. Takes the chain lock; insert them in the
    same transaction."""
    if not rows:
        return []
    head, ids = reserve(conn, table, len(rows), head)
    return seal_batch(table, rows, ids, head)[0]


def reserve(
    conn: Connection, table: Table, count: int, head: tuple[int, str | None] | None = None
) -> tuple[tuple[int, str | None] | None, list[int]]:
    """Take the chain lock and `count` new ids; the chain's head (id, hash) to continue
    from (read, unless `head` is given). Then `seal_batch` needs no database."""
    _lock(conn)
    return _head_and_ids(conn, table, count, head)


def seal_batch(
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    ids: Sequence[int],
    head: tuple[int, str | None] | None,
) -> tuple[list[dict[str, Any]], tuple[int, str | None] | None]:
    """`rows` sealed after `head` with `ids` (from `reserve`), and the new head: plain
    Python, so a bulk load can seal its rows a batch at a time."""
    sealed = []
    columns = _column_defaults(table)
    encode = _row_encoder(tuple(columns[0]))
    for row, new_id in zip(rows, ids, strict=True):
        values = _with_defaults(columns, row)
        values["id"] = values["id"] or new_id
        values["chain_prev_id"], prev_hash = head if head else (None, None)
        values["chain_hash"] = _hash(prev_hash, encode(values))
        head = (values["id"], values["chain_hash"])
        sealed.append(values)
    return sealed, head


def seal(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """One row for `table`, sealed in the app session's transaction (see `seal_rows`)."""
    return seal_rows(db.session.connection(), table, [values])[0]


def _seal_object(mapper: Mapper, conn: Connection, target: object) -> None:
    # Every ORM insert of a chained model passes here, whatever service made it.
    # Several objects of one flush are sealed before any is inserted: each continues
    # from the one sealed before it (kept until the flush ends).
    session = object_session(target)
    pending = session.info.setdefault(_PENDING, {}) if session is not None else {}
    table = mapper.local_table
    assert isinstance(table, Table)
    values = {c.name: getattr(target, mapper.get_property_by_column(c).key) for c in table.columns}
    (sealed,) = seal_rows(conn, table, [values], pending.get(table.name))
    for column in table.columns:
        setattr(target, mapper.get_property_by_column(column).key, sealed[column.name])
    pending[table.name] = (sealed["id"], sealed["chain_hash"])


@event.listens_for(Session, "after_flush")
def _flush_done(session: Session, _flush_context: object) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)


def chain_model(model: type) -> None:
    """Seal every ORM insert of `model`."""
    event.listen(model, "before_insert", _seal_object)


# --- checking -----------------------------------------------------------------------------


def chain_problems(conn: Connection) -> list[str]:
    """One line per row of a chained table that was changed, removed or slipped in."""
    problems = []
    for name in CHAINED_TABLES:
        columns = {c["name"] for c in inspect(conn).get_columns(name)}
        if not {"chain_prev_id", "chain_hash"} <= columns:
            problems.append(f"{name} has no hash chain: upgrade the schema (flask db upgrade)")
            continue
        try:
            found = list(_table_problems(conn, db.metadata.tables[name]))
        except (SQLAlchemyError, ValueError, TypeError) as exc:  # a damaged value
            problems.append(f"{name}: a stored value cannot be read ({str(exc).splitlines()[0]})")
            continue
        problems += found[:MAX_REPORTED]
        if len(found) > MAX_REPORTED:
            problems.append(f"{name}: and {len(found) - MAX_REPORTED:,} more chain problems")
    return problems


def chain_heads(conn: Connection) -> dict[str, tuple[int, str] | None]:
    """Each chain's last row: (id, hash), for keeping a record elsewhere."""
    heads = {}
    for name in CHAINED_TABLES:
        table = db.metadata.tables[name]
        row = conn.execute(
            select(table.c.id, table.c.chain_hash).order_by(table.c.id.desc()).limit(1)
        ).first()
        heads[name] = (row[0], row[1]) if row is not None else None
    return heads


def _table_problems(conn: Connection, table: Table) -> Iterator[str]:
    """Walk the chain in id order. Each row must follow the row before it and match its
    hash; where the link breaks, a targeted query tells a deleted row from added ones."""
    name, c = table.name, table.c
    last_id: int | None = None
    last_hash: str | None = None
    encode = _row_encoder(tuple(column.name for column in table.columns))
    for row in conn.execution_options(yield_per=5000).execute(select(table).order_by(c.id)):
        values = row._mapping
        row_id, prev_id, stored = values["id"], values["chain_prev_id"], values["chain_hash"]
        prev_hash: str | None = last_hash
        checkable = stored is not None
        if stored is None:
            yield f"{name} row {row_id} has no chain hash: it was written outside the app"
        elif prev_id != last_id and prev_id is None:
            yield f"{name} row {row_id} claims to start the chain, but row {last_id} is before it"
            prev_hash = None
        elif prev_id != last_id:
            before = conn.execute(select(c.chain_hash).where(c.id == prev_id)).first()
            if before is None:
                yield f"{name} row {prev_id} was deleted (row {row_id} followed it)"
                checkable = False  # its hash went with it
            else:
                added = conn.scalars(select(c.id).where(c.id > prev_id, c.id < row_id)).all()
                yield (
                    f"{name} row {', '.join(map(str, sorted(added)))} was added out of turn "
                    f"(row {row_id} follows row {prev_id})"
                )
                prev_hash = before[0]
        if checkable and _hash(prev_hash, encode(values)) != stored:
            yield f"{name} row {row_id} was changed: it no longer matches its chain hash"
        last_id, last_hash = row_id, stored
