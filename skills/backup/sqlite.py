"""SQLite: copy with the online backup API; restore by building and checking a copy beside
the database, then putting it in place with one rename.

The rename (`os.replace`) is atomic: at every instant the database path names either the
old file or the checked copy, never a half-written one. The copy is created owner-only
(0600) in the database's own folder, so the rename never crosses file systems.
"""

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, Connection

from ..timeutil import utcnow
from ..writer_lock import fcntl
from .checks import AlreadyReplaced, BackupError
from .manifest import file_digest, private_file, sync

MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
# SQLite's "deadman switch" byte in the -shm file: every connection to a database in
# WAL mode holds a shared lock on it for as long as it is open (os_unix.c, UNIX_SHM_DMS).
_SHM_DMS_BYTE = 128


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"Backups need a SQLite database file, not {url.database!r}.")
    return Path(url.database)


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def _companions(path: Path) -> list[Path]:
    """The database file and the files SQLite keeps beside it."""
    return [path] + [path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal")]


def remove_database_files(path: Path) -> None:
    for file in _companions(path):
        file.unlink(missing_ok=True)


# --- backup ---------------------------------------------------------------------------------


def copy_database(conn: Connection, partial: Path) -> None:
    """Copy the database on `conn` into the new file `partial`: one consistent snapshot,
    while the app keeps running (in WAL mode readers and the writer carry on)."""
    source = conn.connection.dbapi_connection
    if not isinstance(source, sqlite3.Connection):
        raise TypeError("a SQLite backup needs the sqlite3 connection itself")
    private_file(partial)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one snapshot
    finally:
        copy.close()


def self_contained(path: Path) -> None:
    """Switch the file out of WAL mode, so it is one file with nothing beside it."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


# --- reading a backup -----------------------------------------------------------------------


def header_problems(path: Path, size: int) -> list[str]:
    """What the file's first 100 bytes say is wrong with it, before SQLite opens it."""
    with path.open("rb") as file:
        header = file.read(HEADER_BYTES)
    if not header.startswith(MAGIC):
        return ["it is not a SQLite database (its first bytes are not SQLite's header)"]
    if len(header) < HEADER_BYTES:
        return [f"the file is truncated: {size:,} bytes is less than a SQLite header"]
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return ["its SQLite header is damaged (the page size is not valid)"]
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header counts only when SQLite wrote it with this change
    # counter (offsets 24 and 92); otherwise the size must still be whole pages.
    if pages and header[24:28] == header[92:96] and size < pages * page_size:
        return [f"the file is truncated: {size:,} bytes, its header says {pages * page_size:,}"]
    if size % page_size:
        return [f"the file is truncated or damaged: {size:,} bytes is not whole pages"]
    return []


def stage_copy(source: Path, staged: Path) -> tuple[int, str]:
    """Copy `source` to `staged` (a new owner-only file), returning the size and SHA-256
    of exactly the bytes copied."""
    remove_database_files(staged)
    private_file(staged)
    return file_digest(source, copy_to=staged)


# --- putting it in place --------------------------------------------------------------------


def open_elsewhere(database: Path) -> bool:
    """Whether another process has the database open (in WAL mode, as the app does)."""
    shm = database.with_name(database.name + "-shm")
    if fcntl is None:  # pragma: no cover - no POSIX locks (Windows): trust the operator
        return False
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        # POSIX locks are per process: this can only collide with another process.
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE, os.SEEK_SET)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE, os.SEEK_SET)
        return False
    finally:
        os.close(fd)


def _same_owner(staged: Path, target: Path) -> None:
    """Give the copy the owner of the file it replaces (when restore runs as root)."""
    owner = target.stat()
    if (owner.st_uid, owner.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.chown(staged, owner.st_uid, owner.st_gid)
    except PermissionError as exc:
        raise BackupError(
            f"{target} belongs to user {owner.st_uid}; the restored copy cannot be given "
            f"to that user ({exc.strerror}). Run restore as that user."
        ) from exc


def _keep(target: Path) -> Path:
    """Keep the current database under a new name: a second link, or else a copy."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = target.with_name(f"{target.name}.before-restore-{stamp}-{n}")
    try:
        os.link(target, kept)
    except OSError:  # a file system without hard links: copy it
        try:
            private_file(kept)
            file_digest(target, copy_to=kept)
        except BaseException:
            kept.unlink(missing_ok=True)
            raise
    return kept


def ensure_closed(database: Path) -> None:
    """Refuse while another process has the database open."""
    if open_elsewhere(database):
        raise BackupError(
            f"{database} is open in another process: stop the app (every server process and "
            "worker), then run restore again."
        )


def swap_in(staged: Path, target: Path, *, keep_previous: bool) -> Path | None:
    """Put the checked copy `staged` in place of `target`; return where the previous
    database was kept, if it was. Refuses while another process has `target` open."""
    ensure_closed(target)
    wal, shm = (target.with_name(target.name + end) for end in ("-wal", "-shm"))
    if wal.exists() and wal.stat().st_size:
        # Closing our own connections folded any log into the file; one left means a
        # process we cannot see still writes to it.
        raise BackupError(
            f"{wal} still holds changes not yet in the database: stop the app, run "
            "`flask --app skills check` once (it folds them in), then restore again."
        )
    previous = None
    try:
        if target.exists():
            _same_owner(staged, target)
            if keep_previous:
                previous = _keep(target)
        sync(staged)
        # Leftovers of the old file would be read as the new file's log.
        wal.unlink(missing_ok=True)
        shm.unlink(missing_ok=True)
        os.replace(staged, target)
    except BaseException:
        if previous is not None:
            previous.unlink(missing_ok=True)  # the database it names is still in place
        raise
    try:
        if previous is not None:
            previous.chmod(0o600)  # health information: owner only, like every copy
        sync(target)
    except OSError as exc:
        raise AlreadyReplaced(
            f"The checked copy is in place at {target}, but flushing it to disk failed "
            f"({exc.strerror}): check the disk, then run `flask --app skills check`."
        ) from exc
    return previous
