"""Backups and restores: `flask --app skills backup FILE` and `flask --app skills restore FILE`.

SQLite is copied with SQLite's online backup API: one consistent snapshot, taken while
the app keeps running (in WAL mode readers and the writer carry on). PostgreSQL is copied
with ``pg_dump --format=custom`` and put back with ``pg_restore --clean --if-exists
--no-owner``; both must be installed and no older than the server.

Both commands print the row count of every table and a SHA-256 over the sign-off events
in id order, so a restored copy can be compared with the original at a glance. `restore`
refuses to replace a database that holds data unless told ``--yes``, and checks the
result (SQLite's integrity and foreign-key checks, the append-only triggers, current
status against the events) before it reports success. Stop the app while restoring.

Backup files hold personal health information: they are created readable by their
owner only; keep them encrypted and off the server they describe.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, Connection, make_url

from .extensions import db
from .models import APPEND_ONLY_TABLES, SignoffEvent

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


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
    (UTC, microseconds) and note.
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


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def summarise(conn: Connection) -> Summary:
    """Row counts, schema revision and event hash, read on one connection."""
    if not inspect(conn).has_table(SignoffEvent.__tablename__):
        raise BackupError("This database has no sign-off table: it is not a skills database.")
    return Summary(row_counts(conn), events_sha256(conn), _revision(conn))


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
        triggers = {
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
    else:
        triggers = set(
            conn.scalars(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND c.relname = ANY(:tables) "
                    "AND pg_table_is_visible(c.oid)"
                ),
                {"tables": list(APPEND_ONLY_TABLES)},
            )
        )
    problems += [
        f"{table} has lost the trigger that keeps it append-only"
        for table in APPEND_ONLY_TABLES
        if table not in triggers
    ]
    return problems


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"Backups need a SQLite database file, not {url.database!r}.")
    return Path(url.database)


def _private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _sync(path: Path) -> None:
    """Make the file and its directory entry durable before we report success."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _check_sqlite_file(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    return [] if result == ["ok"] else result


def _backup_sqlite(conn: Connection, target: Path) -> Summary:
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    source = conn.connection.dbapi_connection
    if not isinstance(source, sqlite3.Connection):
        raise TypeError("a SQLite backup needs the sqlite3 connection itself")
    # One read transaction for the summary and the copy, so both see the same snapshot.
    source.execute("BEGIN")
    try:
        summary = summarise(conn)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        conn.rollback()
    problems = _check_sqlite_file(partial)
    if problems:
        partial.unlink()
        raise BackupError("The copy failed its integrity check: " + "; ".join(problems))
    _sync(partial)
    partial.replace(target)
    _sync(target)
    return summary


def _restore_sqlite(url: URL, source: Path) -> None:
    problems = _check_sqlite_file(source)
    if problems:
        raise BackupError(f"{source} is damaged; nothing was restored: " + "; ".join(problems))
    path = _sqlite_path(url)
    backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        target.execute("PRAGMA busy_timeout=10000")
        backup.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        backup.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed or not on PATH. Install the PostgreSQL client tools "
            "(for example the postgresql-client package), no older than the server."
        )
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for `url`, and an environment carrying its password."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, object] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
    }
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    return conninfo, env


def _run(command: list[str], env: dict[str, str]) -> None:
    # The program is an absolute path from shutil.which and the arguments a list, never a
    # shell: a database name or password cannot become a command.
    result = subprocess.run(  # noqa: S603  # nosec B603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        program = Path(command[0]).name
        raise BackupError(f"{program} failed:\n{result.stderr.strip()}")


def _backup_postgresql(conn: Connection, url: URL, target: Path) -> Summary:
    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(url)
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    # pg_dump joins our transaction's snapshot, so the summary describes the dump exactly.
    conn = conn.execution_options(isolation_level="REPEATABLE READ")
    snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
    try:
        summary = summarise(conn)
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            env,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.rollback()
    _sync(partial)
    partial.replace(target)
    _sync(target)
    return summary


def _restore_postgresql(url: URL, source: Path) -> None:
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq(url)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(source),
        ],
        env,
    )


# --- the two operations ---------------------------------------------------------------------


def _url() -> URL:
    return make_url(db.engine.url)


def describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    return f"PostgreSQL database {url.render_as_string(hide_password=True)}"


def backup(target: Path) -> Summary:
    """Copy the app's database to `target` (a new file) and summarise what was copied."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    url = _url()
    db.session.remove()  # our own session must not hold anything open meanwhile
    with db.engine.connect() as conn:
        if url.get_backend_name() == "sqlite":
            if not _sqlite_path(url).is_file():
                raise BackupError(f"There is no database at {url.database}.")
            return _backup_sqlite(conn, target)
        return _backup_postgresql(conn, url, target)


def _file_kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file.")


def existing_rows(conn: Connection) -> int:
    return sum(row_counts(conn).values())


def restore(source: Path, *, replace: bool = False) -> Summary:
    """Replace the app's database with the backup in `source`, then check and summarise it.

    Refuses when the database holds data, unless `replace` is true.
    """
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    url = _url()
    kind, backend = _file_kind(source), url.get_backend_name()
    if kind != backend:
        raise BackupError(
            f"{source} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup; "
            f"this app uses {describe(url)}."
        )
    db.session.remove()
    with db.engine.connect() as conn:
        rows = existing_rows(conn)
    if rows and not replace:
        raise BackupError(
            f"The {describe(url)} already holds data ({rows:,} rows). Restoring replaces "
            "all of it. Back it up first if you may need it, then run restore again with --yes."
        )
    # Pooled connections would keep locks (PostgreSQL) or a stale schema (SQLite).
    db.engine.dispose()
    if backend == "sqlite":
        _restore_sqlite(url, source)
    else:
        _restore_postgresql(url, source)
    db.engine.dispose()
    return check()


def check() -> Summary:
    """Summarise the app's database and list every integrity problem found."""
    from .services.status import status_differences

    with db.engine.connect() as conn:
        problems = integrity_problems(conn)
        summary = summarise(conn)
    summary.problems = problems + status_differences()
    db.session.remove()
    return summary


# --- command line ---------------------------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the database to FILE while the app keeps running."""
    try:
        summary = backup(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up the {describe(_url())} to {file} ({file.stat().st_size:,} bytes).")
    for line in summary.lines():
        click.echo(line)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database with the backup in FILE, then check it. Stop the app first."""
    try:
        summary = restore(file, replace=yes)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {file} into the {describe(_url())}.")
    for line in summary.lines():
        click.echo(line)
    if summary.problems:
        for problem in summary.problems:
            click.echo(f"Problem: {problem}", err=True)
        raise click.ClickException(f"{len(summary.problems)} problem(s) after restoring.")
    click.echo("Integrity: ok")


def init_app(app: Flask) -> None:
    for command in (backup_command, restore_command):
        app.cli.add_command(command)
