"""A test database's rows saved once and put back for each test that starts from them.

The `world` fixture (tests/conftest.py) builds three mentees, fourteen people, their
assignments, sign-offs, notes and a photo through the services: a fifth of a second,
for 500 tests on each database. It is built once per run through the services, as
before, and every later test gets the same rows back: on SQLite a copy of the file, on
PostgreSQL the rows inserted again. A snapshot is used only where the database and the
clock stand exactly where they stood when it was taken; anywhere else the world is
built anew.
"""

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, func, select, text
from sqlalchemy.engine import make_url

from skills import timeutil
from skills.extensions import db


def fingerprint() -> tuple:
    """Where the database stands: each table's row count, the organizations' settings
    (their rows but for when they were made) and the clock's date and hour."""
    counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables()))
    organisations = db.metadata.tables["organisations"]
    rows = db.session.execute(select(organisations).order_by(organisations.c.id)).all()
    moment = timeutil.utcnow()
    return (
        tuple(db.session.execute(counts).one()),
        tuple(tuple(v for v in row if not isinstance(v, datetime)) for row in rows),
        moment.date(),
        moment.hour,
    )


def tables() -> list:
    return list(db.metadata.sorted_tables)


def delete_all_rows(conn: Connection) -> None:
    """On PostgreSQL, empty every table. DELETE, not TRUNCATE: on tables this small it
    takes a tenth of the time (TRUNCATE makes new files for each of 30 tables)."""
    # Replica mode skips the triggers that keep history append-only, for this only.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    deletes = (f"DELETE FROM {t.name}" for t in reversed(tables()))  # noqa: S608 - our tables
    conn.execute(text("; ".join(deletes)))


@dataclass
class Snapshot:
    """The rows (PostgreSQL) or the file (SQLite) after a fixture built them, the
    fingerprint before it did, and what the fixture hands to the test (ids)."""

    before: tuple
    ids: dict[str, Any]
    made: dict[str, int] = field(default_factory=dict)
    path: Path | None = None
    rows: dict[str, list[dict]] | None = None

    @classmethod
    def take(cls, before: tuple, ids: dict, made: dict, folder: Path) -> "Snapshot | None":
        """Save the database as it is now, committed; None where it cannot be saved."""
        db.session.commit()
        url = make_url(str(db.engine.url))
        if url.get_backend_name() == "sqlite":
            db.engine.dispose()  # the last connection to close folds the WAL into the file
            database = Path(url.database or "")
            if Path(f"{database}-wal").exists():
                return None
            copy = folder / f"snapshot-{len(list(folder.iterdir()))}.sqlite"
            shutil.copyfile(database, copy)
            return cls(before, ids, made, path=copy)
        with db.engine.connect() as conn:
            rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()] for t in tables()}
        return cls(before, ids, made, rows=rows)

    def restore(self, owner: Engine) -> None:
        """Make the database hold exactly the saved rows, ids and sequences included."""
        db.session.commit()
        if self.path is not None:
            db.engine.dispose()
            database = make_url(str(db.engine.url)).database or ""
            for leftover in (f"{database}-wal", f"{database}-shm"):
                Path(leftover).unlink(missing_ok=True)
            shutil.copyfile(self.path, database)
            return
        assert self.rows is not None
        with owner.begin() as conn:
            delete_all_rows(conn)
            for table in tables():
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            restart_ids(conn)


def restart_ids(conn: Connection) -> None:
    """On PostgreSQL, make each table's next id the one after its highest (1 if empty)."""
    restart = [
        f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "  # noqa: S608
        f"COALESCE(MAX(id), 0) + 1, false) FROM {t.name}"  # (our own table names)
        for t in tables()
        if "id" in t.c and isinstance(t.c.id.type, Integer)
    ]
    conn.execute(text("; ".join(restart)))
