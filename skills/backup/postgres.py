"""PostgreSQL: ``pg_dump --format=custom`` to back up; to restore, ``pg_restore`` into a
scratch database of its own, check it there, then swap it in by renaming.

The swap is one transaction of two ``ALTER DATABASE … RENAME``: the live name passes
from the old database to the checked one at once, or (on any error) not at all. Renaming
needs no other session on either database, so a running app makes the swap fail cleanly.
The scratch database is created like the live one (owner, encoding, collation, ctype,
tablespace) and, before the swap, given its grants, comment, connection limit and
``ALTER DATABASE/ROLE … SET`` settings. So the role restoring must own the database (or
be a superuser) and may create databases (CREATEDB).
"""

import os
import shutil
import subprocess  # nosec B404
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

from ..timeutil import utcnow
from .checks import BackupError
from .manifest import private_file

T = TypeVar("T")
_MAX_NAME = 63  # PostgreSQL truncates longer identifiers


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed or not on PATH. Install the PostgreSQL client tools "
            "(for example the postgresql-client package), no older than the server."
        )
    return path


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for `url`, and an environment carrying its password."""
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


def _call(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The program is an absolute path from shutil.which and the arguments a list, never a
    # shell: a database name or password cannot become a command.
    return subprocess.run(  # noqa: S603  # nosec B603
        command, env=env, capture_output=True, text=True, check=False
    )


def _error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines or ["no message"]
    return errors[0]


# --- backup ---------------------------------------------------------------------------------


def dump(conn: Connection, url: URL, partial: Path, read: Callable[[Connection], T]) -> T:
    """``pg_dump`` the database into `partial` and return `read(conn)`: both see the one
    snapshot, so what `read` describes is exactly what the dump holds."""
    pg_dump = tool("pg_dump")
    conninfo, env = libpq(url)
    private_file(partial)  # pg_dump writes into it, keeping its owner-only mode
    conn = conn.execution_options(isolation_level="REPEATABLE READ")
    snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
    try:
        described = read(conn)
        result = _call(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            env,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed:\n{result.stderr.strip()}")
    finally:
        conn.rollback()
    return described


# --- the live database and the server -------------------------------------------------------


@dataclass
class Database:
    """What the live database is, beyond its tables: carried over to its replacement."""

    name: str
    user: str
    owner: str
    sessions: int  # other sessions connected to it when it was described
    row: dict[str, Any]  # its pg_database row
    encoding: str
    tablespace: str
    comment: str | None
    grants: list[tuple[str | None, str, bool]]  # (role or None for PUBLIC, privilege, grantable)
    settings: list[tuple[str | None, str, str]]  # (role or None for all, name, value)


def describe_database(conn: Connection) -> Database:
    """The live database as the connection `conn` sees it; refuses early if this role
    cannot create the scratch database or rename the live one."""
    facts = conn.execute(
        text(
            "SELECT current_database() AS name, current_user AS user, "
            "pg_get_userbyid(d.datdba) AS owner, to_jsonb(d) AS row, "
            "pg_encoding_to_char(d.encoding) AS encoding, t.spcname AS tablespace, "
            "shobj_description(d.oid, 'pg_database') AS comment, "
            "r.rolsuper OR (r.rolcreatedb AND pg_has_role(d.datdba, 'MEMBER')) AS allowed, "
            "(SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname "
            "AND a.pid <> pg_backend_pid()) AS sessions "
            "FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace "
            "JOIN pg_roles r ON r.rolname = current_user WHERE d.datname = current_database()"
        )
    ).one()
    if not facts.allowed:
        raise BackupError(
            f"The role {facts.user} may not restore {facts.name}: a restore checks the backup "
            "in a scratch database before it replaces anything, so the role must own the "
            f"database and may create databases (as a superuser: ALTER ROLE {facts.user} "
            "CREATEDB)."
        )
    grants = conn.execute(
        text(
            "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, "
            "a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a "
            "WHERE d.datname = current_database()"
        )
    ).all()
    settings = [
        (role, *setting.split("=", 1))
        for role, config in conn.execute(
            text(
                "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s "
                "JOIN pg_database d ON d.oid = s.setdatabase "
                "LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = current_database()"
            )
        )
        for setting in config
    ]
    return Database(
        name=facts.name,
        user=facts.user,
        owner=facts.owner,
        sessions=facts.sessions,
        row=facts.row,
        encoding=facts.encoding,
        tablespace=facts.tablespace,
        comment=facts.comment,
        grants=[(g[0], g[1], g[2]) for g in grants],
        settings=[(s[0], s[1], s[2]) for s in settings],
    )


@contextmanager
def _server(url: URL) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the server's maintenance database, in autocommit mode."""
    conninfo, _ = libpq(url.set(database="postgres"))
    if url.password:
        conninfo = make_conninfo(conninfo, password=str(url.password))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        yield conn


def scratch_name(live: str, purpose: str) -> str:
    suffix = f"_{purpose}_tmp"
    return live[: _MAX_NAME - len(suffix)] + suffix


