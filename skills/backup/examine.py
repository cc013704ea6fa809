"""Reading a backup into a scratch copy of its own and checking it there, as both
`backup --verify` and `restore` do: the file against its manifest (size, SHA-256), then
the loaded copy against the manifest (each table's rows and hash, the schema revision),
SQLite's integrity and foreign-key checks, the append-only triggers, and `flask check`
(current status and counters against the events). Nothing here touches the live
database.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from . import postgres, sqlite
from .checks import BackupError, Summary, integrity_problems, scratch_app
from .checks import summarise as summarise_database
from .manifest import (
    Manifest,
    ManifestError,
    content_problems,
    file_digest,
    file_problems,
    first_line,
    manifest_path,
    read_manifest,
)

T = TypeVar("T")
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


def reasons(problems: list[str]) -> str:
    """The first few problems, on one line."""
    shown = "; ".join(" ".join(p.split()) for p in problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    return shown + (f" (and {more} more)" if more > 0 else "")


def file_kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(len(sqlite.MAGIC))
    if head.startswith(sqlite.MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file.")


def load_manifest(source: Path, *, required: bool) -> Manifest | None:
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


def loaded_problems(url: URL, manifest: Manifest | None, outcome: Outcome) -> None:
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
                    outcome.differs = outcome.differs or bool(differences)
                    outcome.problems += differences
                outcome.problems += integrity
                if outcome.problems:
                    return  # status against events means little once rows differ
                outcome.summary = summarise_database(conn)
            outcome.problems += status_differences()
    except Exception as exc:  # any failure to read the copy is a finding
        outcome.problems.append(_cannot_read(exc))


def examine_sqlite(source: Path, staged: Path, manifest: Manifest | None) -> Outcome:
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
        loaded_problems(sqlite.sqlite_url(staged.resolve()), manifest, outcome)
    return outcome


@contextmanager
def examine_postgresql(
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
            loaded_problems(scratch, manifest, outcome)
        yield outcome


def refused(source: Path, outcome: Outcome, verb: str) -> BackupError:
    intact = outcome.manifest is not None and not outcome.differs
    lead = "it matches its manifest, but the data in it fails the checks: " if intact else ""
    return BackupError(f"{verb} {source}: {lead}{reasons(outcome.problems)}.")


def guarded(action: Callable[[], T], failure: str) -> T:
    """Run `action`; turn any unexpected error into a one-line BackupError."""
    try:
        return action()
    except BackupError:
        raise
    except Exception as exc:  # never a traceback: say what stopped us
        raise BackupError(f"{failure} ({type(exc).__name__}: {first_line(exc)}).") from exc
