"""What a database holds and what is wrong with it: row counts, the sign-off events hash,
SQLite's integrity check, the append-only triggers, the hash chains and `flask check`'s
agreement of the current status and counters with the events.

The same checks run on the live database after a restore and, before it, on the scratch
copy a backup is loaded into (`scratch_app` binds the app's session to that copy).
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, Connection

from ..extensions import db
from ..models import SignoffEvent
from ..models.append_only import trigger_problems
from ..models.chain import canonical, chain_problems

UNTOUCHED = "The current database was left untouched."


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


class AlreadyReplaced(BackupError):
    """Something failed after the checked copy had replaced the live database."""


@dataclass
class Summary:
    """What a database (or the snapshot of it in a backup) holds."""

    counts: dict[str, int]
    events_sha256: str
    revision: str | None = None
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        width = max(map(len, self.counts), default=0)
        lines = [f"Schema revision: {self.revision or 'none'}", "Rows:"]
        lines += [f"  {table:<{width}}  {count:>9,}" for table, count in self.counts.items()]
        lines.append(f"Sign-off events SHA-256: {self.events_sha256}")
        return lines


def events_sha256(conn: Connection) -> str:
    """SHA-256 over every sign-off event in id order: the same on SQLite and PostgreSQL.

    Each event is one line of JSON of all its columns, normalised as in the manifest
    (`canonical`), the chain's hash among them. (The manifest hashes every table; this
    one is the hash printed for people to compare at a glance.)
    """
    digest = hashlib.sha256()
    table = SignoffEvent.__table__
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    columns = [c for c in table.columns if c.name in present]
    query = select(*columns).order_by(table.c.id)
    for row in conn.execution_options(yield_per=5000).execute(query):
        values = [canonical(value) for value in row]
        digest.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows in every application table that exists, in dependency order."""
    present = set(inspect(conn).get_table_names())
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
        if table.name in present
    }


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at, or None if it has none."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def summarise(conn: Connection) -> Summary:
    """Row counts, schema revision and event hash, read on one connection."""
    if not inspect(conn).has_table(SignoffEvent.__tablename__):
        raise BackupError("This database has no sign-off table: it is not a skills database.")
    return Summary(row_counts(conn), events_sha256(conn), schema_revision(conn))


def integrity_problems(conn: Connection) -> list[str]:
    """What is wrong with the stored data at the database level; empty means sound."""
    problems = []
    if conn.dialect.name == "sqlite":
        result = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems += [f"integrity_check: {line}" for line in result]
        problems += [
            f"foreign key broken: {row[0]} row {row[1]} points at a missing {row[2]} row"
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check")
        ]
    # The append-only triggers, each there, enabled and refusing; the hash chains whole.
    problems += trigger_problems(conn)
    problems += chain_problems(conn)
    return problems


def check() -> Summary:
    """Summarise the app's database and list every integrity problem found."""
    from ..services.status import status_differences

    with db.engine.connect() as conn:
        problems = integrity_problems(conn)
        summary = summarise(conn)
    summary.problems = problems + status_differences()
    db.session.remove()
    return summary


@contextmanager
def scratch_app(url: URL) -> Iterator[Flask]:
    """A bare app whose `db.session` reads the database at `url`, inside its app context.

    Plain engine options: no writers' lock file is made beside a scratch copy. Every
    pooled connection is closed on the way out, so SQLite folds its log back into the
    file and PostgreSQL lets the database be renamed or dropped.
    """
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    db.init_app(app)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
