"""Backups and restores: `flask --app skills backup FILE`, `backup --verify FILE` and
`flask --app skills restore FILE [--yes]`.

SQLite is copied with SQLite's online backup API: one consistent snapshot, taken while
the app keeps running. PostgreSQL is copied with ``pg_dump --format=custom`` (the client
tools must be installed, no older than the server). Beside each backup goes its
manifest, ``FILE.manifest.json`` (`manifest`): the file's size and SHA-256 and, for every
table, its row count and a hash over every column of every row.

A restore changes nothing until the backup has passed every check in a copy of its own
(`operations`): SQLite builds the copy beside the database and renames it into place
(`sqlite`); PostgreSQL loads it into a scratch database and renames that into place
(`postgres`). Either way the swap is atomic, a failure before it leaves the database as
it was, and the database it replaced is kept. Stop the app while restoring.

Backup files hold personal health information: they are created readable by their
owner only; keep them encrypted and off the server they describe.
"""

from .checks import BackupError, Summary, check, events_sha256, integrity_problems, summarise
from .cli import init_app
from .operations import backup, restore, verify

__all__ = [
    "BackupError",
    "Summary",
    "backup",
    "check",
    "events_sha256",
    "init_app",
    "integrity_problems",
    "restore",
    "summarise",
    "verify",
]
