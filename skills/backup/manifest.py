"""The manifest: what a backup file holds, written beside it as ``FILE.manifest.json``.

It records the file's size and SHA-256, the schema revision, and for every application
table its row count, column names and a SHA-256 over every column of every row. A
restore (and ``backup --verify``) compares the file with the first two before it reads
anything, and the copy it loaded with the rest.

Row hashes are the same on SQLite and PostgreSQL: rows in primary-key order, each one
line of JSON of its values read through the model's column types and normalised
(`canonical`): times as naive UTC ISO with microseconds, dates ISO, booleans 0/1, None
as null, JSON values with sorted keys.

The manifest guards against damage (a truncated copy, flipped bits, a hand-edited row),
not against someone who rewrites the backup and its manifest together: it carries no
secret. The sign-off and audit events also carry a hash chain (models/chain.py), checked
with the rest of the data.
"""

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, column, inspect, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models.chain import canonical  # one normal form for rows: the chain's
from ..timeutil import utcnow
from .checks import BackupError, schema_revision

FORMAT = "skills-tracker backup manifest"
VERSION = 1
SUFFIX = ".manifest.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class ManifestError(BackupError):
    """The manifest is missing, unreadable, or from a format this version cannot read."""


def manifest_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + SUFFIX)


# --- hashing rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TableDigest:
    """One table's row count, its columns (in hashing order) and the SHA-256 of its rows."""

    rows: int
    sha256: str
    columns: tuple[str, ...]


