"""Back up, verify and restore: the three operations behind the commands.

A restore never writes to the live database until the backup has passed every check in
a copy of its own: the file against its manifest (size, SHA-256), the loaded copy against
the manifest (every table's rows and hash, the schema revision), SQLite's integrity and
foreign-key checks, the append-only triggers, and `flask check` (current status and
counters against the events). Only then is the copy swapped in, atomically (see
`sqlite.swap_in` and `postgres.swap_in`). Any failure before that leaves the live
database as it was and says why in one line.
"""

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    integrity_problems,
    row_counts,
    scratch_app,
)
from .checks import summarise as summarise_database
from .manifest import (
    Manifest,
    ManifestError,
    TableDigest,
    content_problems,
    digest_tables,
    file_digest,
    file_problems,
    first_line,
    manifest_path,
    read_manifest,
    sync,
    total_rows,
    write_manifest,
)

PGDUMP_MAGIC = b"PGDMP"
_SHOWN_PROBLEMS = 3


@dataclass
class Outcome:
    """What a backup, check or restore found: the summary, and notes for the operator."""

    summary: Summary | None = None
    manifest: Manifest | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loaded_at: URL | None = None  # the scratch database a PostgreSQL backup was loaded into
    differs: bool = False  # the file or its rows differ from the manifest


def app_url() -> URL:
    return make_url(db.engine.url)


def describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    return f"PostgreSQL database {url.render_as_string(hide_password=True)}"


