"""Back up, verify and restore: the three operations behind the commands.

A restore never writes to the live database until the backup has passed every check in
a copy of its own (`examine`). Only then is the copy swapped in, atomically (see
`sqlite.swap_in` and `postgres.swap_in`). Any failure before that leaves the live
database as it was and says why in one line.
"""

import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from . import postgres, sqlite
from .checks import (
    UNTOUCHED,
    AlreadyReplaced,
    BackupError,
    Summary,
    check,
    row_counts,
    scratch_app,
)
from .checks import summarise as summarise_database
from .examine import (
    Outcome,
    examine_postgresql,
    examine_sqlite,
    file_kind,
    guarded,
    load_manifest,
    refused,
)
from .manifest import (
    Manifest,
    ManifestError,
    TableDigest,
    digest_tables,
    file_digest,
    file_problems,
    first_line,
    manifest_path,
    sync,
    total_rows,
    write_manifest,
)


def app_url() -> URL:
    return make_url(db.engine.url)


def describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    return f"PostgreSQL database {url.render_as_string(hide_password=True)}"


# --- backup ---------------------------------------------------------------------------------


def _describe_copy(conn: Connection) -> tuple[Summary, dict[str, TableDigest]]:
    return summarise_database(conn), digest_tables(conn)


@dataclass
class Done:
    """What a backup or a restore produced: a summary of the database, and notes."""

    summary: Summary
    manifest: Manifest | None
    notes: list[str] = field(default_factory=list)


def backup(target: Path) -> Done:
    """Copy the app's database to `target` (a new file) with its manifest beside it."""
    return guarded(lambda: _backup(target), f"The backup to {target} failed")


def _backup(target: Path) -> Done:
    sidecar = manifest_path(target)
    for path in (target, sidecar):
        if path.exists():
            raise BackupError(f"{path} already exists; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    url = app_url()
    backend = url.get_backend_name()
    partial = target.with_name(target.name + ".partial")
    db.session.remove()  # our own session must not hold anything open meanwhile
    try:
        with db.engine.connect() as conn:
            if backend == "sqlite":
                if not sqlite.sqlite_path(url).is_file():
                    raise BackupError(f"There is no database at {url.database}.")
                sqlite.copy_database(conn, partial)
            else:
                summary, tables = postgres.dump(conn, url, partial, _describe_copy)
        if backend == "sqlite":
            summary, tables = _describe_sqlite_copy(partial)
        size, sha256 = file_digest(partial)
        manifest = Manifest(backend, target.name, size, sha256, summary.revision, tables)
        write_manifest(sidecar, manifest)
        sync(partial)
        partial.replace(target)
        sync(target)
    finally:
        sqlite.remove_database_files(partial)
    return Done(summary, manifest)


def _describe_sqlite_copy(partial: Path) -> tuple[Summary, dict[str, TableDigest]]:
    """Summarise and hash the copy itself, so the manifest describes exactly the file."""
    with scratch_app(sqlite.sqlite_url(partial.resolve())), db.engine.connect() as conn:
        result = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError("The copy failed its integrity check: " + "; ".join(result))
        described = _describe_copy(conn)
    sqlite.self_contained(partial)
    return described


# --- reading a backup into a scratch copy ---------------------------------------------------


# --- verify ---------------------------------------------------------------------------------


def verify(source: Path, *, require_manifest: bool = True) -> Outcome:
    """Check a backup file as a restore would, without touching the app's database."""

    def run() -> Outcome:
        manifest = load_manifest(source, required=require_manifest)
        kind = manifest.backend if manifest is not None else file_kind(source)
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="skills-verify-") as folder:
                outcome = examine_sqlite(source, Path(folder) / "check.sqlite", manifest)
        elif app_url().get_backend_name() == "postgresql":
            url = app_url()
            db.session.remove()
            with db.engine.connect() as conn:
                like = postgres.describe_database(conn)
            with examine_postgresql(source, url, like, manifest, "verify") as outcome:
                pass
        else:
            outcome = _file_only(source, manifest)
        if outcome.problems:
            raise refused(source, outcome, "Verification failed for")
        return outcome

    try:
        return guarded(run, f"Verification of {source} stopped by an unexpected error")
    except ManifestError as exc:
        raise BackupError(f"Verification failed for {source}: {exc}.") from exc


def _file_only(source: Path, manifest: Manifest | None) -> Outcome:
    if manifest is None:
        raise ManifestError("a PostgreSQL backup can only be checked here against its manifest")
    outcome = Outcome(manifest=manifest)
    outcome.problems += file_problems(manifest, *file_digest(source))
    outcome.differs = bool(outcome.problems)
    outcome.notes.append(
        "Only the file was checked against its manifest: loading a PostgreSQL backup needs "
        "the app to be set up with a PostgreSQL database."
    )
    return outcome


