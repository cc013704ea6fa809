"""Backups restore into a fresh database with every row, sound, and the same event hash."""

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url

from skills import backup, create_app
from skills.extensions import db
from skills.services import audit
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.timeutil import today

from .conftest import DATA, MINI_CURRICULUM


@pytest.fixture
def history(make_user, make_mentee, assign, skill):
    """A little of everything: people, assignments, sign-offs, a correction, audit events."""
    mentor = make_user("mentor")
    make_user("case_manager")
    for n in range(3):
        mentee = make_mentee(name=f"Backup Mentee {n}")
        assign(mentor, mentee)
        for level, key in enumerate(["get-transit-card", "read-timetable"], start=1):
            event = record_signoff(
                mentee,
                skill(key),
                mentor,
                SignoffDetails(
                    level=level,
                    shown_on=today() - timedelta(days=n),
                    note=f"Note “{n}-{key}” with accents: café",
                ),
                idempotency_key=f"backup-{n}-{key}",
            )
        db.session.flush()
        correct_signoff(event, mentor, SignoffDetails(level=3, shown_on=today()), "Typo")
        audit.record("mentee.view", mentor, mentee=mentee)
    db.session.commit()


@contextmanager
def scratch_database(database_url: str, tmp_path) -> Iterator[str]:
    """A fresh empty database of the same kind as the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore_check"
    server = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _summary(app):
    with app.app_context(), db.engine.connect() as conn:
        return backup.summarise(conn)


def _fresh_app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "CURRICULUM_DIR": DATA,
        }
    )


def _restore_into(url: str, file, *extra):
    """Run `flask restore` against the database at `url` (its own app and app context)."""
    target = _fresh_app(url)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(file), *extra])
        db.engine.dispose()
    return target, result


def _assert_same(original, restored, output: str) -> None:
    assert restored.counts == original.counts
    assert restored.events_sha256 == original.events_sha256
    assert restored.revision == original.revision
    assert all(original.counts[t] > 0 for t in ("signoff_events", "skill_status", "audit_events"))
    assert f"Sign-off events SHA-256: {original.events_sha256}" in output
    assert "Integrity: ok" in output


def test_backup_restores_into_a_fresh_database(app, history, runner, tmp_path, database_url):
    original = _summary(app)
    file = tmp_path / "skills.backup"

    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert f"Sign-off events SHA-256: {original.events_sha256}" in result.output
    for table, count in original.counts.items():
        assert re.search(rf"^  {table} +{count:,}$", result.output, re.M), table
    assert file.stat().st_mode & 0o077 == 0  # health information: owner only

    with scratch_database(database_url, tmp_path) as fresh_url:
        restored_app, result = _restore_into(fresh_url, file)
        assert result.exit_code == 0, result.output
        restored = _summary(restored_app)
        _assert_same(original, restored, result.output)
        with restored_app.app_context(), db.engine.connect() as conn:
            assert backup.integrity_problems(conn) == []
        with restored_app.app_context():
            db.engine.dispose()


def test_restore_refuses_to_replace_data_unless_told(app, history, runner, tmp_path, database_url):
    original = _summary(app)
    file = tmp_path / "skills.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    with scratch_database(database_url, tmp_path) as url:
        assert _restore_into(url, file)[1].exit_code == 0

        refused = _restore_into(url, file)[1]
        assert refused.exit_code != 0
        assert "already holds data" in refused.output and "--yes" in refused.output

        target, replaced = _restore_into(url, file, "--yes")
        assert replaced.exit_code == 0, replaced.output
        _assert_same(original, _summary(target), replaced.output)
        with target.app_context():
            db.engine.dispose()


def test_backup_will_not_overwrite_a_file(app, runner, tmp_path):
    file = tmp_path / "taken.backup"
    file.write_text("an earlier backup")
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert file.read_text() == "an earlier backup"


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a backup")
    result = runner.invoke(args=["restore", str(file), "--yes"])
    assert result.exit_code != 0 and "neither a SQLite backup nor a pg_dump" in result.output


def test_sqlite_backup_runs_beside_an_open_write_and_leaves_it_out(tmp_path):
    """SQLite's online backup, whatever the test database: PostgreSQL's pg_dump has MVCC."""
    path = tmp_path / "live.sqlite"
    live = _fresh_app(f"sqlite:///{path}")
    with live.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        db.session.commit()
        audit.record("committed.before")
        db.session.commit()
        before = _summary(live)
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            # Another process is half-way through a write when the backup starts.
            writer.execute("BEGIN IMMEDIATE")
            writer.execute(
                "INSERT INTO audit_events (at, action, outcome, detail) "
                "VALUES (CURRENT_TIMESTAMP, 'uncommitted', 'ok', '')"
            )
            file = tmp_path / "during-write.backup"
            result = live.test_cli_runner().invoke(args=["backup", str(file)])
            assert result.exit_code == 0, result.output
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        db.engine.dispose()
    copy = sqlite3.connect(file)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        actions = [row[0] for row in copy.execute("SELECT action FROM audit_events")]
        assert actions == ["curriculum.load", "committed.before"]
        assert before.counts["audit_events"] == 2
    finally:
        copy.close()


def test_event_hash_changes_with_any_event(app, history, make_user, make_mentee, assign, skill):
    before = _summary(app).events_sha256
    mentor, mentee = make_user("mentor"), make_mentee()
    assign(mentor, mentee)
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=today()))
    db.session.commit()
    assert _summary(app).events_sha256 != before


def test_postgres_url_becomes_a_libpq_connection_string():
    url = make_url(
        "postgresql+psycopg://skills:p%40ss word@db.example:6543/skills"
        "?sslmode=require&options=-csearch_path%3Dother"
    )
    conninfo, env = backup._libpq(url)
    assert psycopg.conninfo.conninfo_to_dict(conninfo) == {
        "host": "db.example",
        "port": "6543",
        "user": "skills",
        "dbname": "skills",
        "sslmode": "require",
        "options": "-csearch_path=other",
    }
    assert env["PGPASSWORD"] == "p@ss word"  # kept off the command line


def test_missing_pg_dump_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not installed"):
        backup._tool("pg_dump")