def _drop(server: psycopg.Connection[Any], name: str) -> None:
    server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create(server: psycopg.Connection[Any], name: str, like: Database) -> None:
    options = [
        sql.SQL("TEMPLATE template0 OWNER {} ENCODING {} TABLESPACE {}").format(
            sql.Identifier(like.owner), sql.Literal(like.encoding), sql.Identifier(like.tablespace)
        ),
        sql.SQL("LC_COLLATE {} LC_CTYPE {}").format(
            sql.Literal(like.row["datcollate"]), sql.Literal(like.row["datctype"])
        ),
    ]
    icu_locale = like.row.get("datlocale") or like.row.get("daticulocale")
    if like.row.get("datlocprovider") == "i" and icu_locale:
        options.append(sql.SQL("LOCALE_PROVIDER icu ICU_LOCALE {}").format(sql.Literal(icu_locale)))
    statement = sql.SQL("CREATE DATABASE {} ").format(sql.Identifier(name))
    try:
        server.execute(statement + sql.SQL(" ").join(options))
    except psycopg.Error as exc:
        raise BackupError(
            f"PostgreSQL would not create the scratch database {name} that the backup is "
            f"checked in ({_message(exc)})."
        ) from exc


def _message(exc: psycopg.Error) -> str:
    return (exc.diag.message_primary or str(exc)).strip().splitlines()[0]


@contextmanager
def scratch_database(url: URL, like: Database, purpose: str) -> Iterator[URL]:
    """A new empty database made like the live one; dropped on the way out unless it was
    renamed into place meanwhile (then nothing by its name is left to drop)."""
    name = scratch_name(like.name, purpose)
    with _server(url) as server:
        _drop(server, name)  # left by an interrupted run: always ours, by its name
        _create(server, name, like)
    try:
        yield url.set(database=name)
    finally:
        with _server(url) as server:
            _drop(server, name)


def load(scratch: URL, source: Path, like: Database) -> list[str]:
    """``pg_restore`` the backup into the empty scratch database, in one transaction;
    what went wrong, if anything."""
    conninfo, env = libpq(scratch)
    command = [tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error"]
    if like.user != like.owner:
        command.append(f"--role={like.owner}")  # the tables belong to the database's owner
    result = _call([*command, f"--dbname={conninfo}", str(source)], env)
    if result.returncode != 0:
        return [f"pg_restore cannot load it: {_error_line(result.stderr)}"]
    return []


# --- putting it in place --------------------------------------------------------------------


def _carry_over(conn: psycopg.Connection[Any], name: str, like: Database) -> None:
    """Give the database `name` the live one's grants, comment, limit and settings."""
    target = sql.Identifier(name)
    if like.row.get("datacl") is not None:
        conn.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC, {}").format(
                target, sql.Identifier(like.owner)
            )
        )
    for role, privilege, grantable in like.grants:
        conn.execute(
            sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(
                sql.SQL(privilege),  # one of PostgreSQL's own privilege keywords
                target,
                sql.Identifier(role) if role else sql.SQL("PUBLIC"),
                sql.SQL(" WITH GRANT OPTION" if grantable else ""),
            )
        )
    if like.comment is not None:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(target, sql.Literal(like.comment))
        )
    if like.row.get("datconnlimit", -1) != -1:
        conn.execute(
            sql.SQL("ALTER DATABASE {} CONNECTION LIMIT {}").format(
                target, sql.Literal(like.row["datconnlimit"])
            )
        )
    for role, setting, value in like.settings:
        # FROM CURRENT stores the value exactly as the live database has it (lists too).
        conn.execute("SELECT set_config(%s, %s, true)", (setting, value))
        owner = sql.SQL("ROLE {} IN ").format(sql.Identifier(role)) if role else sql.SQL("")
        conn.execute(
            sql.SQL("ALTER {}DATABASE {} SET {} FROM CURRENT").format(
                owner, target, sql.Identifier(setting)
            )
        )


def in_use(like: Database) -> BackupError:
    return BackupError(
        f"The database {like.name} is in use ({like.sessions} other session(s)): stop the app "
        "(every server process and worker), then run restore again."
    )


def swap_in(url: URL, scratch: URL, like: Database, *, keep_previous: bool) -> str | None:
    """Rename the checked scratch database to the live name in one transaction; return
    the name the previous database is kept under, if it was kept."""
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    previous = like.name[: _MAX_NAME - 23] + f"_before_restore_{stamp}"
    staged = str(scratch.database)
    rename = sql.SQL("ALTER DATABASE {} RENAME TO {}")
    with _server(url) as server:
        try:
            with server.transaction():
                _carry_over(server, staged, like)
                server.execute(rename.format(sql.Identifier(like.name), sql.Identifier(previous)))
                server.execute(rename.format(sql.Identifier(staged), sql.Identifier(like.name)))
        except psycopg.errors.ObjectInUse as exc:
            raise BackupError(
                f"The database {like.name} is in use ({_message(exc)}): stop the app (every "
                "server process and worker), then run restore again."
            ) from exc
        except psycopg.Error as exc:
            raise BackupError(
                f"The checked copy could not be put in place ({_message(exc)})."
            ) from exc
        if keep_previous:
            return previous
        try:
            _drop(server, previous)
        except psycopg.Error:
            return previous  # it held no rows; still there, so say where
    return None
