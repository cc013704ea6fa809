"""The SQLite database holds health information: its files and the instance folder are
readable by their owner only, whatever the umask, including files SQLite makes later.

These tests make their own SQLite database, so they run the same with TEST_DATABASE_URL.
"""

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from skills import create_app
from skills.config import load_config
from skills.extensions import db
from skills.services import people


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The common default umask, under which new files are readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _app(database: Path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )


@pytest.mark.usefixtures("open_umask")
def test_a_new_database_and_its_log_files_are_owner_only(tmp_path):
    database = tmp_path / "new.sqlite"
    app = _app(database)
    with app.app_context():
        db.create_all()
        people.get_or_create_organisation("Private Program")
        db.session.commit()
        with db.engine.connect() as reader:  # held open, so the -wal and -shm stay
            reader.execute(text("SELECT count(*) FROM organisations")).scalar()
            files = {p.name: mode(p) for p in tmp_path.iterdir() if p.name.startswith("new")}
            assert {"new.sqlite", "new.sqlite-wal", "new.sqlite-shm"} <= set(files)
            assert set(files.values()) == {0o600}, files
        db.session.remove()
        db.engine.dispose()


@pytest.mark.usefixtures("open_umask")
def test_files_of_an_older_database_are_narrowed_at_start(tmp_path):
    database = tmp_path / "old.sqlite"
    app = _app(database)
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    companions = [database, tmp_path / "old.sqlite-wal", tmp_path / "old.sqlite-shm"]
    for path in companions:
        path.touch()
        path.chmod(0o644)  # as an earlier version left them
    _app(database)
    assert [mode(p) for p in companions] == [0o600, 0o600, 0o600]


@pytest.mark.usefixtures("open_umask")
def test_the_instance_folder_is_owner_only(tmp_path):
    new = tmp_path / "instance"
    load_config(new, {})
    assert mode(new) == 0o700
    assert mode(new / "secret_key") == 0o600
    older = tmp_path / "older"
    older.mkdir(mode=0o755)
    older.chmod(0o755)
    load_config(older, {})
    assert mode(older) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_a_rollback_journal_is_owner_only_too(tmp_path):
    # Outside WAL mode SQLite writes a -journal beside the file during each write, with
    # the mode of the database file the app created.
    database = tmp_path / "journal.sqlite"
    app = _app(database)
    with app.app_context():
        db.engine.connect().close()
        db.engine.dispose()
    raw = sqlite3.connect(database, isolation_level=None)
    try:
        raw.execute("PRAGMA journal_mode=DELETE")
        raw.execute("CREATE TABLE t (x)")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO t VALUES (1)")
        journal = tmp_path / "journal.sqlite-journal"
        assert journal.exists() and mode(journal) == 0o600
        raw.execute("COMMIT")
    finally:
        raw.close()