def digest_table(conn: Connection, name: str, columns: Sequence[str]) -> TableDigest:
    """Hash every row of table `name` over `columns`, in primary-key order."""
    model = db.metadata.tables.get(name)
    known = model.c if model is not None else None
    # Typed through the model where it knows the column, so both databases agree.
    selected: list[ColumnElement[Any]] = [
        known[c] if known is not None and c in known else column(c) for c in columns
    ]
    source = model if model is not None else table(name)
    order = (
        [c for c in model.primary_key.columns if c.name in columns]
        if model is not None
        else selected
    )
    query = select(*selected).select_from(source).order_by(*(order or selected))
    digest = hashlib.sha256()
    rows = 0
    for row in conn.execution_options(yield_per=5000).execute(query):
        line = json.dumps(
            [canonical(value) for value in row],
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        digest.update(line.encode())
        digest.update(b"\n")
        rows += 1
    return TableDigest(rows, digest.hexdigest(), tuple(columns))


def present_columns(conn: Connection) -> dict[str, list[str]]:
    """Every application table in the database and all its columns: the model's order
    first, then any the model does not know, by name."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    result = {}
    for model in db.metadata.sorted_tables:
        if model.name not in present:
            continue
        stored = [c["name"] for c in inspector.get_columns(model.name)]
        ordered = [c.name for c in model.columns if c.name in stored]
        result[model.name] = ordered + sorted(set(stored) - set(ordered))
    return result


def digest_tables(conn: Connection) -> dict[str, TableDigest]:
    """A digest of every application table in the database."""
    return {name: digest_table(conn, name, cols) for name, cols in present_columns(conn).items()}


# --- the manifest itself --------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """What a backup file holds; see the module docstring."""

    backend: str
    file_name: str
    file_bytes: int
    file_sha256: str
    revision: str | None
    tables: dict[str, TableDigest]
    created_at: str = ""

    def to_json(self) -> str:
        document = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at or utcnow().isoformat(timespec="seconds"),
            "backend": self.backend,
            "file": {"name": self.file_name, "bytes": self.file_bytes, "sha256": self.file_sha256},
            "schema_revision": self.revision,
            "tables": {
                name: {"rows": d.rows, "sha256": d.sha256, "columns": list(d.columns)}
                for name, d in self.tables.items()
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> "Manifest":
        try:
            document = json.loads(text)
            return cls._from_document(document, where)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(
                f"its manifest {where} is damaged or not a manifest ({exc})"
            ) from exc

    @classmethod
    def _from_document(cls, document: dict[str, Any], where: Path) -> "Manifest":
        if document.get("format") != FORMAT:
            raise ValueError("it does not say it is a skills-tracker backup manifest")
        version = document["version"]
        if not isinstance(version, int) or version > VERSION:
            raise ManifestError(
                f"its manifest {where} has format version {version!r}; this version of the "
                f"app reads version {VERSION}: restore it with the version that made it or later"
            )
        file = document["file"]
        revision = document["schema_revision"]
        tables = {
            str(name): TableDigest(
                _count(entry["rows"]), _sha256(entry["sha256"]), _names(entry["columns"])
            )
            for name, entry in document["tables"].items()
        }
        backend = document["backend"]
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unknown backend {backend!r}")
        if revision is not None and not isinstance(revision, str):
            raise ValueError("schema_revision is not text")
        return cls(
            backend=backend,
            file_name=str(file["name"]),
            file_bytes=_count(file["bytes"]),
            file_sha256=_sha256(file["sha256"]),
            revision=revision,
            tables=tables,
            created_at=str(document.get("created_at", "")),
        )


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _sha256(value: Any) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError(f"{value!r} is not a SHA-256")
    return value


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ValueError("a table's columns are not a list of names")
    return tuple(value)


def read_manifest(backup_file: Path) -> Manifest | None:
    """The manifest beside `backup_file`, or None when there is none."""
    path = manifest_path(backup_file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError) as exc:
        raise ManifestError(f"its manifest {path} cannot be read ({exc})") from exc
    return Manifest.from_json(text, path)


# --- files ----------------------------------------------------------------------------------


def private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def sync(path: Path) -> None:
    """Make the file and its directory entry durable before we report success."""
    for target, flags in ((path, os.O_RDONLY), (path.parent, os.O_RDONLY)):
        fd = os.open(target, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write the manifest (owner-only) under a temporary name, sync it, then rename it."""
    partial = path.with_name(path.name + ".partial")
    private_file(partial)
    partial.write_text(manifest.to_json(), encoding="utf-8")
    sync(partial)
    partial.replace(path)
    sync(path)


def file_digest(path: Path, copy_to: Path | None = None) -> tuple[int, str]:
    """The size and SHA-256 of `path`; when `copy_to` is given, the bytes hashed are the
    bytes written there, so what is checked is exactly what is installed."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        out = copy_to.open("r+b") if copy_to is not None else None
        try:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
            if out is not None:
                out.truncate()
                out.flush()
                os.fsync(out.fileno())
        finally:
            if out is not None:
                out.close()
    return size, digest.hexdigest()


# --- comparing ------------------------------------------------------------------------------


def file_problems(manifest: Manifest, size: int, sha256: str) -> list[str]:
    """How the file differs from what the manifest recorded; empty when it is the same."""
    if size < manifest.file_bytes:
        return [f"the file is truncated: {size:,} bytes, the manifest says {manifest.file_bytes:,}"]
    if size > manifest.file_bytes:
        return [
            f"the file is {size:,} bytes, the manifest says {manifest.file_bytes:,} "
            "(something was added to it, or it is another file)"
        ]
    if sha256 != manifest.file_sha256:
        return [
            "the file's SHA-256 differs from the one recorded when it was made "
            "(it was damaged or changed since)"
        ]
    return []


def content_problems(conn: Connection, manifest: Manifest) -> list[str]:
    """How the loaded copy on `conn` differs from what the manifest recorded."""
    problems = []
    revision = schema_revision(conn)
    if revision != manifest.revision:
        problems.append(f"its schema revision is {revision}, the manifest says {manifest.revision}")
    present = present_columns(conn)
    for name, expected in manifest.tables.items():
        if name not in present:
            problems.append(f"table {name} is missing (the manifest lists {expected.rows:,} rows)")
            continue
        missing = [c for c in expected.columns if c not in present[name]]
        if missing:
            problems.append(f"{name} has lost column(s) {', '.join(missing)}")
            continue
        try:
            found = digest_table(conn, name, expected.columns)
        except (SQLAlchemyError, ValueError, TypeError) as exc:
            problems.append(f"{name}: a stored value cannot be read ({first_line(exc)})")
            continue
        problems += _table_problems(name, expected, found)
    problems += [
        f"table {name} is not in the manifest" for name in present if name not in manifest.tables
    ]
    return problems


def _table_problems(name: str, expected: TableDigest, found: TableDigest) -> list[str]:
    if found.rows != expected.rows:
        return [f"{name} holds {found.rows:,} rows, the manifest says {expected.rows:,}"]
    if found.sha256 != expected.sha256:
        return [
            f"{name}: the contents of its {found.rows:,} rows differ from the manifest "
            f"(SHA-256 {found.sha256[:12]}…, expected {expected.sha256[:12]}…)"
        ]
    return []


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message: error texts must stay one line."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def total_rows(tables: Mapping[str, TableDigest]) -> int:
    return sum(d.rows for d in tables.values())
