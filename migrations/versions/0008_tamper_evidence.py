"""Append-only triggers (row and TRUNCATE) and a hash chain over sign-off and audit events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00

"""
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Copied, not imported, so this revision keeps working when the models change: the
# append-only tables, their triggers, and the chain's hash as of this revision
# (skills/models/append_only.py and skills/models/chain.py).
CHAINED = ("signoff_events", "audit_events")
NEWLY_APPEND_ONLY = ("signoff_confirmations", "self_ratings")
APPEND_ONLY = CHAINED + NEWLY_APPEND_ONLY
BATCH = 5000


def _sqlite_triggers(table):
    return [
        f"CREATE TRIGGER {table}_no_{op_.lower()} BEFORE {op_} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_} refused'); END"
        for op_ in ("UPDATE", "DELETE")
    ]


def _pg_function(table):
    return (
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION USING MESSAGE = '{table} is append-only: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql"
    )


def _canonical(value):
    if value is None or isinstance(value, str | int | float):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    raise TypeError(f"no canonical form for a {type(value).__name__}")


def _row_hash(prev_hash, values):
    encoded = json.dumps(
        {k: _canonical(v) for k, v in values.items() if v is not None and k != "chain_hash"},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(f"{prev_hash or ''}\n{encoded}".encode()).hexdigest()


def _chain_existing_rows(bind, name):
    """Seal the rows already there, in id order, batch by batch."""
    table = sa.Table(name, sa.MetaData(), autoload_with=bind)
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(chain_prev_id=sa.bindparam("prev_id"), chain_hash=sa.bindparam("hash"))
    )
    prev_id, prev_hash = None, None
    while True:
        query = table.select().order_by(table.c.id).limit(BATCH)
        if prev_id is not None:
            query = query.where(table.c.id > prev_id)
        rows = [dict(row._mapping) for row in bind.execute(query)]
        if not rows:
            return
        sealed = []
        for values in rows:
            values["chain_prev_id"] = prev_id
            prev_id, prev_hash = values["id"], _row_hash(prev_hash, values)
            sealed.append(
                {"row_id": prev_id, "prev_id": values["chain_prev_id"], "hash": prev_hash}
            )
        bind.execute(update, sealed)


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for name in CHAINED:
        op.add_column(name, sa.Column('chain_prev_id', sa.Integer(), nullable=True))
        op.add_column(name, sa.Column('chain_hash', sa.String(length=64), nullable=True))
        # The rows already there join the chain: the row trigger steps aside for this
        # one update, inside the migration's transaction.
        if postgresql:
            op.execute(f"ALTER TABLE {name} DISABLE TRIGGER {name}_append_only")
        else:
            op.execute(f"DROP TRIGGER {name}_no_update")
        _chain_existing_rows(bind, name)
        if postgresql:
            op.execute(f"ALTER TABLE {name} ENABLE TRIGGER {name}_append_only")
        else:
            op.execute(_sqlite_triggers(name)[0])
    # The mentee's confirmations and self-ratings become append-only too.
    for name in NEWLY_APPEND_ONLY:
        if postgresql:
            op.execute(_pg_function(name))
            op.execute(
                f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()"
            )
        else:
            for statement in _sqlite_triggers(name):
                op.execute(statement)
    # Row triggers do not fire on TRUNCATE; a statement trigger does (SQLite has none).
    if postgresql:
        for name in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()"
            )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for name in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_no_truncate ON {name}")
    for name in NEWLY_APPEND_ONLY:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_append_only ON {name}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_no_delete")
    # Plain ALTER TABLE, not batch mode: a batch rebuild on SQLite would drop the triggers.
    for name in CHAINED:
        op.drop_column(name, 'chain_hash')
        op.drop_column(name, 'chain_prev_id')