# --- restore --------------------------------------------------------------------------------


def _live_rows(url: URL) -> int | None:
    """Rows in the live database; None when it cannot be read (then assume it has data)."""
    if url.get_backend_name() == "sqlite" and not sqlite.sqlite_path(url).exists():
        return 0
    try:
        with db.engine.connect() as conn:
            return sum(row_counts(conn).values())
    except (DBAPIError, sqlite3.Error):
        return None
    finally:
        db.session.remove()


def restore(source: Path, *, replace: bool = False, require_manifest: bool = True) -> Done:
    """Replace the app's database with the backup in `source`, once a copy of it has
    passed every check; refuses when the database holds data, unless `replace`."""
    url = app_url()
    backend = url.get_backend_name()

    def prepare() -> Outcome:
        if not source.is_file():
            raise BackupError(f"There is no backup file at {source}.")
        manifest = load_manifest(source, required=require_manifest)
        kind = manifest.backend if manifest is not None else file_kind(source)
        if kind != backend:
            name = "SQLite" if kind == "sqlite" else "PostgreSQL"
            raise BackupError(f"{source} is a {name} backup; this app uses {describe(url)}.")
        db.session.remove()
        rows = _live_rows(url)
        if rows != 0 and not replace:
            held = "data" if rows is None else f"data ({rows:,} rows)"
            raise BackupError(
                f"The {describe(url)} already holds {held}. Restoring replaces all of it. "
                "Back it up first if you may need it, then run restore again with --yes."
            )
        # Pooled connections would keep locks (PostgreSQL) or a stale schema (SQLite).
        db.engine.dispose()
        if backend == "sqlite":
            outcome = _restore_sqlite(source, url, manifest, keep_previous=rows != 0)
        else:
            outcome = _restore_postgresql(source, url, manifest, keep_previous=rows != 0)
        if manifest is None:
            outcome.notes.insert(0, "Warning: restored without a manifest (--no-manifest).")
        return outcome

    try:
        outcome = guarded(prepare, f"Restore of {source} stopped by an unexpected error")
    except AlreadyReplaced:
        raise
    except BackupError as exc:
        message = str(exc)
        if isinstance(exc, ManifestError):
            message = f"Refused to restore {source}: {message}."
        raise BackupError(f"{message} {UNTOUCHED}") from exc
    db.engine.dispose()
    return Done(_check_after_swap(), outcome.manifest, outcome.notes)


def _check_after_swap() -> Summary:
    try:
        return check()
    except Exception as exc:  # the swap is done: report, never a traceback
        raise AlreadyReplaced(
            "The backup was checked and put in place, but checking the database afterwards "
            f"failed ({type(exc).__name__}: {first_line(exc)}): run `flask --app skills check`."
        ) from exc


def _restore_sqlite(
    source: Path, url: URL, manifest: Manifest | None, *, keep_previous: bool
) -> Outcome:
    target = sqlite.sqlite_path(url).resolve()
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    staged = target.with_name(target.name + ".restore-tmp")
    sqlite.ensure_closed(target)  # early, to save the work; the swap looks again
    try:
        outcome = examine_sqlite(source, staged, manifest)
        if outcome.problems:
            raise refused(source, outcome, "Refused to restore")
        kept = sqlite.swap_in(staged, target, keep_previous=keep_previous)
    finally:
        sqlite.remove_database_files(staged)
    if kept is not None:
        outcome.notes.append(f"The previous database is kept as {kept}; delete it when done.")
    return outcome


def _restore_postgresql(
    source: Path, url: URL, manifest: Manifest | None, *, keep_previous: bool
) -> Outcome:
    with db.engine.connect() as conn:
        like = postgres.describe_database(conn)
    db.engine.dispose()
    if like.sessions:  # early, to save the work; the rename is what really checks
        raise postgres.in_use(like)
    with examine_postgresql(source, url, like, manifest, "restore") as outcome:
        if outcome.problems or outcome.loaded_at is None:
            raise refused(source, outcome, "Refused to restore")
        kept = postgres.swap_in(url, outcome.loaded_at, like, keep_previous=keep_previous)
    if kept is not None:
        outcome.notes.append(
            f'The previous database is kept as {kept}; drop it when done (DROP DATABASE "{kept}").'
        )
    return outcome


def manifest_summary(manifest: Manifest) -> str:
    """One line on what the manifest vouches for."""
    return (
        f"{len(manifest.tables)} tables, {total_rows(manifest.tables):,} rows, "
        f"file SHA-256 {manifest.file_sha256}"
    )