def reasons(problems: list[str]) -> str:
    """The first few problems, on one line."""
    shown = "; ".join(" ".join(p.split()) for p in problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    return shown + (f" (and {more} more)" if more > 0 else "")


# --- backup ---------------------------------------------------------------------------------


def _describe_copy(conn: Connection) -> tuple[Summary, dict[str, TableDigest]]:
    return summarise_database(conn), digest_tables(conn)


def backup(target: Path) -> Outcome:
    """Copy the app's database to `target` (a new file) with its manifest beside it."""
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
    return Outcome(summary, manifest)


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


def _file_kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(len(sqlite.MAGIC))
    if head.startswith(sqlite.MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file.")


def _manifest(source: Path, *, required: bool) -> Manifest | None:
    manifest = read_manifest(source)
    if manifest is None and required:
        raise ManifestError(
            f"it has no manifest ({manifest_path(source).name} beside it), so it cannot be "
            "compared with what was backed up. Copy the manifest next to it; for a backup "
            "made before manifests existed, add --no-manifest (the integrity and status "
            "checks still run)"
        )
    return manifest


def _cannot_read(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(exc, BackupError):
        return str(exc)
    return f"the database in it cannot be read ({first_line(cause)})"


def _loaded_problems(url: URL, manifest: Manifest | None, outcome: Outcome) -> None:
    """Check the copy loaded at `url` against the manifest and with the app's own checks."""
    from ..services.status import status_differences

    try:
        with scratch_app(url):
            with db.engine.connect() as conn:
                integrity = integrity_problems(conn)
                if any(p.startswith("integrity_check") for p in integrity):
                    outcome.problems += integrity  # the rest would only read damaged pages
                    return
                if manifest is not None:
                    differences = content_problems(conn, manifest)
                    outcome.differs = bool(differences)
                    outcome.problems += differences
                outcome.problems += integrity
                if outcome.problems:
                    return  # status against events means little once rows differ
                outcome.summary = summarise_database(conn)
            outcome.problems += status_differences()
    except Exception as exc:  # noqa: BLE001 - any failure to read the copy is a finding
        outcome.problems.append(_cannot_read(exc))


def _examine_sqlite(source: Path, staged: Path, manifest: Manifest | None) -> Outcome:
    """Copy the backup to `staged` (hashing it as it is copied) and check the copy."""
    outcome = Outcome(manifest=manifest)
    size, sha256 = sqlite.stage_copy(source, staged)
    if manifest is not None:
        outcome.problems += file_problems(manifest, size, sha256)
        outcome.differs = bool(outcome.problems)
        if size != manifest.file_bytes:
            return outcome  # a cut or padded file: reading it would only add noise
    header = sqlite.header_problems(staged, size)
    outcome.problems += header
    if not header:
        _loaded_problems(sqlite.sqlite_url(staged.resolve()), manifest, outcome)
    return outcome


@contextmanager
def _examine_postgresql(
    source: Path, url: URL, like: postgres.Database, manifest: Manifest | None, purpose: str
) -> Iterator[Outcome]:
    """Check the archive against its manifest, load it into a scratch database and check
    it there; yields the outcome while the scratch database (`outcome.loaded_at`) exists.

    A file that differs from its manifest is not loaded: a pg_dump archive is compressed,
    so a damaged one says nothing useful about which rows changed.
    """
    outcome = Outcome(manifest=manifest)
    size, sha256 = file_digest(source)
    if manifest is not None:
        outcome.problems += file_problems(manifest, size, sha256)
        outcome.differs = bool(outcome.problems)
    if outcome.problems:
        yield outcome
        return
    with postgres.scratch_database(url, like, purpose) as scratch:
        outcome.loaded_at = scratch
        loading = postgres.load(scratch, source, like)
        if file_digest(source) != (size, sha256):
            loading.append("the file changed while it was being read (is it still being copied?)")
        outcome.problems += loading
        if not loading:
            _loaded_problems(scratch, manifest, outcome)
        yield outcome


def _refused(source: Path, outcome: Outcome, verb: str) -> BackupError:
    intact = outcome.manifest is not None and not outcome.differs
    lead = "it matches its manifest, but the data in it fails the checks: " if intact else ""
    return BackupError(f"{verb} {source}: {lead}{reasons(outcome.problems)}.")


def _guarded(action: Callable[[], Outcome], failure: str) -> Outcome:
    """Run `action`; turn any unexpected error into a one-line BackupError."""
    try:
        return action()
    except BackupError:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback: say what stopped us
        raise BackupError(f"{failure} ({type(exc).__name__}: {first_line(exc)}).") from exc


# --- verify ---------------------------------------------------------------------------------


def verify(source: Path, *, require_manifest: bool = True) -> Outcome:
    """Check a backup file as a restore would, without touching the app's database."""

    def run() -> Outcome:
        manifest = _manifest(source, required=require_manifest)
        kind = manifest.backend if manifest is not None else _file_kind(source)
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="skills-verify-") as folder:
                outcome = _examine_sqlite(source, Path(folder) / "check.sqlite", manifest)
        elif app_url().get_backend_name() == "postgresql":
            url = app_url()
            db.session.remove()
            with db.engine.connect() as conn:
                like = postgres.describe_database(conn)
            with _examine_postgresql(source, url, like, manifest, "verify") as outcome:
                pass
        else:
            outcome = _file_only(source, manifest)
        if outcome.problems:
            raise _refused(source, outcome, "Verification failed for")
        return outcome

    try:
        return _guarded(run, f"Verification of {source} stopped by an unexpected error")
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


def restore(source: Path, *, replace: bool = False, require_manifest: bool = True) -> Outcome:
    """Replace the app's database with the backup in `source`, once a copy of it has
    passed every check; refuses when the database holds data, unless `replace`."""
    url = app_url()
    backend = url.get_backend_name()

    def prepare() -> Outcome:
        if not source.is_file():
            raise BackupError(f"There is no backup file at {source}.")
        manifest = _manifest(source, required=require_manifest)
        kind = manifest.backend if manifest is not None else _file_kind(source)
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
        outcome = _guarded(prepare, f"Restore of {source} stopped by an unexpected error")
    except AlreadyReplaced:
        raise
    except BackupError as exc:
        message = str(exc)
        if isinstance(exc, ManifestError):
            message = f"Refused to restore {source}: {message}."
        raise BackupError(f"{message} {UNTOUCHED}") from exc
    db.engine.dispose()
    outcome.summary = _guarded_check()
    return outcome


def _guarded_check() -> Summary:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - the swap is done: report, never a traceback
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
        outcome = _examine_sqlite(source, staged, manifest)
        if outcome.problems:
            raise _refused(source, outcome, "Refused to restore")
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
    with _examine_postgresql(source, url, like, manifest, "restore") as outcome:
        if outcome.problems or outcome.loaded_at is None:
            raise _refused(source, outcome, "Refused to restore")
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
