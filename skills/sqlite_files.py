"""The SQLite database holds health information: its files are the owner's only.

SQLite creates a database file with the process umask (often 0644: readable by every
local user), and its -wal, -shm and -journal files with the database file's own mode.
So the database file is created 0600 before SQLite first opens it, and the files of a
database made before this rule are narrowed when the app starts. The instance folder
is made 0700 in `config.load_config`; backups are written 0600 by `skills/backup`.
"""

import contextlib
import os
from functools import partial
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.pool import ConnectionPoolEntry

from .extensions import db

COMPANIONS = ("", "-wal", "-shm", "-journal")


def database_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory or URI-style database."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create_private(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists. O_EXCL: an existing database is
    never opened here, since closing a descriptor of a file drops every lock this process
    holds on it, SQLite's included."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def narrow_existing(path: Path) -> None:
    """Make the database and its companion files 0600 where they are readable by others."""
    for end in COMPANIONS:
        file = path.with_name(path.name + end)
        try:
            status = file.stat()
            if status.st_mode & 0o077 and status.st_uid == os.getuid():
                file.chmod(0o600)
        except FileNotFoundError:
            continue


def _before_connect(
    path: Path,
    dialect: Dialect,
    connection_record: ConnectionPoolEntry,
    cargs: tuple,
    cparams: dict,
) -> None:
    if path.parent.is_dir():  # else SQLite gives its own "unable to open" error
        create_private(path)


def init_app(app: Flask) -> None:
    """Narrow an existing database's files, and create a new one owner-only."""
    with app.app_context():
        for engine in db.engines.values():
            path = database_path(engine.url)
            if path is None:
                continue
            narrow_existing(path)
            event.listen(engine, "do_connect", partial(_before_connect, path))
