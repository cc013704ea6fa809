"""What a database holds and what is wrong with it: row counts, the sign-off events hash,
SQLite's integrity check, the append-only triggers and `flask check`'s agreement of the
current status and counters with the events.

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
from ..models import APPEND_ONLY_TABLES, SignoffEvent

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

    Each event is one line of JSON: id, mentee, skill, level, date shown, time recorded
    (UTC, microseconds) and note. (The manifest hashes every column of every table; this
    shorter hash is the one printed for people to compare at a glance.)
    """
    digest = hashlib.sha256()
    columns = SignoffEvent.__table__.c
    query = select(
        columns.id,
        columns.mentee_id,
        columns.skill_id,
        columns.level,
        columns.shown_on,
        columns.recorded_at,
        columns.note,
    ).order_by(columns.id)
    for row in conn.execution_options(yield_per=5000).execute(query):
        values = [
            row.id,
            row.mentee_id,
            row.skill_id,
            row.level,
            row.shown_on.isoformat(),
            row.recorded_at.isoformat(timespec="microseconds"),
            row.note,
        ]
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
        # Each table needs both of its triggers (UPDATE and DELETE), each still refusing.
        triggers = {
            (row[0], row[1])
            for row in conn.exec_driver_sql(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                "AND sql LIKE '%RAISE(ABORT%'"
            )
        }
        wanted = {(t, f"{t}_no_{op}") for t in APPEND_ONLY_TABLES for op in ("update", "delete")}
    else:
        # A disabled trigger (ALTER TABLE … DISABLE TRIGGER) protects nothing.
        triggers = {
            (row[0], row[1])
            for row in conn.execute(
                text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
                    "AND c.relname = ANY(:tables) AND pg_table_is_visible(c.oid)"
                ),
                {"tables": list(APPEND_ONLY_TABLES)},
            )
        }
        wanted = {(t, f"{t}_append_only") for t in APPEND_ONLY_TABLES}
    problems += [
        f"{table} has lost the trigger that keeps it append-only ({name})"
        for table, name in sorted(wanted - triggers)
    ]
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
